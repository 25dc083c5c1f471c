// Unit tests of the run controller with the synthetic host, a hand-cranked frame scheduler and
// fake-indexeddb: play makes runs (one per seed), events reach the store and IndexedDB, a "reload"
// (a fresh store and controller on the same database) restores the runs, and pause stops the stream.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultExperiment } from '../../experiment/config/fields';
import { openRunStore } from '../../experiment/persistence';
import { createLabStore } from '../store/labStore';
import { RunController, type RunControllerOptions } from './runController';
import type { RunHostFactory, StartRequest } from './runHost';
import { createSyntheticHost } from './syntheticHost';

type LabStore = ReturnType<typeof createLabStore>;

/**
 * A controller over the synthetic host, without IndexedDB, flushing events on a microtask instead of an
 * animation frame; `options` replaces any of that (a database, another host, a store made beforehand).
 */
function makeController(options: Partial<Omit<RunControllerOptions, 'store'>> & { store?: LabStore } = {}) {
  const store = options.store ?? createLabStore();
  const controller = new RunController({
    hostFactory: createSyntheticHost,
    persistence: null,
    schedule: (flush) => queueMicrotask(flush),
    ...options,
    store,
  });
  return { store, controller };
}

/** The synthetic host, recording every start request (as `edit` changes it) before it starts the run. */
function recordingHost(starts: StartRequest[], edit = (request: StartRequest) => request): RunHostFactory {
  return (emit) => {
    const host = createSyntheticHost(emit);
    return {
      ...host,
      start: (request) => {
        starts.push(request);
        host.start(edit(request));
      },
    };
  };
}

/** Only the host's interval timer is faked: fake-indexeddb needs the real setTimeout/setImmediate. */
function fakeIntervals() {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(() => vi.useRealTimers());
}

describe('RunController with the synthetic host', () => {
  fakeIntervals();

  it('runs a seed sweep to the end, persists every run, and a reload restores them', async () => {
    const factory = new IDBFactory();
    const db = await openRunStore(factory, 'controller');
    let clock = 1000;
    const { store, controller } = makeController({ persistence: db, now: () => clock++ });
    const config = { ...defaultExperiment(), steps: 6, evalEvery: 3, seeds: 2, seed: 5 };
    await controller.play(config);
    await vi.advanceTimersByTimeAsync(5000);
    await controller.flush();

    const state = store.getState();
    expect(state.runOrder).toHaveLength(2);
    const [first, second] = state.runOrder.map((id) => state.runs[id]);
    expect(first.sweepId).not.toBeNull();
    expect(second.sweepId).toBe(first.sweepId);
    expect([first.seed, second.seed]).toEqual([5, 6]);
    expect(first.synthetic).toBe(true);
    expect(first.name).toMatch(/^synthetic demo/);
    expect(first.state).toBe('finished');
    expect(second.state).toBe('finished');
    expect(state.series[second.id].steps).toHaveLength(6);

    // "Reload": a new store fed from the same database.
    db.close();
    const reopened = await openRunStore(factory, 'controller');
    const runs = await reopened.listRuns();
    expect(runs.map((r) => r.id)).toEqual(state.runOrder);
    const restored = await Promise.all(runs.map((r) => reopened.loadRun(r.id)));
    const fresh = createLabStore();
    fresh.getState().loadRuns(restored.filter((r) => r !== null));
    expect(fresh.getState().series[second.id].steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fresh.getState().series[second.id].evals.map((e) => e.step)).toEqual([0, 3, 6]);
    expect(fresh.getState().runs[second.id].state).toBe('finished');
    controller.dispose();
  });

  it('pause stops the event stream and play resumes the same run', async () => {
    const { store, controller } = makeController();
    const config = { ...defaultExperiment(), steps: 50, seeds: 1 };
    store.getState().loadConfig(config);
    await controller.play(config);
    await vi.advanceTimersByTimeAsync(500);
    controller.pause();
    await vi.advanceTimersByTimeAsync(50);
    const runId = store.getState().activeRunId!;
    const stepsAtPause = store.getState().series[runId].steps.length;
    expect(store.getState().runs[runId].state).toBe('paused');
    expect(stepsAtPause).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.getState().series[runId].steps.length).toBe(stepsAtPause);
    await controller.play(config);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getState().activeRunId).toBe(runId);
    expect(store.getState().series[runId].steps.length).toBeGreaterThan(stepsAtPause);
    controller.dispose();
  });

  it('step runs exactly one step, then the run is paused', async () => {
    const { store, controller } = makeController();
    controller.step({ ...defaultExperiment(), steps: 20, seeds: 1 });
    await vi.advanceTimersByTimeAsync(2000);
    const runId = store.getState().activeRunId!;
    expect(store.getState().series[runId].steps).toHaveLength(1);
    expect(store.getState().runs[runId].state).toBe('paused');
    controller.step(defaultExperiment());
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.getState().series[runId].steps).toHaveLength(2);
    controller.dispose();
  });
});

