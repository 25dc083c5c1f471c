// Corpus knobs: code shares follow the style rule per kind of problem, the realised per-style correctness follows the slip rules,
// slips are a deterministic function of the problem (so a model can learn them), and bad knobs are named.
import { describe, expect, it } from 'vitest';
import { gradeAnswer } from './answer';
import {
  type CorpusKnobs,
  CorpusStream,
  corpusKnobProblems,
  FAMILY_PRESETS,
  slipRuleFor,
  slips,
  upgradeCorpusKnobs,
  validateCorpusKnobs,
} from './corpus';
import { DEFAULT_GENERATOR_OPTIONS, miniMath500, PROBLEM_KINDS, problemKind } from './minimath';
import { isCodeReasoning } from './style';

function sample(knobs: CorpusKnobs, n: number, seed = 1) {
  const stream = new CorpusStream(knobs, seed);
  return Array.from({ length: n }, () => stream.next());
}

describe('CorpusStream', () => {
  it('is deterministic for a seed', () => {
    const knobs = FAMILY_PRESETS['qwen-math-tiny'].knobs;
    expect(sample(knobs, 30, 4)).toEqual(sample(knobs, 30, 4));
  });

  it('follows the style rule per kind of problem and the per-style correctness of each family', () => {
    for (const preset of Object.values(FAMILY_PRESETS)) {
      const examples = sample(preset.knobs, 8000);
      const stream = new CorpusStream(preset.knobs, 1);
      for (const kind of PROBLEM_KINDS) {
        const ofKind = examples.filter((e) => problemKind(e.problem) === kind);
        expect(ofKind.length).toBeGreaterThan(100);
        const code = ofKind.filter((e) => isCodeReasoning(e.response)).length / ofKind.length;
        // Four standard errors of a share: a wrong rule shows, sampling noise does not.
        const p = preset.knobs.codeShare[kind];
        expect(Math.abs(code - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / ofKind.length) + 0.005);
      }
      const nonCode = examples.filter((e) => e.style !== 'code');
      const otherTotal = Object.values(preset.knobs.otherStyles).reduce((a, b) => a + b, 0);
      for (const style of ['language', 'direct', 'unboxed'] as const) {
        const share = nonCode.filter((e) => e.style === style).length / nonCode.length;
        expect(Math.abs(share - preset.knobs.otherStyles[style] / otherTotal)).toBeLessThan(0.03);
      }
      for (const style of ['code', 'language', 'direct'] as const) {
        const ofStyle = examples.filter((e) => e.style === style);
        if (ofStyle.length < 200) continue;
        const correct =
          ofStyle.filter((e) => gradeAnswer(e.response, e.problem.answer)).length / ofStyle.length;
        // The realised share follows the slip rule on this style's problems (styles prefer some kinds,
        // whose first operands differ a little), within one operand step of the requested correctness.
        const expected =
          ofStyle.filter((e) => !slips(e.problem, stream.rules[style])).length / ofStyle.length;
        expect(correct).toBeCloseTo(expected, 10);
        expect(Math.abs(correct - preset.knobs.correctness[style])).toBeLessThan(0.12);
      }
      for (const e of examples) expect(e.response.endsWith('<|im_end|>')).toBe(true);
    }
  });

  it('gives qwen-math-tiny a spread of p(code) over MiniMath-500: a majority style, both tails populated', () => {
    const rule = FAMILY_PRESETS['qwen-math-tiny'].knobs.codeShare;
    const p = miniMath500().map((problem) => rule[problemKind(problem)]);
    const share = (f: (x: number) => boolean) => p.filter(f).length / p.length;
    expect(share((x) => x > 0.85)).toBeGreaterThanOrEqual(0.35);
    expect(share((x) => x < 0.3)).toBeGreaterThanOrEqual(0.15);
    expect(share((x) => x > 0.5)).toBeGreaterThan(0.6);
    expect(share((x) => x > 0.5)).toBeLessThan(0.72);
  });

  it('reads legacy knobs (one global prior) as the same code share for every kind', () => {
    const legacy = {
      stylePrior: { code: 0.6, language: 0.2, direct: 0.1, unboxed: 0.1 },
      correctness: { code: 0.6, language: 0.5, direct: 0.5 },
      generator: DEFAULT_GENERATOR_OPTIONS,
    };
    const knobs = upgradeCorpusKnobs(legacy);
    for (const kind of PROBLEM_KINDS) expect(knobs.codeShare[kind]).toBeCloseTo(0.6, 12);
    expect(knobs.otherStyles).toEqual({ language: 0.2, direct: 0.1, unboxed: 0.1 });
    expect(corpusKnobProblems(knobs)).toEqual([]);
    expect(upgradeCorpusKnobs(FAMILY_PRESETS['llama-tiny'].knobs)).toBe(FAMILY_PRESETS['llama-tiny'].knobs);
  });

  it('keeps the corpus accuracy of every family below 70% and orders code vs language as Table 1', () => {
    for (const preset of Object.values(FAMILY_PRESETS)) {
      const examples = sample(preset.knobs, 6000);
      const right = examples.filter((e) => gradeAnswer(e.response, e.problem.answer)).length;
      expect(right / examples.length).toBeLessThan(0.7);
    }
    // What the cards measure: accuracy with the style forced on every problem of MiniMath-500, i.e. the
    // share of problems the style's slip rule leaves alone. (Unforced, the gap is smaller: products,
    // mostly written as code, have small first operands and slip more often.)
    const forcedGap = (name: keyof typeof FAMILY_PRESETS) => {
      const rules = new CorpusStream(FAMILY_PRESETS[name].knobs, 1).rules;
      const right = (style: 'code' | 'language') =>
        miniMath500().filter((p) => !slips(p, rules[style])).length / 500;
      return right('code') - right('language');
    };
    expect(forcedGap('qwen-math-tiny')).toBeGreaterThan(0.2);
    expect(forcedGap('olmo-sft-tiny')).toBeLessThan(-0.25);
  });

  it('slips are a function of the problem alone, so every style errs on the same problems every time', () => {
    const rule = slipRuleFor(0.5, DEFAULT_GENERATOR_OPTIONS);
    expect(rule.threshold).toBeGreaterThanOrEqual(0);
    const eval500 = miniMath500();
    const share = eval500.filter((p) => slips(p, rule)).length / eval500.length;
    expect(Math.abs(share - 0.5)).toBeLessThan(0.15);
    expect(slipRuleFor(1, DEFAULT_GENERATOR_OPTIONS)).toEqual({ threshold: -1, slipShare: 0 });
    expect(slipRuleFor(0, DEFAULT_GENERATOR_OPTIONS).slipShare).toBe(1);
  });
});

