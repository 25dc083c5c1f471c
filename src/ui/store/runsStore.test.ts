// Unit tests of the runs slice and the frame batcher: events fold into sorted series, replayed steps
// replace rather than duplicate, many events cost one store update per frame, and runs load back whole.
import { describe, expect, it } from 'vitest';
import {
  syntheticEvalMetrics,
  syntheticRunEvents,
  syntheticStepMetrics,
} from '../../experiment/syntheticRun';
import type { HostEvent, RunRecord } from '../runTypes';
import { createEventBatcher } from './eventBatcher';
import { createLabStore } from './labStore';
import { emptySeries, foldRunEvents } from './runsSlice';

function runRecord(id: string, createdAt = 1): RunRecord {
  return {
    id,
    name: id,
    createdAt,
    hash: '',
    config: {},
    seed: 1,
    sweepId: null,
    state: 'idle',
    message: null,
    totalSteps: 10,
    synthetic: true,
  };
}

describe('foldRunEvents', () => {
  it('appends steps and evals in step order and keeps only the latest samples', () => {
    const events = syntheticRunEvents(10, 7, { evalEvery: 5 });
    const { series, patch } = foldRunEvents(emptySeries(), events);
    expect(series.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(series.evals.map((e) => e.step)).toEqual([0, 5, 10]);
    expect(series.samples[0].step).toBe(9);
    expect(patch.state).toBe('finished');
  });

  it('replaces a replayed step and inserts a late one in order without touching the input', () => {
    const start = foldRunEvents(emptySeries(), [
      { type: 'step', metrics: syntheticStepMetrics(1) },
      { type: 'step', metrics: syntheticStepMetrics(3) },
    ]).series;
    const { series } = foldRunEvents(start, [
      { type: 'step', metrics: syntheticStepMetrics(3, { entropy: 0.1 }) },
      { type: 'step', metrics: syntheticStepMetrics(2) },
    ]);
    expect(series.steps.map((s) => [s.step, s.entropy])).toEqual([
      [1, 1],
      [2, 1],
      [3, 0.1],
    ]);
    expect(start.steps.map((s) => s.step)).toEqual([1, 3]);
  });

  it('turns an error event into an error state naming the step and the quantity', () => {
    const { patch } = foldRunEvents(emptySeries(), [
      { type: 'error', step: 4, message: 'loss became NaN', quantity: 'policy loss' },
    ]);
    expect(patch.state).toBe('error');
    expect(patch.message).toContain('Step 4');
    expect(patch.message).toContain('policy loss');
  });
});

describe('event batcher', () => {
  it('delivers a burst of events as one batch per frame, grouped by run', () => {
    const frames: (() => void)[] = [];
    const batches: Map<string, HostEvent[]>[] = [];
    const batcher = createEventBatcher(
      (b) => batches.push(b),
      (flush) => frames.push(flush),
    );
    for (let step = 1; step <= 200; step++)
      batcher.push('a', { type: 'step', metrics: syntheticStepMetrics(step) });
    batcher.push('b', { type: 'eval', metrics: syntheticEvalMetrics(0) });
    expect(frames).toHaveLength(1); // one frame requested for the whole burst
    expect(batches).toHaveLength(0);
    frames[0]();
    expect(batches).toHaveLength(1);
    expect(batches[0].get('a')).toHaveLength(200);
    expect(batches[0].get('b')).toHaveLength(1);
    batcher.push('a', { type: 'step', metrics: syntheticStepMetrics(201) });
    expect(frames).toHaveLength(2);
  });
});

describe('lab store', () => {
  it('updates the store once per batch, however many events it holds', () => {
    const store = createLabStore();
    store.getState().addRun(runRecord('a'));
    let updates = 0;
    const unsubscribe = store.subscribe(() => updates++);
    const batch = new Map([['a', syntheticRunEvents(50, 1)]]);
    store.getState().applyBatch(batch);
    unsubscribe();
    expect(updates).toBe(1);
    expect(store.getState().series.a.steps).toHaveLength(50);
    expect(store.getState().runs.a.state).toBe('finished');
  });

  it('ignores events for a run that was removed meanwhile', () => {
    const store = createLabStore();
    store.getState().addRun(runRecord('a'));
    store.getState().removeRun('a');
    store.getState().applyBatch(new Map([['a', syntheticRunEvents(3, 1)]]));
    expect(store.getState().series.a).toBeUndefined();
    expect(store.getState().activeRunId).toBeNull();
  });

  it('loads persisted runs oldest first and makes the newest active', () => {
    const store = createLabStore();
    store.getState().loadRuns([
      { run: runRecord('new', 20), steps: [syntheticStepMetrics(1)], evals: [], samples: [] },
      { run: runRecord('old', 10), steps: [], evals: [], samples: [] },
    ]);
    expect(store.getState().runOrder).toEqual(['old', 'new']);
    expect(store.getState().activeRunId).toBe('new');
    expect(store.getState().series.new.steps).toHaveLength(1);
  });

  it('refuses a bad control value with the reason and keeps the config', () => {
    const store = createLabStore();
    const before = store.getState().config.groupSize;
    expect(store.getState().setField('groupSize', 'abc')).toMatch(/not a number/);
    expect(store.getState().config.groupSize).toBe(before);
    expect(store.getState().setField('groupSize', '8')).toBeNull();
    expect(store.getState().config.groupSize).toBe(8);
  });
});
