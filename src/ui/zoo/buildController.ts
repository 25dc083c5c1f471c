// Drives the zoo builder between the page and its Web Worker, the way RunController (ui/run) drives
// runs: a class outside React that owns the build's worker client, turns the worker's messages into the
// build state of the zoo store (ui/store/zooStore.ts) and keeps the user's families in IndexedDB
// (userZoo.ts). One build at a time. Every progress checkpoint the worker posts is written before the
// next one (and before the build's end is recorded), so a reload can resume from the latest.
import type { StoreApi } from 'zustand';
import type { BackendChoice } from '../../engine/backendRule';
import { type FamilySpec, familySpecProblems } from '../../tasks/familyBuild';
import { WorkerClient, type WorkerClientOptions } from '../../util/workerClient';
import type { ZooState } from '../store/zooStore';
import type { UserZooStore } from './userZoo';
import type { FromZooWorker, ToZooWorker } from './zooProtocol';

/** Steps between progress checkpoints kept in IndexedDB (a reload loses at most this many). */
export const CHECKPOINT_EVERY = 25;

/** What the controller uses of a WorkerClient (tests hand it a fake). */
export type BuildClient = Pick<
  WorkerClient<ToZooWorker, FromZooWorker>,
  'send' | 'sendIfRunning' | 'terminate'
>;

/** The listener and crash message of one build's client: all but the Worker itself. */
export type BuildClientHandlers = Omit<WorkerClientOptions<FromZooWorker>, 'create'>;

export interface BuildControllerOptions {
  store: StoreApi<ZooState>;
  /** The user zoo in IndexedDB (the page shares one connection; tests open fake-indexeddb). */
  zoo: () => Promise<UserZooStore>;
  /** A client for one build's Worker; the real one by default. */
  createClient?: (handlers: BuildClientHandlers) => BuildClient;
}

/** The real build Worker behind a WorkerClient (Vite bundles the worker from this expression). */
export const createZooWorkerClient = (handlers: BuildClientHandlers): BuildClient =>
  new WorkerClient<ToZooWorker, FromZooWorker>({
    ...handlers,
    create: () => new Worker(new URL('./zooWorker.ts', import.meta.url), { type: 'module' }),
  });

