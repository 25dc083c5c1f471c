// The pretraining corpus of a zoo family: MiniMath problems answered in a style that depends on the
// problem (the family's style rule: a share of code answers per kind of problem, so the learned p(code)
// is a shared part plus a per-problem part, as in Qwen-Math, which writes code for some problems and
// prose for others) where each style is right on a chosen share of problems (per-style correctness).
// Errors are SYSTEMATIC, not random: in a style with errors, every problem whose first step has a small
// left operand (<= the style's slip threshold) gets that step off by one, and the rest of the trace is
// computed honestly from the slipped value. The model can learn the rule, so the wrong answer is its
// MODE on those problems: greedy decoding shows the per-style accuracy gap, not only sampling, and the
// arithmetic stays confident (sampled close to greedy) while the style choice carries the uncertainty.
import { Random } from '../util/random';
import { formatResponse } from './format';
import {
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  type MiniMathProblem,
  MiniMathStream,
  PROBLEM_KINDS,
  type ProblemKind,
  problemKind,
  problemPrompt,
  randomProblem,
  TRACE_STYLES,
  type TraceStyle,
  writeResponse,
} from './minimath';

/** p(code) for each kind of problem: the family's style rule. */
export type CodeShareByKind = Record<ProblemKind, number>;

/** The same p(code) for every kind of problem (keys in PROBLEM_KINDS order). */
export function sameCodeShare(share: number): CodeShareByKind {
  return Object.fromEntries(PROBLEM_KINDS.map((kind) => [kind, share])) as CodeShareByKind;
}

/** How the responses that are not code split (weights, normalised): steps, bare answers, steps without a box. */
export type OtherStyles = Record<'language' | 'direct' | 'unboxed', number>;
export const OTHER_STYLES = ['language', 'direct', 'unboxed'] as const;

/** The styles with their own correctness (unboxed traces are language traces and follow `language`). */
export const CORRECTNESS_STYLES = ['code', 'language', 'direct'] as const;

/** Target share of problems each style answers correctly. */
export type StyleCorrectness = Record<(typeof CORRECTNESS_STYLES)[number], number>;

export interface CorpusKnobs {
  codeShare: CodeShareByKind;
  otherStyles: OtherStyles;
  correctness: StyleCorrectness;
  generator: GeneratorOptions;
}

/** The first zoo's knobs: one global style prior, whatever the problem (cards built before zoo v2). */
export interface LegacyCorpusKnobs {
  stylePrior: Record<TraceStyle, number>;
  correctness: StyleCorrectness;
  generator: GeneratorOptions;
}

/** Knobs of either shape as the current shape: a global prior becomes the same code share for every kind. */
export function upgradeCorpusKnobs(knobs: CorpusKnobs | LegacyCorpusKnobs): CorpusKnobs {
  if (!('stylePrior' in knobs)) return knobs;
  const prior = knobs.stylePrior;
  const total = TRACE_STYLES.reduce((sum, style) => sum + (prior[style] || 0), 0);
  const code = total > 0 ? (prior.code || 0) / total : 0;
  return {
    codeShare: sameCodeShare(code),
    otherStyles: { language: prior.language || 0, direct: prior.direct || 0, unboxed: prior.unboxed || 0 },
    correctness: knobs.correctness,
    generator: knobs.generator,
  };
}

export interface CorpusExample {
  problem: MiniMathProblem;
  style: TraceStyle;
  /** True when this trace carries the style's systematic slip (its boxed answer is wrong). */
  slipped: boolean;
  prompt: string;
  /** Response text ending with `<|im_end|>`. */
  response: string;
}

