// Orchestrates runs between the page and a run host: turns "play" into run records (one per seed of a
// sweep, queued one after another), routes host events through the frame batcher into the store and
// IndexedDB, and resumes interrupted runs from their last checkpoint. Lives outside React.

import type { StoreApi } from 'zustand';
import type { ExperimentConfig } from '../../experiment/config';
import type { RunStore } from '../../experiment/persistence';
import { serializeExperiment } from '../../experiment/url';
import type { RunEvent, RunRecord } from '../runTypes';
import { createEventBatcher, type EventBatcher, type FrameScheduler } from '../store/eventBatcher';
import type { LabState } from '../store/labStore';
import type { RunHost, RunHostFactory } from './runHost';

/** A run waiting its turn (the next seed of a sweep, the next config of a comparison). */
interface QueuedRun {
  runId: string;
  config: ExperimentConfig;
}

export interface RunControllerOptions {
  store: StoreApi<LabState>;
  hostFactory: RunHostFactory;
  /** Null when IndexedDB is unavailable: runs then live only until the page closes. */
  persistence: RunStore | null;
  schedule?: FrameScheduler;
  now?: () => number;
  /** Called when a persistence write fails (quota, private mode), with a message for a person. */
  onPersistenceError?: (message: string) => void;
}

export class RunController {
  private readonly host: RunHost;
  private readonly batcher: EventBatcher;
  private queue: QueuedRun[] = [];
  private currentRunId: string | null = null;
  /** Runs whose host lost its computation (GPU device lost): play restarts them from their checkpoint. */
  private readonly needsRestart = new Set<string>();
  private sweepCounter = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: RunControllerOptions) {
    this.host = options.hostFactory((runId, event) => this.batcher.push(runId, event));
    this.batcher = createEventBatcher((batch) => this.deliver(batch), options.schedule);
  }

  get isRealHost(): boolean {
    return this.host.real;
  }

  /** The run the host is computing now (running or paused), if any. */
  get current(): RunRecord | null {
    return this.currentRunId ? (this.options.store.getState().runs[this.currentRunId] ?? null) : null;
  }

  /** Play: resume the paused current run, resume an interrupted one from its checkpoint, or start new runs. */
  async play(config: ExperimentConfig): Promise<void> {
    const current = this.current;
    if (current?.state === 'paused' && this.currentRunId && !this.needsRestart.has(this.currentRunId)) {
      this.host.resume(this.currentRunId);
      return;
    }
    // Running, or still setting up (idle until the host reports): a second press must not start another.
    if (current?.state === 'running' || current?.state === 'idle') return;
    const active = this.activeRun();
    if (active?.state === 'paused') {
      // Paused but not in the host: interrupted by a reload or a lost device.
      await this.resumeFromCheckpoint(active);
      return;
    }
    this.startNew(config);
  }

  pause(): void {
    if (this.currentRunId && this.current?.state === 'running') this.host.pause(this.currentRunId);
  }

  /** Runs one step: of the paused current run, or the first step of a new run. */
  step(config: ExperimentConfig): void {
    const current = this.current;
    if (current && this.currentRunId && current.state === 'paused') this.host.step(this.currentRunId);
    // Running, or still setting up (idle until the host reports): no second run.
    else if (current?.state !== 'running' && current?.state !== 'idle') this.startNew(config, 1);
  }

  /** Stops the current run and drops queued ones; runs already made stay in the list. */
  reset(): void {
    this.queue = [];
    if (this.currentRunId) this.host.stop(this.currentRunId);
    this.currentRunId = null;
    this.options.store.getState().setActiveRun(null);
  }

  /**
   * Queues every config (a comparison, e.g. the five rewards; each config's seed sweep included) and
   * starts the first; all of them are ticked for comparison so they share the charts.
   */
  startComparison(configs: readonly { config: ExperimentConfig; name: string }[]): void {
    this.reset();
    this.queue = configs.flatMap(({ config, name }) => this.queueRuns(config, name));
    const store = this.options.store.getState();
    for (const { runId } of this.queue)
      if (!store.comparedRunIds.includes(runId)) store.toggleCompared(runId);
    this.startNext();
  }

  async deleteRun(runId: string): Promise<void> {
    if (runId === this.currentRunId) this.reset();
    this.queue = this.queue.filter((q) => q.runId !== runId);
    this.options.store.getState().removeRun(runId);
    await this.persist((db) => db.deleteRun(runId));
  }

  /** Waits for every pending IndexedDB write (tests, and before exporting). */
  async flush(): Promise<void> {
    this.batcher.flush();
    await this.writes;
  }

  dispose(): void {
    this.host.dispose();
  }

  private activeRun(): RunRecord | null {
    const { activeRunId, runs } = this.options.store.getState();
    return activeRunId ? (runs[activeRunId] ?? null) : null;
  }

  private startNew(config: ExperimentConfig, maxSteps?: number): void {
    this.queue = this.queueRuns(config, describeConfig(config));
    this.startNext(maxSteps);
  }

  /** One run record per seed of the config (a sweep shares one sweep id), ready to queue. */
  private queueRuns(config: ExperimentConfig, baseName: string): QueuedRun[] {
    const sweepId =
      config.seeds > 1 ? `sweep-${this.options.now?.() ?? Date.now()}-${++this.sweepCounter}` : null;
    return Array.from({ length: config.seeds }, (_, i) => {
      const seeded = { ...config, seed: config.seed + i, seeds: 1 };
      const record = this.createRecord(seeded, `${baseName} · seed ${seeded.seed}`, sweepId);
      return { runId: record.id, config: seeded };
    });
  }

  private createRecord(config: ExperimentConfig, name: string, sweepId: string | null): RunRecord {
    const createdAt = this.options.now?.() ?? Date.now();
    const record: RunRecord = {
      id: `run-${createdAt}-${Math.random().toString(36).slice(2, 8)}`,
      name: this.host.real ? name : `synthetic demo · ${name}`,
      createdAt,
      hash: serializeExperiment(config),
      config: { ...config },
      seed: config.seed,
      sweepId,
      state: 'idle',
      message: null,
      totalSteps: config.steps,
      synthetic: !this.host.real,
    };
    this.options.store.getState().addRun(record);
    void this.persist((db) => db.saveRun(record));
    return record;
  }

  private startNext(maxSteps?: number): void {
    const next = this.queue.shift();
    if (!next) {
      this.currentRunId = null;
      return;
    }
    this.currentRunId = next.runId;
    this.options.store.getState().setActiveRun(next.runId);
    this.host.start({ runId: next.runId, config: next.config, maxSteps });
  }

  /**
   * Restarts a run in the host from its last saved checkpoint, or from step 0 when it has none (its
   * replayed steps then overwrite the old ones: metrics are keyed by step).
   */
  private async resumeFromCheckpoint(run: RunRecord): Promise<void> {
    const checkpoint = await this.options.persistence?.loadCheckpoint(run.id);
    this.needsRestart.delete(run.id);
    this.currentRunId = run.id;
    this.options.store.getState().updateRun(run.id, {
      message: checkpoint
        ? `Resuming from the checkpoint at step ${checkpoint.step}.`
        : 'No checkpoint was saved yet: restarting this run from step 0.',
    });
    this.host.start({
      runId: run.id,
      config: run.config as unknown as ExperimentConfig,
      checkpoint: checkpoint?.data,
    });
  }

  private deliver(batch: Map<string, RunEvent[]>): void {
    this.options.store.getState().applyBatch(batch);
    const { runs } = this.options.store.getState();
    for (const [runId, events] of batch) {
      const run = runs[runId];
      if (!run) continue;
      if (events.some((e) => e.type === 'notice' && e.pause)) this.needsRestart.add(runId);
      void this.persist((db) => saveEvents(db, run, events));
      if (runId === this.currentRunId && (run.state === 'finished' || run.state === 'error')) {
        // A sweep or comparison goes on with its next run; an error stops the queue so it can be read.
        if (run.state === 'finished') this.startNext();
        else this.queue = [];
      }
    }
  }

  /** Chains writes so they commit in event order, and reports (once per failure) instead of throwing. */
  private persist(write: (db: RunStore) => Promise<void>): Promise<void> {
    const db = this.options.persistence;
    if (!db) return Promise.resolve();
    this.writes = this.writes.then(() =>
      write(db).catch((err: unknown) =>
        this.options.onPersistenceError?.(
          `Saving the run failed (${err instanceof Error ? err.message : String(err)}); it continues unsaved.`,
        ),
      ),
    );
    return this.writes;
  }
}

