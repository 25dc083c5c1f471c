// Sampling one token from a row of logits with temperature, top-k and top-p, driven by the counter RNG
// of src/engine/rng.ts so a draw depends only on (seed, stream, sequence, position). The WGSL sampler
// follows the same procedure so both backends pick the same tokens (up to f32 rounding at ties of the
// cumulative sum).
//
// The exact procedure, for logits l (V), temperature tau, topK, topP and u = counterUniform(...):
//  1. tau == 0: greedy. Return the argmax, ties to the LOWEST id; reported logprob 0.
//  2. z_v = l_v / tau, m = max z, w_v = exp(z_v - m) (unnormalised probabilities).
//  3. Rank order: v precedes x iff z_v > z_x, or z_v == z_x and v < x.
//  4. top-k (topK > 0): keep v iff fewer than topK ids precede it.
//  5. top-p (topP < 1): with K = Σ w over the top-k survivors, keep a survivor v iff the mass of the
//     survivors preceding it, divided by K, is < topP (the smallest rank prefix whose mass reaches
//     topP; the top-ranked id is always kept).
//  6. Inverse CDF in ID order (not rank order, so no sort is needed when nothing is filtered):
//     S = Σ w over kept ids, target = u * S; walk v = 0..V-1 over kept ids accumulating w and return the
//     first v whose running sum exceeds target (the last kept id if rounding leaves none).
//  7. Reported logprob: log softmax(z)_v over ALL ids (the temperature-scaled distribution before
//     filtering), i.e. what scoreTokens returns for that token at the same temperature.

import { fdExp, fdLog } from '../../util/fdlibm';
import { counterUniform } from '../rng';
import { type SamplingOptions, validateSamplingOptions } from '../validate';

export type { SamplingOptions };

/** Reusable buffers so sampling a batch does not allocate per token. */
export class Sampler {
  private readonly weights: Float64Array;
  private readonly kept: Uint8Array;
  private readonly order: number[];

  constructor(
    readonly V: number,
    readonly options: SamplingOptions,
  ) {
    validateSamplingOptions(options, V);
    this.weights = new Float64Array(V);
    this.kept = new Uint8Array(V);
    this.order = Array.from({ length: V }, (_, i) => i);
  }

  /** Samples from logits[offset .. offset+V) with uniform u in [0, 1). */
  sample(logits: ArrayLike<number>, offset: number, u: number): { token: number; logprob: number } {
    const { V, weights, kept } = this;
    const { temperature, topK, topP } = this.options;
    if (temperature === 0) {
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[offset + v] > logits[offset + best]) best = v;
      return { token: best, logprob: 0 };
    }
    const invTau = 1 / temperature;
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v] * invTau);
    let all = 0;
    for (let v = 0; v < V; v++) {
      weights[v] = fdExp(logits[offset + v] * invTau - max);
      all += weights[v];
    }
    kept.fill(1);
    const filterK = topK > 0 && topK < V;
    if (filterK || topP < 1) {
      // Rank order: larger z first (z = l / tau with tau > 0 orders like l), ties to the lower id.
      const order = this.order;
      for (let v = 0; v < V; v++) order[v] = v;
      order.sort((a, b) => logits[offset + b] - logits[offset + a] || a - b);
      const survivors = filterK ? topK : V;
      for (let r = survivors; r < V; r++) kept[order[r]] = 0;
      if (topP < 1) {
        let survivorMass = 0;
        for (let r = 0; r < survivors; r++) survivorMass += weights[order[r]];
        let before = 0;
        for (let r = 0; r < survivors; r++) {
          if (before / survivorMass >= topP) kept[order[r]] = 0;
          before += weights[order[r]];
        }
      }
    }
    let keptMass = 0;
    let lastKept = 0;
    for (let v = 0; v < V; v++) {
      if (kept[v]) {
        keptMass += weights[v];
        lastKept = v;
      }
    }
    const target = u * keptMass;
    let token = lastKept;
    let running = 0;
    for (let v = 0; v < V; v++) {
      if (!kept[v]) continue;
      running += weights[v];
      if (running > target) {
        token = v;
        break;
      }
    }
    return { token, logprob: fdLog(weights[token] / all) };
  }

  /** Samples with the counter RNG: u = counterUniform(seed, stream, sequence, position). */
  sampleAt(
    logits: ArrayLike<number>,
    offset: number,
    seed: number,
    stream: number,
    sequence: number,
    position: number,
  ): { token: number; logprob: number } {
    return this.sample(logits, offset, counterUniform(seed, stream, sequence, position));
  }
}
