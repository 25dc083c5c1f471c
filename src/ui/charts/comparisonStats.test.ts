// The comparison table's paired rows: each compared experiment against the first, seed by seed, on the
// seeds both ran; a run without a final eval is left out rather than counted as no change.
import { describe, expect, it } from 'vitest';
import { syntheticEvalMetrics } from '../../experiment/syntheticRun';
import type { RunRecord } from '../runTypes';
import type { ChartEntity } from './chartRows';
import { changesBySeed, pairedRows } from './comparisonStats';

const run = (id: string, seed: number): RunRecord => ({
  id,
  name: id,
  createdAt: 0,
  hash: '',
  config: {},
  seed,
  sweepId: 'x',
  state: 'finished',
  message: null,
  totalSteps: 10,
  synthetic: false,
});

/** An entity whose seed s goes from accuracy 0.5 to 0.5 + delta(s). */
function entity(id: string, deltas: Record<number, number | null>): ChartEntity {
  return {
    id,
    label: id,
    seeds: null,
    runs: Object.entries(deltas).map(([seed, delta]) => ({
      run: run(`${id}-${seed}`, Number(seed)),
      series: {
        steps: [],
        evals: [
          syntheticEvalMetrics(0, { greedyAccuracy: 0.5, codeFrequency: 0.6 }),
          ...(delta === null
            ? []
            : [syntheticEvalMetrics(10, { greedyAccuracy: 0.5 + delta, codeFrequency: 0.6 })]),
        ],
        samples: [],
        checkpointStep: null,
      },
    })),
  };
}

describe('pairedRows', () => {
  it('differences each entity with the first on shared seeds', () => {
    const clip = entity('clip', { 1: 0.1, 2: -0.05, 3: 0.2 });
    const noClip = entity('no clip', { 1: 0, 2: 0, 3: 0.1, 4: 0.3 });
    expect([...changesBySeed(clip, 'greedyAccuracy').keys()]).toEqual([1, 2, 3]);
    const rows = pairedRows([noClip, clip]);
    expect(rows).toHaveLength(1);
    const acc = rows[0].byQuantity.greedyAccuracy;
    expect(acc.seeds).toEqual([1, 2, 3]);
    expect(acc.differences.map((d) => Math.round(d * 100) / 100)).toEqual([0.1, -0.05, 0.1]);
    expect([acc.up, acc.down]).toEqual([2, 1]);
    expect(rows[0].byQuantity.codeFrequency.equal).toBe(3);
  });

  it('leaves out a seed without a final eval, and has no rows for a single entity', () => {
    const a = entity('a', { 1: 0.1, 2: null });
    const b = entity('b', { 1: 0, 2: 0 });
    expect(pairedRows([b, a])[0].byQuantity.greedyAccuracy.seeds).toEqual([1]);
    expect(pairedRows([a])).toEqual([]);
  });
});
