// Unit tests of the worker host: the worker-message translation (runner events pass through,
// checkpoints carry their step, set-up and backend news become notices, a lost device pauses, a failed
// set-up is an error) and which Worker computes which run (a Worker each on the CPU engine, one shared
// Worker for the runs on the GPU, closed when its last run ends; a crash ends every run it computed).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EXPERIMENT } from '../../experiment/config/fields';
import type { ExperimentConfig } from '../../experiment/config/schema';
import { syntheticStepMetrics } from '../../experiment/syntheticRun';
import type { TrainingWorkerClient } from '../../experiment/workerClient';
import type { FromWorker, ToWorker } from '../../experiment/workerProtocol';
import type { HostEvent } from '../runTypes';
import { createWorkerHost, forgetKeptMatmulProbes, translate } from './workerHost';

/** A training Worker's client that records what it was sent and lets the test answer for the Worker. */
class FakeClient {
  sent: ToWorker[] = [];
  terminated = false;
  constructor(readonly reply: (message: FromWorker) => void) {}
  send(message: ToWorker) {
    this.sent.push(message);
  }
  sendIfRunning(message: ToWorker) {
    if (!this.terminated) this.sent.push(message);
  }
  terminate() {
    this.terminated = true;
  }
}

describe('which Worker computes a run', () => {
  let clients: FakeClient[];
  let events: [string, HostEvent][];
  const gpu = (config: ExperimentConfig) => config.backend === 'webgpu';
  const host = () =>
    createWorkerHost((runId, event) => events.push([runId, event]), {
      sharesDevice: gpu,
      client: (onMessage) => {
        const client = new FakeClient(onMessage);
        clients.push(client);
        return client as unknown as TrainingWorkerClient;
      },
    });
  const onGpu = { ...DEFAULT_EXPERIMENT, backend: 'webgpu' as const };
  const onCpu = { ...DEFAULT_EXPERIMENT, backend: 'cpu' as const };

  beforeEach(() => {
    clients = [];
    events = [];
    vi.stubGlobal('location', { href: 'http://lab.test/#v=1' });
    forgetKeptMatmulProbes();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('gives each CPU run a Worker of its own and every GPU run the one shared Worker', () => {
    const h = host();
    h.start({ runId: 'c1', config: onCpu });
    h.start({ runId: 'c2', config: onCpu });
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g2', config: { ...onGpu, seed: 2 } });
    expect(clients).toHaveLength(3);
    const [c1, c2, shared] = clients;
    expect(c1.sent.map((m) => m.type === 'start' && m.shareDevice)).toEqual([false]);
    expect(c2.sent).toHaveLength(1);
    expect(shared.sent.map((m) => m.type === 'start' && [m.runId, m.seed, m.shareDevice])).toEqual([
      ['g1', DEFAULT_EXPERIMENT.seed, true],
      ['g2', 2, true],
    ]);
    // Commands reach the Worker computing that run, naming it.
    h.pause('g2');
    h.step('c1');
    expect(shared.sent.at(-1)).toEqual({ type: 'pause', runId: 'g2' });
    expect(c1.sent.at(-1)).toEqual({ type: 'step', runId: 'c1', count: 1 });
  });

  it('closes the shared Worker only when its last run has ended', () => {
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g2', config: onGpu });
    const shared = clients[0];
    shared.reply({ type: 'done', runId: 'g1', result: 'finished' });
    expect(shared.terminated).toBe(false);
    h.stop('g2');
    expect(shared.sent.at(-1)).toEqual({ type: 'stop', runId: 'g2' });
    shared.reply({ type: 'done', runId: 'g2', result: 'stopped' });
    expect(shared.terminated).toBe(true);
    // The next GPU run opens a new shared Worker.
    h.start({ runId: 'g3', config: onGpu });
    expect(clients).toHaveLength(2);
  });

  it('keeps the shared Worker through a restart whose old start ends after the new one began', () => {
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g1', config: onGpu, checkpoint: { step: 2 } });
    const shared = clients[0];
    expect(clients).toHaveLength(1);
    shared.reply({ type: 'done', runId: 'g1', result: 'stopped' }); // the replaced start
    expect(shared.terminated).toBe(false);
    h.pause('g1');
    expect(shared.sent.at(-1)).toEqual({ type: 'pause', runId: 'g1' });
    shared.reply({ type: 'done', runId: 'g1', result: 'finished' });
    expect(shared.terminated).toBe(true);
  });

  it('sends the pending steps of a run started with "step" to that run once it is ready', () => {
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g2', config: onGpu, maxSteps: 1 });
    const shared = clients[0];
    shared.reply({
      type: 'ready',
      runId: 'g2',
      backend: 'WebGPU',
      backendKind: 'webgpu',
      trainingSetSize: 4,
      notice: null,
    });
    expect(shared.sent.at(-1)).toEqual({ type: 'step', runId: 'g2', count: 1 });
    expect(events).toEqual([['g2', { type: 'notice', message: 'Running on WebGPU.' }]]);
  });

  it('hands every later GPU Worker the matmul probe a Worker reported for its adapter', () => {
    const items = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => items.set(key, value),
    });
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    const first = clients[0];
    expect(first.sent[0]).toMatchObject({ type: 'start', matmulProbes: [] });
    const tiled = { kind: 'tiled' as const, wgX: 16, wgY: 16 };
    const probe = { variant: tiled, msPerRun: { tiled: 1 }, adapter: 'gpu a' };
    const ready = { type: 'ready' as const, runId: 'g1', backend: 'WebGPU', backendKind: 'webgpu' as const };
    first.reply({ ...ready, trainingSetSize: 4, notice: null, matmul: probe });
    // The same variant reported again (a Worker handed the kept probe) changes nothing.
    first.reply({ ...ready, trainingSetSize: 4, notice: null, matmul: { ...probe, msPerRun: { tiled: 9 } } });
    h.start({ runId: 'g2', config: { ...onGpu, seed: 2 } });
    expect(first.sent.at(-1)).toMatchObject({ type: 'start', runId: 'g2', matmulProbes: [probe] });
    // Kept for the next visit too; a CPU-engine Worker is not handed any.
    forgetKeptMatmulProbes();
    h.start({ runId: 'c1', config: onCpu });
    expect(clients[1].sent[0]).toMatchObject({ type: 'start', matmulProbes: undefined });
    h.start({ runId: 'g3', config: onGpu });
    expect(first.sent.at(-1)).toMatchObject({ runId: 'g3', matmulProbes: [probe] });
    // Another variant reported for the adapter means the kept one was refused (an older build's):
    // the fresh measurement replaces it.
    const other = { variant: { ...tiled, kind: 'vec4' as const }, msPerRun: {}, adapter: 'gpu a' };
    first.reply({ ...ready, runId: 'g3', trainingSetSize: 4, notice: null, matmul: other });
    h.start({ runId: 'g4', config: onGpu });
    expect(first.sent.at(-1)).toMatchObject({ runId: 'g4', matmulProbes: [other] });
  });

  it('stops a run leaving the shared Worker there, and hears only its new Worker for it', () => {
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g2', config: onGpu });
    const shared = clients[0];
    // g1 restarts on the CPU engine (e.g. the GPU was lost): stopped on the shared Worker, a Worker of
    // its own now.
    h.start({ runId: 'g1', config: onCpu });
    expect(shared.sent.at(-1)).toEqual({ type: 'stop', runId: 'g1' });
    const own = clients[1];
    expect(own.sent[0]).toMatchObject({ type: 'start', runId: 'g1' });
    shared.reply({ type: 'event', runId: 'g1', event: { type: 'status', status: 'stopped' } as never });
    shared.reply({ type: 'done', runId: 'g1', result: 'stopped' });
    expect(events).toEqual([]);
    expect(shared.terminated).toBe(false); // g2 still computes there
    h.pause('g1');
    expect(own.sent.at(-1)).toEqual({ type: 'pause', runId: 'g1' });
    shared.reply({ type: 'done', runId: 'g2', result: 'finished' });
    expect(shared.terminated).toBe(true);
    expect(own.terminated).toBe(false);
  });

  it('closes the start of a built family whose files cannot be read (the Worker never got it)', async () => {
    const h = host();
    h.start({ runId: 'g1', config: { ...onGpu, model: 'built-here' } });
    // No IndexedDB in Node: reading the built family fails.
    await vi.waitFor(() => expect(events.map(([, e]) => e.type)).toEqual(['error']));
    expect(events[0][1]).toMatchObject({ message: expect.stringMatching(/Could not read the built family/) });
    expect(clients[0].terminated).toBe(true);
  });

  it('terminates every Worker on dispose, one a moved run still keeps open included', () => {
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g1', config: onCpu });
    h.dispose();
    expect(clients.map((c) => c.terminated)).toEqual([true, true]);
  });

  it('ends every run of a shared Worker that crashed, and only those', () => {
    const h = host();
    h.start({ runId: 'g1', config: onGpu });
    h.start({ runId: 'g2', config: onGpu });
    h.start({ runId: 'c1', config: onCpu });
    const [shared, own] = clients;
    shared.reply({ type: 'fatal', runId: '', message: 'The training worker crashed: out of memory' });
    expect(events.map(([runId, event]) => [runId, event.type])).toEqual([
      ['g1', 'error'],
      ['g2', 'error'],
    ]);
    expect(shared.terminated).toBe(true);
    expect(own.terminated).toBe(false);
  });
});

