// The experiment schema: one typed, validated ExperimentConfig shared by the UI, the URL codec, the
// runner and the CLI. A single field-spec table (FIELD_SPECS) drives everything — defaults, ranges,
// URL keys, which controls the UI shows as basic or advanced, the one-line help and the paper's value —
// so adding a knob means adding one row here. Validation never throws: bad values fall back to the
// default and come back as field errors the UI and CLI can show.
//
// Defaults are the paper's recipe scaled down to a tiny model in a browser: G = 16, eps 0.2, no KL, no
// entropy bonus, temperature 1, and 8 updates per rollout batch (8 prompts x 16 samples = 128 rollouts,
// mini-batches of 16) — the paper's 1024 rollouts / 128 per mini-batch ratio, which is what lets the
// clip term act at all.
import type { AdamWConfig, LossAggregation, PolicyLossConfig } from '../engine/backend';
import type { StdScaling } from '../rl/advantages';
import { BASE_REWARD_NAMES, rewardNameProblem, rewardUses } from '../rl/rewards';
import { learningRate } from '../rl/trainer';
import { FAMILY_NAMES, type FamilyName } from '../tasks/corpus';

/** The real model each shipped zoo family imitates (used by the cluster export); the list is tasks/corpus.ts's. */
export const ZOO_FAMILIES: Record<FamilyName, string> = {
  'qwen-math-tiny': 'Qwen/Qwen2.5-Math-7B',
  'llama-tiny': 'meta-llama/Llama-3.1-8B',
  'olmo-sft-tiny': 'allenai/OLMo-2-1124-7B-SFT',
};
export type ZooFamily = FamilyName;
export const ZOO_FAMILY_NAMES: readonly ZooFamily[] = FAMILY_NAMES;

import type { BackendChoice } from '../engine/chooseBackend';

export type { BackendChoice };
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

