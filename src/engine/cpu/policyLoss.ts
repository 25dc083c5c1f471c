// The GRPO policy loss on per-token log-probs (the CPU twin of the WGSL `grpo_loss` kernel): PPO-style
// clipped ratio objective, no-clip ablation, dual clip, KL to a reference (k1/k3), entropy bonus and the
// three aggregation modes, with its gradient with respect to the new log-probs and entropies.

import { fdExp } from '../../util/fdlibm';
import type { PolicyLossConfig, PolicyLossInputs, PolicyLossStats } from '../backend';

export interface PolicyLossResult {
  stats: PolicyLossStats;
  /** (B, T) d loss / d newLogprobs[b, t] (0 outside the loss mask). */
  dNewLogprobs: Float64Array;
  /** (B, T) d loss / d entropy[b, t] (0 outside the loss mask). */
  dEntropy: Float64Array;
  /** (B, T) 1 where the lower clip bound binds (R < 1-epsLow and A < 0, clip mode only). */
  clippedLow: Uint8Array;
  /** (B, T) 1 where the upper clip bound binds (R > 1+epsHigh and A > 0, clip mode only). */
  clippedHigh: Uint8Array;
}

export function validatePolicyLossConfig(config: PolicyLossConfig): void {
  const problems: string[] = [];
  if (config.clipMode !== 'clip' && config.clipMode !== 'none') {
    problems.push(`clipMode must be 'clip' or 'none' (got ${String(config.clipMode)})`);
  }
  if (!(config.epsLow >= 0 && config.epsLow < 1))
    problems.push(`epsLow must be in [0, 1) (got ${config.epsLow})`);
  if (!(config.epsHigh >= 0 && Number.isFinite(config.epsHigh)))
    problems.push(`epsHigh must be finite and >= 0 (got ${config.epsHigh})`);
  if (config.dualClip !== null && !(config.dualClip > 1)) {
    problems.push(`dualClip must be > 1 or null (got ${config.dualClip})`);
  }
  if (!(config.logRatioClamp > 0)) problems.push(`logRatioClamp must be > 0 (got ${config.logRatioClamp})`);
  if (!(config.klCoef >= 0 && Number.isFinite(config.klCoef)))
    problems.push(`klCoef must be finite and >= 0 (got ${config.klCoef})`);
  if (config.klEstimator !== 'k1' && config.klEstimator !== 'k3') {
    problems.push(`klEstimator must be 'k1' or 'k3' (got ${String(config.klEstimator)})`);
  }
  if (!Number.isFinite(config.entropyCoef))
    problems.push(`entropyCoef must be finite (got ${config.entropyCoef})`);
  const aggregations = ['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm'];
  if (!aggregations.includes(config.aggregation)) {
    problems.push(
      `aggregation must be one of ${aggregations.join(', ')} (got ${String(config.aggregation)})`,
    );
  }
  if (config.aggregation === 'seq-mean-token-sum-norm' && !(config.maxLengthNorm > 0)) {
    problems.push(`maxLengthNorm must be > 0 for seq-mean-token-sum-norm (got ${config.maxLengthNorm})`);
  }
  if (problems.length) throw new RangeError(`Invalid policy loss config: ${problems.join('; ')}`);
}

/**
 * Per masked token (b, t) with A = advantages[b]:
 *   logR = clamp(new - old, -logRatioClamp, logRatioClamp),  R = exp(logR)
 *   clip mode: pg = max(-R*A, -clip(R, 1-epsLow, 1+epsHigh)*A)   (= -min(R*A, clip(R)*A))
 *              and, when dualClip = c and A < 0: pg = min(pg, -c*A)
 *   none mode: pg = -R*A   (no clipping of any kind: the paper's ablation)
 *   kl   = new - ref (k1)  or  exp(ref - new) - (ref - new) - 1 (k3)      [only when klCoef > 0]
 *   l    = pg + klCoef * kl - entropyCoef * entropy
 * Aggregation into this micro-batch's share of the mini-batch loss (n_b = masked tokens of row b):
 *   token-mean:              Σ l / miniBatchTokens
 *   seq-mean-token-mean:     Σ_b (Σ_t l / n_b) / miniBatchSequences
 *   seq-mean-token-sum-norm: Σ_b (Σ_t l / maxLengthNorm) / miniBatchSequences
 * Gradients: a branch held at a clip bound (or at the logR clamp) is constant in `new`, so its
 * derivative is 0; otherwise d(-R*A)/d new = -R*A. Ties between the two clip branches (R exactly at
 * a bound) take the unclipped branch.
 */
