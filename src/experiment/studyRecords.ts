// A study run's compact record (docs/study*/runs/<arm>/seed-<n>.json, written by scripts/study.ts) and
// the outcomes the reports, the decision rules and the preset texts are computed from. Pure: reading
// the files is the caller's business.
import type { EvalMetrics, StepMetrics } from '../rl/metrics';

export interface RunRecord {
  arm: string;
  seed: number;
  hash: string;
  result: 'finished' | 'stopped' | 'error';
  error?: string;
  /** The engine that ran it, with its matmul variant on WebGPU (records from 2026-12-06 on). */
  engine?: string;
  evals: EvalMetrics[];
  steps: Pick<
    StepMetrics,
    | 'step'
    | 'rewardMean'
    | 'codeFrequency'
    | 'rolloutAccuracy'
    | 'clipFracLow'
    | 'clipFracHigh'
    | 'stylePCodeOld'
    | 'styleTokens'
    | 'styleClipHigh'
    | 'styleClipLow'
    | 'styleLogitMovePerUpdate'
    | 'styleLogitMovePerBatch'
    | 'timeRolloutMs'
    | 'timeUpdateMs'
  >[];
}

export interface Outcomes {
  greedyCode: number;
  pCode: number;
  sampledCode: number;
  greedyAccuracy: number;
  sampledAccuracy: number;
  styleClipShare: number;
  styleMove: number;
}

/** Final eval minus the step-0 eval (shares in [0, 1]), and the run's mean instruments. */
export function outcomesOf(record: RunRecord): Outcomes {
  const evals = [...record.evals].sort((a, b) => a.step - b.step);
  const first = evals[0];
  const last = evals[evals.length - 1];
  const delta = (f: (e: EvalMetrics) => number | null | undefined) =>
    (f(last) ?? Number.NaN) - (f(first) ?? Number.NaN);
  const steps = record.steps;
  const mean = (f: (m: RunRecord['steps'][number]) => number | undefined) =>
    steps.reduce((a, m) => a + (f(m) ?? Number.NaN), 0) / Math.max(1, steps.length);
  return {
    greedyCode: delta((e) => e.codeFrequency),
    pCode: delta((e) => e.meanPCode),
    sampledCode: delta((e) => e.sampledCodeFrequency),
    greedyAccuracy: delta((e) => e.greedyAccuracy),
    sampledAccuracy: delta((e) => e.sampledAccuracy),
    styleClipShare: mean(
      (m) => ((m.styleClipHigh ?? 0) + (m.styleClipLow ?? 0)) / Math.max(1, m.styleTokens ?? 0),
    ),
    styleMove: mean((m) => m.styleLogitMovePerUpdate),
  };
}
