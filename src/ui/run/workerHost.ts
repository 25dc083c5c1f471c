// The real run host: training Web Workers (src/experiment/worker.ts) behind a WorkerClient each
// (experiment/workerClient.ts): one per run on the CPU engine, one for all the runs that compute on the
// GPU (they share its device).
// Translates the worker's messages into the UI's run events: set-up progress and backend notices
// become 'notice', a lost device pauses the run with its message, a failed set-up becomes an error.

import type { MatmulProbe } from '../../engine/webgpu/matmul';
import { type ExperimentConfig, ZOO_FAMILY_NAMES } from '../../experiment/config/schema';
import type { RunCheckpoint } from '../../experiment/runner';
import { serializeExperiment } from '../../experiment/url';
import { type TrainingWorkerClient, trainingWorkerClient } from '../../experiment/workerClient';
import type { FromWorker, ToWorker, UserModelFiles } from '../../experiment/workerProtocol';
import type { HostEvent } from '../runTypes';
import { loadBuiltModel } from '../zoo/userZoo';
import type { RunHost } from './runHost';

export interface WorkerHostOptions {
  /**
   * Whether an experiment computes on this browser's GPU. Its runs (the seeds of a sweep) then share one
   * Worker and one device, so the queue's per-step waits overlap instead of adding up; the others get a
   * Worker each, one per core, for the CPU engine. Without it every run gets its own Worker.
   */
  sharesDevice?: (config: ExperimentConfig) => boolean;
  /** Makes the client of one training Worker (tests pass a fake). */
  client?: (onMessage: (message: FromWorker) => void) => TrainingWorkerClient;
}

/** One training Worker and the starts it has not finished (by run; a restart can overlap its old start). */
interface Lane {
  client: TrainingWorkerClient;
  open: Map<string, number>;
  shared: boolean;
}

export function createWorkerHost(
  emit: (runId: string, event: HostEvent) => void,
  options: WorkerHostOptions = {},
): RunHost {
  const makeClient = options.client ?? trainingWorkerClient;
  /** Steps to run once set-up is done, for a run started with the "step" button. */
  const pendingSteps = new Map<string, number>();
  /** The Worker computing each run; a Worker is closed when it has no start left. */
  const lanes = new Map<string, Lane>();
  /** Every open Worker, with those only a run's replaced start still keeps open. */
  const openLanes = new Set<Lane>();
  let sharedLane: Lane | null = null;

  const newLane = (shared: boolean): Lane => {
    const lane: Lane = {
      open: new Map(),
      shared,
      client: makeClient((message) => {
        // A crash names no run: it ends every run of that Worker. Only the Worker now computing a run
        // speaks for it (one it left may still be closing its old start).
        const runIds = message.runId ? [message.runId] : [...lane.open.keys()];
        for (const runId of runIds)
          if (lanes.get(runId) === lane) for (const event of translate(message)) emit(runId, event);
        if (message.type === 'ready' && lanes.get(message.runId) === lane) {
          if (message.matmul) keepMatmulProbe(message.matmul);
          const steps = pendingSteps.get(message.runId);
          if (steps !== undefined) {
            pendingSteps.delete(message.runId);
            lane.client.sendIfRunning({ type: 'step', runId: message.runId, count: steps });
          }
        }
        if (message.type === 'done' || message.type === 'fatal') {
          for (const runId of runIds) finish(lane, runId, !message.runId);
        }
      }),
    };
    openLanes.add(lane);
    return lane;
  };
  /** One start of `runId` on `lane` has ended (all of them when the Worker crashed). */
  const finish = (lane: Lane, runId: string, all: boolean) => {
    const left = all ? 0 : (lane.open.get(runId) ?? 1) - 1;
    if (left > 0) lane.open.set(runId, left);
    else {
      lane.open.delete(runId);
      if (lanes.get(runId) === lane) lanes.delete(runId);
    }
    if (lane.open.size === 0) close(lane);
  };
  const close = (lane: Lane) => {
    lane.client.terminate();
    openLanes.delete(lane);
    for (const runId of lane.open.keys()) if (lanes.get(runId) === lane) lanes.delete(runId);
    if (sharedLane === lane) sharedLane = null;
  };
  const laneFor = (runId: string, config: ExperimentConfig): Lane => {
    const old = lanes.get(runId);
    if (options.sharesDevice?.(config)) {
      // A run that had a Worker of its own (the GPU was still being probed) leaves it.
      if (old && !old.shared) close(old);
      sharedLane ??= newLane(true);
      return sharedLane;
    }
    // A restart (a lost device) gets a fresh Worker; a run leaving the shared one is stopped there (its
    // 'done' still closes that start).
    if (old?.shared) old.client.sendIfRunning({ type: 'stop', runId });
    else if (old) close(old);
    return newLane(false);
  };
  const send = (runId: string, message: ToWorker) => lanes.get(runId)?.client.sendIfRunning(message);

  const host: RunHost = {
    real: true,
    start: ({ runId, config, checkpoint, maxSteps }) => {
      const lane = laneFor(runId, config);
      lane.open.set(runId, (lane.open.get(runId) ?? 0) + 1);
      lanes.set(runId, lane);
      if (maxSteps !== undefined) pendingSteps.set(runId, maxSteps);
      const message = {
        type: 'start' as const,
        runId,
        hash: serializeExperiment(config),
        seed: config.seed,
        baseUrl: location.href.split('#')[0],
        checkpoint: checkpoint as RunCheckpoint | undefined,
        paused: maxSteps !== undefined,
        shareDevice: lane.shared,
        // A CPU-engine run has no use for them (and its Worker then never loads the WebGPU code).
        matmulProbes: config.backend === 'cpu' ? undefined : keptMatmulProbes(),
      };
      if ((ZOO_FAMILY_NAMES as readonly string[]).includes(config.model)) {
        lane.client.send(message);
        return;
      }
      // Not a shipped family: a family built in this browser travels with the start message.
      void userModelFiles(config.model).then(
        (userModels) => lane.client.send({ ...message, userModels }),
        (err) => {
          // The Worker never got this start, so it will not end it: close it here.
          finish(lane, runId, false);
          emit(runId, {
            type: 'error',
            step: -1,
            message: `Could not read the built family: ${String(err)}`,
          });
        },
      );
    },
    pause: (runId) => send(runId, { type: 'pause', runId }),
    resume: (runId) => send(runId, { type: 'resume', runId }),
    step: (runId) => send(runId, { type: 'step', runId, count: 1 }),
    // The Worker posts 'done' once the runner has stopped; its Worker is closed when no run is left.
    stop: (runId) => send(runId, { type: 'stop', runId }),
    dispose: () => {
      for (const lane of openLanes) lane.client.terminate();
      openLanes.clear();
      lanes.clear();
      sharedLane = null;
    },
  };
  return host;
}

