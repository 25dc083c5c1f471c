// The experiment's types: one typed ExperimentConfig shared by the UI, the URL codec, the runner and
// the CLI, and the shape of the field specs that describe each field (the table itself is fields.ts).
// Adding a knob means a field here and a row there.
import type { LossAggregation, PolicyLossConfig } from '../../engine/backend';
import type { BackendChoice } from '../../engine/backendRule';
import type { StdScaling } from '../../rl/advantages';
import { FAMILY_NAMES, type FamilyName } from '../../tasks/corpus';

/** The real model each shipped zoo family imitates (used by the cluster export); the list is tasks/corpus.ts's. */
export const ZOO_FAMILIES: Record<FamilyName, string> = {
  'qwen-math-tiny': 'Qwen/Qwen2.5-Math-7B',
  'llama-tiny': 'meta-llama/Llama-3.1-8B',
  'olmo-sft-tiny': 'allenai/OLMo-2-1124-7B-SFT',
};
export type ZooFamily = FamilyName;
export const ZOO_FAMILY_NAMES: readonly ZooFamily[] = FAMILY_NAMES;

export type ClipMode = PolicyLossConfig['clipMode'];
export type KlEstimator = PolicyLossConfig['klEstimator'];
export type LrSchedule = 'constant' | 'cosine';

export interface ExperimentConfig {
  // --- model and data ---
  /** Zoo family id (qwen-math-tiny, llama-tiny, olmo-sft-tiny) or the id of a user-built family. */
  model: string;
  /** 'minimath' (the generated train stream, seeded by `seed`) or the id of a user dataset. */
  dataset: string;
  /** MiniMath level of the train stream (1..3, src/tasks/minimath.ts Level); 0 = the standard level mix. */
  difficulty: number;
  // --- reward ---
  /** Reward name from src/rl/rewards.ts, compounds included (format_AND_inverse_python). */
  reward: string;
  /** random(gamma): probability of reward 1. */
  gamma: number;
  /** Offline majority vote / incorrect: answers the pre-RL model samples per prompt to make its label. */
  labelSamples: number;
  /** one_shot: index of the single training example in the train stream. */
  oneShotIndex: number;
  // --- rollouts ---
  /** B: prompts per GRPO step. */
  promptsPerStep: number;
  /** G: rollouts per prompt. */
  groupSize: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  // --- policy loss ---
  /** Rollouts per optimizer update; B*G / miniBatchSize * ppoEpochs updates per rollout batch. */
  miniBatchSize: number;
  /** μ: passes over each rollout batch. */
  ppoEpochs: number;
  clipMode: ClipMode;
  epsLow: number;
  epsHigh: number;
  /** Dual-clip constant c > 1 for negative advantages; 0 disables it. */
  dualClip: number;
  logRatioClamp: number;
  /** beta: KL-to-reference coefficient; 0 means no reference model is kept. */
  klCoef: number;
  klEstimator: KlEstimator;
  entropyCoef: number;
  aggregation: LossAggregation;
  stdScaling: StdScaling;
  /** Give truncated completions (no eos within maxNewTokens) zero loss weight. */
  maskTruncated: boolean;
  // --- optimizer ---
  lr: number;
  lrSchedule: LrSchedule;
  warmupSteps: number;
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
  /** Global grad-norm clip; 0 disables it. */
  gradClip: number;
  // --- run ---
  steps: number;
  /** Evaluate every N steps (plus before the first and after the last); 0 = only before and after. */
  evalEvery: number;
  /** Problems of MiniMath-500 used per evaluation (the first N, fixed). */
  evalSize: number;
  /** avg@k: samples per eval problem for the sampled accuracy (greedy accuracy is always reported). */
  evalK: number;
  evalTemperature: number;
  /** Save a checkpoint every N steps; 0 = only at the end. */
  checkpointEvery: number;
  seed: number;
  /** Seed sweep: run seeds seed, seed+1, ..., seed+seeds-1 and report mean ± standard error. */
  seeds: number;
  backend: BackendChoice;
}

export type ExperimentKey = keyof ExperimentConfig;
export type FieldGroup = 'basic' | 'advanced';
export type FieldSection = 'model' | 'reward' | 'rollout' | 'loss' | 'optimizer' | 'run';

interface FieldSpecBase<K extends ExperimentKey> {
  key: K;
  /** Short readable key in the URL hash. */
  urlKey: string;
  label: string;
  group: FieldGroup;
  section: FieldSection;
  /** One line for a tooltip: what the knob does and why it matters here. */
  help: string;
  /** The paper's setting (Shao et al. 2025, Qwen2.5-Math-7B runs), or why there is none. */
  paper: string;
  /** When false the field does not affect this config (the UI may dim or hide it). */
  relevant?: (config: ExperimentConfig) => boolean;
}

export interface NumberFieldSpec<K extends ExperimentKey = ExperimentKey> extends FieldSpecBase<K> {
  type: 'int' | 'float';
  default: number;
  min: number;
  max: number;
  /** True when min itself is not allowed (temperature > 0). */
  minExclusive?: boolean;
  /** True for knobs best shown on a log scale (learning rate). */
  logScale?: boolean;
}

export interface EnumFieldSpec<K extends ExperimentKey = ExperimentKey> extends FieldSpecBase<K> {
  type: 'enum';
  default: string;
  values: readonly string[];
}

export interface BoolFieldSpec<K extends ExperimentKey = ExperimentKey> extends FieldSpecBase<K> {
  type: 'bool';
  default: boolean;
}

/** Free identifiers (model family, dataset, reward): a pattern plus a field-specific check. */
export interface IdFieldSpec<K extends ExperimentKey = ExperimentKey> extends FieldSpecBase<K> {
  type: 'id';
  default: string;
  /** Values the UI offers in a list; others may still be valid (user families, compound rewards). */
  suggestions: readonly string[];
  /** Why the value is not acceptable, or null. Receives a string already matching ID_PATTERN. */
  check?: (value: string) => string | null;
}

export type FieldSpec = NumberFieldSpec | EnumFieldSpec | BoolFieldSpec | IdFieldSpec;
