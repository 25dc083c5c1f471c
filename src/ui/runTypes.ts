// DRAFT of the events the runner (src/experiment/runner.ts, lead) streams to the UI, and of the run
// record the UI keeps and persists. Written before the runner exists so the charts, inspector and
// store can be built and tested; the lead reconciles the names with the runner's real events.

/** Reasoning style of one completion; 'code' follows the paper: the lowercased text contains "python". */
export type CompletionStyle = 'code' | 'language' | 'direct';

/** Metrics of one GRPO step (one rollout batch and its updates), as the trainer logs them. */
export interface StepMetrics {
  step: number;
  rewardMean: number;
  rewardStd: number;
  /** Share of groups whose rewards are all equal: they carry no advantage, hence no gradient. */
  zeroStdGroupShare: number;
  /** Token share clipped at the low bound (ratio < 1-eps with negative advantage), sign-aware as TRL. */
  clipFracLow: number;
  /** Token share clipped at the high bound (ratio > 1+eps with positive advantage). */
  clipFracHigh: number;
  ratioMean: number;
  ratioMin: number;
  ratioMax: number;
  /** Approximate KL to the rollout policy (pi_old). */
  approxKl: number;
  /** KL to the reference model; 0 when beta = 0 and no reference is kept. */
  refKl: number;
  entropy: number;
  policyLoss: number;
  gradNorm: number;
  responseLengthMean: number;
  responseLengthMax: number;
  truncatedShare: number;
  /** Share of this step's rollouts that are code reasoning. */
  codeFrequency: number;
  /** Ground-truth accuracy of the rollouts, logged for every reward (also spurious ones). */
  rolloutAccuracy: number;
  /** Wall time per phase, milliseconds. */
  timings: { rolloutMs: number; scoringMs: number; logprobsMs: number; updateMs: number; totalMs: number };
  tokensPerSecond: number;
}

/** Periodic evaluation on the held-out MiniMath-500. */
export interface EvalMetrics {
  step: number;
  greedyAccuracy: number;
  /** Mean accuracy over k samples per problem at temperature 1. */
  avgAtKAccuracy: number;
  k: number;
  codeFrequency: number;
  /** Accuracy among responses with code reasoning; null when there were none. */
  accuracyWithCode: number | null;
  /** Accuracy among language-only responses; null when there were none. */
  accuracyLanguageOnly: number | null;
}

export interface SampleCompletion {
  text: string;
  reward: number;
  advantage: number;
  /** Answer extracted from the last non-empty \boxed{}; null when there is none. */
  extracted: string | null;
  correct: boolean;
  style: CompletionStyle;
}

/** One prompt and its G completions from the latest rollout batch. */
export interface SampleGroup {
  step: number;
  prompt: string;
  gold: string;
  completions: SampleCompletion[];
}

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'stopped' | 'error';

/** Everything the runner emits, in order. */
export type RunEvent =
  | { type: 'started'; totalSteps: number }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'samples'; step: number; groups: SampleGroup[] }
  | { type: 'checkpoint'; step: number; bytes: ArrayBuffer }
  | { type: 'state'; state: RunState; message?: string };

/** A run as the UI lists, charts and persists it. */
export interface RunRecord {
  id: string;
  /** Human label, e.g. "random γ=0.5 · seed 3". */
  name: string;
  createdAt: number;
  /** Experiment URL hash that reproduces this run (the config, seed included). */
  hash: string;
  /** The experiment config as the codec produced it; kept opaque here so the draft doesn't fork F's type. */
  config: Record<string, unknown>;
  seed: number;
  /** Runs of one seed sweep share this id; the charts draw their mean and standard error. */
  sweepId: string | null;
  state: RunState;
  message: string | null;
  totalSteps: number;
  /** True for runs made by the dev-only synthetic demo; the UI labels them and never calls them real. */
  synthetic: boolean;
}

/** A run with all its data: what persistence stores and the runs file exports. */
export interface RunData {
  run: RunRecord;
  steps: StepMetrics[];
  evals: EvalMetrics[];
  samples: SampleGroup[];
}