/** Where the page keeps its Workers' matmul probes, by adapter (a Worker has no localStorage). */
const MATMUL_PROBES_KEY = 'srl.page.matmul-probes';
/** This page's copy, which also serves where localStorage is missing or blocked (privacy mode). */
let keptProbes: Record<string, MatmulProbe> | null = null;

function probesKept(): Record<string, MatmulProbe> {
  if (!keptProbes) {
    try {
      keptProbes = JSON.parse(localStorage.getItem(MATMUL_PROBES_KEY) ?? '{}') as Record<string, MatmulProbe>;
    } catch {
      keptProbes = {}; // no localStorage, or a corrupt entry (replaced by the next probe)
    }
  }
  return keptProbes;
}

/** The probes kept so far, one per adapter, to hand to a Worker. */
export function keptMatmulProbes(): MatmulProbe[] {
  return Object.values(probesKept());
}

/**
 * Keeps the probe a Worker used on an adapter, for every later Worker (recallMatmulProbe): then every
 * run on that adapter computes with one matmul variant and a link replays the same run. Workers are
 * handed the kept probe and report it back; one that reports another variant did not accept it (a
 * variant an older build stored), and its fresh measurement replaces it.
 */
export function keepMatmulProbe(probe: MatmulProbe): void {
  const kept = probesKept();
  if (JSON.stringify(kept[probe.adapter]?.variant) === JSON.stringify(probe.variant)) return;
  kept[probe.adapter] = probe;
  try {
    localStorage.setItem(MATMUL_PROBES_KEY, JSON.stringify(kept));
  } catch {
    // Not saved for the next visit; this page still hands it to its Workers.
  }
}

/** Forgets this page's copy of the kept probes (tests). */
export function forgetKeptMatmulProbes(): void {
  keptProbes = null;
}

/** The built family's files for the worker, or none (the worker then reports the unknown model). */
async function userModelFiles(name: string): Promise<Record<string, UserModelFiles> | undefined> {
  const built = await loadBuiltModel(name);
  if (!built) return undefined;
  const { configJson, safetensorsBytes, tokenizerJson } = built.files;
  return { [name]: { configJson, safetensorsBytes, tokenizerJson } };
}

/** The UI events a worker message stands for (none for bookkeeping messages). */
export function translate(message: FromWorker): HostEvent[] {
  switch (message.type) {
    case 'event': {
      const event = message.event;
      if (event.type === 'checkpoint')
        return [{ type: 'checkpoint', step: event.checkpoint.step, checkpoint: event.checkpoint }];
      return [event];
    }
    case 'setup':
      return [{ type: 'notice', message: `Preparing: ${message.phase} (${message.done}/${message.total})…` }];
    case 'ready':
      // A backend notice already names the engine and says why it was chosen; prefixing "Running on
      // <engine>." made the banner say the same thing twice.
      return [{ type: 'notice', message: message.notice ?? `Running on ${message.backend}.` }];
    case 'device-lost':
      return [{ type: 'notice', message: message.message, pause: true }];
    case 'fatal':
      // step -1: nothing ran, so the message names the set-up rather than a step.
      return [{ type: 'error', step: -1, message: `Could not start the run: ${message.message}` }];
    case 'done':
      return [];
  }
}
