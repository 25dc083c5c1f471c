// The training Web Worker: computes runs off the main thread so the page never freezes. The page talks
// to it through src/experiment/workerClient.ts with the messages of workerProtocol.ts. On the CPU
// engine the page gives each run a Worker of its own (one per core); on a GPU the seeds of a sweep can
// all compute here on one shared device, each with its own runner, buffers and random streams, so
// while one waits for a readback the others record and submit (as `lab run --jobs N` does in Node).
/// <reference lib="webworker" />
import type { Backend } from '../engine/backend';
import type { WebGpuBackend } from '../engine/webgpu/backend';
import { acquireGpu, type GpuContext } from '../engine/webgpu/device';
import { type AssembledRun, assembleRun } from './assemble';
import { browserRunResources } from './browserHost';
import { formatFieldError } from './config/display';
import { ExperimentRunner, type RunEvent } from './runner';
import { parseExperimentHash } from './url';
import type { FromWorker, ToWorker } from './workerProtocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** The runs computing here, by run id. */
const runners = new Map<string, ExperimentRunner>();
/** The latest start message of each run: a start superseded while it was setting up is dropped. */
const latestStart = new Map<string, ToWorker>();
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

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { runId } = message;
  const parsed = parseExperimentHash(message.hash);
  if (parsed.errors.length) {
    post({
      type: 'fatal',
      runId,
      message: `Invalid experiment: ${parsed.errors.map(formatFieldError).join('; ')}`,
    });
    return;
  }
  let chosen: { backend: Backend; notice: string | null; gpu: GpuContext | null } | null = null;
  let current: AssembledRun;
  try {
    const host = browserRunResources({
      baseUrl: message.baseUrl,
      datasets: message.datasets,
      userModels: message.userModels,
      onSetupProgress: (phase, done, total) => post({ type: 'setup', runId, phase, done, total }),
      sharedGpu: message.shareDevice ? openSharedGpu : undefined,
      onBackend: (backend, notice, gpu) => {
        chosen = { backend, notice, gpu };
      },
    });
    if (message.matmulProbes?.length) {
      // Loaded only when a GPU run came before: a CPU-only page never needs the WebGPU engine's code.
      const { recallMatmulProbe } = await import('../engine/webgpu/matmul');
      for (const probe of message.matmulProbes) recallMatmulProbe(probe);
    }
    post({ type: 'setup', runId, phase: 'loading model', done: 0, total: 1 });
    current = await assembleRun(parsed.config, host, message.seed);
  } catch (err) {
    post({ type: 'fatal', runId, message: err instanceof Error ? err.message : String(err) });
    return;
  }
  if (latestStart.get(runId) !== message) {
    // Restarted while setting up: the newer start computes the run. Every start ends with one 'done'
    // or 'fatal', which the page counts to know when a Worker has nothing left to compute.
    current.policy.dispose();
    current.reference?.dispose();
    post({ type: 'done', runId, result: 'stopped' });
    return;
  }
  const backendInfo = chosen as { backend: Backend; notice: string | null; gpu: GpuContext | null } | null;
  post({
    type: 'ready',
    runId,
    backend: current.backend.description,
    backendKind: current.backend.kind,
    trainingSetSize: current.trainingSetSize,
    notice: backendInfo?.notice ?? null,
    matmul: current.backend.kind === 'webgpu' ? (current.backend as WebGpuBackend).probe : undefined,
  });
  const activeRunner = new ExperimentRunner(current.plan, current.parts, (event) => postEvent(runId, event));
  runners.set(runId, activeRunner);
  // On a shared device a loss pauses every run computing on it, each with its own message.
  backendInfo?.gpu?.lost.then((info) => {
    if (info.reason === 'destroyed' || runners.get(runId) !== activeRunner) return;
    activeRunner.stop();
    post({
      type: 'device-lost',
      runId,
      message: `The GPU device was lost (${info.message || 'no reason given'}). The run is paused at its last checkpoint; press play to resume on a new device.`,
    });
  });
  if (message.checkpoint) await activeRunner.restore(message.checkpoint);
  if (message.paused) {
    // Start in the paused state: the loop waits for resume/step.
    const result = activeRunner.run();
    activeRunner.pause();
    post({ type: 'done', runId, result: await result });
  } else {
    post({ type: 'done', runId, result: await activeRunner.run() });
  }
  // Only this run's buffers: a shared device goes on serving the other runs.
  current.policy.dispose();
  current.reference?.dispose();
  if (runners.get(runId) === activeRunner) {
    runners.delete(runId);
    latestStart.delete(runId);
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const message = e.data;
  const runner = runners.get(message.runId);
  switch (message.type) {
    case 'start':
      // A restart of the same run (after a lost device) replaces it; other runs go on.
      if (runner) {
        runner.stop();
        runners.delete(message.runId);
      }
      latestStart.set(message.runId, message);
      void start(message);
      break;
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
      runner?.stop();
      break;
  }
};
