// The page side of one Web Worker that runs a long job (a training run, a zoo build), typed by the
// messages each way. It starts the Worker on the first message that needs one, hands every message it
// posts back to one listener, turns a crash into the job's own failure message (so the listener has one
// path for every way a job ends), and closes the Worker on request. The caller creates the Worker: Vite
// bundles a worker only where `new Worker(new URL('./file.ts', import.meta.url))` is written out.

export interface WorkerClientOptions<From> {
  /** Starts the Worker (called lazily, and again after a crash or terminate()). */
  create: () => Worker;
  onMessage: (message: From) => void;
  /** The message a crash stands for, given the error's text. */
  crashed: (why: string) => From;
}

export class WorkerClient<To, From> {
  private worker: Worker | null = null;

  constructor(private readonly options: WorkerClientOptions<From>) {}

  /** Posts a message, starting the Worker first if none runs (a job's start message). */
  send(message: To): void {
    this.ensureWorker().postMessage(message);
  }

  /** Posts a message only to a running Worker: pause, step or stop mean nothing to a fresh one. */
  sendIfRunning(message: To): void {
    this.worker?.postMessage(message);
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private ensureWorker(): Worker {
    if (!this.worker) {
      const worker = this.options.create();
      worker.onmessage = (e: MessageEvent<From>) => this.options.onMessage(e.data);
      worker.onerror = (e) => {
        this.options.onMessage(this.options.crashed(e.message));
        // The listener may already have terminated it; a crashed Worker is not reused either way.
        if (this.worker === worker) this.worker = null;
      };
      this.worker = worker;
    }
    return this.worker;
  }
}
