// The page side of the training Worker: starts runs, forwards pause/resume/step/stop, and hands every
// message to one listener (the UI store batches them per animation frame).
import type { FromWorker, ToWorker } from './workerProtocol';

export class RunWorkerClient {
  private worker: Worker | null = null;

  constructor(private readonly onMessage: (message: FromWorker) => void) {}

  private ensureWorker(): Worker {
    if (!this.worker) {
      this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onMessage(e.data);
      this.worker.onerror = (e) => {
        this.onMessage({ type: 'fatal', runId: '', message: `The training worker crashed: ${e.message}` });
        this.worker = null;
      };
    }
    return this.worker;
  }

  send(message: ToWorker): void {
    this.ensureWorker().postMessage(message);
  }

  start(message: Extract<ToWorker, { type: 'start' }>): void {
    this.send(message);
  }

  pause(): void {
    this.worker?.postMessage({ type: 'pause' } satisfies ToWorker);
  }

  resume(): void {
    this.worker?.postMessage({ type: 'resume' } satisfies ToWorker);
  }

  step(count = 1): void {
    this.worker?.postMessage({ type: 'step', count } satisfies ToWorker);
  }

  stop(): void {
    this.worker?.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
