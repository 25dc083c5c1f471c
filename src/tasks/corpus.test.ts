// Corpus knobs: style shares follow the prior, the realised per-style correctness follows the slip rules,
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
  validateCorpusKnobs,
} from './corpus';
import { DEFAULT_GENERATOR_OPTIONS, miniMath500 } from './minimath';
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

  it('follows the style prior and per-style correctness of each family', () => {
    for (const preset of Object.values(FAMILY_PRESETS)) {
      const examples = sample(preset.knobs, 6000);
      const stream = new CorpusStream(preset.knobs, 1);
      const total = Object.values(preset.knobs.stylePrior).reduce((a, b) => a + b, 0);
      for (const style of ['code', 'language', 'direct', 'unboxed'] as const) {
        const ofStyle = examples.filter((e) => e.style === style);
        expect(
          Math.abs(ofStyle.length / examples.length - preset.knobs.stylePrior[style] / total),
        ).toBeLessThan(0.02);
        if (ofStyle.length < 200 || style === 'unboxed') continue;
        const correct =
          ofStyle.filter((e) => gradeAnswer(e.response, e.problem.answer)).length / ofStyle.length;
        // Four standard errors of a share: a real mismatch of the rule shows, sampling noise does not.
        const target = 1 - stream.rules[style].slipShare;
        const tolerance = 4 * Math.sqrt((target * (1 - target)) / ofStyle.length) + 0.005;
        expect(Math.abs(correct - target)).toBeLessThan(tolerance);
        // The quantised rule lands within one operand step of the requested correctness.
        expect(Math.abs(correct - preset.knobs.correctness[style])).toBeLessThan(0.12);
      }
      const code = examples.filter((e) => isCodeReasoning(e.response)).length / examples.length;
      expect(Math.abs(code - preset.knobs.stylePrior.code / total)).toBeLessThan(0.02);
      for (const e of examples) expect(e.response.endsWith('<|im_end|>')).toBe(true);
    }
  });

  it('keeps the corpus accuracy of every family below 70% and orders code vs language as Table 1', () => {
    const accuracy = (name: keyof typeof FAMILY_PRESETS, filter: (s: string) => boolean) => {
      const examples = sample(FAMILY_PRESETS[name].knobs, 6000).filter((e) => filter(e.style));
      return examples.filter((e) => gradeAnswer(e.response, e.problem.answer)).length / examples.length;
    };
    for (const name of Object.keys(FAMILY_PRESETS) as (keyof typeof FAMILY_PRESETS)[])
      expect(accuracy(name, () => true)).toBeLessThan(0.7);
    const isCode = (s: string) => s === 'code';
    const notCode = (s: string) => s !== 'code';
    expect(accuracy('qwen-math-tiny', isCode) - accuracy('qwen-math-tiny', notCode)).toBeGreaterThan(0.2);
    expect(accuracy('olmo-sft-tiny', notCode) - accuracy('olmo-sft-tiny', isCode)).toBeGreaterThan(0.25);
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
      stylePrior: { code: -1, language: Number.NaN, direct: 0, unboxed: 0 },
      correctness: { code: 2, language: 0.5, direct: 0.5 },
      generator: { levelWeights: [0, 0, 0], wordProblemShare: 1.5 },
    } as unknown as CorpusKnobs;
    const problems = corpusKnobProblems(bad);
    expect(problems.join('\n')).toMatch(/stylePrior.code/);
    expect(problems.join('\n')).toMatch(/stylePrior.language/);
    expect(problems.join('\n')).toMatch(/correctness.code/);
    expect(problems.join('\n')).toMatch(/levelWeights/);
    expect(problems.join('\n')).toMatch(/wordProblemShare/);
    expect(() => validateCorpusKnobs(bad)).toThrow(/Invalid corpus knobs/);
    const zero = {
      ...FAMILY_PRESETS['llama-tiny'].knobs,
      stylePrior: { code: 0, language: 0, direct: 0, unboxed: 0 },
    };
    expect(corpusKnobProblems(zero)).toEqual(['stylePrior must give some style a positive share']);
    expect(corpusKnobProblems(FAMILY_PRESETS['llama-tiny'].knobs)).toEqual([]);
  });
});
