// The training Web Worker: computes runs off the main thread so the page never freezes. The page talks
// to it through src/experiment/workerClient.ts with the messages of workerProtocol.ts. On the CPU
// engine the page gives each run a Worker of its own (one per core); on a GPU the seeds of a sweep can
// all compute here on one shared device, each with its own runner, buffers and random streams, so
// while one waits for a readback the others record and submit (as `lab run --jobs N` does in Node).
/// <reference lib="webworker" />
import type { WebGpuBackend } from '../engine/webgpu/backend';
import { acquireGpu, type GpuContext } from '../engine/webgpu/device';
import { type AssembledRun, assembleRun, releaseRun } from './assemble';
import { browserRunResources } from './browserHost';
import { formatFieldError } from './config/display';
import { ExperimentRunner, type RunEvent } from './runner';
import { parseExperimentHash } from './url';
import type { FromWorker, ToWorker } from './workerProtocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** The runs computing here, by run id. */
const runners = new Map<string, ExperimentRunner>();
/**
 * The current start of each run, by number: a start replaced (a restart) or stopped while it was setting
 * up ends without computing, and nothing a replaced start says reaches the page but its closing 'done'.
 */
const currentStart = new Map<string, number>();
let startsSoFar = 0;
/** The device runs started with shareDevice compute on; opened by the first, forgotten when lost. */
let sharedGpu: Promise<GpuContext> | null = null;

function openSharedGpu(): Promise<GpuContext> {
  if (!sharedGpu) {
    const opening = acquireGpu(typeof navigator === 'undefined' ? undefined : navigator.gpu);
    sharedGpu = opening;
    opening.then(
      (context) =>
        context.lost.then(() => {
          if (sharedGpu === opening) sharedGpu = null;
        }),
      () => {
        // A failed attempt is not kept: the next run tries again (and reports its own failure).
        if (sharedGpu === opening) sharedGpu = null;
      },
    );
  }
  return sharedGpu;
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function postEvent(runId: string, event: RunEvent): void {
  // Checkpoint arrays are copies made for this event: hand them over instead of cloning again.
  const transfer =
    event.type === 'checkpoint'
      ? [
          event.checkpoint.params.buffer,
          event.checkpoint.optimizer.m.buffer,
          event.checkpoint.optimizer.v.buffer,
        ]
      : [];
  post({ type: 'event', runId, event }, transfer as Transferable[]);
}

/**
 * Sets up and computes one start of a run. Every start ends with exactly one 'done' or 'fatal' (the
 * page counts them to know when a Worker has nothing left to compute), whatever throws.
 */
async function start(message: Extract<ToWorker, { type: 'start' }>, id: number): Promise<void> {
  const { runId } = message;
  const isCurrent = () => currentStart.get(runId) === id;
  let ending: FromWorker = { type: 'done', runId, result: 'stopped' };
  let current: AssembledRun | null = null;
  try {
    const parsed = parseExperimentHash(message.hash);
    if (parsed.errors.length) {
      throw new Error(`Invalid experiment: ${parsed.errors.map(formatFieldError).join('; ')}`);
    }
    let chosen: { notice: string | null; gpu: GpuContext | null } | null = null;
    const host = browserRunResources({
      baseUrl: message.baseUrl,
      datasets: message.datasets,
      userModels: message.userModels,
      onSetupProgress: (phase, done, total) => {
        if (isCurrent()) post({ type: 'setup', runId, phase, done, total });
      },
      sharedGpu: message.shareDevice ? openSharedGpu : undefined,
      onBackend: (_backend, notice, gpu) => {
        chosen = { notice, gpu };
      },
    });
    if (message.matmulProbes?.length) {
      // Sent only for runs that may compute on the GPU: a CPU-engine Worker never loads this code.
      const { recallMatmulProbe } = await import('../engine/webgpu/matmul');
      for (const probe of message.matmulProbes) recallMatmulProbe(probe);
    }
    post({ type: 'setup', runId, phase: 'loading model', done: 0, total: 1 });
    try {
      current = await assembleRun(parsed.config, host, message.seed);
    } catch (err) {
      // A replaced start's failure is not the run's: it just ends.
      if (isCurrent())
        ending = { type: 'fatal', runId, message: err instanceof Error ? err.message : String(err) };
      return;
    }
    if (!isCurrent()) return;
    const backendChosen = chosen as { notice: string | null; gpu: GpuContext | null } | null;
    post({
      type: 'ready',
      runId,
      backend: current.backend.description,
      backendKind: current.backend.kind,
      trainingSetSize: current.trainingSetSize,
      notice: backendChosen?.notice ?? null,
      matmul: current.backend.kind === 'webgpu' ? (current.backend as WebGpuBackend).probe : undefined,
    });
    const runner = new ExperimentRunner(current.plan, current.parts, (event) => {
      if (isCurrent()) postEvent(runId, event);
    });
    runners.set(runId, runner);
    // On a shared device a loss pauses every run computing on it, each with its own message. The
    // handler holds only the run's id and start number: the device's lost promise outlives the run.
    backendChosen?.gpu?.lost.then((info) => {
      const lostRunner = runners.get(runId);
      if (info.reason === 'destroyed' || currentStart.get(runId) !== id || !lostRunner) return;
      lostRunner.stop();
      post({
        type: 'device-lost',
        runId,
        message: `The GPU device was lost (${info.message || 'no reason given'}). The run is paused at its last checkpoint; press play to resume on a new device.`,
      });
    });
    if (message.checkpoint) await runner.restore(message.checkpoint);
    const result = runner.run();
    // Start in the paused state: the loop waits for resume/step.
    if (message.paused) runner.pause();
    ending = { type: 'done', runId, result: await result };
  } catch (err) {
    if (isCurrent())
      ending = { type: 'fatal', runId, message: err instanceof Error ? err.message : String(err) };
  } finally {
    // Only this run's buffers: a shared device goes on serving the other runs.
    if (current) releaseRun(current);
    if (isCurrent()) {
      runners.delete(runId);
      currentStart.delete(runId);
    }
    post(ending);
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const message = e.data;
  const runner = runners.get(message.runId);
  switch (message.type) {
    case 'start': {
      // A restart of the same run (after a lost device) replaces it; other runs go on. The new start
      // becomes current first, so what the old runner says as it stops is not posted.
      const id = ++startsSoFar;
      currentStart.set(message.runId, id);
      runner?.stop();
      runners.delete(message.runId);
      void start(message, id);
      break;
    }
    case 'pause':
      runner?.pause();
      break;
    case 'resume':
      runner?.resume();
      break;
    case 'step':
      runner?.stepWhilePaused(message.count);
      break;
    case 'stop':
      // A run still setting up has no runner yet: forgetting its start makes it end there.
      if (runner) runner.stop();
      else currentStart.delete(message.runId);
      break;
  }
};
