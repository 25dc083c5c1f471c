// Orchestrates runs between the page and a run host: turns "play" into run records (one per seed of a
// sweep), computes up to `parallel()` of them at once (the page: a Worker per run on the CPU engine,
// cores less one; on a GPU one Worker and device for them all),
// routes host events through the frame batcher into the store and IndexedDB, and resumes interrupted
// runs from their last checkpoint: after a reload, Play resumes every unfinished seed of the sweep on
// screen and starts those that never started. Lives outside React.
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
  /** Interrupted (a reload, a lost device): restart it from its saved checkpoint, if it has one. */
  resume?: boolean;
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
  /**
   * How many runs may compute at once (the seeds of a sweep, the configs of a comparison); read at each
   * start, so a changed preference applies to the next seed. 1 when absent. A seed's metrics do not
   * depend on it: every run has its own model, buffers and random streams (and on the CPU engine its
   * own Worker).
   */
  parallel?: () => number;
}

export class RunController {
  private readonly host: RunHost;
  private readonly batcher: EventBatcher;
  private queue: QueuedRun[] = [];
  /** Runs the host is computing (running, paused or setting up), in the order they started. */
  private inHost: string[] = [];
  /** Pause pressed: queued runs wait until Play instead of starting when a running one finishes. */
  private holding = false;
  /** Runs whose host lost its computation (GPU device lost): play restarts them from their checkpoint. */
  private readonly needsRestart = new Set<string>();
  private sweepCounter = 0;
  private writes: Promise<void> = Promise.resolve();
  /** Events not yet written, per run (see save()). */
  private unsaved = new Map<string, HostEvent[]>();
  private saving = false;
  /** True while the controller itself moves the active run (a sweep's next seed): not a user's choice. */
  private selecting = false;
  /** A comparison draws several experiments on purpose: the editor is not synced to its runs. */
  private comparing = false;
  /** Play pressed while a single Step was still setting up: go on running after that step. */
  private playAfterStep: string | null = null;
  /** Pause pressed while runs were still setting up: pause each as soon as it reports running. */
  private readonly pauseWhenRunning = new Set<string>();
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

  /** The run the host is computing that the page shows (else the first it computes), if any. */
  get current(): RunRecord | null {
    const { activeRunId, runs } = this.options.store.getState();
    const id = activeRunId && this.inHost.includes(activeRunId) ? activeRunId : this.inHost[0];
    return id ? (runs[id] ?? null) : null;
  }

  /** Every run the host is computing. */
  private computing(): RunRecord[] {
    const { runs } = this.options.store.getState();
    return this.inHost.flatMap((id) => (runs[id] ? [runs[id]] : []));
  }

  /**
   * Play: resume the paused runs in the host, restart interrupted ones (the whole sweep on screen) from
   * their checkpoints, or start new runs.
   */
  async play(config: ExperimentConfig): Promise<void> {
    this.followEditor(config);
    this.pauseWhenRunning.clear();
    const computing = this.computing();
    const current = this.current;
    // Still setting up a single Step: run on after it instead of losing the press.
    if (current?.state === 'idle' && current.id === this.steppedRun) {
      this.playAfterStep = current.id;
      return;
    }
    // A run whose computation was lost (GPU device lost) starts again from its checkpoint.
    const lost = computing.filter((r) => this.needsRestart.has(r.id));
    const paused = computing.filter((r) => r.state === 'paused' && !this.needsRestart.has(r.id));
    if (lost.length > 0 || paused.length > 0) {
      this.holding = false;
      for (const run of paused) this.host.resume(run.id);
      this.inHost = this.inHost.filter((id) => !this.needsRestart.has(id));
      this.queue.unshift(
        ...lost.map((r) => ({ runId: r.id, config: r.config as unknown as ExperimentConfig, resume: true })),
      );
      await this.fill();
      return;
    }
    // Running, or still setting up (idle until the host reports): a second press must not start another.
    if (computing.length > 0) return;
    const active = this.activeRun();
    if (active?.state === 'paused' && describes(active, config)) {
      // Paused but not in the host: interrupted by a reload. Every paused seed of its sweep goes on
      // (seeds that never started were recorded as interrupted too), the one on screen first.
      const { runs } = this.options.store.getState();
      const group = active.sweepId
        ? Object.values(runs)
            .filter((r) => r.sweepId === active.sweepId && r.state === 'paused')
            .sort((a, b) => Number(b.id === active.id) - Number(a.id === active.id) || a.seed - b.seed)
        : [active];
      this.holding = false;
      this.queue = group.map((r) => ({
        runId: r.id,
        config: r.config as unknown as ExperimentConfig,
        resume: true,
      }));
      await this.fill();
      return;
    }
    this.startNew(config);
  }