describe('translate worker messages', () => {
  it('passes runner events through and gives checkpoints their step', () => {
    const metrics = syntheticStepMetrics(4);
    expect(translate({ type: 'event', runId: 'r', event: { type: 'step', metrics } })).toEqual([
      { type: 'step', metrics },
    ]);
    const checkpoint = {
      step: 5,
      params: new Float32Array(1),
      optimizer: { step: 5, m: new Float32Array(1), v: new Float32Array(1) },
      initialGreedy: null,
    };
    expect(translate({ type: 'event', runId: 'r', event: { type: 'checkpoint', checkpoint } })).toEqual([
      { type: 'checkpoint', step: 5, checkpoint },
    ]);
  });

  it('turns set-up, backend, device loss and fatal set-up into notices and errors', () => {
    expect(translate({ type: 'setup', runId: 'r', phase: 'labels', done: 3, total: 8 })[0]).toEqual({
      type: 'notice',
      message: 'Preparing: labels (3/8)…',
    });
    const ready = translate({
      type: 'ready',
      runId: 'r',
      backend: 'CPU engine',
      backendKind: 'cpu',
      trainingSetSize: 10,
      notice: 'Running on the CPU engine because WebGPU is not available (no adapter).',
    })[0];
    // The notice names the engine itself: the banner says it once, not "Running on X. Running on X…".
    expect(ready).toEqual({
      type: 'notice',
      message: 'Running on the CPU engine because WebGPU is not available (no adapter).',
    });
    const plain = translate({
      type: 'ready',
      runId: 'r',
      backend: 'WebGPU (NVIDIA H100)',
      backendKind: 'webgpu',
      trainingSetSize: 10,
      notice: null,
    })[0];
    expect(plain).toEqual({ type: 'notice', message: 'Running on WebGPU (NVIDIA H100).' });
    expect(translate({ type: 'device-lost', runId: 'r', message: 'lost' })[0]).toEqual({
      type: 'notice',
      message: 'lost',
      pause: true,
    });
    expect(translate({ type: 'fatal', runId: 'r', message: 'no model' })[0]).toMatchObject({
      type: 'error',
      step: -1,
      message: 'Could not start the run: no model',
    });
    expect(translate({ type: 'done', runId: 'r', result: 'finished' })).toEqual([]);
  });
});
