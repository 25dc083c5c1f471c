// The zoo builder's page-side state and controller: the user's families (from IndexedDB), the build in
// progress (progress, loss, tokens/s, ETA, phase) and the Web Worker that runs it. Every progress
// checkpoint the worker posts is written to IndexedDB before the next one, so a reload can resume.
// A store of its own beside labStore.ts: it owns the build worker (a WorkerClient, util/workerClient.ts,
// as each training run has one) and the family list, not run state.
import { create } from 'zustand';
import type { BackendChoice } from '../../engine/chooseBackend';
import { type FamilySpec, familySpecProblems, type StepReport } from '../../tasks/familyBuild';
import { WorkerClient } from '../../util/workerClient';
import { openUserZoo, type UserFamilyRecord, type UserZooStore } from '../zoo/userZoo';
import type { FromZooWorker, ToZooWorker } from '../zoo/zooProtocol';

export interface ActiveBuild {
  name: string;
  phase: 'starting' | 'training' | 'paused' | 'evaluating' | 'saving';
  backend: string | null;
  notice: string | null;
  report: StepReport | null;
  evalDone: number;
  evalTotal: number;
}

interface ZooState {
  families: UserFamilyRecord[];
  active: ActiveBuild | null;
  error: string | null;
  loaded: boolean;
  refresh: () => Promise<void>;
  startBuild: (spec: FamilySpec, backend: BackendChoice) => Promise<void>;
  /** Resumes on the engine chosen at the start; `backend` only for records that lack one. */
  resumeBuild: (name: string, backend: BackendChoice) => Promise<void>;
  pause: () => void;
  unpause: () => void;
  stop: () => void;
  remove: (name: string) => Promise<void>;
}

/** Steps between progress checkpoints kept in IndexedDB (a reload loses at most this many). */
export const CHECKPOINT_EVERY = 25;

let storePromise: Promise<UserZooStore> | null = null;
const zoo = () => {
  storePromise ??= openUserZoo();
  return storePromise;
};
/** The running build's Worker: a new client per build, so its messages carry that build's name. */
let client: WorkerClient<ToZooWorker, FromZooWorker> | null = null;
// IndexedDB writes happen in order: a 'stopped' or 'built' message is handled after the checkpoint before it.
let writes: Promise<void> = Promise.resolve();

function send(message: ToZooWorker): void {
  client?.sendIfRunning(message);
}

/** Closes the build's Worker (the build ended or failed). */
function closeWorker(): void {
  client?.terminate();
  client = null;
}

export const useZooStore = create<ZooState>((set, get) => {
  const fail = async (name: string, message: string) => {
    const store = await zoo();
    const record = await store.getFamily(name);
    if (record) await store.saveFamily({ ...record, status: 'error', message });
    set({ active: null, error: message });
    closeWorker();
    await get().refresh();
  };

  /** The build ended (stopped or built): release its worker and show the families as stored now. */
  const finish = async () => {
    closeWorker();
    set({ active: null });
    await get().refresh();
  };

  const onMessage = (name: string, message: FromZooWorker) => {
    const active = get().active;
    if (!active || active.name !== name) return;
    switch (message.type) {
      case 'ready':
        set({ active: { ...active, phase: 'training', backend: message.backend, notice: message.notice } });
        break;
      case 'step':
        set({
          active: {
            ...active,
            phase: active.phase === 'paused' ? 'paused' : 'training',
            report: message.report,
          },
        });
        break;
      case 'checkpoint':
        writes = writes.then(async () => {
          await (await zoo()).saveProgress(name, message.progress);
          await get().refresh();
        });
        break;
      case 'eval':
        set({ active: { ...active, phase: 'evaluating', evalDone: message.done, evalTotal: message.total } });
        break;
      case 'stopped':
        writes = writes.then(async () => {
          const store = await zoo();
          const record = await store.getFamily(name);
          if (record)
            await store.saveFamily({
              ...record,
              status: 'paused',
              message: `stopped at step ${message.step}`,
            });
          await finish();
        });
        break;
      case 'built':
        set({ active: { ...active, phase: 'saving' } });
        writes = writes.then(async () => {
          await (await zoo()).saveBuilt(name, message.files, message.card);
          await finish();
        });
        break;
      case 'error':
        writes = writes.then(() => fail(name, message.message));
        break;
    }
  };

  const launch = async (spec: FamilySpec, backend: BackendChoice, resume: boolean) => {
    if (get().active) throw new Error('a family is already building; stop it first');
    const store = await zoo();
    const progress = resume ? await store.loadProgress(spec.name) : null;
    set({
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
    await get().refresh();
    client = new WorkerClient<ToZooWorker, FromZooWorker>({
      create: () => new Worker(new URL('../zoo/zooWorker.ts', import.meta.url), { type: 'module' }),
      onMessage: (message) => onMessage(spec.name, message),
      // A crash fails the build the way the worker's own 'error' message does.
      crashed: (why) => ({ type: 'error', message: `The zoo build worker crashed: ${why}` }),
    });
    client.send({ type: 'build', spec, backend, resume: progress, checkpointEvery: CHECKPOINT_EVERY });
  };

  return {
    families: [],
    active: null,
    error: null,
    loaded: false,
    refresh: async () => {
      try {
        set({ families: await (await zoo()).listFamilies(), loaded: true });
      } catch (err) {
        set({ error: err instanceof Error ? err.message : String(err), loaded: true });
      }
    },
    startBuild: async (spec, backend) => {
      const problems = familySpecProblems(spec);
      if (problems.length) {
        set({ error: problems.join('; ') });
        return;
      }
      const store = await zoo();
      if (await store.getFamily(spec.name)) {
        set({ error: `a family named '${spec.name}' already exists; delete it or pick another name` });
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
      await launch(spec, backend, false);
    },
    resumeBuild: async (name, backend) => {
      const record = await (await zoo()).getFamily(name);
      if (!record) return;
      await launch(record.spec, record.backend ?? backend, true);
    },
    pause: () => {
      const active = get().active;
      if (active?.phase !== 'training') return;
      send({ type: 'pause' });
      set({ active: { ...active, phase: 'paused' } });
    },
    unpause: () => {
      const active = get().active;
      if (active?.phase !== 'paused') return;
      send({ type: 'resume' });
      set({ active: { ...active, phase: 'training' } });
    },
    stop: () => send({ type: 'stop' }),
    remove: async (name) => {
      if (get().active?.name === name) return;
      await (await zoo()).deleteFamily(name);
      await get().refresh();
    },
  };
});

/** A family left 'building' by a reload (no worker runs it now) shows as interrupted, resumable. */
export function displayStatus(record: UserFamilyRecord, active: ActiveBuild | null): string {
  if (active?.name === record.name) return active.phase;
  if (record.status === 'building') return 'interrupted';
  return record.status;
}

/** The built model's files and card, for the download buttons. */
export async function loadBuiltModel(name: string) {
  return (await zoo()).loadModel(name);
}