  pause(): void {
    this.playAfterStep = null;
    for (const run of this.computing()) {
      if (run.state === 'running') this.host.pause(run.id);
      // Still setting up: the press is kept, not lost (two quick Space presses = play, then pause).
      else if (run.state === 'idle') this.pauseWhenRunning.add(run.id);
    }
    if (this.inHost.length > 0) this.holding = true;
  }

  /** True while the current run is being set up (Play was pressed, the host has not reported yet). */
  get starting(): boolean {
    return this.current?.state === 'idle';
  }

  /** Runs one step: of the paused run on screen, or the first step of a new run (its first seed). */
  step(config: ExperimentConfig): void {
    const current = this.current;
    if (current?.state === 'paused' && !this.needsRestart.has(current.id)) this.host.step(current.id);
    // Running, or still setting up (idle until the host reports): no second run.
    else if (!this.computing().some((r) => r.state === 'running' || r.state === 'idle')) {
      this.followEditor(config);
      this.startNew(config, 1);
      this.steppedRun = this.inHost[0] ?? null;
    }
  }

  /** Stops the current run and drops queued ones; runs already made stay in the list. */
  reset(): void {
    this.stopCurrent();
    this.select(null);
  }

  /**
   * Stops the runs in the host and the queued ones (recorded as stopped, so a reload does not offer
   * them as interrupted); the charts' selection is left to the caller.
   */
  private stopCurrent(): void {
    const queued = this.queue.map((q) => q.runId);
    this.queue = [];
    this.comparing = false;
    this.holding = false;
    this.playAfterStep = null;
    this.pauseWhenRunning.clear();
    const stopped = this.inHost;
    this.inHost = [];
    for (const id of stopped) this.host.stop(id);
    for (const id of [...stopped, ...queued]) {
      // Recorded now, not when the host answers: a reload a moment later must not find it "running".
      const run = this.options.store.getState().runs[id];
      if (run && run.state !== 'finished' && run.state !== 'error') {
        this.options.store.getState().updateRun(id, { state: 'stopped' });
        const record = this.options.store.getState().runs[id];
        void this.persist((db) => db.saveRun(record));
      }
    }
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
    void this.fill();
  }

  async deleteRun(runId: string): Promise<void> {
    if (this.inHost.includes(runId)) this.reset();
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
    if (this.inHost.length > 0 || this.queue.length > 0) this.reset();
    else this.select(null);
  }

