// The model zoo's shared definitions: the tiny Qwen2 architecture every family uses, the card.json
// schema (measured prior statistics, corpus knobs, seed, build command, wall time) and the targets from
// the paper's Table 1 that each family is checked against. Browser-safe, so the lab can build a family too.
import type { ModelConfig } from '../model/config';
import { parameterLayout } from '../model/layout';
import { gradeAnswer } from './answer';
import {
  type CorpusKnobs,
  CorpusStream,
  FAMILY_PRESETS,
  type FamilyName,
  type SlipRule,
  slipRules,
} from './corpus';
import type { TraceStyle } from './minimath';
import type { PretrainSchedule } from './pretrain';
import type { ZooEvalReport } from './zooEval';

/**
 * ~98K parameters: 2 layers of width 64 (4 query heads, 2 KV heads, head dim 16), SwiGLU 172, tied
 * embeddings. Chosen from the CPU engine's measured throughput (about 3K tokens/s on one core here,
 * 2K for 3 layers) so a family trains on millions of tokens within the build budget.
 */
export const ZOO_MODEL_CONFIG: ModelConfig = {
  vocab_size: 100,
  hidden_size: 64,
  intermediate_size: 172,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 256,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
};

/** What the corpus actually holds (measured on a sample), next to the knobs that asked for it. */
export interface CorpusStats {
  examples: number;
  styleShares: Record<TraceStyle, number>;
  /** Share of boxed answers that are right, per style (null when the style is absent). */
  correctness: Record<'code' | 'language' | 'direct', number | null>;
  /** Share of all responses graded right (unboxed ones count as wrong, as in the eval). */
  accuracy: number;
}

export function measureCorpus(knobs: CorpusKnobs, seed: number, examples = 20_000): CorpusStats {
  const stream = new CorpusStream(knobs, seed);
  const counts: Record<TraceStyle, number> = { code: 0, language: 0, direct: 0, unboxed: 0 };
  const correct: Record<TraceStyle, number> = { code: 0, language: 0, direct: 0, unboxed: 0 };
  for (let i = 0; i < examples; i++) {
    const e = stream.next();
    counts[e.style]++;
    if (gradeAnswer(e.response, e.problem.answer)) correct[e.style]++;
  }
  const rate = (style: 'code' | 'language' | 'direct') =>
    counts[style] ? correct[style] / counts[style] : null;
  return {
    examples,
    styleShares: {
      code: counts.code / examples,
      language: counts.language / examples,
      direct: counts.direct / examples,
      unboxed: counts.unboxed / examples,
    },
    correctness: { code: rate('code'), language: rate('language'), direct: rate('direct') },
    accuracy: (correct.code + correct.language + correct.direct) / examples,
  };
}

/**
 * Zoo v2's bands for each family (paper Table 1 in miniature, and an organism whose uncertainty sits
 * on the style choice), checked against the eval on MiniMath-500. Greedy code share is a share of
 * problems; accuracy by style is greedy with the style's opening forced.
 */
export interface FamilyTargets {
  greedyCodeShare: [number, number];
  /** Share of problems with p(code) above 0.85 at least, and below 0.3 at least. */
  above085AtLeast: number;
  below03AtLeast: number;
  /** Largest p(code) any problem may have (llama-tiny: never writes code). */
  maxPCode: number;
  /** Forced-style greedy accuracy, code minus language: at least (positive) or at most (negative); null: n/a. */
  codeMinusLanguage: { atLeast?: number; atMost?: number } | null;
  greedyAccuracyAtMost: number;
  /** Language accuracy within this many points of qwen-math-tiny's overall greedy accuracy (llama-tiny). */
  languageNearQwenOverall: number | null;
  /** Sampled forced-style accuracy within this of greedy, for every style the family writes. */
  sampledNearGreedy: number;
}