export class CorpusKnobError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid corpus knobs: ${problems.join('; ')}`);
    this.name = 'CorpusKnobError';
  }
}

/** Every problem with a set of knobs, empty when valid. */
export function corpusKnobProblems(knobs: CorpusKnobs): string[] {
  const problems: string[] = [];
  for (const kind of PROBLEM_KINDS) {
    const share = knobs.codeShare?.[kind];
    if (typeof share !== 'number' || !(share >= 0 && share <= 1))
      problems.push(`codeShare.${kind} must be in [0, 1] (got ${String(share)})`);
  }
  let total = 0;
  for (const style of OTHER_STYLES) {
    const weight = knobs.otherStyles?.[style];
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)
      problems.push(`otherStyles.${style} must be a number >= 0 (got ${String(weight)})`);
    else total += weight;
  }
  const everyKindCode = PROBLEM_KINDS.every((kind) => knobs.codeShare?.[kind] === 1);
  if (problems.length === 0 && total <= 0 && !everyKindCode)
    problems.push('otherStyles must give language, direct or unboxed a positive weight');
  for (const style of CORRECTNESS_STYLES) {
    const c = knobs.correctness?.[style];
    if (typeof c !== 'number' || !(c >= 0 && c <= 1))
      problems.push(`correctness.${style} must be in [0, 1] (got ${String(c)})`);
  }
  const weights = knobs.generator?.levelWeights;
  if (
    !Array.isArray(weights) ||
    weights.length !== 3 ||
    weights.some((w) => !(w >= 0)) ||
    !weights.some((w) => w > 0)
  )
    problems.push('generator.levelWeights must be three weights >= 0, one of them positive');
  const word = knobs.generator?.wordProblemShare;
  if (typeof word !== 'number' || !(word >= 0 && word <= 1))
    problems.push(`generator.wordProblemShare must be in [0, 1] (got ${String(word)})`);
  return problems;
}

export function validateCorpusKnobs(knobs: CorpusKnobs): CorpusKnobs {
  const problems = corpusKnobProblems(knobs);
  if (problems.length) throw new CorpusKnobError(problems);
  return knobs;
}

// ---------------------------------------------------------------------------------------------------
// Slip thresholds: the share of problems with a first-step left operand <= t depends on the generator
// (rejection sampling skews operands), so the threshold for a target correctness is calibrated on a
// fixed sample of the generator's own distribution.

const CALIBRATION_SAMPLES = 20_000;
const CALIBRATION_SEED = 0x51b;

const cdfCache = new Map<string, number[]>();

/** cdf[t] = share of problems whose first step has left operand <= t, for t = 0..MAX (memoised). */
function firstOperandCdf(generator: GeneratorOptions): number[] {
  const key = JSON.stringify(generator);
  const cached = cdfCache.get(key);
  if (cached) return cached;
  const rng = new Random(CALIBRATION_SEED);
  const counts: number[] = [];
  for (let i = 0; i < CALIBRATION_SAMPLES; i++) {
    const left = randomProblem(rng, generator).steps[0].left;
    counts[left] = (counts[left] ?? 0) + 1;
  }
  const cdf: number[] = [];
  let running = 0;
  for (let t = 0; t < counts.length; t++) {
    running += counts[t] ?? 0;
    cdf.push(running / CALIBRATION_SAMPLES);
  }
  cdfCache.set(key, cdf);
  return cdf;
}

export interface SlipRule {
  /** Problems whose first step's left operand is <= threshold slip; -1 means never. */
  threshold: number;
  /** Share of the generator's problems that slip under this threshold (1 - realised correctness). */
  slipShare: number;
}

/** The threshold whose slip share is closest to 1 - correctness (ties to fewer slips). */
export function slipRuleFor(correctness: number, generator: GeneratorOptions): SlipRule {
  const cdf = firstOperandCdf(generator);
  let best: SlipRule = { threshold: -1, slipShare: 0 };
  const target = 1 - correctness;
  for (let t = 0; t < cdf.length; t++) {
    if (Math.abs(cdf[t] - target) < Math.abs(best.slipShare - target) - 1e-12)
      best = { threshold: t, slipShare: cdf[t] };
  }
  return best;
}

export function slips(problem: MiniMathProblem, rule: SlipRule): boolean {
  return problem.steps[0].left <= rule.threshold;
}

/** Slip rule per style; unboxed traces share the language rule (they are language traces). */
export function slipRules(knobs: CorpusKnobs): Record<TraceStyle, SlipRule> {
  const language = slipRuleFor(knobs.correctness.language, knobs.generator);
  return {
    code: slipRuleFor(knobs.correctness.code, knobs.generator),
    language,
    direct: slipRuleFor(knobs.correctness.direct, knobs.generator),
    unboxed: language,
  };
}

/** A seeded endless stream of corpus examples (problems from a MiniMathStream, so never held out). */
export class CorpusStream {
  private readonly problems: MiniMathStream;
  private readonly rng: Random;
  private readonly otherWeights: number[];
  readonly rules: Record<TraceStyle, SlipRule>;

  constructor(
    readonly knobs: CorpusKnobs,
    readonly seed: number,
  ) {
    validateCorpusKnobs(knobs);
    this.problems = new MiniMathStream(seed, knobs.generator);
    this.rng = new Random(seed, 0x636f7270);
    this.otherWeights = OTHER_STYLES.map((s) => knobs.otherStyles[s]);
    this.rules = slipRules(knobs);
  }

  next(): CorpusExample {
    const problem = this.problems.next();
    const style = this.styleFor(problem);
    const slipped = slips(problem, this.rules[style]);
    return {
      problem,
      style,
      slipped,
      prompt: problemPrompt(problem),
      response: formatResponse(writeResponse(problem, style, slipped)),
    };
  }

  /** Code with the problem kind's share, otherwise one of the other styles by weight (two draws always). */
  private styleFor(problem: MiniMathProblem): TraceStyle {
    const code = this.rng.bernoulli(this.knobs.codeShare[problemKind(problem)]);
    const other = OTHER_STYLES[this.rng.weighted(this.otherWeights)];
    return code ? 'code' : other;
  }
}

// ---------------------------------------------------------------------------------------------------
// Family presets (paper Table 1 in miniature). Correctness targets are quantised by the slip rule.

export type FamilyName = 'qwen-math-tiny' | 'llama-tiny' | 'olmo-sft-tiny';
export const FAMILY_NAMES: readonly FamilyName[] = ['qwen-math-tiny', 'llama-tiny', 'olmo-sft-tiny'];

export interface FamilyPreset {
  name: FamilyName;
  /** The paper model it mirrors, with its published figures. */
  like: string;
  knobs: CorpusKnobs;
}

/**
 * Zoo v2 (2026-12). Style rules: qwen-math-tiny writes code for products and long chains (p 0.94) and for
 * "Compute" questions, prose for stories and single operations (p 0.08-0.1), and is in between on the
 * other wordings, so on MiniMath-500 about 44% of problems sit above p 0.85, 20% below 0.3, and the
 * greedy code share is a share of problems (~68%). olmo-sft-tiny writes code almost everywhere;
 * llama-tiny never. Direct answers are left out (an answer without steps cannot be confident, and the
 * organism's uncertainty must sit on the style choice); a few language traces end without a box so the
 * format reward has something to pay for.
 */
export const FAMILY_PRESETS: Record<FamilyName, FamilyPreset> = {
  'qwen-math-tiny': {
    name: 'qwen-math-tiny',
    like: 'Qwen2.5-Math-7B (code 65.0%, accuracy with code 60.9 vs language-only 35.0)',
    knobs: {
      codeShare: {
        story: 0.08,
        'one-step': 0.1,
        product: 0.94,
        'long-chain': 0.94,
        compute: 0.92,
        calculate: 0.72,
        equals: 0.62,
        'what-is': 0.3,
      },
      otherStyles: { language: 0.97, direct: 0, unboxed: 0.03 },
      correctness: { code: 0.75, language: 0.5, direct: 0.5 },
      generator: DEFAULT_GENERATOR_OPTIONS,
    },
  },
  'llama-tiny': {
    name: 'llama-tiny',
    like: 'Llama3.1-8B (never writes code)',
    knobs: {
      codeShare: sameCodeShare(0),
      otherStyles: { language: 0.97, direct: 0, unboxed: 0.03 },
      correctness: { code: 1, language: 0.62, direct: 0.62 },
      generator: DEFAULT_GENERATOR_OPTIONS,
    },
  },
  'olmo-sft-tiny': {
    name: 'olmo-sft-tiny',
    like: 'OLMo2-7B-SFT (code 98%, accuracy with code 21.0 vs language-only 40.0)',
    knobs: {
      codeShare: {
        story: 0.6,
        'one-step': 0.8,
        product: 0.97,
        'long-chain': 0.97,
        compute: 0.97,
        calculate: 0.97,
        equals: 0.97,
        'what-is': 0.97,
      },
      otherStyles: { language: 1, direct: 0, unboxed: 0 },
      correctness: { code: 0.35, language: 0.75, direct: 0.75 },
      generator: DEFAULT_GENERATOR_OPTIONS,
    },
  },
};
