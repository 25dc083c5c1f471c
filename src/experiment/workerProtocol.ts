// Messages between the page and the training Web Worker (src/experiment/worker.ts). Plain structured-
// cloneable data; parameter arrays travel as transferables. One Worker may compute several runs at once
// (the seeds of a sweep sharing one GPU device), so every message names its run.
import type { MatmulProbe } from '../engine/webgpu/matmul';
import type { DatasetProblem } from '../tasks/dataset';
import type { RunCheckpoint, RunEvent } from './runner';

/** A checkpoint held by the page (config.json and tokenizer.json text, safetensors bytes). */
export interface UserModelFiles {
  configJson: string;
  safetensorsBytes: Uint8Array;
  tokenizerJson: string;
}

export type ToWorker =
  | {
      type: 'start';
      runId: string;
      /** The experiment as its URL hash (the one source of truth, validated in the worker too). */
      hash: string;
      /** Seed of this run (a sweep starts one run per seed). */
      seed: number;
      /** Page URL the zoo's models/ folder is resolved against. */
      baseUrl: string;
      /** Resume from this checkpoint instead of starting fresh. */
      checkpoint?: RunCheckpoint;
      /** Imported user datasets by id, for dataset=<id> experiments. */
      datasets?: Record<string, DatasetProblem[]>;
      /**
       * Families the user built in the lab (src/ui/zoo), by name: their checkpoint files, used instead of
       * fetching models/<name>/ from the page's zoo.
       */
      userModels?: Record<string, UserModelFiles>;
      /** Start paused (after set-up), e.g. to single-step. */
      paused?: boolean;
      /**
       * Compute on the Worker's one GPU device, shared with the other runs it computes (opened by the
       * first such run, again after a loss), instead of opening a device for this run alone.
       */
      shareDevice?: boolean;
      /**
       * The matmul probes the page kept from earlier Workers (one per adapter): used instead of timing
       * the variants again, so every run on an adapter computes the same sums.
       */
      matmulProbes?: MatmulProbe[];
    }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'step'; runId: string; count: number }
  | { type: 'stop'; runId: string };

export type FromWorker =
  | { type: 'setup'; runId: string; phase: string; done: number; total: number }
  | {
      type: 'ready';
      runId: string;
      backend: string;
      backendKind: 'cpu' | 'webgpu';
      trainingSetSize: number;
      notice: string | null;
      /** On WebGPU, the matmul probe the run uses (for the page to keep and hand to later Workers). */
      matmul?: MatmulProbe;
    }
  | { type: 'event'; runId: string; event: RunEvent }
  /** The GPU device was lost mid-run: the run is paused; resuming restarts from the last checkpoint. */
  | { type: 'device-lost'; runId: string; message: string }
  /** Set-up failed (bad config, model missing, no usable backend): nothing ran. */
  | { type: 'fatal'; runId: string; message: string }
  /** Every start ends with exactly one 'done' or 'fatal' (a start replaced while setting up: 'stopped'). */
  | { type: 'done'; runId: string; result: 'finished' | 'stopped' | 'error' };