export const FAMILY_TARGETS: Record<FamilyName, FamilyTargets> = {
  'qwen-math-tiny': {
    greedyCodeShare: [0.55, 0.75],
    above085AtLeast: 0.25,
    below03AtLeast: 0.15,
    maxPCode: 1,
    codeMinusLanguage: { atLeast: 0.15 },
    greedyAccuracyAtMost: 0.7,
    languageNearQwenOverall: null,
    sampledNearGreedy: 0.05,
  },
  'llama-tiny': {
    greedyCodeShare: [0, 0],
    above085AtLeast: 0,
    below03AtLeast: 1,
    maxPCode: 0.01,
    codeMinusLanguage: null,
    greedyAccuracyAtMost: 1,
    languageNearQwenOverall: 0.1,
    sampledNearGreedy: 0.05,
  },
  'olmo-sft-tiny': {
    greedyCodeShare: [0.85, 1],
    above085AtLeast: 0.5,
    below03AtLeast: 0,
    maxPCode: 1,
    codeMinusLanguage: { atMost: -0.1 },
    greedyAccuracyAtMost: 1,
    languageNearQwenOverall: null,
    sampledNearGreedy: 0.05,
  },
};

/**
 * One line per band: whether the measured figures meet it. `qwenGreedyAccuracy` is qwen-math-tiny's
 * overall greedy accuracy, for llama-tiny's band (skipped, and said so, when it is not known).
 */
export function checkTargets(
  family: FamilyName,
  report: ZooEvalReport,
  qwenGreedyAccuracy: number | null = null,
): { target: string; met: boolean }[] {
  const t = FAMILY_TARGETS[family];
  const d = report.styleDecision;
  const forced = report.greedyForcedStyle;
  const f3 = (x: number) => x.toFixed(3);
  const checks: { target: string; met: boolean }[] = [];
  const greedyCode = report.greedy.codeFrequency;
  checks.push({
    target: `greedy code share in [${t.greedyCodeShare[0]}, ${t.greedyCodeShare[1]}] (measured ${f3(greedyCode)})`,
    met: greedyCode >= t.greedyCodeShare[0] && greedyCode <= t.greedyCodeShare[1],
  });
  if (d) {
    if (t.above085AtLeast > 0)
      checks.push({
        target: `share of problems with p(code) > 0.85 >= ${t.above085AtLeast} (measured ${f3(d.above085)})`,
        met: d.above085 >= t.above085AtLeast,
      });
    if (t.below03AtLeast > 0 && t.maxPCode >= 1)
      checks.push({
        target: `share of problems with p(code) < 0.3 >= ${t.below03AtLeast} (measured ${f3(d.below03)})`,
        met: d.below03 >= t.below03AtLeast,
      });
    if (t.maxPCode < 1) {
      const max = Math.max(...d.perProblem);
      checks.push({
        target: `p(code) < ${t.maxPCode} on every problem (largest ${max.toExponential(2)})`,
        met: max < t.maxPCode,
      });
    }
  }
  if (t.codeMinusLanguage) {
    const gap = forced.code - forced.language;
    if (t.codeMinusLanguage.atLeast !== undefined)
      checks.push({
        target: `greedy accuracy, code minus language (style forced) >= ${t.codeMinusLanguage.atLeast} (measured ${f3(gap)})`,
        met: gap >= t.codeMinusLanguage.atLeast,
      });
    if (t.codeMinusLanguage.atMost !== undefined)
      checks.push({
        target: `greedy accuracy, code minus language (style forced) <= ${t.codeMinusLanguage.atMost} (measured ${f3(gap)})`,
        met: gap <= t.codeMinusLanguage.atMost,
      });
  }
  if (t.greedyAccuracyAtMost < 1)
    checks.push({
      target: `overall greedy accuracy <= ${t.greedyAccuracyAtMost} (measured ${f3(report.greedy.accuracy)})`,
      met: report.greedy.accuracy <= t.greedyAccuracyAtMost,
    });
  if (t.languageNearQwenOverall !== null)
    checks.push(
      qwenGreedyAccuracy === null
        ? {
            target: "language accuracy near qwen-math-tiny's overall: not checked (no qwen card)",
            met: false,
          }
        : {
            target: `language accuracy (style forced) within ${t.languageNearQwenOverall} of qwen-math-tiny's overall greedy ${f3(qwenGreedyAccuracy)} (measured ${f3(forced.language)})`,
            met: Math.abs(forced.language - qwenGreedyAccuracy) <= t.languageNearQwenOverall,
          },
    );
  const sampled = report.sampledForcedStyle;
  if (sampled)
    for (const style of t.maxPCode < 1 ? (['language'] as const) : (['code', 'language'] as const)) {
      const gap = forced[style] - sampled[style];
      checks.push({
        target: `${style}: sampled accuracy within ${t.sampledNearGreedy} of greedy (style forced; greedy ${f3(forced[style])}, sampled ${f3(sampled[style])})`,
        met: Math.abs(gap) <= t.sampledNearGreedy,
      });
    }
  return checks;
}

