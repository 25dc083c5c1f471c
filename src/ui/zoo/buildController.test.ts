// Unit tests of the zoo build controller with a fake worker client and fake-indexeddb: the worker's
// messages become the store's build state, a progress checkpoint is in IndexedDB before the next one is
// written (and before the stop is recorded), a resume starts from it, and a crash is an error.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { CheckpointFiles } from '../../model/checkpoint';
import type { ZooCard } from '../../tasks/zoo';
import { createZooStore } from '../store/zooStore';
import {
  type BuildClient,
  type BuildClientHandlers,
  BuildController,
  CHECKPOINT_EVERY,
} from './buildController';
import { openUserZoo } from './userZoo';
import { testBuildProgress, testFamilySpec } from './zooFixtures';
import type { FromZooWorker, ToZooWorker } from './zooProtocol';

/** Stands in for the Worker's client: records what the page sends, and posts or crashes on demand. */
class FakeClient implements BuildClient {
  readonly sent: ToZooWorker[] = [];
  running = false;
  constructor(private readonly handlers: BuildClientHandlers) {}
  send(message: ToZooWorker): void {
    this.running = true;
    this.sent.push(message);
  }
  sendIfRunning(message: ToZooWorker): void {
    if (this.running) this.sent.push(message);
  }
  terminate(): void {
    this.running = false;
  }
  post(message: FromZooWorker): void {
    this.handlers.onMessage(message);
  }
  crash(why: string): void {
    this.handlers.onMessage(this.handlers.crashed(why));
  }
}

let dbCount = 0;

/** A controller on a fresh store and database, with the fake clients it has made. */
async function setup() {
  const zoo = await openUserZoo(indexedDB, `build-controller-test-${dbCount++}`);
  const store = createZooStore();
  const clients: FakeClient[] = [];
  const controller = new BuildController({
    store,
    zoo: async () => zoo,
    createClient: (handlers) => {
      const client = new FakeClient(handlers);
      clients.push(client);
      return client;
    },
  });
  return { zoo, store, controller, clients };
}

const spec = { ...testFamilySpec, steps: 60 };

const progress = (step: number) => testBuildProgress(step, 60);

const report = (step: number) => ({ step, totalSteps: 60, lossEma: 2, tokensPerSecond: 1000, etaSeconds: 5 });

