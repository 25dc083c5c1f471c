// Orchestrates runs between the page and a run host: turns "play" into run records (one per seed of a
// sweep, queued one after another), routes host events through the frame batcher into the store and
// IndexedDB, and resumes interrupted runs from their last checkpoint. Lives outside React.
//
// One experiment on screen: the editor (and the URL) and the charts' active run always describe the
// same experiment. Loading another experiment (a link, a preset, an edit) stops the run that was shown
// (it stays in the runs list) and clears the charts; choosing a run in the runs list loads its settings
// into the editor; Play resumes only a paused run the editor describes, otherwise starts a new one.

import type { StoreApi } from 'zustand';
import type { ExperimentConfig } from '../../experiment/config/schema';
import type { RunStore } from '../../experiment/persistence';
import { serializeExperiment } from '../../experiment/url';
import type { HostEvent, RunRecord } from '../runTypes';
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
  /** True while the controller itself moves the active run (a sweep's next seed): not a user's choice. */
  private selecting = false;
  /** A comparison draws several experiments on purpose: the editor is not synced to its runs. */
  private comparing = false;
  /** Play pressed while a single Step was still setting up: go on running after that step. */
  private playAfterStep: string | null = null;
  /** Pause pressed while a run was still setting up: pause it as soon as it reports running. */
  private pauseWhenRunning: string | null = null;
  /** The run started by Step (one step, then paused). */
  private steppedRun: string | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: RunControllerOptions) {
    this.host = options.hostFactory((runId, event) => this.batcher.push(runId, event));
    this.batcher = createEventBatcher((batch) => this.deliver(batch), options.schedule);
    this.unsubscribe = options.store.subscribe((state, previous) => {
      if (state.config !== previous.config) this.followEditor(state.config);
      if (state.activeRunId !== previous.activeRunId && state.activeRunId && !this.selecting)
        this.followSelection(state.activeRunId);
    });
    // A page opened on a link: a run restored from IndexedDB that is another experiment is not shown.
    this.followEditor(options.store.getState().config);
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
    this.followEditor(config);
    const current = this.current;
    this.pauseWhenRunning = null;
    if (current?.state === 'paused' && this.currentRunId && !this.needsRestart.has(this.currentRunId)) {
      this.host.resume(this.currentRunId);
      return;
    }
    // Still setting up a single Step: run on after it instead of losing the press.
    if (current?.state === 'idle' && this.currentRunId && this.currentRunId === this.steppedRun) {
      this.playAfterStep = this.currentRunId;
      return;
    }
    // Running, or still setting up (idle until the host reports): a second press must not start another.
    if (current?.state === 'running' || current?.state === 'idle') return;
    const active = this.activeRun();
    if (active?.state === 'paused' && describes(active, config)) {
      // Paused but not in the host: interrupted by a reload or a lost device.
      await this.resumeFromCheckpoint(active);
      return;
    }
    this.startNew(config);
  }

  pause(): void {
    const state = this.current?.state;
    if (!this.currentRunId) return;
    if (state === 'running') this.host.pause(this.currentRunId);
    // Still setting up: the press is kept, not lost (two quick Space presses = play, then pause).
    else if (state === 'idle') {
      this.pauseWhenRunning = this.currentRunId;
      this.playAfterStep = null;
    }
  }

  /** True while the current run is being set up (Play was pressed, the host has not reported yet). */
  get starting(): boolean {
    return this.current?.state === 'idle';
  }

  /** Runs one step: of the paused current run, or the first step of a new run. */
  step(config: ExperimentConfig): void {
    const current = this.current;
    if (current && this.currentRunId && current.state === 'paused') this.host.step(this.currentRunId);
    // Running, or still setting up (idle until the host reports): no second run.
    else if (current?.state !== 'running' && current?.state !== 'idle') {
      this.followEditor(config);
      this.startNew(config, 1);
      this.steppedRun = this.currentRunId;
    }
  }

  /** Stops the current run and drops queued ones; runs already made stay in the list. */
  reset(): void {
    this.stopCurrent();
    this.select(null);
  }

  /** Stops the run in the host and drops queued ones; the charts' selection is left to the caller. */
  private stopCurrent(): void {
    this.queue = [];
    this.comparing = false;
    this.playAfterStep = null;
    this.pauseWhenRunning = null;
    const stopped = this.currentRunId;
    if (stopped) {
      this.host.stop(stopped);
      // Recorded now, not when the host answers: a reload a moment later must not find it "running".
      const run = this.options.store.getState().runs[stopped];
      if (run && run.state !== 'finished' && run.state !== 'error') {
        this.options.store.getState().updateRun(stopped, { state: 'stopped' });
        const record = this.options.store.getState().runs[stopped];
        void this.persist((db) => db.saveRun(record));
      }
    }
    this.currentRunId = null;
  }

  /**
   * Queues every config (a comparison, e.g. the five rewards; each config's seed sweep included) and
   * starts the first; all of them are ticked for comparison so they share the charts.
   */
  startComparison(configs: readonly { config: ExperimentConfig; name: string }[]): void {
    this.reset();
    this.comparing = true;
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
    this.unsubscribe();
    this.host.dispose();
  }

  /** The editor now shows `config`: a shown run of another experiment is stopped (kept) and unshown. */
  private followEditor(config: ExperimentConfig): void {
    if (this.comparing) return;
    const active = this.activeRun();
    if (!active || describes(active, config)) return;
    if (active.id === this.currentRunId || this.queue.length > 0) this.reset();
    else this.select(null);
  }

  /** A run chosen in the runs list: the editor (and the URL) show its settings. */
  private followSelection(runId: string): void {
    const run = this.options.store.getState().runs[runId];
    if (!run || this.comparing) return;
    // Showing another run while one computes would show one experiment and run another: stop it.
    if (this.currentRunId && this.currentRunId !== runId) this.stopCurrent();
    const config = run.config as unknown as ExperimentConfig;
    if (describes(run, this.options.store.getState().config)) return;
    const state = this.options.store.getState();
    state.loadConfig({ ...state.config, ...config }, [], state.hiddenKeys);
  }

  private select(runId: string | null): void {
    this.selecting = true;
    try {
      this.options.store.getState().setActiveRun(runId);
    } finally {
      this.selecting = false;
    }
  }

  private activeRun(): RunRecord | null {
    const { activeRunId, runs } = this.options.store.getState();
    return activeRunId ? (runs[activeRunId] ?? null) : null;
  }

  private startNew(config: ExperimentConfig, maxSteps?: number): void {
    this.comparing = false;
    this.steppedRun = null;
    this.queue = this.queueRuns(config, this.distinctName(describeConfig(config)));
    this.startNext(maxSteps);
  }

  /** "qwen-math-tiny · random γ=0.5", then "… #2", "… #3" for the same experiment played again. */
  private distinctName(base: string): string {
    const names = Object.values(this.options.store.getState().runs).map((r) =>
      r.name.replace(/^synthetic demo · /, '').replace(/ · seed \d+$/, ''),
    );
    const taken = new Set(names);
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${base} #${n}`)) n++;
    return `${base} #${n}`;
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
    this.select(next.runId);
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

  private deliver(batch: Map<string, HostEvent[]>): void {
    this.options.store.getState().applyBatch(batch);
    const { runs } = this.options.store.getState();
    for (const [runId, events] of batch) {
      const run = runs[runId];
      if (!run) continue;
      if (events.some((e) => e.type === 'notice' && e.pause)) this.needsRestart.add(runId);
      void this.persist((db) => saveEvents(db, run, events));
      // Presses kept while the run was setting up take effect now.
      if (runId === this.pauseWhenRunning && run.state === 'running') {
        this.pauseWhenRunning = null;
        this.host.pause(runId);
      }
      if (runId === this.playAfterStep && run.state === 'paused') {
        this.playAfterStep = null;
        this.host.resume(runId);
      }
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
async function saveEvents(db: RunStore, run: RunRecord, events: readonly HostEvent[]): Promise<void> {
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

/** The experiment a config describes, whatever its seed: what the editor and a shown run must share. */
function experimentIdentity(config: ExperimentConfig): string {
  return serializeExperiment({ ...config, seed: 0, seeds: 1 });
}

/** True when `run` is one of the runs `config` plays (the same experiment, a seed of its sweep). */
export function describes(run: RunRecord, config: ExperimentConfig): boolean {
  const own = { ...config, ...(run.config as unknown as Partial<ExperimentConfig>) };
  return (
    experimentIdentity(own) === experimentIdentity(config) &&
    run.seed >= config.seed &&
    run.seed < config.seed + config.seeds
  );
}