/** Identifiers: letters, digits and - _ . (keeps URLs readable and ids safe to show as text). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

const usesReward = (part: string) => (c: ExperimentConfig) => rewardUses(c.reward).includes(part);
const clipping = (c: ExperimentConfig) => c.clipMode === 'clip';

/** The schema. Order = URL order and UI order. */
export const FIELD_SPECS: readonly FieldSpec[] = [
  {
    key: 'model',
    urlKey: 'model',
    label: 'Model family',
    type: 'id',
    default: 'qwen-math-tiny',
    suggestions: ZOO_FAMILY_NAMES,
    group: 'basic',
    section: 'model',
    help: 'Tiny model whose style choice imitates a real one: qwen-math-tiny writes code on 68% of problems (products and long chains, not stories) and is right 74% with code vs 51% in prose; llama-tiny never writes code; olmo-sft-tiny always does, and code is worse (32% vs 76%).',
    paper: 'Qwen2.5-Math-7B (also Qwen2.5-7B, Llama-3.1-8B, OLMo-2-7B-SFT)',
  },
  {
    key: 'dataset',
    urlKey: 'data',
    label: 'Training data',
    type: 'id',
    default: 'minimath',
    suggestions: ['minimath'],
    group: 'advanced',
    section: 'model',
    help: 'minimath = the generated arithmetic train stream (seeded); otherwise the id of a dataset you added.',
    paper: 'DeepScaleR math problems',
  },
  {
    key: 'difficulty',
    urlKey: 'diff',
    label: 'MiniMath difficulty',
    type: 'int',
    default: 0,
    min: 0,
    max: 3,
    group: 'advanced',
    section: 'model',
    help: 'MiniMath train-stream level: 1 = one operation, 2 = two, 3 = three or with brackets; 0 = the standard mix of all three.',
    paper: 'competition math (MATH level 1-5)',
    relevant: (c) => c.dataset === 'minimath',
  },
  {
    key: 'reward',
    urlKey: 'reward',
    label: 'Reward',
    type: 'id',
    default: 'ground_truth',
    // From the reward registry, so a new reward shows up in the UI list by itself.
    suggestions: BASE_REWARD_NAMES,
    check: rewardNameProblem,
    group: 'basic',
    section: 'reward',
    help: 'What scores a rollout: ground truth, majority vote, one-shot, incorrect labels, format, random(gamma), python, or compounds like format_AND_inverse_python.',
    paper: 'ground truth, majority vote, one-shot, incorrect, format, random (Figure 1)',
  },
  {
    key: 'gamma',
    urlKey: 'gamma',
    label: 'Random reward probability γ',
    type: 'float',
    default: 0.5,
    min: 0,
    max: 1,
    group: 'basic',
    section: 'reward',
    help: 'random(γ) gives reward 1 with probability γ, independent of the response. γ = 0 gives no gradient at all.',
    paper: '0.5 (sweep 0.001, 0.3, 0.5, 0.7; 0 as control)',
    relevant: usesReward('random'),
  },
  {
    key: 'labelSamples',
    urlKey: 'k',
    label: 'Majority-vote samples k',
    type: 'int',
    default: 16,
    min: 1,
    max: 256,
    group: 'advanced',
    section: 'reward',
    help: 'Offline majority vote and incorrect rewards: the pre-RL model answers each training prompt k times; the most common answer becomes the fixed label.',
    paper: '64',
    relevant: (c) => rewardUses(c.reward).some((r) => r === 'majority_vote' || r === 'incorrect'),
  },
  {
    key: 'oneShotIndex',
    urlKey: 'shot',
    label: 'One-shot example index',
    type: 'int',
    default: 0,
    min: 0,
    max: 99_999,
    group: 'advanced',
    section: 'reward',
    help: 'one_shot trains on this single example of the train stream, repeated, with its ground-truth reward.',
    paper: 'example π1 of Wang et al. (2025)',
    relevant: usesReward('one_shot'),
  },
  {
    key: 'promptsPerStep',
    urlKey: 'prompts',
    label: 'Prompts per step (B)',
    type: 'int',
    default: 8,
    min: 1,
    max: 1024,
    group: 'basic',
    section: 'rollout',
    help: 'B prompts per GRPO step; with G samples each the rollout batch holds B×G responses.',
    paper: '64',
  },
  {
    key: 'groupSize',
    urlKey: 'group',
    label: 'Group size (G)',
    type: 'int',
    default: 16,
    min: 2,
    max: 128,
    group: 'basic',
    section: 'rollout',
    help: 'G samples per prompt; advantages compare each sample with its group, so G ≥ 2.',
    paper: '16',
  },
  {
    key: 'temperature',
    urlKey: 'temp',
    label: 'Rollout temperature',
    type: 'float',
    default: 1,
    min: 0,
    minExclusive: true,
    max: 2,
    group: 'advanced',
    section: 'rollout',
    help: 'Sampling temperature of rollouts; the loss uses log-probs at the same temperature.',
    paper: '1.0',
  },
  {
    key: 'topP',
    urlKey: 'topp',
    label: 'Rollout top-p',
    type: 'float',
    default: 1,
    min: 0,
    minExclusive: true,
    max: 1,
    group: 'advanced',
    section: 'rollout',
    help: 'Nucleus sampling mass; 1 samples from the full distribution (the policy being trained).',
    paper: '1.0',
  },
  {
    key: 'maxNewTokens',
    urlKey: 'maxtokens',
    label: 'Max new tokens',
    type: 'int',
    default: 160,
    min: 8,
    max: 8192,
    group: 'advanced',
    section: 'rollout',
    help: 'Longest completion; longer ones are cut (truncated) and usually carry no box.',
    paper: '3072 (tokens of Qwen; the lab counts characters)',
  },
  {
    key: 'miniBatchSize',
    urlKey: 'minibatch',
    label: 'Mini-batch size',
    type: 'int',
    default: 16,
    min: 1,
    max: 131_072,
    group: 'basic',
    section: 'loss',
    help: 'Rollouts per optimizer update. B×G / mini-batch × epochs updates per rollout batch: only with more than one does the policy drift from the sampling policy and the clip act.',
    paper: '128 (1024 rollouts → 8 updates per rollout batch)',
  },
  {
    key: 'ppoEpochs',
    urlKey: 'epochs',
    label: 'PPO epochs (μ)',
    type: 'int',
    default: 1,
    min: 1,
    max: 32,
    group: 'advanced',
    section: 'loss',
    help: 'Passes over each rollout batch; multiplies the updates per rollout batch.',
    paper: '1',
  },
  {
    key: 'clipMode',
    urlKey: 'clip',
    label: 'Clipping',
    type: 'enum',
    default: 'clip',
    values: ['clip', 'none'],
    group: 'basic',
    section: 'loss',
    help: 'clip: -min(R·A, clip(R, 1-ε, 1+ε)·A), the term the paper blames for gains under random reward; none: -R·A (the ablation).',
    paper: 'clip (ablation: none)',
  },
  {
    key: 'epsLow',
    urlKey: 'epslow',
    label: 'Clip ε low',
    type: 'float',
    default: 0.2,
    min: 0,
    max: 0.99,
    group: 'basic',
    section: 'loss',
    help: 'The ratio R is clipped below at 1-ε_low.',
    paper: '0.2',
    relevant: clipping,
  },
  {
    key: 'epsHigh',
    urlKey: 'epshigh',
    label: 'Clip ε high',
    type: 'float',
    default: 0.2,
    min: 0,
    max: 10,
    group: 'basic',
    section: 'loss',
    help: 'The ratio R is clipped above at 1+ε_high (DAPO raises it to 0.28).',
    paper: '0.2',
    relevant: clipping,
  },
  {
    key: 'dualClip',
    urlKey: 'dualclip',
    label: 'Dual clip c',
    type: 'float',
    default: 0,
    min: 0,
    max: 100,
    group: 'advanced',
    section: 'loss',
    help: 'For negative advantages caps the loss at -c·A (c > 1, e.g. 3); 0 disables it.',
    paper: 'off',
    relevant: clipping,
  },
  {
    key: 'logRatioClamp',
    urlKey: 'logclamp',
    label: 'log-ratio clamp',
    type: 'float',
    default: 20,
    min: 0.1,
    max: 80,
    group: 'advanced',
    section: 'loss',
    help: 'log R is clamped to ±this before exp, only to keep numbers finite.',
    paper: '20 (verl)',
  },
  {
    key: 'klCoef',
    urlKey: 'kl',
    label: 'KL coefficient β',
    type: 'float',
    default: 0,
    min: 0,
    max: 10,
    group: 'advanced',
    section: 'loss',
    help: 'Penalty on KL to the initial model; 0 keeps no reference model (the paper used none).',
    paper: '0 (no KL)',
  },
  {
    key: 'klEstimator',
    urlKey: 'klest',
    label: 'KL estimator',
    type: 'enum',
    default: 'k3',
    values: ['k1', 'k3'],
    group: 'advanced',
    section: 'loss',
    help: 'k1 = log π - log π_ref; k3 = the low-variance estimator (verl low_var_kl).',
    paper: 'unused (β = 0)',
    relevant: (c) => c.klCoef > 0,
  },
  {
    key: 'entropyCoef',
    urlKey: 'entropy',
    label: 'Entropy bonus',
    type: 'float',
    default: 0,
    min: 0,
    max: 1,
    group: 'advanced',
    section: 'loss',
    help: 'loss -= coef × entropy; keeps sampling diverse. The paper used none.',
    paper: '0',
  },
  {
    key: 'aggregation',
    urlKey: 'agg',
    label: 'Loss aggregation',
    type: 'enum',
    default: 'seq-mean-token-mean',
    values: ['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm'],
    group: 'advanced',
    section: 'loss',
    help: 'How token losses become one number: per-sequence mean then mean (GRPO), mean over all tokens (DAPO), or sum / max length (Dr. GRPO).',
    paper: 'seq-mean-token-mean',
  },
  {
    key: 'stdScaling',
    urlKey: 'std',
    label: 'Advantage baseline and scaling',
    type: 'enum',
    default: 'group',
    values: ['group', 'batch', 'none', 'rloo'],
    group: 'advanced',
    section: 'loss',
    help: 'A = (r - group mean) / std with the group std (GRPO), the batch std, or no std (Dr. GRPO); rloo: r minus the mean of the other G-1 rewards, no std (RLOO).',
    paper: 'group',
  },
  {
    key: 'maskTruncated',
    urlKey: 'masktrunc',
    label: 'Mask truncated completions',
    type: 'bool',
    default: false,
    group: 'advanced',
    section: 'loss',
    help: 'Give completions cut at max new tokens zero loss weight (DAPO overlong filtering).',
    paper: 'off',
  },
  {
    key: 'lr',
    urlKey: 'lr',
    label: 'Learning rate',
    type: 'float',
    default: 5e-5,
    min: 0,
    minExclusive: true,
    max: 1,
    logScale: true,
    group: 'basic',
    section: 'optimizer',
    help: 'AdamW step size. Tiny models need far more than the paper’s 5e-7 on a 7B model to move in minutes.',
    paper: '5e-7',
  },
  {
    key: 'lrSchedule',
    urlKey: 'sched',
    label: 'LR schedule',
    type: 'enum',
    default: 'constant',
    values: ['constant', 'cosine'],
    group: 'advanced',
    section: 'optimizer',
    help: 'After warmup: constant, or cosine decay to 0 at the last step.',
    paper: 'constant',
  },
  {
    key: 'warmupSteps',
    urlKey: 'warmup',
    label: 'Warmup steps',
    type: 'int',
    default: 0,
    min: 0,
    max: 1_000_000,
    group: 'advanced',
    section: 'optimizer',
    help: 'Linear warmup of the learning rate over this many GRPO steps.',
    paper: '0',
  },
  {
    key: 'beta1',
    urlKey: 'beta1',
    label: 'Adam β1',
    type: 'float',
    default: 0.9,
    min: 0,
    max: 0.9999,
    group: 'advanced',
    section: 'optimizer',
    help: 'First-moment decay of AdamW.',
    paper: '0.9',
  },
  {
    key: 'beta2',
    urlKey: 'beta2',
    label: 'Adam β2',
    type: 'float',
    default: 0.95,
    min: 0,
    max: 0.99999,
    group: 'advanced',
    section: 'optimizer',
    help: 'Second-moment decay of AdamW.',
    paper: '0.95',
  },
  {
    key: 'adamEps',
    urlKey: 'adameps',
    label: 'Adam ε',
    type: 'float',
    default: 1e-8,
    min: 0,
    minExclusive: true,
    max: 1,
    logScale: true,
    group: 'advanced',
    section: 'optimizer',
    help: 'Added to the denominator of the Adam update.',
    paper: '1e-8 (PyTorch default)',
  },
  {
    key: 'weightDecay',
    urlKey: 'wd',
    label: 'Weight decay',
    type: 'float',
    default: 0,
    min: 0,
    max: 1,
    group: 'advanced',
    section: 'optimizer',
    help: 'Decoupled AdamW weight decay.',
    paper: 'not reported here (verl default 0.01)',
  },
  {
    key: 'gradClip',
    urlKey: 'gradclip',
    label: 'Grad-norm clip',
    type: 'float',
    default: 1,
    min: 0,
    max: 1e6,
    group: 'advanced',
    section: 'optimizer',
    help: 'Gradients are scaled to at most this global norm; 0 disables clipping.',
    paper: '1.0',
  },
  {
    key: 'steps',
    urlKey: 'steps',
    label: 'GRPO steps',
    type: 'int',
    default: 60,
    min: 1,
    max: 1_000_000,
    group: 'basic',
    section: 'run',
    help: 'Number of rollout batches (each followed by its updates).',
    paper: 'not stated here (hundreds of steps)',
  },
  {
    key: 'evalEvery',
    urlKey: 'evalevery',
    label: 'Eval every N steps',
    type: 'int',
    default: 10,
    min: 0,
    max: 1_000_000,
    group: 'advanced',
    section: 'run',
    help: 'How often MiniMath-500 accuracy and code frequency are measured; 0 = only before and after.',
    paper: 'not stated here',
  },
  {
    key: 'evalSize',
    urlKey: 'evalsize',
    label: 'Eval problems',
    type: 'int',
    default: 100,
    min: 1,
    max: 500,
    group: 'advanced',
    section: 'run',
    help: 'First N problems of the fixed held-out MiniMath-500 set.',
    paper: 'MATH-500 (500)',
  },
  {
    key: 'evalK',
    urlKey: 'avgk',
    label: 'avg@k samples',
    type: 'int',
    default: 4,
    min: 1,
    max: 64,
    group: 'advanced',
    section: 'run',
    help: 'Sampled accuracy averaged over k samples per problem, next to greedy accuracy.',
    paper: 'avg@8 (AMC, AIME)',
  },
  {
    key: 'evalTemperature',
    urlKey: 'evaltemp',
    label: 'avg@k temperature',
    type: 'float',
    default: 0.6,
    min: 0,
    minExclusive: true,
    max: 2,
    group: 'advanced',
    section: 'run',
    help: 'Sampling temperature of the avg@k evaluation.',
    paper: 'not stated here (0.6 is common)',
  },
  {
    key: 'checkpointEvery',
    urlKey: 'ckpt',
    label: 'Checkpoint every N steps',
    type: 'int',
    // On by default so that every seed of a sweep survives a reload (the page keeps the latest per run
    // in IndexedDB; the CLI in checkpoint/): about 1 MB per zoo-model checkpoint, a moment to write.
    default: 10,
    min: 0,
    max: 1_000_000,
    group: 'advanced',
    section: 'run',
    help: 'Keep a resumable checkpoint every N steps (and when pausing); 0 = only at the end and when pausing.',
    paper: '—',
  },
  {
    key: 'seed',
    urlKey: 'seed',
    label: 'Seed',
    type: 'int',
    default: 1,
    min: 0,
    max: 4_294_967_295,
    group: 'basic',
    section: 'run',
    help: 'Seeds data order, sampling and random rewards: the same seed on the same backend replays the run.',
    paper: 'the seed of each run',
  },
  {
    key: 'seeds',
    urlKey: 'seeds',
    label: 'Seeds in sweep',
    type: 'int',
    default: 1,
    min: 1,
    max: 64,
    group: 'basic',
    section: 'run',
    help: 'Run seed, seed+1, … and report mean ± standard error: single random-reward runs wander, the clip effect shows in the mean.',
    paper: 'several seeds per setting',
  },
  {
    key: 'backend',
    urlKey: 'backend',
    label: 'Backend',
    type: 'enum',
    default: 'auto',
    values: ['auto', 'webgpu', 'cpu'],
    group: 'advanced',
    section: 'run',
    help: 'auto = WebGPU on a hardware GPU, else the CPU engine (also when the only adapter is a software one such as SwiftShader, where the CPU engine is faster). Same seed + backend = same curves.',
    paper: '—',
  },
];

