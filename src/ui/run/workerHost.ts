// The real run host: the lead's training Web Worker (src/experiment/worker.ts) behind RunWorkerClient.
// Translates the worker's messages into the UI's run events: set-up progress and backend notices
// become 'notice', a lost device pauses the run with its message, a failed set-up becomes an error.
import { ZOO_FAMILY_NAMES } from '../../experiment/config/schema';
import type { RunCheckpoint } from '../../experiment/runner';
import { serializeExperiment } from '../../experiment/url';
import { RunWorkerClient } from '../../experiment/workerClient';
import type { FromWorker, UserModelFiles } from '../../experiment/workerProtocol';
import type { HostEvent } from '../runTypes';
import { loadBuiltModel } from '../zoo/zooStore';
import type { RunHost, RunHostFactory } from './runHost';

export const createWorkerHost: RunHostFactory = (emit) => {
  /** Steps to run once set-up is done, for a run started with the "step" button. */
  const pendingSteps = new Map<string, number>();
  /** The run the worker is computing: a worker crash is reported without a run id and belongs to it. */
  let currentRunId = '';
  const client = new RunWorkerClient((message) => {
    for (const event of translate(message)) emit(message.runId || currentRunId, event);
    if (message.type === 'ready') {
      const steps = pendingSteps.get(message.runId);
      if (steps !== undefined) {
        pendingSteps.delete(message.runId);
        client.step(steps);
      }
    }
  });
  const host: RunHost = {
    real: true,
    start: ({ runId, config, checkpoint, maxSteps }) => {
      currentRunId = runId;
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
        client.start(message);
        return;
      }
      // Not a shipped family: a family built in this browser travels with the start message.
      void userModelFiles(config.model).then(
        (userModels) => client.start({ ...message, userModels }),
        (err) =>
          emit(runId, {
            type: 'error',
            step: -1,
            message: `Could not read the built family: ${String(err)}`,
          }),
      );
    },
    pause: () => client.pause(),
    resume: () => client.resume(),
    step: () => client.step(1),
    stop: () => client.stop(),
    dispose: () => client.terminate(),
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
      return [
        {
          type: 'notice',
          message: `Running on ${message.backend}.${message.notice ? ` ${message.notice}` : ''}`,
        },
      ];
    case 'device-lost':
      return [{ type: 'notice', message: message.message, pause: true }];
    case 'fatal':
      // step -1: nothing ran, so the message names the set-up rather than a step.
      return [{ type: 'error', step: -1, message: `Could not start the run: ${message.message}` }];
    case 'done':
      return [];
  }
}
