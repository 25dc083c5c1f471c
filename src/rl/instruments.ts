// Instruments of the mechanism: where, and how often, the clip acts. The paper's argument is about one
// decision (the style choice, made at the first response token) and about tokens the rollout policy
// already liked (pi_old above 1/(1+eps)), so the trainer counts clip events at the style position apart
// from all other tokens, bins every token's events by pi_old, and measures how far each update moves
// the style logit (log-odds of the code opening at the decision): the clip can only act on the style
// when updates move it by a sizeable fraction of eps within one rollout batch.
//
// A clip event is a token whose ratio R = pi/pi_old has left [1-epsLow, 1+epsHigh] in its advantage's
// direction (A > 0 and R > 1+epsHigh: the upper bound binds; A < 0 and R < 1-epsLow: the lower one),
// i.e. a token whose gradient the clipped objective removes. With the clip off ('none') the same exits
// are counted, as what the clip would have removed, so clip-on and clip-off runs compare directly.
import type { EngineModel, PolicyLossConfig, TokenBatch } from '../engine/backend';
import { nextTokenProbabilities } from '../tasks/zooEval';
import { fdExp, fdLog, fdLog1p } from '../util/fdlibm';
import type { StyleStepMetrics } from './metrics';

/** pi_old bins of the clip tallies: 0.83 is 1/(1+eps) at eps 0.2, above which R can never reach 1+eps. */
export const P_OLD_BINS = ['<0.2', '0.2-0.5', '0.5-0.83', '>0.83'] as const;
export const P_OLD_BIN_KEYS = ['Below02', '02to05', '05to083', 'Above083'] as const;

export function pOldBinIndex(p: number): number {
  if (p < 0.2) return 0;
  if (p < 0.5) return 1;
  if (p <= 0.83) return 2;
  return 3;
}

/** The tally's counts that the step's metrics report as they are (documented in StyleStepMetrics). */
type StepCounts =
  | 'styleTokens'
  | 'styleClipHigh'
  | 'styleClipLow'
  | 'otherTokens'
  | 'otherClipHigh'
  | 'otherClipLow';

/**
 * Counts over the tokens of a rollout batch's mini-batches (each token once per epoch, at its update):
 * the style position (the first response token of each row) and every later token as the metrics name
 * them, plus what the metrics are computed from.
 */
export interface ClipTally extends Pick<StyleStepMetrics, StepCounts> {
  /** Sum, min and max of the style tokens' ratios (the metrics report their mean, min and max). */
  styleRatioSum: number;
  styleRatioMin: number;
  styleRatioMax: number;
  /** All response tokens, by pi_old bin (P_OLD_BINS order). */
  tokensByPOld: number[];
  clipHighByPOld: number[];
  clipLowByPOld: number[];
}

export function emptyClipTally(): ClipTally {
  return {
    styleTokens: 0,
    styleRatioSum: 0,
    styleRatioMin: Number.POSITIVE_INFINITY,
    styleRatioMax: Number.NEGATIVE_INFINITY,
    styleClipHigh: 0,
    styleClipLow: 0,
    otherTokens: 0,
    otherClipHigh: 0,
    otherClipLow: 0,
    tokensByPOld: [0, 0, 0, 0],
    clipHighByPOld: [0, 0, 0, 0],
    clipLowByPOld: [0, 0, 0, 0],
  };
}

/** One row of a policy-loss pass as the tally needs it. */
export interface TallyRow {
  /** Prompt tokens: the style decision is predicted at index promptLength of the row. */
  promptLength: number;
  /** Rollout-policy log-probs, row-aligned (index t scores token t), at least the row's length. */
  oldLogprobs: ArrayLike<number>;
  advantage: number;
}

/**
 * Adds one policy-loss pass to the tally: `newLogprobs` and `batch` are that pass's (B, T) arrays and
 * `rows[b]` describes row b. Only tokens in the loss mask count (masked-out truncations do not).
 */
export function tallyClipEvents(
  tally: ClipTally,
  batch: TokenBatch,
  newLogprobs: ArrayLike<number>,
  rows: readonly TallyRow[],
  loss: Pick<PolicyLossConfig, 'epsLow' | 'epsHigh' | 'logRatioClamp'>,
): void {
  const { T } = batch;
  const high = 1 + loss.epsHigh;
  const low = 1 - loss.epsLow;
  rows.forEach((row, b) => {
    for (let t = row.promptLength; t < batch.lengths[b]; t++) {
      const i = b * T + t;
      if (batch.lossMask[i] === 0) continue;
      const old = row.oldLogprobs[t];
      const logRatio = Math.max(-loss.logRatioClamp, Math.min(loss.logRatioClamp, newLogprobs[i] - old));
      const ratio = fdExp(logRatio);
      const clippedHigh = row.advantage > 0 && ratio > high;
      const clippedLow = row.advantage < 0 && ratio < low;
      const bin = pOldBinIndex(fdExp(old));
      tally.tokensByPOld[bin]++;
      if (clippedHigh) tally.clipHighByPOld[bin]++;
      if (clippedLow) tally.clipLowByPOld[bin]++;
      if (t === row.promptLength) {
        tally.styleTokens++;
        tally.styleRatioSum += ratio;
        tally.styleRatioMin = Math.min(tally.styleRatioMin, ratio);
        tally.styleRatioMax = Math.max(tally.styleRatioMax, ratio);
        if (clippedHigh) tally.styleClipHigh++;
        if (clippedLow) tally.styleClipLow++;
      } else {
        tally.otherTokens++;
        if (clippedHigh) tally.otherClipHigh++;
        if (clippedLow) tally.otherClipLow++;
      }
    }
  });
}

/** Largest p(code) kept away from 1 so the log-odds stay finite. */
const P_CEILING = 1 - 1e-7;

/**
 * Log-odds of the code opening's first token right after each prompt, under the model as it is now
 * (temperature 1): the style logit of the toy model, read off the real one. One short row per prompt.
 */
export async function styleLogOdds(
  model: EngineModel,
  promptIds: readonly Int32Array[],
  codeOpeningId: number,
): Promise<Float64Array> {
  const { p } = await nextTokenProbabilities(model, promptIds, codeOpeningId);
  return Float64Array.from(p, (x) => {
    const clamped = Math.min(P_CEILING, x);
    return fdLog(clamped) - fdLog1p(-clamped);
  });
}

export function sigmoid(x: number): number {
  return 1 / (1 + fdExp(-x));
}

/** Mean |a - b| over two equal-length vectors. */
export function meanAbsChange(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return a.length ? sum / a.length : 0;
}
