// The training Web Worker: runs one experiment at a time off the main thread so the page never freezes.
// The page talks to it through src/experiment/workerClient.ts with the messages of workerProtocol.ts.
/// <reference lib="webworker" />
import type { Backend } from '../engine/backend';
import type { GpuContext } from '../engine/webgpu/device';
import { type AssembledRun, assembleRun } from './assemble';
import { browserRunResources } from './browserHost';
import { formatFieldError } from './config/display';
import { ExperimentRunner, type RunEvent } from './runner';
import { parseExperimentHash } from './url';
import type { FromWorker, ToWorker } from './workerProtocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let runner: ExperimentRunner | null = null;
let assembled: AssembledRun | null = null;

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
  try {
    const host = browserRunResources({
      baseUrl: message.baseUrl,
      datasets: message.datasets,
      userModels: message.userModels,
      onSetupProgress: (phase, done, total) => post({ type: 'setup', runId, phase, done, total }),
      onBackend: (backend, notice, gpu) => {
        chosen = { backend, notice, gpu };
      },
    });
    post({ type: 'setup', runId, phase: 'loading model', done: 0, total: 1 });
    assembled = await assembleRun(parsed.config, host, message.seed);
  } catch (err) {
    post({ type: 'fatal', runId, message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const current = assembled;
  const backendInfo = chosen as { backend: Backend; notice: string | null; gpu: GpuContext | null } | null;
  post({
    type: 'ready',
    runId,
    backend: current.backend.description,
    backendKind: current.backend.kind,
    trainingSetSize: current.trainingSetSize,
    notice: backendInfo?.notice ?? null,
  });
  const activeRunner = new ExperimentRunner(current.plan, current.parts, (event) => postEvent(runId, event));
  runner = activeRunner;
  backendInfo?.gpu?.lost.then((info) => {
    if (info.reason === 'destroyed' || runner !== activeRunner) return;
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
  current.policy.dispose();
  current.reference?.dispose();
  if (runner === activeRunner) runner = null;
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const message = e.data;
  switch (message.type) {
    case 'start':
      if (runner) runner.stop();
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
