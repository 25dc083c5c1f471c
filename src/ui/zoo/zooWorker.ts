// The zoo builder's Web Worker: pretrains and measures one user family off the main thread (a build
// runs for minutes, and the page must stay responsive). It only computes; the page keeps what it posts
// (progress checkpoints, the built model) in IndexedDB through userZoo.ts.
/// <reference lib="webworker" />
import { createBrowserBackend } from '../../experiment/browserHost';
import { buildFamily } from '../../tasks/familyBuild';
import type { FromZooWorker, ToZooWorker } from './zooProtocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let building = false;
let stopRequested = false;
let paused = false;
let wake: (() => void) | null = null;

// The CPU engine's steps are promise chains that never give the event loop a turn, so pause and stop
// messages would only arrive after the build. One macrotask per step lets them in (a MessageChannel
// round trip, which unlike setTimeout(0) is not clamped to 4 ms).
const channel = new MessageChannel();
const yieldQueue: (() => void)[] = [];
channel.port1.onmessage = () => yieldQueue.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    yieldQueue.push(resolve);
    channel.port2.postMessage(null);
  });
}

function post(message: FromZooWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function build(message: Extract<ToZooWorker, { type: 'build' }>): Promise<void> {
  building = true;
  stopRequested = false;
  paused = false;
  try {
    const { backend, notice } = await createBrowserBackend(
      message.backend,
      typeof navigator === 'undefined' ? undefined : navigator.gpu,
    );
    post({ type: 'ready', backend: backend.description, backendKind: backend.kind, notice });
    const result = await buildFamily(message.spec, backend, message.resume, {
      checkpointEvery: message.checkpointEvery,
      shouldStop: () => stopRequested,
      waitWhilePaused: async () => {
        await yieldToEvents();
        if (paused && !stopRequested) await new Promise<void>((resolve) => (wake = resolve));
      },
      onStep: (report) => post({ type: 'step', report }),
      onEvalProgress: (done, total) => post({ type: 'eval', done, total }),
      onCheckpoint: (progress) => post({ type: 'checkpoint', progress }),
    });
    if (result.kind === 'stopped') post({ type: 'stopped', step: result.progress.step });
    else
      post({ type: 'built', files: result.files, card: result.card }, [result.files.safetensorsBytes.buffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    building = false;
  }
}

scope.onmessage = (e: MessageEvent<ToZooWorker>) => {
  const message = e.data;
  switch (message.type) {
    case 'build':
      if (building) post({ type: 'error', message: 'a build is already running in this worker' });
      else void build(message);
      break;
    case 'pause':
      paused = true;
      break;
    case 'resume':
      paused = false;
      wake?.();
      wake = null;
      break;
    case 'stop':
      stopRequested = true;
      paused = false;
      wake?.();
      wake = null;
      break;
  }
};
