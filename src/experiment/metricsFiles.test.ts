// CSV and summary exports: every step appears, eval columns align with the step they follow.
import { describe, expect, it } from 'vitest';
import type { EvalMetrics, StepMetrics } from '../rl/metrics';
import { meanAndStandardError, metricsToCsv, summariseRun } from './metricsFiles';

const step = (s: number, rewardMean: number) => ({ step: s, rewardMean, lr: 1e-3 }) as unknown as StepMetrics;
const evalAt = (s: number, acc: number, code: number) =>
  ({
    step: s,
    greedyAccuracy: acc,
    sampledAccuracy: acc / 2,
    codeFrequency: code,
    sampledCodeFrequency: code,
    accuracyWithCode: Number.NaN,
    accuracyLanguageOnly: acc,
    formatRate: 1,
  }) as EvalMetrics;

describe('metricsToCsv', () => {
  it('writes one row per step plus the initial eval, with eval columns merged', () => {
    const csv = metricsToCsv([step(0, 0.5), step(1, 0.75)], [evalAt(0, 0.2, 0.6), evalAt(2, 0.4, 0.8)]);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(
      'stepsDone,step,rewardMean,lr,eval_greedyAccuracy,eval_sampledAccuracy,eval_codeFrequency,eval_sampledCodeFrequency,eval_accuracyWithCode,eval_accuracyLanguageOnly,eval_meanPCode,eval_sampledAccuracyWithCode,eval_sampledAccuracyLanguageOnly,eval_formatRate',
    );
    expect(lines).toHaveLength(4);
    expect(lines[1].startsWith('0,,,,0.2,0.1,0.6')).toBe(true);
    expect(lines[2]).toBe('1,0,0.5,0.001,,,,,,,,,,');
    // Evals recorded before the exact p(code) and sampled-by-style columns existed leave them empty.
    // The eval after 2 steps sits on the row of step index 1, stepsDone 2, as at x = 2 in the charts.
    expect(lines[3]).toBe('2,1,0.75,0.001,0.4,0.2,0.8,0.8,NaN,0.4,,,,1');
  });
});

describe('summariseRun', () => {
  it('reports before/after changes in points', () => {
    const s = summariseRun([step(0, 0.5)], [evalAt(0, 0.2, 0.6), evalAt(1, 0.35, 0.9)]);
    expect(s.greedyAccuracyChange).toBeCloseTo(15);
    expect(s.codeFrequencyChange).toBeCloseTo(30);
    expect(s.finalRewardMean).toBe(0.5);
  });
});

describe('meanAndStandardError', () => {
  it('matches a hand computation', () => {
    const r = meanAndStandardError([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    expect(r.se).toBeCloseTo(Math.sqrt(1.6666667 / 4), 6);
    expect(meanAndStandardError([7]).se).toBe(0);
    expect(meanAndStandardError([]).n).toBe(0);
  });
});
