// The UI's view of a run: the metric records come from the trainer (src/rl/metrics.ts); the event
// union is what src/experiment/runner.ts emits (the checkpoint kept opaque: IndexedDB stores any
// structured-cloneable value) plus 'notice' for the worker's set-up and device messages.
import type { EvalMetrics, RolloutSample, StepMetrics } from '../rl/metrics';

export type { EvalMetrics, StepMetrics } from '../rl/metrics';
/** One prompt and its G completions from the latest rollout batch. */
export type SampleGroup = RolloutSample;
export type SampleCompletion = RolloutSample['completions'][number];
export type CompletionStyle = SampleCompletion['style'];

export type RunState = 'idle' | 'running' | 'paused' | 'finished' | 'stopped' | 'error';

/** Everything a run host (the Worker) posts to the page, in order. */
export type RunEvent =
  | { type: 'status'; state: 'running' | 'paused' | 'stopped' | 'finished'; step: number }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'samples'; samples: SampleGroup[] }
  | { type: 'checkpoint'; step: number; checkpoint: unknown }
  | { type: 'error'; step: number; message: string; quantity?: string }
  /** Host news for a person (set-up progress, chosen backend, CPU fallback notice, lost device). */
  | { type: 'notice'; message: string; pause?: boolean };

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