export const FIELD_BY_KEY: ReadonlyMap<ExperimentKey, FieldSpec> = new Map(
  FIELD_SPECS.map((spec) => [spec.key, spec]),
);
export const FIELD_BY_URL_KEY: ReadonlyMap<string, FieldSpec> = new Map(
  FIELD_SPECS.map((spec) => [spec.urlKey, spec]),
);

export function fieldSpec(key: ExperimentKey): FieldSpec {
  const spec = FIELD_BY_KEY.get(key);
  if (!spec) throw new Error(`no field spec for ${key}`);
  return spec;
}

function buildDefaults(): ExperimentConfig {
  const config: Record<string, unknown> = {};
  for (const spec of FIELD_SPECS) config[spec.key] = spec.default;
  return config as unknown as ExperimentConfig;
}

/** Every field at its default. A fresh copy per call, so callers may mutate it. */
export function defaultExperiment(): ExperimentConfig {
  return buildDefaults();
}

export const DEFAULT_EXPERIMENT: Readonly<ExperimentConfig> = Object.freeze(buildDefaults());

/** One problem with one field; `value` is a display-safe rendering of what was given (never raw). */
export interface FieldError {
  /** Config key when the field is known, else the key as given (for unknown keys). */
  field: string;
  value: string;
  why: string;
  /** What was used instead (rendered), or null when nothing was (an unknown key is ignored). */
  defaultUsed: string | null;
}