describe('corpus knobs validation', () => {
  it('names every bad knob', () => {
    const bad = {
      codeShare: { ...FAMILY_PRESETS['qwen-math-tiny'].knobs.codeShare, story: -1, product: 1.5 },
      otherStyles: { language: Number.NaN, direct: 0, unboxed: 0 },
      correctness: { code: 2, language: 0.5, direct: 0.5 },
      generator: { levelWeights: [0, 0, 0], wordProblemShare: 1.5 },
    } as unknown as CorpusKnobs;
    const problems = corpusKnobProblems(bad);
    expect(problems.join('\n')).toMatch(/codeShare.story/);
    expect(problems.join('\n')).toMatch(/codeShare.product/);
    expect(problems.join('\n')).toMatch(/otherStyles.language/);
    expect(problems.join('\n')).toMatch(/correctness.code/);
    expect(problems.join('\n')).toMatch(/levelWeights/);
    expect(problems.join('\n')).toMatch(/wordProblemShare/);
    expect(() => validateCorpusKnobs(bad)).toThrow(/Invalid corpus knobs/);
    const zero = {
      ...FAMILY_PRESETS['llama-tiny'].knobs,
      otherStyles: { language: 0, direct: 0, unboxed: 0 },
    };
    expect(corpusKnobProblems(zero)).toEqual([
      'otherStyles must give language, direct or unboxed a positive weight',
    ]);
    // Code on every kind needs no other style.
    const allCode = { ...zero, codeShare: { ...zero.codeShare } };
    for (const kind of PROBLEM_KINDS) allCode.codeShare[kind] = 1;
    expect(corpusKnobProblems(allCode)).toEqual([]);
    expect(corpusKnobProblems(FAMILY_PRESETS['llama-tiny'].knobs)).toEqual([]);
  });
});