describe('RunController after a reload', () => {
  fakeIntervals();

  it('play resumes the interrupted run (same id) instead of starting a new one', async () => {
    const factory = new IDBFactory();
    const db = await openRunStore(factory, 'resume');
    const { store, controller: first } = makeController({ persistence: db });
    await first.play({ ...defaultExperiment(), steps: 40, seeds: 1 });
    await vi.advanceTimersByTimeAsync(600);
    await first.flush();
    const runId = store.getState().activeRunId!;
    await db.saveCheckpoint(runId, 3, { step: 3 });
    first.dispose(); // the page goes away mid-run

    // The restored page: the run comes back as paused (labRuntime marks interrupted runs so).
    const restored = (await db.loadRun(runId))!;
    const fresh = createLabStore();
    // The reloaded page's address bar still holds the run's experiment.
    const config = { ...defaultExperiment(), steps: 40, seeds: 1 };
    fresh.getState().loadConfig(config);
    fresh.getState().loadRuns([{ ...restored, run: { ...restored.run, state: 'paused' } }]);
    const starts: StartRequest[] = [];
    const { controller: second } = makeController({
      store: fresh,
      hostFactory: recordingHost(starts),
      persistence: db,
    });
    await second.play(config);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ runId, checkpoint: { step: 3 } });
    expect(fresh.getState().runs[runId].message).toMatch(/checkpoint at step 3/);
    expect(fresh.getState().runOrder).toEqual([runId]);
    second.dispose();
  });
});

describe('RunController comparisons', () => {
  fakeIntervals();

  it('queues every config (sweeps included) one after another and ticks them all for comparison', async () => {
    const { store, controller } = makeController();
    const base = { ...defaultExperiment(), steps: 3, evalEvery: 3 };
    controller.startComparison([
      { config: { ...base, reward: 'random', seeds: 2 }, name: 'Random' },
      { config: { ...base, reward: 'format', seeds: 1 }, name: 'Format' },
    ]);
    const state = store.getState();
    expect(state.runOrder).toHaveLength(3);
    expect(state.comparedRunIds).toEqual(state.runOrder);
    const [r1, r2, f] = state.runOrder.map((id) => state.runs[id]);
    expect(r1.sweepId).not.toBeNull();
    expect(r2.sweepId).toBe(r1.sweepId);
    expect(f.sweepId).toBeNull();
    expect(f.name).toContain('Format');
    // Only the first runs now; the rest wait their turn and then all finish.
    expect(state.runs[state.runOrder[1]].state).toBe('idle');
    await vi.advanceTimersByTimeAsync(5000);
    expect(store.getState().runOrder.map((id) => store.getState().runs[id].state)).toEqual([
      'finished',
      'finished',
      'finished',
    ]);
    controller.dispose();
  });
});

describe('RunController while a run is setting up', () => {
  it('ignores a second play or step until the host reports the run', async () => {
    const starts: string[] = [];
    const { store, controller } = makeController({
      // A host that never answers: the run stays in set-up.
      hostFactory: () => ({
        real: true,
        start: (request) => starts.push(request.runId),
        pause: () => {},
        resume: () => {},
        step: () => {},
        stop: () => {},
        dispose: () => {},
      }),
    });
    const config = { ...defaultExperiment(), seeds: 1 };
    await controller.play(config);
    await controller.play(config);
    controller.step(config);
    expect(starts).toHaveLength(1);
    expect(store.getState().runOrder).toHaveLength(1);
  });
});

