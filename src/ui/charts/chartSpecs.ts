// What the live charts show: one entry per chart, each series naming its source (per-step metrics or
// periodic evals) and how to read its value. Kept as data so the chart grid, exports and tests agree.
import type { EvalMetrics, StepMetrics } from '../runTypes';

export type SeriesSource = 'steps' | 'evals';

export interface SeriesSpec {
  /** Stable key, used in row columns and CSV headers. */
  key: string;
  label: string;
  source: SeriesSource;
  read: (record: StepMetrics & EvalMetrics) => number | null;
  /** Not computed unless a setting turns it on (KL to the reference needs β > 0): all zeros are not drawn. */
  omitIfAllZero?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One sentence under the title: what to look for. */
  hint: string;
  series: SeriesSpec[];
  /** Values in [0, 1] shown as percentages. */
  percent: boolean;
  /** Pin the y axis to [0, 1] (accuracies and shares read best on the full scale). */
  fullRange: boolean;
  /** Offer a log y axis (quantities spanning decades, e.g. KL). */
  logScale: boolean;
}

const fromStep = (key: string, label: string, read: (m: StepMetrics) => number | null): SeriesSpec => ({
  key,
  label,
  source: 'steps',
  read: (m) => read(m),
});
const fromEval = (key: string, label: string, read: (m: EvalMetrics) => number | null): SeriesSpec => ({
  key,
  label,
  source: 'evals',
  read: (m) => read(m),
});

export const CHART_SPECS: readonly ChartSpec[] = [
  {
    id: 'accuracy',
    title: 'Eval accuracy (MiniMath-500)',
    hint: 'Greedy and avg@k accuracy on held-out problems.',
    series: [
      fromEval('greedyAccuracy', 'greedy', (m) => m.greedyAccuracy),
      fromEval('sampledAccuracy', 'avg@k', (m) => m.sampledAccuracy),
    ],
    percent: true,
    fullRange: true,
    logScale: false,
  },
  {
    id: 'code',
    title: 'Code-reasoning frequency',
    hint: 'p(code): exact probability of opening with code; greedy / sampled: share of answers with "python"; rollouts: training samples.',
    series: [
      fromEval('meanPCode', 'p(code), exact', (m) => finiteOrNull(m.meanPCode ?? null)),
      fromEval('evalCodeFrequency', 'greedy share', (m) => m.codeFrequency),
      fromEval('sampledCodeFrequency', 'sampled share', (m) => finiteOrNull(m.sampledCodeFrequency)),
      fromStep('codeFrequency', 'rollouts', (m) => m.codeFrequency),
    ],
    percent: true,
    fullRange: true,
    logScale: false,
  },
  {
    id: 'codeVsLanguage',
    title: 'Accuracy with code vs language-only',
    hint: 'Greedy accuracy among answers with code and among answers without.',
    series: [
      fromEval('accuracyWithCode', 'with code', (m) => finiteOrNull(m.accuracyWithCode)),
      fromEval('accuracyLanguageOnly', 'language only', (m) => finiteOrNull(m.accuracyLanguageOnly)),
    ],
    percent: true,
    fullRange: true,
    logScale: false,
  },
  {
    id: 'reward',
    title: 'Training reward',
    hint: 'Mean reward of the rollouts, and their ground-truth accuracy whatever the reward.',
    series: [
      fromStep('rewardMean', 'reward mean', (m) => m.rewardMean),
      fromStep('rolloutAccuracy', 'rollout accuracy', (m) => m.rolloutAccuracy),
    ],
    percent: false,
    fullRange: false,
    logScale: false,
  },
  {
    id: 'clip',
    title: 'Clip fractions',
    hint: 'Share of response tokens whose gradient the clip removed: low (1−ε, A < 0) and high (1+ε, A > 0).',
    series: [
      fromStep('clipFracLow', 'low (1-ε)', (m) => m.clipFracLow),
      fromStep('clipFracHigh', 'high (1+ε)', (m) => m.clipFracHigh),
    ],
    percent: true,
    fullRange: false,
    logScale: true,
  },
  {
    id: 'styleClip',
    title: 'Clip at the style decision',
    hint: 'Clip events at the first response token (where code or prose is chosen) vs all later tokens.',
    series: [
      fromStep('styleClipHigh', 'style, high', (m) => shareOf(m.styleClipHigh, m.styleTokens)),
      fromStep('styleClipLow', 'style, low', (m) => shareOf(m.styleClipLow, m.styleTokens)),
      fromStep('otherClip', 'other tokens', (m) =>
        shareOf(
          m.otherClipHigh === undefined || m.otherClipLow === undefined
            ? undefined
            : m.otherClipHigh + m.otherClipLow,
          m.otherTokens,
        ),
      ),
    ],
    percent: true,
    fullRange: false,
    logScale: true,
  },
  {
    id: 'styleMove',
    title: 'Style logit movement',
    hint: 'Mean |change| of the log-odds of code at the first token; the clip reaches the style near 0.1 per update.',
    series: [
      fromStep('styleLogitMovePerUpdate', 'per update', (m) => m.styleLogitMovePerUpdate ?? null),
      fromStep('styleLogitMovePerBatch', 'per batch', (m) => m.styleLogitMovePerBatch ?? null),
    ],
    percent: false,
    fullRange: false,
    logScale: false,
  },
  {
    id: 'entropy',
    title: 'Entropy',
    hint: 'Mean per-token entropy of the policy during the updates (nats).',
    series: [fromStep('entropy', 'entropy', (m) => m.entropy)],
    percent: false,
    fullRange: false,
    logScale: false,
  },
  {
    id: 'kl',
    title: 'KL',
    hint: 'To the rollout policy (k1: mean log π_old − log π, can dip below 0); to the reference only when β > 0.',
    series: [
      fromStep('approxKl', 'KL to rollout policy (k1)', (m) => m.approxKl),
      { ...fromStep('refKl', 'KL to reference', (m) => m.refKl), omitIfAllZero: true },
    ],
    percent: false,
    fullRange: false,
    logScale: true,
  },
  {
    id: 'length',
    title: 'Response length',
    hint: 'Characters per completion, mean and max.',
    series: [
      fromStep('responseLengthMean', 'mean', (m) => m.responseLengthMean),
      fromStep('responseLengthMax', 'max', (m) => m.responseLengthMax),
    ],
    percent: false,
    fullRange: false,
    logScale: false,
  },
];

/** count / total, or null when the run has no such metric (recorded before the instruments) or no tokens. */
function shareOf(count: number | undefined, total: number | undefined): number | null {
  return count === undefined || total === undefined || total === 0 ? null : count / total;
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

/**
 * Okabe-Ito palette (colour-blind safe), ordered for contrast on white; yellow last (weak on white).
 * Series also differ by dash pattern, so no chart relies on colour alone.
 */
export const OKABE_ITO = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
];
export const DASHES = ['', '6 3', '2 3', '8 3 2 3'];
