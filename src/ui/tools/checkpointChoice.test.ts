// Unit tests for the Tools tab's checkpoint list and error text: only settled, real runs are offered,
// newest first after the zoo; an error's cause chain (OrtError keeps ORT's own error there) is printed.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../experiment/persistence';
import { OrtError } from '../../onnx/ort-runner';
import { checkpointChoices, choiceKey, describeError } from './checkpointChoice';

function run(id: string, state: RunRecord['state'], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name: `run ${id}`,
    createdAt: 0,
    hash: 'v=1',
    config: { model: 'llama-tiny' },
    seed: 1,
    sweepId: null,
    state,
    message: null,
    totalSteps: 6,
    synthetic: false,
    ...extra,
  };
}

describe('checkpointChoices', () => {
  it('lists the zoo, then finished/paused/stopped real runs newest first', () => {
    const runs = [
      run('a', 'finished'),
      run('b', 'running'),
      run('c', 'paused'),
      run('d', 'error'),
      run('e', 'finished', { synthetic: true }),
      run('f', 'stopped'),
    ];
    expect(checkpointChoices(runs).map(choiceKey)).toEqual([
      'zoo:qwen-math-tiny',
      'zoo:llama-tiny',
      'zoo:olmo-sft-tiny',
      'run:f',
      'run:c',
      'run:a',
    ]);
    expect(checkpointChoices([run('a', 'finished')])[3]).toEqual({
      kind: 'run',
      runId: 'a',
      runName: 'run a',
      family: 'llama-tiny',
    });
  });
});

describe('describeError', () => {
  it('keeps the cause of an error the message does not already quote', () => {
    const error = new Error('verify failed', { cause: new RangeError('index 300 out of bounds') });
    expect(describeError(error)).toBe('verify failed — caused by: RangeError: index 300 out of bounds');
  });

  it('does not repeat an OrtError cause its message already includes', () => {
    const error = new OrtError('run', 'failed to run the model', new Error('Gather: index out of range'));
    expect(describeError(error)).toBe(
      'OrtError: ONNX Runtime failed to run the model: Gather: index out of range',
    );
  });

  it('prints non-Error throwables', () => {
    expect(describeError('plain text')).toBe('plain text');
  });
});