describe('RunController: one experiment on screen, every order of presses', () => {
  fakeIntervals();

  const play = (s: ReturnType<typeof makeController>) => s.controller.play(s.store.getState().config);

  it('loading another experiment during a run stops it (kept in the list) and clears the charts; Play runs the new one', async () => {
    const s = makeController();
    s.store.getState().loadConfig({ ...defaultExperiment(), steps: 50 });
    await play(s);
    await vi.advanceTimersByTimeAsync(300);
    const first = s.store.getState().activeRunId!;
    // A preset or a shared link: another experiment in the editor and the URL.
    s.store.getState().loadConfig({ ...defaultExperiment(), model: 'llama-tiny', reward: 'ground_truth' });
    expect(s.store.getState().activeRunId).toBeNull();
    expect(s.store.getState().runs[first].state).toBe('stopped');
    await play(s);
    const second = s.store.getState().activeRunId!;
    expect(second).not.toBe(first);
    expect((s.store.getState().runs[second].config as { model: string }).model).toBe('llama-tiny');
    expect(s.store.getState().runOrder).toHaveLength(2);
    s.controller.dispose();
  });

  it('a page opened on a link does not show a restored run of another experiment', () => {
    const store = createLabStore();
    store.getState().loadRuns([
      {
        run: {
          id: 'old',
          name: 'old',
          createdAt: 1,
          hash: '',
          config: { ...defaultExperiment(), model: 'qwen-math-tiny', reward: 'random' },
          seed: 1,
          sweepId: null,
          state: 'paused',
          message: null,
          totalSteps: 60,
          synthetic: false,
        },
        steps: [],
        evals: [],
        samples: [],
      },
    ]);
    store.getState().setActiveRun('old');
    store.getState().loadConfig({ ...defaultExperiment(), model: 'llama-tiny', reward: 'ground_truth' });
    const controller = new RunController({ store, hostFactory: createSyntheticHost, persistence: null });
    expect(store.getState().activeRunId).toBeNull();
    expect(store.getState().runs.old.state).toBe('paused');
    // Choosing it in the runs list brings its experiment into the editor.
    store.getState().setActiveRun('old');
    expect(store.getState().config.model).toBe('qwen-math-tiny');
    expect(store.getState().config.reward).toBe('random');
    controller.dispose();
  });

  it('Step then Play at once: the run goes on after its first step', async () => {
    const s = makeController();
    s.controller.step(s.store.getState().config);
    await play(s);
    await vi.advanceTimersByTimeAsync(1500);
    const runId = s.store.getState().activeRunId!;
    expect(s.store.getState().series[runId].steps.length).toBeGreaterThan(1);
    expect(s.store.getState().runs[runId].state).toBe('running');
    s.controller.dispose();
  });

  it('Play then Pause before the run has started: it pauses as soon as it starts', async () => {
    const s = makeController();
    // The second press comes before the host has answered (two quick Space presses).
    const started = play(s);
    expect(s.controller.starting).toBe(true);
    s.controller.pause();
    await started;
    await vi.advanceTimersByTimeAsync(1500);
    const runId = s.store.getState().activeRunId!;
    expect(s.store.getState().runs[runId].state).toBe('paused');
    const steps = s.store.getState().series[runId].steps.length;
    await vi.advanceTimersByTimeAsync(1500);
    expect(s.store.getState().series[runId].steps.length).toBe(steps);
    s.controller.dispose();
  });

  it('Play after a finished run makes a new run with a distinct name; Reset records the stop at once', async () => {
    const s = makeController();
    s.store.getState().loadConfig({ ...defaultExperiment(), steps: 2, evalEvery: 0 });
    await play(s);
    await vi.advanceTimersByTimeAsync(2000);
    const first = s.store.getState().activeRunId!;
    expect(s.store.getState().runs[first].state).toBe('finished');
    await play(s);
    const second = s.store.getState().activeRunId!;
    expect(second).not.toBe(first);
    expect(s.store.getState().runs[second].name).toBe(
      s.store.getState().runs[first].name.replace(' · seed 1', ' #2 · seed 1'),
    );
    s.controller.reset();
    expect(s.store.getState().runs[second].state).toBe('stopped');
    s.controller.dispose();
  });
});

