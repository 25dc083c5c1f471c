// Metric exports shared by the CLI (metrics.csv, summary.json) and the UI's export buttons: one CSV row
// per step with that step's eval columns merged in, and a before/after summary per run.
import type { EvalMetrics, StepMetrics } from '../rl/metrics';

const EVAL_COLUMNS = [
  'greedyAccuracy',
  'sampledAccuracy',
  'codeFrequency',
  'sampledCodeFrequency',
  'accuracyWithCode',
  'accuracyLanguageOnly',
  'meanPCode',
  'sampledAccuracyWithCode',
  'sampledAccuracyLanguageOnly',
  'formatRate',
] as const;

/**
 * CSV with a header. The first column, stepsDone, counts the steps trained before the row's values: a
 * step's metrics are on the row of its own count (0-based step s is stepsDone s + 1), and an eval sits on
 * the row of the steps before it, so the eval after step 10 is on row 10 as in the charts' x axis. The
 * initial eval (before training) has its own row, stepsDone 0. Eval columns are prefixed `eval_`.
 */
export function metricsToCsv(steps: StepMetrics[], evals: EvalMetrics[]): string {
  const stepColumns = steps.length
    ? (Object.keys(steps[0]) as (keyof StepMetrics)[])
    : (['step'] as (keyof StepMetrics)[]);
  const header = ['stepsDone', ...stepColumns, ...EVAL_COLUMNS.map((c) => `eval_${c}`)];
  const evalByStep = new Map(evals.map((e) => [e.step, e]));
  const lines = [header.join(',')];
  const initial = evalByStep.get(0);
  if (initial)
    lines.push(['0', ...stepColumns.map(() => ''), ...EVAL_COLUMNS.map((c) => num(initial[c]))].join(','));
  for (const s of steps) {
    const e = evalByStep.get(s.step + 1);
    lines.push(
      [
        String(s.step + 1),
        ...stepColumns.map((c) => num(s[c] as number)),
        ...EVAL_COLUMNS.map((c) => (e ? num(e[c]) : '')),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function num(v: number | undefined): string {
  if (v === undefined) return '';
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : String(v);
}

export interface RunSummary {
  steps: number;
  before: EvalMetrics | null;
  after: EvalMetrics | null;
  /** after - before, in points of greedy accuracy (0..100 scale). */
  greedyAccuracyChange: number | null;
  sampledAccuracyChange: number | null;
  codeFrequencyChange: number | null;
  finalRewardMean: number | null;
}

export function summariseRun(steps: StepMetrics[], evals: EvalMetrics[]): RunSummary {
  const sorted = [...evals].sort((a, b) => a.step - b.step);
  const before = sorted[0] ?? null;
  const after = sorted.length > 1 ? sorted[sorted.length - 1] : null;
  const change = (k: 'greedyAccuracy' | 'sampledAccuracy' | 'codeFrequency') =>
    before && after ? 100 * (after[k] - before[k]) : null;
  return {
    steps: steps.length,
    before,
    after,
    greedyAccuracyChange: change('greedyAccuracy'),
    sampledAccuracyChange: change('sampledAccuracy'),
    codeFrequencyChange: change('codeFrequency'),
    finalRewardMean: steps.length ? steps[steps.length - 1].rewardMean : null,
  };
}

/** Mean and standard error of the mean (n-1 sample std / sqrt(n)); SE is 0 for a single value. */
export function meanAndStandardError(values: number[]): { mean: number; se: number; n: number } {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (!n) return { mean: Number.NaN, se: Number.NaN, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, se: 0, n };
  const variance = finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n), n };
}
