// The real run host: training Web Workers (src/experiment/worker.ts) behind a WorkerClient each
// (experiment/workerClient.ts), one per run.
// Translates the worker's messages into the UI's run events: set-up progress and backend notices
// become 'notice', a lost device pauses the run with its message, a failed set-up becomes an error.
import { ZOO_FAMILY_NAMES } from '../../experiment/config/schema';
import type { RunCheckpoint } from '../../experiment/runner';
import { serializeExperiment } from '../../experiment/url';
import { type TrainingWorkerClient, trainingWorkerClient } from '../../experiment/workerClient';
import type { FromWorker, UserModelFiles } from '../../experiment/workerProtocol';
import type { HostEvent } from '../runTypes';
import { loadBuiltModel } from '../zoo/userZoo';
import type { RunHost, RunHostFactory } from './runHost';

export const createWorkerHost: RunHostFactory = (emit) => {
  /** Steps to run once set-up is done, for a run started with the "step" button. */
  const pendingSteps = new Map<string, number>();
  /**
   * One training Worker per run being computed, so the seeds of a sweep run side by side on separate
   * cores; a Worker is closed when its run ends. A crash is reported without a run id: each client
   * knows its own run.
   */
  const clients = new Map<string, TrainingWorkerClient>();
  const clientFor = (runId: string): TrainingWorkerClient => {
    const existing = clients.get(runId);
    if (existing) return existing;
    const client = trainingWorkerClient((message) => {
      for (const event of translate(message)) emit(message.runId || runId, event);
      if (message.type === 'ready') {
        const steps = pendingSteps.get(runId);
        if (steps !== undefined) {
          pendingSteps.delete(runId);
          client.sendIfRunning({ type: 'step', count: steps });
        }
      }
      if (message.type === 'done' || message.type === 'fatal') close(runId, client);
    });
    clients.set(runId, client);
    return client;
  };
  const close = (runId: string, client: TrainingWorkerClient) => {
    client.terminate();
    if (clients.get(runId) === client) clients.delete(runId);
  };
  const host: RunHost = {
    real: true,
    start: ({ runId, config, checkpoint, maxSteps }) => {
      // A restart (a lost device) gets a fresh Worker.
      const old = clients.get(runId);
      if (old) close(runId, old);
      const client = clientFor(runId);
      if (maxSteps !== undefined) pendingSteps.set(runId, maxSteps);
      const message = {
        type: 'start' as const,
        runId,
        hash: serializeExperiment(config),
        seed: config.seed,
        baseUrl: location.href.split('#')[0],
        checkpoint: checkpoint as RunCheckpoint | undefined,
        paused: maxSteps !== undefined,
      };
      if ((ZOO_FAMILY_NAMES as readonly string[]).includes(config.model)) {
        client.send(message);
        return;
      }
      // Not a shipped family: a family built in this browser travels with the start message.
      void userModelFiles(config.model).then(
        (userModels) => client.send({ ...message, userModels }),
        (err) =>
          emit(runId, {
            type: 'error',
            step: -1,
            message: `Could not read the built family: ${String(err)}`,
          }),
      );
    },
    pause: (runId) => clients.get(runId)?.sendIfRunning({ type: 'pause' }),
    resume: (runId) => clients.get(runId)?.sendIfRunning({ type: 'resume' }),
    step: (runId) => clients.get(runId)?.sendIfRunning({ type: 'step', count: 1 }),
    // The Worker posts 'done' once the runner has stopped, and is closed then.
    stop: (runId) => clients.get(runId)?.sendIfRunning({ type: 'stop' }),
    dispose: () => {
      for (const client of clients.values()) client.terminate();
      clients.clear();
    },
  };
  return host;
};

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
