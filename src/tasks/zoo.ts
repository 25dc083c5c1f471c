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
import type { LrSchedule } from './pretrain';
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

/** The issue's bands for each family (paper Table 1 in miniature), checked against sampled figures. */
export interface FamilyTargets {
  codeFrequency: [number, number];
  /** Required codeAccuracy - languageOnlyAccuracy: at least (positive) or at most (negative); null: n/a. */
  codeMinusLanguage: { atLeast?: number; atMost?: number } | null;
  accuracy: [number, number];
}

export const FAMILY_TARGETS: Record<FamilyName, FamilyTargets> = {
  'qwen-math-tiny': { codeFrequency: [0.55, 0.75], codeMinusLanguage: { atLeast: 0.15 }, accuracy: [0, 0.7] },
  'llama-tiny': { codeFrequency: [0, 0.02], codeMinusLanguage: null, accuracy: [0.25, 0.6] },
  'olmo-sft-tiny': { codeFrequency: [0.85, 1], codeMinusLanguage: { atMost: -0.1 }, accuracy: [0, 0.7] },
};

/** One line per target: whether the measured (sampled) figures meet it. */
export function checkTargets(family: FamilyName, report: ZooEvalReport): { target: string; met: boolean }[] {
  const t = FAMILY_TARGETS[family];
  const s = report.sampled;
  const checks = [
    {
      target: `code frequency in [${t.codeFrequency[0]}, ${t.codeFrequency[1]}] (measured ${s.codeFrequency.toFixed(3)})`,
      met: s.codeFrequency >= t.codeFrequency[0] && s.codeFrequency <= t.codeFrequency[1],
    },
    {
      target: `accuracy in [${t.accuracy[0]}, ${t.accuracy[1]}] (measured ${s.accuracy.toFixed(3)})`,
      met: s.accuracy >= t.accuracy[0] && s.accuracy <= t.accuracy[1],
    },
  ];
  if (t.codeMinusLanguage) {
    const gap =
      s.codeAccuracy === null || s.languageOnlyAccuracy === null
        ? null
        : s.codeAccuracy - s.languageOnlyAccuracy;
    const shown = gap === null ? 'n/a' : gap.toFixed(3);
    if (t.codeMinusLanguage.atLeast !== undefined)
      checks.push({
        target: `code minus language-only accuracy >= ${t.codeMinusLanguage.atLeast} (measured ${shown})`,
        met: gap !== null && gap >= t.codeMinusLanguage.atLeast,
      });
    if (t.codeMinusLanguage.atMost !== undefined)
      checks.push({
        target: `code minus language-only accuracy <= ${t.codeMinusLanguage.atMost} (measured ${shown})`,
        met: gap !== null && gap <= t.codeMinusLanguage.atMost,
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
  codeFrequency: number;
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
    schedule: LrSchedule;
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
    schedule: LrSchedule;
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