export interface ValidationResult {
  config: ExperimentConfig;
  errors: FieldError[];
}

const MAX_SHOWN_VALUE = 60;

/**
 * A value rendered as inert text: truncated, and every character outside plain printable ASCII — and
 * the HTML-significant < > & " ' ` — written as \uXXXX. Whatever the page does with it, `<script>`
 * typed into a URL comes back as \u003cscript\u003e: data, never markup.
 */
export function displayValue(raw: unknown): string {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' || typeof raw === 'boolean' || raw === null || raw === undefined)
    text = String(raw);
  else {
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = Object.prototype.toString.call(raw);
    }
  }
  const truncated = text.length > MAX_SHOWN_VALUE;
  if (truncated) text = text.slice(0, MAX_SHOWN_VALUE);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 32 && code < 127 && !'<>&"\'`\\'.includes(ch)) out += ch;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return truncated ? `${out}…` : out;
}

/** Strict decimal number syntax: no hex, no '', no 'Infinity', no '1e', no trailing junk. */
const NUMBER_SYNTAX = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

type Coerced<T> = { ok: true; value: T } | { ok: false; why: string };

function coerceNumber(spec: NumberFieldSpec, raw: unknown): Coerced<number> {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string') {
    const text = raw.trim();
    if (!NUMBER_SYNTAX.test(text)) return { ok: false, why: `not a number (${spec.label} expects one)` };
    value = Number(text);
  } else return { ok: false, why: `expected a number, got ${raw === null ? 'null' : typeof raw}` };
  if (!Number.isFinite(value)) return { ok: false, why: 'not a finite number' };
  if (spec.type === 'int' && !Number.isInteger(value)) return { ok: false, why: 'must be a whole number' };
  const tooLow = spec.minExclusive ? value <= spec.min : value < spec.min;
  if (tooLow || value > spec.max) {
    const lower = spec.minExclusive ? `> ${spec.min}` : `≥ ${spec.min}`;
    return { ok: false, why: `out of range: must be ${lower} and ≤ ${spec.max}` };
  }
  return { ok: true, value };
}