describe('BuildController', () => {
  it('turns the worker messages into build state and keeps the built family', async () => {
    const { zoo, store, controller, clients } = await setup();
    await controller.start(spec, 'cpu');
    const [client] = clients;
    expect(client.sent).toEqual([
      { type: 'build', spec, backend: 'cpu', resume: null, checkpointEvery: CHECKPOINT_EVERY },
    ]);
    expect(store.getState().active?.phase).toBe('starting');
    expect(store.getState().families.map((f) => [f.name, f.status])).toEqual([['my-family', 'building']]);

    client.post({ type: 'ready', backend: 'cpu engine', backendKind: 'cpu', notice: 'no WebGPU here' });
    expect(store.getState().active).toMatchObject({
      phase: 'training',
      backend: 'cpu engine',
      notice: 'no WebGPU here',
    });
    client.post({ type: 'step', report: report(3) });
    expect(store.getState().active?.report?.step).toBe(3);

    // Pause reaches the worker; a step already on its way does not undo it.
    controller.pause();
    expect(client.sent.at(-1)).toEqual({ type: 'pause' });
    client.post({ type: 'step', report: report(4) });
    expect(store.getState().active).toMatchObject({ phase: 'paused', report: { step: 4 } });
    controller.unpause();
    expect(client.sent.at(-1)).toEqual({ type: 'resume' });
    expect(store.getState().active?.phase).toBe('training');

    client.post({ type: 'eval', done: 2, total: 5 });
    expect(store.getState().active).toMatchObject({ phase: 'evaluating', evalDone: 2, evalTotal: 5 });
    const card = { name: 'my-family', training: { steps: 60 } } as unknown as ZooCard;
    client.post({ type: 'built', files: { configJson: '{}' } as unknown as CheckpointFiles, card });
    expect(store.getState().active?.phase).toBe('saving');
    await controller.flush();

    expect(store.getState().active).toBeNull();
    expect(client.running).toBe(false);
    expect(store.getState().families.map((f) => [f.status, f.step, f.card])).toEqual([['built', 60, card]]);
    expect((await zoo.loadModel('my-family'))?.card).toEqual(card);
  });

  it('writes a checkpoint before the next one, records the stop after them, and resumes from the last', async () => {
    const log: string[] = [];
    let release = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { zoo, store, controller, clients } = await setup();
    const save = zoo.saveProgress.bind(zoo);
    zoo.saveProgress = async (name, p) => {
      log.push(`start ${p.step}`);
      if (p.step === 25) await firstHeld;
      await save(name, p);
      log.push(`saved ${p.step}`);
    };
    await controller.start(spec, 'cpu');
    const client = clients[0];
    client.post({ type: 'ready', backend: 'cpu', backendKind: 'cpu', notice: null });
    client.post({ type: 'checkpoint', progress: progress(25) });
    client.post({ type: 'checkpoint', progress: progress(50) });
    controller.stop();
    expect(client.sent.at(-1)).toEqual({ type: 'stop' });
    client.post({ type: 'stopped', step: 50 });

    await vi.waitFor(() => expect(log).toEqual(['start 25']));
    // The first write is held: neither the next checkpoint nor the stop may overtake it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['start 25']);
    expect(store.getState().active?.name).toBe('my-family');
    release();
    await controller.flush();
    expect(log).toEqual(['start 25', 'saved 25', 'start 50', 'saved 50']);
    expect(store.getState().active).toBeNull();
    expect(store.getState().families.map((f) => [f.status, f.step, f.message])).toEqual([
      ['paused', 50, 'stopped at step 50'],
    ]);

    // Resume on the engine chosen at the start, from the latest checkpoint, in a new client.
    await controller.resume('my-family', 'webgpu');
    const resumed = clients[1].sent[0];
    expect(resumed).toMatchObject({ type: 'build', backend: 'cpu' });
    expect(resumed.type === 'build' && resumed.resume?.step).toBe(50);
    expect((await zoo.getFamily('my-family'))?.status).toBe('building');
  });

  it('turns a worker crash into an error in the store and on the family', async () => {
    const { zoo, store, controller, clients } = await setup();
    await controller.start(spec, 'cpu');
    const client = clients[0];
    client.post({ type: 'ready', backend: 'cpu', backendKind: 'cpu', notice: null });
    client.crash('out of memory');
    await controller.flush();

    const message = 'The zoo build worker crashed: out of memory';
    expect(store.getState()).toMatchObject({ active: null, error: message });
    expect(client.running).toBe(false);
    expect(await zoo.getFamily('my-family')).toMatchObject({ status: 'error', message });
    // A message from the crashed build no longer reaches the store.
    client.post({ type: 'step', report: report(9) });
    expect(store.getState().active).toBeNull();
  });

  it('refuses a spec with problems or a taken name without starting a worker', async () => {
    const { zoo, store, controller, clients } = await setup();
    await controller.start({ ...spec, name: 'X' }, 'cpu');
    expect(store.getState().error).toMatch(/name must be/);
    await zoo.saveFamily({
      name: spec.name,
      spec,
      status: 'built',
      createdAt: 1,
      step: 60,
      card: null,
      message: null,
    });
    await controller.start(spec, 'cpu');
    expect(store.getState().error).toMatch(/already exists/);
    expect(clients).toHaveLength(0);
  });

  it('a failed write is shown and the writes after it still happen', async () => {
    const { zoo, store, controller, clients } = await setup();
    const save = zoo.saveProgress.bind(zoo);
    let failNext = true;
    zoo.saveProgress = async (name, p) => {
      if (failNext) {
        failNext = false;
        throw new Error('QuotaExceededError');
      }
      await save(name, p);
    };
    await controller.start(spec, 'cpu');
    const client = clients[0];
    client.post({ type: 'ready', backend: 'cpu', backendKind: 'cpu', notice: null });
    client.post({ type: 'checkpoint', progress: progress(25) });
    client.post({ type: 'checkpoint', progress: progress(50) });
    await controller.flush();
    expect(store.getState().error).toMatch(/Saving the build in this browser failed \(QuotaExceededError\)/);
    expect((await zoo.loadProgress('my-family'))?.step).toBe(50);
    expect((await zoo.getFamily('my-family'))?.step).toBe(50);
  });
});