export class BuildController {
  /** The running build's client: a new one per build, so its messages carry that build's name. */
  private client: BuildClient | null = null;
  // IndexedDB writes happen in order: a 'stopped' or 'built' message is handled after the checkpoint before it.
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: BuildControllerOptions) {}

  /** Reads the families from IndexedDB into the store. */
  async refresh(): Promise<void> {
    try {
      this.set({ families: await (await this.options.zoo()).listFamilies(), loaded: true });
    } catch (err) {
      this.set({ error: err instanceof Error ? err.message : String(err), loaded: true });
    }
  }

  /** Records a new family and builds it; a spec with problems or a taken name only sets the error. */
  async start(spec: FamilySpec, backend: BackendChoice): Promise<void> {
    const problems = familySpecProblems(spec);
    if (problems.length) {
      this.set({ error: problems.join('; ') });
      return;
    }
    const store = await this.options.zoo();
    if (await store.getFamily(spec.name)) {
      this.set({ error: `a family named '${spec.name}' already exists; delete it or pick another name` });
      return;
    }
    await store.saveFamily({
      name: spec.name,
      spec,
      status: 'building',
      createdAt: Date.now(),
      step: 0,
      card: null,
      message: null,
      backend,
    });
    await this.launch(spec, backend, false);
  }

  /** Resumes on the engine chosen at the start; `backend` only for records that lack one. */
  async resume(name: string, backend: BackendChoice): Promise<void> {
    const record = await (await this.options.zoo()).getFamily(name);
    if (!record) return;
    await this.launch(record.spec, record.backend ?? backend, true);
  }

  pause(): void {
    const active = this.get().active;
    if (active?.phase !== 'training') return;
    this.send({ type: 'pause' });
    this.set({ active: { ...active, phase: 'paused' } });
  }

  unpause(): void {
    const active = this.get().active;
    if (active?.phase !== 'paused') return;
    this.send({ type: 'resume' });
    this.set({ active: { ...active, phase: 'training' } });
  }

  /** Asks the worker to stop; it saves a last checkpoint and posts 'stopped'. */
  stop(): void {
    this.send({ type: 'stop' });
  }

  /** Deletes a family (not the one building). */
  async remove(name: string): Promise<void> {
    if (this.get().active?.name === name) return;
    await (await this.options.zoo()).deleteFamily(name);
    await this.refresh();
  }

  /** Resolves once the writes queued so far are done (tests). */
  flush(): Promise<void> {
    return this.writes;
  }

  private get(): ZooState {
    return this.options.store.getState();
  }

  private set(patch: Partial<ZooState>): void {
    this.options.store.setState(patch);
  }

  private send(message: ToZooWorker): void {
    this.client?.sendIfRunning(message);
  }

  /** Closes the build's Worker (the build ended or failed). */
  private closeWorker(): void {
    this.client?.terminate();
    this.client = null;
  }

  private async launch(spec: FamilySpec, backend: BackendChoice, resume: boolean): Promise<void> {
    if (this.get().active) throw new Error('a family is already building; stop it first');
    const store = await this.options.zoo();
    const progress = resume ? await store.loadProgress(spec.name) : null;
    this.set({
      active: {
        name: spec.name,
        phase: 'starting',
        backend: null,
        notice: null,
        report: null,
        evalDone: 0,
        evalTotal: 0,
      },
      error: null,
    });
    const record = await store.getFamily(spec.name);
    if (record) await store.saveFamily({ ...record, status: 'building', message: null });
    await this.refresh();
    const createClient = this.options.createClient ?? createZooWorkerClient;
    this.client = createClient({
      onMessage: (message) => this.onMessage(spec.name, message),
      // A crash fails the build the way the worker's own 'error' message does.
      crashed: (why) => ({ type: 'error', message: `The zoo build worker crashed: ${why}` }),
    });
    this.client.send({ type: 'build', spec, backend, resume: progress, checkpointEvery: CHECKPOINT_EVERY });
  }

  private onMessage(name: string, message: FromZooWorker): void {
    const active = this.get().active;
    if (!active || active.name !== name) return;
    switch (message.type) {
      case 'ready':
        this.set({
          active: { ...active, phase: 'training', backend: message.backend, notice: message.notice },
        });
        break;
      case 'step':
        this.set({
          active: {
            ...active,
            phase: active.phase === 'paused' ? 'paused' : 'training',
            report: message.report,
          },
        });
        break;
      case 'checkpoint':
        this.write(async (store) => {
          await store.saveProgress(name, message.progress);
          await this.refresh();
        });
        break;
      case 'eval':
        this.set({
          active: { ...active, phase: 'evaluating', evalDone: message.done, evalTotal: message.total },
        });
        break;
      case 'stopped':
        this.write(async (store) => {
          const record = await store.getFamily(name);
          if (record)
            await store.saveFamily({
              ...record,
              status: 'paused',
              message: `stopped at step ${message.step}`,
            });
          await this.finish();
        });
        break;
      case 'built':
        this.set({ active: { ...active, phase: 'saving' } });
        this.write(async (store) => {
          await store.saveBuilt(name, message.files, message.card);
          await this.finish();
        });
        break;
      case 'error':
        this.write((store) => this.fail(store, name, message.message));
        break;
    }
  }

  /**
   * Queues an IndexedDB write after those before it. A failed write (quota, private mode) is shown and
   * does not stop the writes after it: the chain must not stay rejected.
   */
  private write(task: (store: UserZooStore) => Promise<void>): void {
    this.writes = this.writes
      .then(async () => task(await this.options.zoo()))
      .catch((err: unknown) =>
        this.set({
          error: `Saving the build in this browser failed (${err instanceof Error ? err.message : String(err)}); it continues unsaved.`,
        }),
      );
  }

  /** The build failed: the family is marked so, the error shown, its Worker closed. */
  private async fail(store: UserZooStore, name: string, message: string): Promise<void> {
    const record = await store.getFamily(name);
    if (record) await store.saveFamily({ ...record, status: 'error', message });
    this.set({ active: null, error: message });
    this.closeWorker();
    await this.refresh();
  }

  /** The build ended (stopped or built): release its worker and show the families as stored now. */
  private async finish(): Promise<void> {
    this.closeWorker();
    this.set({ active: null });
    await this.refresh();
  }
}