describe('RunController: sweeps in parallel, and a sweep interrupted by a reload', () => {
  fakeIntervals();

  const stepsOf = (store: LabStore) =>
    store.getState().runOrder.map((id) => store.getState().series[id].steps.map((s) => s.rewardMean));

  it('computes up to parallel() seeds at once, with the same per-seed metrics as one at a time', async () => {
    const sweep = async (parallel: number) => {
      const { store, controller } = makeController({ parallel: () => parallel });
      const config = { ...defaultExperiment(), steps: 5, evalEvery: 0, seeds: 4, seed: 3 };
      store.getState().loadConfig(config);
      await controller.play(config);
      let most = 0;
      for (let t = 0; t < 60; t++) {
        await vi.advanceTimersByTimeAsync(120);
        const states = Object.values(store.getState().runs).map((r) => r.state);
        most = Math.max(most, states.filter((s) => s === 'running').length);
      }
      const states = store.getState().runOrder.map((id) => store.getState().runs[id].state);
      controller.dispose();
      return { most, states, steps: stepsOf(store) };
    };
    const one = await sweep(1);
    const two = await sweep(2);
    expect(one.most).toBe(1);
    expect(two.most).toBe(2);
    expect(two.states).toEqual(['finished', 'finished', 'finished', 'finished']);
    expect(two.steps).toEqual(one.steps);
    expect(two.steps.every((s) => s.length === 5)).toBe(true);
  });

  it('pause holds every seed and the queue; play resumes them and the sweep completes', async () => {
    const { store, controller } = makeController({ parallel: () => 2 });
    const config = { ...defaultExperiment(), steps: 6, evalEvery: 0, seeds: 3 };
    store.getState().loadConfig(config);
    await controller.play(config);
    await vi.advanceTimersByTimeAsync(300);
    controller.pause();
    await vi.advanceTimersByTimeAsync(50);
    const states = () => store.getState().runOrder.map((id) => store.getState().runs[id].state);
    expect(states()).toEqual(['paused', 'paused', 'idle']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(states()).toEqual(['paused', 'paused', 'idle']);
    await controller.play(config);
    await vi.advanceTimersByTimeAsync(5000);
    expect(states()).toEqual(['finished', 'finished', 'finished']);
    controller.dispose();
  });

  it('after a reload, play resumes every unfinished seed of the sweep and starts the ones never started', async () => {
    const factory = new IDBFactory();
    const db = await openRunStore(factory, 'sweep-reload');
    const config = { ...defaultExperiment(), steps: 40, evalEvery: 0, seeds: 3, seed: 7 };
    const { store, controller: first } = makeController({ persistence: db });
    store.getState().loadConfig(config);
    await first.play(config);
    await vi.advanceTimersByTimeAsync(600);
    await first.flush();
    const ids = store.getState().runOrder;
    await db.saveCheckpoint(ids[0], 3, { step: 3 });
    first.dispose(); // the page goes away while seed 7 runs; seeds 8 and 9 never started

    // The reloaded page, as labRuntime restores it: every run that was running or waiting is paused.
    const fresh = createLabStore();
    fresh.getState().loadConfig(config);
    const restored = await Promise.all(ids.map((id) => db.loadRun(id)));
    fresh.getState().loadRuns(restored.map((d) => ({ ...d!, run: { ...d!.run, state: 'paused' as const } })));
    fresh.getState().setActiveRun(ids[0]);
    const starts: StartRequest[] = [];
    const { controller: second } = makeController({
      store: fresh,
      // Seeds run 4 steps here, so the sweep finishes quickly.
      hostFactory: recordingHost(starts, (request) => ({
        ...request,
        config: { ...request.config, steps: 4 },
      })),
      persistence: db,
      parallel: () => 2,
    });
    await second.play(config);
    await vi.advanceTimersByTimeAsync(5000);
    // Seed 7 from its checkpoint, seeds 8 and 9 from the start (no checkpoint): all three, no new runs.
    expect(starts.map((s) => s.runId)).toEqual(ids);
    expect(starts[0].checkpoint).toEqual({ step: 3 });
    expect(starts[1].checkpoint).toBeUndefined();
    expect(fresh.getState().runOrder).toEqual(ids);
    expect(ids.map((id) => fresh.getState().runs[id].state)).toEqual(['finished', 'finished', 'finished']);
    second.dispose();
  });
});

describe('RunController saving while several seeds compute', () => {
  fakeIntervals();

  it('batches that arrive during a slow write go out together, and nothing is lost', async () => {
    const db = await openRunStore(new IDBFactory(), 'slow-writes');
    // A database that takes a while per write (a busy machine): each call waits on a gate we open.
    let appendCalls = 0;
    const gates: (() => void)[] = [];
    const slow = new Proxy(db, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (key === 'appendSteps') appendCalls++;
          await new Promise<void>((open) => gates.push(open));
          return value.apply(target, args);
        };
      },
    });
    const { store, controller } = makeController({ persistence: slow, parallel: () => 2 });
    const config = { ...defaultExperiment(), steps: 8, evalEvery: 0, seeds: 2 };
    store.getState().loadConfig(config);
    await controller.play(config);
    // Both seeds run to the end while the first write is still waiting.
    await vi.advanceTimersByTimeAsync(3000);
    const ids = store.getState().runOrder;
    expect(ids.map((id) => store.getState().runs[id].state)).toEqual(['finished', 'finished']);
    // Open the gates until every write is through.
    let done = false;
    const drained = controller.flush().then(() => {
      done = true;
    });
    while (!done) {
      for (const open of gates.splice(0)) open();
      await new Promise((r) => setTimeout(r, 1));
    }
    await drained;
    // 16 step events in many frames, written in a few calls: one per run once the first write is out.
    expect(appendCalls).toBeLessThanOrEqual(3);
    for (const id of ids) {
      const saved = (await db.loadRun(id))!;
      expect(saved.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(saved.run.state).toBe('finished');
    }
    controller.dispose();
  });
});
