// The contract between the page and whatever computes a run (the training Web Worker, or the dev-only
// synthetic host). The page never trains on its own thread: it sends commands, the host emits events.
import type { ExperimentConfig } from '../../experiment/config/schema';
import type { HostEvent } from '../runTypes';

export interface StartRequest {
  runId: string;
  config: ExperimentConfig;
  /** Resume from this checkpoint (as the host emitted it) instead of from the zoo model. */
  checkpoint?: unknown;
  /** Run this many steps then pause (the "step" button); all remaining steps when absent. */
  maxSteps?: number;
}

export interface RunHost {
  /** True when this host trains for real; false for the synthetic demo host. */
  readonly real: boolean;
  start(request: StartRequest): void;
  pause(runId: string): void;
  resume(runId: string): void;
  /** Run one more step of a paused run, then pause again. */
  step(runId: string): void;
  stop(runId: string): void;
  dispose(): void;
}

export type RunHostFactory = (emit: (runId: string, event: HostEvent) => void) => RunHost;
