// The UI's view of a run: the metric records come from the trainer (src/rl/metrics.ts); the event
// union is what src/experiment/runner.ts emits (the checkpoint kept opaque: IndexedDB stores any
// structured-cloneable value) plus 'notice' for the worker's set-up and device messages. The run record
// itself is defined with its store, src/experiment/persistence.ts.
import type { EvalMetrics, RolloutSample, StepMetrics } from '../rl/metrics';

export type { RunData, RunRecord, RunState } from '../experiment/persistence';
export type { EvalMetrics, StepMetrics };

/** One prompt and its G completions from the latest rollout batch. */
export type SampleGroup = RolloutSample;
export type SampleCompletion = RolloutSample['completions'][number];
export type CompletionStyle = SampleCompletion['style'];

/** Everything a run host (the Worker) posts to the page, in order. */
export type HostEvent =
  | { type: 'status'; state: 'running' | 'paused' | 'stopped' | 'finished'; step: number }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'samples'; samples: SampleGroup[] }
  | { type: 'checkpoint'; step: number; checkpoint: unknown }
  | { type: 'error'; step: number; message: string; quantity?: string }
  /** Host news for a person (set-up progress, chosen backend, CPU fallback notice, lost device). */
  | { type: 'notice'; message: string; pause?: boolean };
