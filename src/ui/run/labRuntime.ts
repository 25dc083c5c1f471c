// The page's single run controller and its wiring: the real training Worker (the synthetic host only in
// the dev server on request, flagged and labelled), IndexedDB persistence, and the
// restore-on-load that brings back the runs list and charts after a reload; and the zoo builder's
// controller beside it. What the UI reads of them (the controllers, persistence problems) is published
// in ui/store/runtimeStore.ts.
import { openRunStore, type RunStore } from '../../experiment/persistence';
import { computesOnGpu, useGpuStore } from '../store/gpuStore';
import { useLabStore } from '../store/labStore';
import { type LabRuntime, useRuntimeStore } from '../store/runtimeStore';
import { restoreAndSaveView } from '../store/viewPrefs';
import { seedsAtOnce } from '../store/viewSlice';
import { useZooStore } from '../store/zooStore';
import { BuildController } from '../zoo/buildController';
import { pageUserZoo } from '../zoo/userZoo';
import { RunController } from './runController';
import type { RunHostFactory } from './runHost';
import { createSyntheticHost } from './syntheticHost';
import { createWorkerHost } from './workerHost';

const publish = (next: Partial<LabRuntime>) => useRuntimeStore.setState(next);

/**
 * The real training Worker, except in the dev server with `?synthetic` in the query: then the
 * synthetic demo host (flagged and labelled) lets the UI be exercised without a model.
 */
function chooseHostFactory(): RunHostFactory {
  const wantsSynthetic = import.meta.env.DEV && new URLSearchParams(location.search).has('synthetic');
  // An experiment that computes on the GPU (by the rule, on the adapter the page found) has its seeds
  // share one Worker and device; while the GPU is still being looked for, or was lost, runs get a
  // Worker each (each then finds its own device, if any).
  return wantsSynthetic
    ? createSyntheticHost
    : (emit) =>
        createWorkerHost(emit, {
          sharesDevice: (config) => computesOnGpu(useGpuStore.getState().status, config.backend),
        });
}

/** Creates the build controller, opens IndexedDB, restores saved runs, creates the run controller. Idempotent. */
let started: Promise<void> | null = null;
export function startLabRuntime(): Promise<void> {
  started ??= (async () => {
    // The builder needs nothing restored (its families are read when shown): published at once.
    publish({ buildController: new BuildController({ store: useZooStore, zoo: pageUserZoo }) });
    let persistence: RunStore | null = null;
    try {
      persistence = await openRunStore();
      await restoreRuns(persistence);
    } catch (err) {
      publish({
        persistenceProblem: `Runs will not be saved across reloads: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    try {
      restoreAndSaveView(useLabStore, localStorage);
    } catch {
      // No localStorage (privacy mode): the view is just not remembered.
    }
    // Runs are routed by the GPU probe's answer: before it, a GPU run would get a Worker, a device and
    // a matmul measurement of its own instead of sharing the sweep's.
    await gpuAnswered(GPU_PROBE_WAIT_MS);
    const hostFactory = chooseHostFactory();
    const controller = new RunController({
      store: useLabStore,
      hostFactory,
      persistence,
      onPersistenceError: (message) => publish({ persistenceProblem: message }),
      // The experiment on screen decides where 'auto' counts: cores on the CPU engine, one device on a GPU.
      parallel: () => {
        const { parallelSeeds, config } = useLabStore.getState();
        const onGpu = computesOnGpu(useGpuStore.getState().status, config.backend);
        return seedsAtOnce(parallelSeeds, navigator.hardwareConcurrency, onGpu);
      },
    });
    publish({ controller, unavailableReason: null });
  })();
  return started;
}

/** The longest the controller waits for the GPU probe (a browser whose adapter request hangs). */
const GPU_PROBE_WAIT_MS = 5000;

/** Resolves once the page's GPU probe has answered (ready, unavailable, lost), or after `ms`. */
function gpuAnswered(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (useGpuStore.getState().status.state !== 'probing') return resolve();
    const timer = setTimeout(done, ms);
    const unsubscribe = useGpuStore.subscribe((s) => {
      if (s.status.state !== 'probing') done();
    });
    function done() {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
  });
}

/** Loads every saved run; runs that were computing when the page went away come back paused. */
async function restoreRuns(persistence: RunStore): Promise<void> {
  const records = await persistence.listRuns();
  const data = (await Promise.all(records.map((r) => persistence.loadRun(r.id)))).filter((d) => d !== null);
  for (const d of data) {
    // 'idle' = still setting up when the page went away; both resume (or restart) on play.
    if (d.run.state === 'running' || d.run.state === 'idle') {
      d.run = {
        ...d.run,
        state: 'paused',
        message:
          'Interrupted by a reload: press play to resume (from its last checkpoint, or from the start if none was saved).',
      };
      await persistence.saveRun(d.run);
    }
  }
  useLabStore.getState().loadRuns(data);
}