/** Writes one batch of a run's events: its metrics, latest samples, checkpoint and record. */
async function saveEvents(db: RunStore, run: RunRecord, events: readonly RunEvent[]): Promise<void> {
  const steps = events.flatMap((e) => (e.type === 'step' ? [e.metrics] : []));
  const evals = events.flatMap((e) => (e.type === 'eval' ? [e.metrics] : []));
  const samples = events.findLast((e) => e.type === 'samples');
  const checkpoint = events.findLast((e) => e.type === 'checkpoint');
  if (steps.length) await db.appendSteps(run.id, steps);
  if (evals.length) await db.appendEvals(run.id, evals);
  if (samples?.type === 'samples') await db.saveSamples(run.id, samples.samples);
  if (checkpoint?.type === 'checkpoint')
    await db.saveCheckpoint(run.id, checkpoint.step, checkpoint.checkpoint);
  if (events.some((e) => e.type === 'status' || e.type === 'error')) await db.saveRun(run);
}

/** Short human name of a config, e.g. "qwen-math-tiny · random γ=0.5 · no clip" (the seed is added per run). */
export function describeConfig(config: ExperimentConfig): string {
  const reward = config.reward === 'random' ? `random γ=${config.gamma}` : config.reward;
  const clip =
    config.clipMode === 'clip' ? '' : ` · ${config.clipMode === 'none' ? 'no clip' : config.clipMode}`;
  return `${config.model} · ${reward}${clip}`;
}
