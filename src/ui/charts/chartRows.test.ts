// Unit tests of the chart row builder: smoothing is debiased and skips gaps, comparison keeps runs in
// separate columns, and a seed sweep yields the mean, a standard-error band and every seed's values.
import { describe, expect, it } from 'vitest';
import { syntheticEvalMetrics, syntheticStepMetrics } from '../../experiment/syntheticRun';
import type { RunRecord } from '../runTypes';
import type { RunSeries } from '../store/runsSlice';
import { buildChartRows, columnOf, groupIntoEntities, seedCount, smoothSeries } from './chartRows';
import { CHART_SPECS } from './chartSpecs';

function run(id: string, sweepId: string | null, name = id): RunRecord {
  return {
    id,
    name,
    createdAt: 0,
    hash: '',
    config: {},
    seed: 0,
    sweepId,
    state: 'finished',
    message: null,
    totalSteps: 3,
    synthetic: true,
  };
}

function seriesWithCode(codeByStep: number[]): RunSeries {
  return {
    // 0-based step indexes, as the trainer emits them: step i is drawn at x = i + 1 (steps done).
    steps: codeByStep.map((c, i) => syntheticStepMetrics(i, { codeFrequency: c })),
    evals: [
      syntheticEvalMetrics(0, { greedyAccuracy: 0.2 }),
      syntheticEvalMetrics(3, { greedyAccuracy: 0.5 }),
    ],
    samples: [],
    checkpointStep: null,
  };
}

const codeChart = CHART_SPECS.find((c) => c.id === 'code')!;
const rolloutCode = codeChart.series.find((s) => s.key === 'codeFrequency')!;
const accuracy = CHART_SPECS.find((c) => c.id === 'accuracy')!.series[0];

describe('smoothSeries', () => {
  it('returns raw values at weight 0 and a debiased EMA otherwise', () => {
    expect(smoothSeries([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smooth = smoothSeries([1, 1, 1, 5], 0.5);
    expect(smooth[0]).toBeCloseTo(1); // debiasing: a constant series stays constant
    expect(smooth[2]).toBeCloseTo(1);
    expect(smoothSeries([0.01, 0.01, 0.01, 0.01, 0.01], 0.6)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01]);
    expect(smooth[3]).toBeGreaterThan(1);
    expect(smooth[3]).toBeLessThan(5);
  });

  it('passes nulls and non-finite values through without poisoning later points', () => {
    const smooth = smoothSeries([2, null, Number.NaN, 2], 0.9);
    expect(smooth[1]).toBeNull();
    expect(smooth[2]).toBeNull();
    expect(smooth[3]).toBeCloseTo(2);
  });
});

describe('buildChartRows', () => {
  it('keeps compared runs in their own columns, eval series only on eval steps', () => {
    const entities = groupIntoEntities([
      { run: run('a', null), series: seriesWithCode([0.6, 0.7, 0.8]) },
      { run: run('b', null), series: seriesWithCode([0.5, 0.4, 0.3]) },
    ]);
    expect(entities.map((e) => e.id)).toEqual(['a', 'b']);
    const rows = buildChartRows(entities, [rolloutCode, accuracy], 0);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(rows[3][columnOf.mean('a', 'codeFrequency')]).toBeCloseTo(0.8);
    expect(rows[3][columnOf.mean('b', 'codeFrequency')]).toBeCloseTo(0.3);
    expect(rows[0][columnOf.mean('a', 'greedyAccuracy')]).toBeCloseTo(0.2);
    expect(rows[1][columnOf.mean('a', 'greedyAccuracy')]).toBeUndefined();
  });

  it('draws a sweep as mean ± standard error with every seed behind it', () => {
    const entities = groupIntoEntities([
      { run: run('s1', 'sweep', 'random · seed 1'), series: seriesWithCode([0.6, 0.7, 0.9]) },
      { run: run('s2', 'sweep', 'random · seed 2'), series: seriesWithCode([0.6, 0.5, 0.5]) },
      { run: run('s3', 'sweep', 'random · seed 3'), series: seriesWithCode([0.6, 0.6, 0.7]) },
    ]);
    expect(entities).toHaveLength(1);
    expect(entities[0].label).toBe('random (mean of 3 seeds)');
    const rows = buildChartRows(entities, [rolloutCode], 0);
    const last = rows[rows.length - 1];
    expect(last[columnOf.mean('sweep', 'codeFrequency')]).toBeCloseTo(0.7);
    // sample std of (0.9, 0.5, 0.7) is 0.2; SE = 0.2 / sqrt(3)
    const se = 0.2 / Math.sqrt(3);
    const band = last[columnOf.band('sweep', 'codeFrequency')] as [number, number];
    expect(band[0]).toBeCloseTo(0.7 - se);
    expect(band[1]).toBeCloseTo(0.7 + se);
    expect(last[columnOf.seed('sweep', 'codeFrequency', 0)]).toBeCloseTo(0.9);
    expect(last[columnOf.seed('sweep', 'codeFrequency', 2)]).toBeCloseTo(0.7);
  });

  it('a sweep still running names the seeds its mean is over, not the seeds it will have', () => {
    const empty: RunSeries = { steps: [], evals: [], samples: [], checkpointStep: null };
    const entities = groupIntoEntities([
      { run: run('s1', 'sweep', 'random · seed 1'), series: seriesWithCode([0.6, 0.7]) },
      { run: run('s2', 'sweep', 'random · seed 2'), series: empty },
      { run: run('s3', 'sweep', 'random · seed 3'), series: empty },
    ]);
    expect(entities[0].label).toBe('random (mean of 1 of 3 seeds)');
    // The chart's note under its hint says the same when it shows this sweep alone.
    expect(entities[0].seeds).toEqual({ withData: 1, total: 3 });
    expect(seedCount(entities[0].seeds!)).toBe('mean of 1 of 3 seeds');
  });

  it('one seed of a sweep compared on its own is that run, named with its seed, not a "mean of 1"', () => {
    const entities = groupIntoEntities([
      { run: run('s2', 'sweep', 'random · seed 2'), series: seriesWithCode([0.6, 0.7]) },
    ]);
    expect(entities).toHaveLength(1);
    expect(entities[0]).toMatchObject({ id: 's2', label: 'random · seed 2', seeds: null });
  });

  it('does not draw a series that was not computed (KL to the reference at β = 0)', () => {
    const kl = CHART_SPECS.find((c) => c.id === 'kl')!;
    const entities = groupIntoEntities([{ run: run('a', null), series: seriesWithCode([0.5, 0.5]) }]);
    for (const m of entities[0].runs[0].series.steps) m.refKl = 0;
    const rows = buildChartRows(entities, kl.series, 0);
    expect(rows.some((r) => columnOf.mean('a', 'refKl') in r)).toBe(false);
    expect(rows.some((r) => columnOf.mean('a', 'approxKl') in r)).toBe(true);
    entities[0].runs[0].series.steps[1].refKl = 0.01;
    expect(buildChartRows(entities, kl.series, 0).some((r) => columnOf.mean('a', 'refKl') in r)).toBe(true);
  });

  it('smooths per-step series but never the sparse eval points', () => {
    const entities = groupIntoEntities([{ run: run('a', null), series: seriesWithCode([0, 1, 1]) }]);
    const rows = buildChartRows(entities, [rolloutCode, accuracy], 0.8);
    expect(rows[2][columnOf.mean('a', 'codeFrequency')] as number).toBeLessThan(1);
    expect(rows[3][columnOf.mean('a', 'greedyAccuracy')]).toBeCloseTo(0.5);
  });
});
