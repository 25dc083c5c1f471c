// Unit tests of the IndexedDB run store against fake-indexeddb: a run written step by step reads back
// whole and sorted, survives closing and reopening the database (a page reload), and deletes cleanly.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { openRunStore, type RunRecord } from './persistence';
import { syntheticEvalMetrics, syntheticSampleGroups, syntheticStepMetrics } from './syntheticRun';

function runRecord(id: string, createdAt: number): RunRecord {
  return {
    id,
    name: `run ${id}`,
    createdAt,
    hash: '#v=1&reward=random&seed=3',
    config: { reward: 'random', seed: 3 },
    seed: 3,
    sweepId: null,
    state: 'running',
    message: null,
    totalSteps: 10,
    synthetic: true,
  };
}

describe('IndexedDB run store', () => {
  it('restores a run written in batches after the database is closed and reopened', async () => {
    const factory = new IDBFactory();
    const store = await openRunStore(factory, 'reload-test');
    await store.saveRun(runRecord('a', 1));
    // Written out of order and in two batches, as rAF flushes would.
    await store.appendSteps('a', [syntheticStepMetrics(3), syntheticStepMetrics(1)]);
    await store.appendSteps('a', [syntheticStepMetrics(2, { rewardMean: 0.75 })]);
    await store.appendEvals('a', [syntheticEvalMetrics(2, { greedyAccuracy: 0.42 })]);
    await store.saveSamples(
      'a',
      syntheticSampleGroups(3, () => 0.3),
    );
    await store.saveCheckpoint('a', 3, { params: new Float32Array([1, 2, 3, 0.25]), step: 3 });
    store.close();

    const reopened = await openRunStore(factory, 'reload-test');
    const data = await reopened.loadRun('a');
    expect(data).not.toBeNull();
    expect(data!.run.name).toBe('run a');
    expect(data!.steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(data!.steps[1].rewardMean).toBe(0.75);
    expect(data!.evals).toHaveLength(1);
    expect(data!.evals[0].greedyAccuracy).toBe(0.42);
    expect(data!.samples).toHaveLength(2);
    expect(data!.samples[0].completions[0].style).toBe('code');
    const checkpoint = await reopened.loadCheckpoint('a');
    expect(checkpoint?.step).toBe(3);
    const checkpointData = checkpoint!.data as { params: Float32Array };
    expect(checkpointData.params).toBeInstanceOf(Float32Array);
    expect([...checkpointData.params]).toEqual([1, 2, 3, 0.25]);
  });

  it('overwrites a replayed step instead of duplicating it (resume from checkpoint)', async () => {
    const store = await openRunStore(new IDBFactory(), 'replay');
    await store.saveRun(runRecord('a', 1));
    await store.appendSteps('a', [syntheticStepMetrics(1, { entropy: 1 }), syntheticStepMetrics(2)]);
    await store.appendSteps('a', [syntheticStepMetrics(2, { entropy: 0.5 })]);
    const data = await store.loadRun('a');
    expect(data!.steps).toHaveLength(2);
    expect(data!.steps[1].entropy).toBe(0.5);
  });

  it("keeps runs apart, lists them oldest first, and deleting one leaves the other's data", async () => {
    const store = await openRunStore(new IDBFactory(), 'two-runs');
    await store.saveRun(runRecord('later', 20));
    await store.saveRun(runRecord('earlier', 10));
    await store.appendSteps('later', [syntheticStepMetrics(1), syntheticStepMetrics(2)]);
    await store.appendSteps('earlier', [syntheticStepMetrics(1)]);
    await store.saveCheckpoint('later', 2, { params: new Float32Array(2) });
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['earlier', 'later']);

    await store.deleteRun('later');
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['earlier']);
    expect(await store.loadRun('later')).toBeNull();
    expect(await store.loadCheckpoint('later')).toBeNull();
    expect((await store.loadRun('earlier'))!.steps).toHaveLength(1);
  });

  it('putRunData replaces an existing run of the same id wholesale (import)', async () => {
    const store = await openRunStore(new IDBFactory(), 'import');
    await store.saveRun(runRecord('a', 1));
    await store.appendSteps(
      'a',
      [1, 2, 3].map((s) => syntheticStepMetrics(s)),
    );
    await store.putRunData([
      {
        run: { ...runRecord('a', 1), name: 'imported' },
        steps: [syntheticStepMetrics(7)],
        evals: [],
        samples: [],
      },
    ]);
    const data = await store.loadRun('a');
    expect(data!.run.name).toBe('imported');
    expect(data!.steps.map((s) => s.step)).toEqual([7]);
  });

  it('says clearly when there is no IndexedDB at all', async () => {
    await expect(openRunStore(null)).rejects.toThrow(/no IndexedDB/);
  });
});
