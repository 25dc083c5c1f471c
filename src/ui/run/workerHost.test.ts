// Unit tests of the worker-message translation: runner events pass through, checkpoints carry their
// step, set-up and backend news become notices, a lost device pauses, a failed set-up is an error.
import { describe, expect, it } from 'vitest';
import { syntheticStepMetrics } from '../../experiment/syntheticRun';
import { translate } from './workerHost';

describe('translate worker messages', () => {
  it('passes runner events through and gives checkpoints their step', () => {
    const metrics = syntheticStepMetrics(4);
    expect(translate({ type: 'event', runId: 'r', event: { type: 'step', metrics } })).toEqual([
      { type: 'step', metrics },
    ]);
    const checkpoint = {
      step: 5,
      params: new Float32Array(1),
      optimizer: { step: 5, m: new Float32Array(1), v: new Float32Array(1) },
      initialGreedy: null,
    };
    expect(translate({ type: 'event', runId: 'r', event: { type: 'checkpoint', checkpoint } })).toEqual([
      { type: 'checkpoint', step: 5, checkpoint },
    ]);
  });

  it('turns set-up, backend, device loss and fatal set-up into notices and errors', () => {
    expect(translate({ type: 'setup', runId: 'r', phase: 'labels', done: 3, total: 8 })[0]).toEqual({
      type: 'notice',
      message: 'Preparing: labels (3/8)…',
    });
    const ready = translate({
      type: 'ready',
      runId: 'r',
      backend: 'CPU engine',
      backendKind: 'cpu',
      trainingSetSize: 10,
      notice: 'Running on the CPU engine because WebGPU is not available (no adapter).',
    })[0];
    // The notice names the engine itself: the banner says it once, not "Running on X. Running on X…".
    expect(ready).toEqual({
      type: 'notice',
      message: 'Running on the CPU engine because WebGPU is not available (no adapter).',
    });
    const plain = translate({
      type: 'ready',
      runId: 'r',
      backend: 'WebGPU (NVIDIA H100)',
      backendKind: 'webgpu',
      trainingSetSize: 10,
      notice: null,
    })[0];
    expect(plain).toEqual({ type: 'notice', message: 'Running on WebGPU (NVIDIA H100).' });
    expect(translate({ type: 'device-lost', runId: 'r', message: 'lost' })[0]).toEqual({
      type: 'notice',
      message: 'lost',
      pause: true,
    });
    expect(translate({ type: 'fatal', runId: 'r', message: 'no model' })[0]).toMatchObject({
      type: 'error',
      step: -1,
      message: 'Could not start the run: no model',
    });
    expect(translate({ type: 'done', runId: 'r', result: 'finished' })).toEqual([]);
  });
});