/** The fast re-measurement a unit test repeats: code frequency on the first problems of MiniMath-500. */
export interface CodeFrequencyCheck {
  problems: number;
  samples: number;
  seed: number;
  maxNewTokens: number;
  /** Sampled code share on the slice (maxNewTokens tokens per response, see measureCodeFrequency). */
  codeFrequency: number;
  /** Zoo v2: exact mean p(code) and greedy code share on the slice, and greedy forced-style accuracy. */
  meanPCode?: number;
  greedyCodeShare?: number;
  greedyForcedStyle?: { code: number; language: number };
}

export interface TrainingSession {
  startedAt: string;
  fromStep: number;
  toStep: number;
  /** The schedule length this session ran under (a resume with a new --steps stretches the cosine). */
  totalSteps?: number;
  seconds: number;
}

export interface ZooCard {
  name: string;
  like: string;
  description: string;
  buildCommand: string;
  seed: number;
  corpus: { knobs: CorpusKnobs; slipRules: Record<TraceStyle, SlipRule>; measured: CorpusStats };
  model: { config: ModelConfig; parameters: number };
  training: {
    engine: string;
    steps: number;
    batchSize: number;
    schedule: PretrainSchedule;
    optimizer: { beta1: number; beta2: number; eps: number; weightDecay: number; maxGradNorm: number };
    processedTokens: number;
    responseTokens: number;
    finalLoss: number;
    wallSeconds: number;
    sessions: TrainingSession[];
  };
  eval: ZooEvalReport & { set: string; evalSeconds: number };
  check: CodeFrequencyCheck;
  targets: { target: string; met: boolean }[];
  notes: string[];
}

/** What a finished build measured; zooCard() turns it into card.json for both builders (CLI and UI). */
export interface ZooBuildRecord {
  name: string;
  like: string;
  description: string;
  buildCommand: string;
  seed: number;
  knobs: CorpusKnobs;
  corpusMeasured: CorpusStats;
  training: {
    engine: string;
    steps: number;
    batchSize: number;
    schedule: PretrainSchedule;
    optimizer: ZooCard['training']['optimizer'];
    processedTokens: number;
    responseTokens: number;
    lossEma: number | null;
    sessions: TrainingSession[];
  };
  /** Problems of MiniMath-500 the eval used (all 500 for the shipped cards). */
  evalProblems: number;
  evalSeconds: number;
  report: ZooEvalReport;
  check: CodeFrequencyCheck;
  targets: { target: string; met: boolean }[];
  notes: string[];
}

/** The card of a zoo family; wall time counts every training session plus the evaluation. */
export function zooCard(b: ZooBuildRecord): ZooCard {
  const { lossEma, sessions, ...training } = b.training;
  const trainSeconds = sessions.reduce((s, x) => s + x.seconds, 0);
  return {
    name: b.name,
    like: b.like,
    description: b.description,
    buildCommand: b.buildCommand,
    seed: b.seed,
    corpus: { knobs: b.knobs, slipRules: slipRules(b.knobs), measured: b.corpusMeasured },
    model: { config: ZOO_MODEL_CONFIG, parameters: parameterLayout(ZOO_MODEL_CONFIG).total },
    training: {
      ...training,
      finalLoss: lossEma ?? Number.NaN,
      wallSeconds: Math.round(trainSeconds + b.evalSeconds),
      sessions,
    },
    eval: {
      set: `MiniMath-500${b.evalProblems < 500 ? ` (first ${b.evalProblems})` : ''}`,
      evalSeconds: b.evalSeconds,
      ...b.report,
    },
    check: b.check,
    targets: b.targets,
    notes: b.notes,
  };
}

export function familyPreset(name: string) {
  if (!(name in FAMILY_PRESETS))
    throw new Error(`unknown zoo family '${name}'; known: ${Object.keys(FAMILY_PRESETS).join(', ')}`);
  return FAMILY_PRESETS[name as FamilyName];
}
