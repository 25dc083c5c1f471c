// The page side of the training Worker (worker.ts): the generic WorkerClient (util/workerClient.ts) typed
// by this protocol. A crash becomes a 'fatal' message without a run id; the run host knows which runs
// each client serves (one, or every run on a shared GPU device).
import { WorkerClient } from '../util/workerClient';
import type { FromWorker, ToWorker } from './workerProtocol';

export type TrainingWorkerClient = WorkerClient<ToWorker, FromWorker>;

/** A client whose Worker starts with the first message; every message it posts goes to `onMessage`. */
export function trainingWorkerClient(onMessage: (message: FromWorker) => void): TrainingWorkerClient {
  return new WorkerClient<ToWorker, FromWorker>({
    create: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
    onMessage,
    crashed: (why) => ({ type: 'fatal', runId: '', message: `The training worker crashed: ${why}` }),
  });
}
