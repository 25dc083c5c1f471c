// The instrument charts read the trainer's counts as shares and draw nothing for runs recorded before
// the instruments existed (no invented zeros); the code chart shows the three measures of code.
import { describe, expect, it } from 'vitest';
import { syntheticEvalMetrics, syntheticStepMetrics } from '../../experiment/syntheticRun';
import type { EvalMetrics, StepMetrics } from '../runTypes';
import { CHART_SPECS } from './chartSpecs';

const series = (chart: string, key: string) => {
  const spec = CHART_SPECS.find((c) => c.id === chart)?.series.find((s) => s.key === key);
  if (!spec) throw new Error(`no series ${chart}/${key}`);
  return (m: Partial<StepMetrics & EvalMetrics>) => spec.read(m as StepMetrics & EvalMetrics);
};

describe('instrument charts', () => {
  it('style clip shares are counts over the style tokens; other tokens over theirs', () => {
    const m = {
      ...syntheticStepMetrics(3),
      styleTokens: 40,
      styleClipHigh: 4,
      styleClipLow: 2,
      otherTokens: 1000,
      otherClipHigh: 5,
      otherClipLow: 5,
    };
    expect(series('styleClip', 'styleClipHigh')(m)).toBeCloseTo(0.1, 12);
    expect(series('styleClip', 'styleClipLow')(m)).toBeCloseTo(0.05, 12);
    expect(series('styleClip', 'otherClip')(m)).toBeCloseTo(0.01, 12);
  });

  it('draws nothing for a run recorded before the instruments', () => {
    const old = syntheticStepMetrics(3);
    for (const key of ['styleClipHigh', 'styleClipLow', 'otherClip'])
      expect(series('styleClip', key)(old)).toBeNull();
    expect(series('styleMove', 'styleLogitMovePerUpdate')(old)).toBeNull();
    expect(series('code', 'meanPCode')(syntheticEvalMetrics(0))).toBeNull();
  });

  it('the code chart names its three measures of code, and the rollouts', () => {
    const code = CHART_SPECS.find((c) => c.id === 'code');
    expect(code?.series.map((s) => s.label)).toEqual([
      'p(code), exact',
      'greedy share',
      'sampled share',
      'rollouts',
    ]);
    expect(series('code', 'meanPCode')({ ...syntheticEvalMetrics(0), meanPCode: 0.64 })).toBe(0.64);
  });
});
