// The IndexedDB run store: every run's record (config, state), its metrics, latest samples and last
// checkpoint are written as the run goes, so a reload restores the runs list and the charts, and an
// interrupted run can resume from its checkpoint. Plain IndexedDB (no wrapper library) behind a small
// promise API; tests drive it with fake-indexeddb.

import type { EvalMetrics, RolloutSample, StepMetrics } from '../rl/metrics';
import { requestToPromise, writeTransaction } from '../util/indexedDb';

export type RunState = 'idle' | 'running' | 'paused' | 'finished' | 'stopped' | 'error';

/** A run as the lab lists, charts and persists it. */
export interface RunRecord {
  id: string;
  /** Human label, e.g. "qwen-math-tiny · random γ=0.5 · seed 3". */
  name: string;
  createdAt: number;
  /** Experiment URL hash that reproduces this run (the config, seed included). */
  hash: string;
  /** The experiment config (ExperimentConfig) as plain data, as it was when the run started. */
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

/** A run with all its data: what the store holds and the runs file exports. */
export interface RunData {
  run: RunRecord;
  steps: StepMetrics[];
  evals: EvalMetrics[];
  /** The latest rollout groups (only the newest are kept). */
  samples: RolloutSample[];
}

type SampleGroup = RolloutSample;

export const DATABASE_NAME = 'spurious-rewards-lab';
/** Bump when the object stores change; `upgrade` below must then migrate older versions. */
const DATABASE_VERSION = 1;

// Metric rows are keyed [runId, step]: writing a step twice (a resumed run replaying a step) overwrites
// instead of duplicating, and one key range fetches a run's rows already sorted by step.
const STORE_RUNS = 'runs';
const STORE_STEPS = 'steps';
const STORE_EVALS = 'evals';
const STORE_SAMPLES = 'samples';
const STORE_CHECKPOINTS = 'checkpoints';
const ALL_STORES = [STORE_RUNS, STORE_STEPS, STORE_EVALS, STORE_SAMPLES, STORE_CHECKPOINTS];

export interface StoredCheckpoint {
  runId: string;
  step: number;
  /** The runner's checkpoint (parameters and optimizer moments as typed arrays): stored as a structured clone. */
  data: unknown;
}

export interface RunStore {
  /** Insert or update a run's record (state changes, rename). */
  saveRun(run: RunRecord): Promise<void>;
  appendSteps(runId: string, steps: readonly StepMetrics[]): Promise<void>;
  appendEvals(runId: string, evals: readonly EvalMetrics[]): Promise<void>;
  /** Replace the run's latest sample groups (only the newest are kept: they are large). */
  saveSamples(runId: string, groups: readonly SampleGroup[]): Promise<void>;
  /** Replace the run's checkpoint with a newer one. */
  saveCheckpoint(runId: string, step: number, data: unknown): Promise<void>;
  loadCheckpoint(runId: string): Promise<StoredCheckpoint | null>;
  /** Every run's record, oldest first. */
  listRuns(): Promise<RunRecord[]>;
  loadRun(runId: string): Promise<RunData | null>;
  deleteRun(runId: string): Promise<void>;
  /** Write whole runs (an imported runs file), replacing runs with the same id. */
  putRunData(data: readonly RunData[]): Promise<void>;
  close(): void;
}

/** Opens (creating or upgrading) the lab's database. `factory` is injectable for tests. */
export async function openRunStore(
  factory: IDBFactory | null = globalThis.indexedDB ?? null,
  name = DATABASE_NAME,
): Promise<RunStore> {
  if (!factory) throw new Error('This browser has no IndexedDB: runs cannot be saved across reloads.');
  const request = factory.open(name, DATABASE_VERSION);
  request.onupgradeneeded = () => upgrade(request.result);
  const db = await requestToPromise(request);
  return new IndexedDbRunStore(db);
}

function upgrade(db: IDBDatabase): void {
  if (!db.objectStoreNames.contains(STORE_RUNS)) db.createObjectStore(STORE_RUNS, { keyPath: 'id' });
  if (!db.objectStoreNames.contains(STORE_STEPS)) db.createObjectStore(STORE_STEPS);
  if (!db.objectStoreNames.contains(STORE_EVALS)) db.createObjectStore(STORE_EVALS);
  if (!db.objectStoreNames.contains(STORE_SAMPLES)) db.createObjectStore(STORE_SAMPLES);
  if (!db.objectStoreNames.contains(STORE_CHECKPOINTS)) db.createObjectStore(STORE_CHECKPOINTS);
}

/** All keys [runId, *] of one run: arrays sort after numbers, so [runId, []] bounds every step. */
function runKeyRange(runId: string): IDBKeyRange {
  return IDBKeyRange.bound([runId], [runId, []]);
}

class IndexedDbRunStore implements RunStore {
  constructor(private readonly db: IDBDatabase) {}