function coerceEnum(spec: EnumFieldSpec, raw: unknown): Coerced<string> {
  if (typeof raw !== 'string') return { ok: false, why: `expected one of ${spec.values.join(', ')}` };
  const text = raw.trim();
  if (!spec.values.includes(text))
    return { ok: false, why: `unknown value; valid: ${spec.values.join(', ')}` };
  return { ok: true, value: text };
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

function coerceBool(raw: unknown): Coerced<boolean> {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (typeof raw === 'number' && (raw === 0 || raw === 1)) return { ok: true, value: raw === 1 };
  if (typeof raw === 'string') {
    const text = raw.trim().toLowerCase();
    if (TRUE_WORDS.includes(text)) return { ok: true, value: true };
    if (FALSE_WORDS.includes(text)) return { ok: true, value: false };
  }
  return { ok: false, why: 'expected true or false (1 or 0)' };
}

function coerceId(spec: IdFieldSpec, raw: unknown): Coerced<string> {
  if (typeof raw !== 'string') return { ok: false, why: 'expected a name' };
  const text = raw.trim();
  if (!ID_PATTERN.test(text))
    return { ok: false, why: 'not a valid name (letters, digits, - _ . only, at most 80 characters)' };
  const problem = spec.check?.(text) ?? null;
  return problem === null ? { ok: true, value: text } : { ok: false, why: problem };
}

/** Parse one field's value (a typed value, or text from a URL or form). Never throws. */
export function coerceField(spec: FieldSpec, raw: unknown): Coerced<number | string | boolean> {
  switch (spec.type) {
    case 'int':
    case 'float':
      return coerceNumber(spec, raw);
    case 'enum':
      return coerceEnum(spec, raw);
    case 'bool':
      return coerceBool(raw);
    case 'id':
      return coerceId(spec, raw);
  }
}

/** Render a config value the way the URL and error messages write it. */
export function formatFieldValue(spec: FieldSpec, value: unknown): string {
  if (spec.type === 'bool') return value ? '1' : '0';
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

/** Shortest text that reads back as the same double (5e-7 rather than 4.9999999999999998e-7). */
export function formatNumber(value: number): string {
  return String(value);
}

/** Rules between fields; each fixes the config in place to something runnable and reports why. */
function crossFieldErrors(config: ExperimentConfig): FieldError[] {
  const errors: FieldError[] = [];
  const rollouts = config.promptsPerStep * config.groupSize;
  if (config.miniBatchSize > rollouts || rollouts % config.miniBatchSize !== 0) {
    // Largest divisor of the rollout batch not above the request keeps the updates-per-batch intent.
    let fixed = Math.min(config.miniBatchSize, rollouts);
    while (rollouts % fixed !== 0) fixed--;
    errors.push({
      field: 'miniBatchSize',
      value: displayValue(config.miniBatchSize),
      why: `must divide the rollout batch B×G = ${config.promptsPerStep}×${config.groupSize} = ${rollouts}`,
      defaultUsed: String(fixed),
    });
    config.miniBatchSize = fixed;
  }
  if (config.dualClip !== 0 && config.dualClip <= 1) {
    errors.push({
      field: 'dualClip',
      value: displayValue(config.dualClip),
      why: 'dual clip needs c > 1 (or 0 to disable it)',
      defaultUsed: '0',
    });
    config.dualClip = 0;
  }
  if (config.warmupSteps > config.steps) {
    errors.push({
      field: 'warmupSteps',
      value: displayValue(config.warmupSteps),
      why: `warmup longer than the run (${config.steps} steps)`,
      defaultUsed: String(config.steps),
    });
    config.warmupSteps = config.steps;
  }
  const maxSeed = 4_294_967_295;
  if (config.seed + config.seeds - 1 > maxSeed) {
    errors.push({
      field: 'seeds',
      value: displayValue(config.seeds),
      why: `seed + seeds - 1 must stay ≤ ${maxSeed}`,
      defaultUsed: String(maxSeed - config.seed + 1),
    });
    config.seeds = maxSeed - config.seed + 1;
  }
  return errors;
}

/**
 * Validate a partial experiment (from a JSON file, a form, the URL codec): every given field is
 * coerced and range-checked, bad ones fall back to their default, unknown keys are reported and
 * ignored, then cross-field rules apply. Never throws; `config` is always runnable.
 */
export function validateExperiment(partial: unknown): ValidationResult {
  const config = defaultExperiment();
  const errors: FieldError[] = [];
  if (partial === null || partial === undefined) return { config, errors };
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    errors.push({
      field: '(config)',
      value: displayValue(partial),
      why: 'an experiment config must be an object of fields',
      defaultUsed: 'all defaults',
    });
    return { config, errors };
  }
  const record = config as unknown as Record<string, unknown>;
  for (const [key, raw] of Object.entries(partial as Record<string, unknown>)) {
    const spec = FIELD_BY_KEY.get(key as ExperimentKey);
    if (!spec) {
      errors.push({
        field: displayValue(key),
        value: displayValue(raw),
        why: 'unknown field (ignored)',
        defaultUsed: null,
      });
      continue;
    }
    if (raw === undefined) continue;
    const result = coerceField(spec, raw);
    if (result.ok) record[key] = result.value;
    else
      errors.push({
        field: key,
        value: displayValue(raw),
        why: result.why,
        defaultUsed: formatFieldValue(spec, spec.default),
      });
  }
  errors.push(...crossFieldErrors(config));
  return { config, errors };
}

/** One line per error, for the CLI and logs. */
export function formatFieldError(error: FieldError): string {
  const used = error.defaultUsed === null ? '' : ` — using ${error.defaultUsed}`;
  return `${error.field} = "${error.value}": ${error.why}${used}`;
}

/** Optimizer updates per rollout batch: what lets the policy leave pi_old and the clip act. */
export function updatesPerRolloutBatch(config: ExperimentConfig): number {
  return ((config.promptsPerStep * config.groupSize) / config.miniBatchSize) * config.ppoEpochs;
}

/** The engine's loss options for this experiment. */
export function policyLossConfig(config: ExperimentConfig): PolicyLossConfig {
  return {
    clipMode: config.clipMode,
    epsLow: config.epsLow,
    epsHigh: config.epsHigh,
    dualClip: config.dualClip > 1 ? config.dualClip : null,
    logRatioClamp: config.logRatioClamp,
    klCoef: config.klCoef,
    klEstimator: config.klEstimator,
    entropyCoef: config.entropyCoef,
    aggregation: config.aggregation,
    maxLengthNorm: config.maxNewTokens,
  };
}

/** The engine's AdamW options at a given learning rate (the schedule is the trainer's). */
export function adamWConfig(config: ExperimentConfig, lr = config.lr): AdamWConfig {
  return {
    lr,
    beta1: config.beta1,
    beta2: config.beta2,
    eps: config.adamEps,
    weightDecay: config.weightDecay,
    maxGradNorm: config.gradClip > 0 ? config.gradClip : Number.POSITIVE_INFINITY,
  };
}

/** Learning rate at a 0-based GRPO step: the trainer's schedule (linear warmup, then constant or cosine to 0). */
export function learningRateAt(config: ExperimentConfig, step: number): number {
  return learningRate(step, { ...config, totalSteps: config.steps });
}

/** The real model a family imitates, or null for user-built families. */
export function realModelFor(family: string): string | null {
  return (ZOO_FAMILIES as Record<string, string>)[family] ?? null;
}