export function policyLoss(
  newLogprobs: ArrayLike<number>,
  entropy: ArrayLike<number>,
  lossMask: Float32Array,
  inputs: PolicyLossInputs,
  config: PolicyLossConfig,
  B: number,
  T: number,
): PolicyLossResult {
  validatePolicyLossConfig(config);
  const N = B * T;
  const sizes: [string, number, number][] = [
    ['newLogprobs', newLogprobs.length, N],
    ['entropy', entropy.length, N],
    ['lossMask', lossMask.length, N],
    ['oldLogprobs', inputs.oldLogprobs.length, N],
    ['advantages', inputs.advantages.length, B],
  ];
  const useRef = config.klCoef > 0;
  if (useRef) {
    if (!inputs.refLogprobs)
      throw new RangeError('klCoef > 0 needs refLogprobs (reference-policy log-probs)');
    sizes.push(['refLogprobs', inputs.refLogprobs.length, N]);
  }
  for (const [name, got, want] of sizes) {
    if (got !== want) throw new RangeError(`${name} has ${got} entries, expected ${want}`);
  }
  if (!(inputs.miniBatchSequences > 0) || !(inputs.miniBatchTokens > 0)) {
    throw new RangeError(
      `miniBatchSequences and miniBatchTokens must be > 0 (got ${inputs.miniBatchSequences}, ${inputs.miniBatchTokens})`,
    );
  }
  const ref = inputs.refLogprobs;
  const clip = config.clipMode === 'clip';
  const lowBound = 1 - config.epsLow;
  const highBound = 1 + config.epsHigh;

  const dNewLogprobs = new Float64Array(N);
  const dEntropy = new Float64Array(N);
  const clippedLow = new Uint8Array(N);
  const clippedHigh = new Uint8Array(N);
  const stats: PolicyLossStats = {
    loss: 0,
    tokens: 0,
    ratioSum: 0,
    ratioMin: Infinity,
    ratioMax: -Infinity,
    clippedLow: 0,
    clippedHigh: 0,
    approxKlSum: 0,
    refKlSum: 0,
    entropySum: 0,
  };

  for (let b = 0; b < B; b++) {
    let rowTokens = 0;
    for (let t = 0; t < T; t++) if (lossMask[b * T + t] !== 0) rowTokens++;
    if (rowTokens === 0) continue;
    const weight = tokenWeight(config, inputs, rowTokens);
    const A = inputs.advantages[b];
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (lossMask[i] === 0) continue;
      const diff = newLogprobs[i] - inputs.oldLogprobs[i];
      const logR = Math.min(Math.max(diff, -config.logRatioClamp), config.logRatioClamp);
      const clamped = logR !== diff; // outside the clamp the ratio does not depend on `new`
      const R = fdExp(logR);
      // Policy-gradient term and its derivative with respect to R.
      let pg = -R * A;
      let dpgdR = -A;
      if (clip) {
        const Rc = Math.min(Math.max(R, lowBound), highBound);
        const pgClipped = -Rc * A;
        if (pgClipped > pg) {
          pg = pgClipped;
          dpgdR = 0;
        }
        if (config.dualClip !== null && A < 0 && -config.dualClip * A < pg) {
          pg = -config.dualClip * A;
          dpgdR = 0;
        }
        if (R < lowBound && A < 0) clippedLow[i] = 1;
        if (R > highBound && A > 0) clippedHigh[i] = 1;
      }
      let dldNew = clamped ? 0 : dpgdR * R;
      let l = pg;
      if (useRef && ref) {
        const d = ref[i] - newLogprobs[i];
        let kl: number;
        if (config.klEstimator === 'k1') {
          kl = -d;
          dldNew += config.klCoef;
        } else {
          const e = fdExp(d);
          kl = e - d - 1;
          dldNew += config.klCoef * (1 - e);
        }
        l += config.klCoef * kl;
        stats.refKlSum += kl;
      }
      l -= config.entropyCoef * entropy[i];

      stats.loss += weight * l;
      dNewLogprobs[i] = weight * dldNew;
      dEntropy[i] = -weight * config.entropyCoef;
      stats.tokens++;
      stats.ratioSum += R;
      if (R < stats.ratioMin) stats.ratioMin = R;
      if (R > stats.ratioMax) stats.ratioMax = R;
      stats.clippedLow += clippedLow[i];
      stats.clippedHigh += clippedHigh[i];
      stats.approxKlSum += inputs.oldLogprobs[i] - newLogprobs[i];
      stats.entropySum += entropy[i];
    }
  }
  return { stats, dNewLogprobs, dEntropy, clippedLow, clippedHigh };
}

/** d(aggregated loss) / d(per-token loss) for a row with `rowTokens` masked tokens. */
function tokenWeight(config: PolicyLossConfig, inputs: PolicyLossInputs, rowTokens: number): number {
  switch (config.aggregation) {
    case 'token-mean':
      return 1 / inputs.miniBatchTokens;
    case 'seq-mean-token-mean':
      return 1 / (rowTokens * inputs.miniBatchSequences);
    case 'seq-mean-token-sum-norm':
      return 1 / (config.maxLengthNorm * inputs.miniBatchSequences);
  }
}
