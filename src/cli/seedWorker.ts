// One seed of a CLI sweep in a worker thread (see runSeedsInWorkers in runCommand.ts): builds its own
// host (engine, model files, datasets) and runs the seed exactly as a sequential sweep would, posting
// log lines, steps done and the outcome to the sweep.
import { parentPort, workerData } from 'node:worker_threads';
import { nodeRunResources } from './nodeHost';
import { runSeed, type SeedWorkerData, type SeedWorkerMessage } from './runCommand';

const data = workerData as SeedWorkerData;
const post = (message: SeedWorkerMessage) => parentPort?.postMessage(message);
const log = (line: string) => post({ type: 'log', line });

try {
  const host = nodeRunResources({ datasetFiles: data.datasetFiles, log, matmul: data.matmul });
  const outcome = await runSeed(data.config, data.seed, data.dir, host, log, {
    quiet: true,
    resume: data.resume,
    onStep: (stepsDone) => post({ type: 'step', stepsDone }),
    onResume: (stepsDone) => post({ type: 'resumed', stepsDone }),
  });
  post({ type: 'done', outcome });
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