  /** A run chosen in the runs list: the editor (and the URL) show its settings. */
  private followSelection(runId: string): void {
    const run = this.options.store.getState().runs[runId];
    if (!run || this.comparing) return;
    // Showing another run while one computes would show one experiment and run another: stop it. Another
    // seed of the sweep being computed is the same experiment and just changes which seed is shown.
    const sameSweep = run.sweepId !== null && this.computing().some((r) => r.sweepId === run.sweepId);
    if (this.inHost.length > 0 && !this.inHost.includes(runId) && !sameSweep) this.stopCurrent();
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
    this.holding = false;
    this.steppedRun = null;
    this.queue = this.queueRuns(config, this.distinctName(describeConfig(config)));
    void this.fill(maxSteps);
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

  /**
   * Starts queued runs until `parallel()` compute at once (one, for a single Step). The page shows the
   * first one started unless it already shows a run being computed.
   */
  private fill(maxSteps?: number): Promise<void> {
    const limit = maxSteps !== undefined ? 1 : Math.max(1, Math.floor(this.options.parallel?.() ?? 1));
    const resuming: Promise<void>[] = [];
    while (!this.holding && this.inHost.length < limit && this.queue.length > 0) {
      const next = this.queue.shift() as QueuedRun;
      this.inHost.push(next.runId);
      const shown = this.options.store.getState().activeRunId;
      if (!shown || !this.inHost.includes(shown)) this.select(next.runId);
      if (next.resume) resuming.push(this.resumeFromCheckpoint(next));
      else this.host.start({ runId: next.runId, config: next.config, maxSteps });
    }
    // Resolves once every resumed run has its checkpoint read and is started (play awaits it).
    return Promise.all(resuming).then(() => undefined);
  }

  /**
   * Restarts a run in the host from its last saved checkpoint, or from step 0 when it has none (its
   * replayed steps then overwrite the old ones: metrics are keyed by step).
   */
  private async resumeFromCheckpoint({ runId, config }: QueuedRun): Promise<void> {
    const checkpoint = await this.options.persistence?.loadCheckpoint(runId);
    this.needsRestart.delete(runId);
    // Reset or another experiment while the checkpoint loaded: this run is no longer wanted.
    if (!this.inHost.includes(runId)) return;
    this.options.store.getState().updateRun(runId, {
      message: checkpoint
        ? `Resuming from the checkpoint at step ${checkpoint.step}.`
        : 'No checkpoint was saved yet: restarting this run from step 0.',
    });
    this.host.start({ runId, config, checkpoint: checkpoint?.data });
  }

  private deliver(batch: Map<string, HostEvent[]>): void {
    this.options.store.getState().applyBatch(batch);
    const { runs } = this.options.store.getState();
    for (const [runId, events] of batch) {
      const run = runs[runId];
      if (!run) continue;
      if (events.some((e) => e.type === 'notice' && e.pause)) this.needsRestart.add(runId);
      this.save(runId, events);
      // Presses kept while the run was setting up take effect now.
      if (this.pauseWhenRunning.has(runId) && run.state === 'running') {
        this.pauseWhenRunning.delete(runId);
        this.host.pause(runId);
      }
      if (runId === this.playAfterStep && run.state === 'paused') {
        this.playAfterStep = null;
        this.host.resume(runId);
        void this.fill();
      }
      const ended = run.state === 'finished' || run.state === 'error' || run.state === 'stopped';
      if (this.inHost.includes(runId) && ended && !this.needsRestart.has(runId)) {
        this.inHost = this.inHost.filter((id) => id !== runId);
        // Still computing others: show one that is running rather than the one that ended (or one
        // that is only setting up).
        if (this.options.store.getState().activeRunId === runId && this.inHost.length > 0) {
          const computing = this.computing();
          this.select((computing.find((r) => r.state === 'running') ?? computing[0]).id);
        }
        // A sweep or comparison goes on with its next run; an error stops the queue so it can be read.
        if (run.state === 'error') this.queue = [];
        void this.fill();
      }
    }
  }

  /**
   * Saves a run's events. While a write is in flight, later batches wait in `unsaved` and go out
   * together (one transaction per kind and run, the newest samples and checkpoint only), so several
   * seeds computing at once cannot leave IndexedDB minutes behind what the charts show: a reload keeps
   * what was on screen up to the last write.
   */
  private save(runId: string, events: readonly HostEvent[]): void {
    const waiting = this.unsaved.get(runId);
    if (waiting) waiting.push(...events);
    else this.unsaved.set(runId, [...events]);
    if (this.saving) return;
    this.saving = true;
    void this.persist(async (db) => {
      try {
        while (this.unsaved.size > 0) {
          const batch = this.unsaved;
          this.unsaved = new Map();
          for (const [id, list] of batch) {
            // The record as it is now (its latest state), not as it was when the events arrived.
            const run = this.options.store.getState().runs[id];
            if (run) await saveEvents(db, run, list);
          }
        }
      } finally {
        this.saving = false;
      }
    });
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