  saveRun(run: RunRecord): Promise<void> {
    return this.write([STORE_RUNS], (tx) => {
      tx.objectStore(STORE_RUNS).put(run);
    });
  }

  appendSteps(runId: string, steps: readonly StepMetrics[]): Promise<void> {
    return this.write([STORE_STEPS], (tx) => {
      const store = tx.objectStore(STORE_STEPS);
      for (const metrics of steps) store.put(metrics, [runId, metrics.step]);
    });
  }

  appendEvals(runId: string, evals: readonly EvalMetrics[]): Promise<void> {
    return this.write([STORE_EVALS], (tx) => {
      const store = tx.objectStore(STORE_EVALS);
      for (const metrics of evals) store.put(metrics, [runId, metrics.step]);
    });
  }

  saveSamples(runId: string, groups: readonly SampleGroup[]): Promise<void> {
    return this.write([STORE_SAMPLES], (tx) => {
      tx.objectStore(STORE_SAMPLES).put([...groups], runId);
    });
  }

  saveCheckpoint(runId: string, step: number, data: unknown): Promise<void> {
    return this.write([STORE_CHECKPOINTS], (tx) => {
      const checkpoint: StoredCheckpoint = { runId, step, data };
      tx.objectStore(STORE_CHECKPOINTS).put(checkpoint, runId);
    });
  }

  async loadCheckpoint(runId: string): Promise<StoredCheckpoint | null> {
    const tx = this.db.transaction([STORE_CHECKPOINTS], 'readonly');
    const checkpoint = await requestToPromise(tx.objectStore(STORE_CHECKPOINTS).get(runId));
    return (checkpoint as StoredCheckpoint | undefined) ?? null;
  }

  async listRuns(): Promise<RunRecord[]> {
    const tx = this.db.transaction([STORE_RUNS], 'readonly');
    const runs = (await requestToPromise(tx.objectStore(STORE_RUNS).getAll())) as RunRecord[];
    return runs.sort((a, b) => a.createdAt - b.createdAt);
  }

  async loadRun(runId: string): Promise<RunData | null> {
    const tx = this.db.transaction([STORE_RUNS, STORE_STEPS, STORE_EVALS, STORE_SAMPLES], 'readonly');
    const [run, steps, evals, samples] = await Promise.all([
      requestToPromise(tx.objectStore(STORE_RUNS).get(runId)),
      requestToPromise(tx.objectStore(STORE_STEPS).getAll(runKeyRange(runId))),
      requestToPromise(tx.objectStore(STORE_EVALS).getAll(runKeyRange(runId))),
      requestToPromise(tx.objectStore(STORE_SAMPLES).get(runId)),
    ]);
    if (!run) return null;
    return {
      run: run as RunRecord,
      steps: steps as StepMetrics[],
      evals: evals as EvalMetrics[],
      samples: (samples as SampleGroup[] | undefined) ?? [],
    };
  }

  deleteRun(runId: string): Promise<void> {
    return this.write(ALL_STORES, (tx) => {
      tx.objectStore(STORE_RUNS).delete(runId);
      tx.objectStore(STORE_STEPS).delete(runKeyRange(runId));
      tx.objectStore(STORE_EVALS).delete(runKeyRange(runId));
      tx.objectStore(STORE_SAMPLES).delete(runId);
      tx.objectStore(STORE_CHECKPOINTS).delete(runId);
    });
  }

  putRunData(data: readonly RunData[]): Promise<void> {
    return this.write([STORE_RUNS, STORE_STEPS, STORE_EVALS, STORE_SAMPLES], (tx) => {
      for (const { run, steps, evals, samples } of data) {
        tx.objectStore(STORE_RUNS).put(run);
        tx.objectStore(STORE_STEPS).delete(runKeyRange(run.id));
        tx.objectStore(STORE_EVALS).delete(runKeyRange(run.id));
        for (const metrics of steps) tx.objectStore(STORE_STEPS).put(metrics, [run.id, metrics.step]);
        for (const metrics of evals) tx.objectStore(STORE_EVALS).put(metrics, [run.id, metrics.step]);
        tx.objectStore(STORE_SAMPLES).put([...samples], run.id);
      }
    });
  }

  close(): void {
    this.db.close();
  }

  private write(stores: string[], fill: (tx: IDBTransaction) => void): Promise<void> {
    return writeTransaction(this.db, stores, fill);
  }
}
