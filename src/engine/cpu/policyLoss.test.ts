// Tests of the GRPO policy loss: values against an independent straight-line formula in every mode,
// float64 finite differences of its gradients, micro-batch splitting, the clip flags, the paper's
// worked example (pi_old = 0.85, eps 0.2) and config errors.
import { describe, expect, it } from 'vitest';
import { Random } from '../../util/random';
import type { PolicyLossConfig, PolicyLossInputs } from '../backend';
import { gradientMismatches, randomArray } from './gradcheck';
import { policyLoss } from './policyLoss';

const baseConfig: PolicyLossConfig = {
  clipMode: 'clip',
  epsLow: 0.2,
  epsHigh: 0.28,
  dualClip: null,
  logRatioClamp: 20,
  klCoef: 0,
  klEstimator: 'k1',
  entropyCoef: 0,
  aggregation: 'seq-mean-token-mean',
  maxLengthNorm: 10,
};

interface Case {
  B: number;
  T: number;
  newLp: Float64Array;
  entropy: Float64Array;
  mask: Float32Array;
  inputs: PolicyLossInputs;
}

function randomCase(seed: number, B = 4, T = 6): Case {
  const rng = new Random(seed);
  const N = B * T;
  const old = randomArray(rng, N, 0.5).map((x) => -1 - Math.abs(x));
  // New log-probs spread so ratios land on both sides of both clip bounds.
  const newLp = old.map((x) => x + 0.4 * rng.normal());
  const mask = new Float32Array(N);
  for (let b = 0; b < B; b++)
    for (let t = 1; t < T - (b % 3); t++) mask[b * T + t] = rng.bernoulli(0.85) ? 1 : 0;
  let tokens = 0;
  for (const x of mask) tokens += x;
  return {
    B,
    T,
    newLp,
    entropy: randomArray(rng, N).map((x) => 1 + Math.abs(x)),
    mask,
    inputs: {
      oldLogprobs: Float32Array.from(old),
      refLogprobs: Float32Array.from(old, (x) => x + 0.3 * rng.normal()),
      advantages: Float32Array.from(randomArray(rng, B)),
      miniBatchSequences: B,
      miniBatchTokens: tokens,
    },
  };
}

/** Independent straight-line formula of the aggregated loss, written from the definitions. */
function referenceLoss(c: Case, config: PolicyLossConfig): number {
  const { B, T } = c;
  let total = 0;
  for (let b = 0; b < B; b++) {
    const A = c.inputs.advantages[b];
    const perToken: number[] = [];
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (!c.mask[i]) continue;
      const lr = Math.max(
        -config.logRatioClamp,
        Math.min(config.logRatioClamp, c.newLp[i] - c.inputs.oldLogprobs[i]),
      );
      const R = Math.exp(lr);
      let pg: number;
      if (config.clipMode === 'none') pg = -R * A;
      else {
        const clipped = Math.max(1 - config.epsLow, Math.min(1 + config.epsHigh, R));
        pg = -Math.min(R * A, clipped * A);
        if (config.dualClip !== null && A < 0) pg = Math.min(pg, -config.dualClip * A);
      }
      let kl = 0;
      if (config.klCoef > 0) {
        const logRatioRef = (c.inputs.refLogprobs as Float32Array)[i] - c.newLp[i];
        kl = config.klEstimator === 'k1' ? -logRatioRef : Math.exp(logRatioRef) - logRatioRef - 1;
      }
      perToken.push(pg + config.klCoef * kl - config.entropyCoef * c.entropy[i]);
    }
    const sum = perToken.reduce((s, x) => s + x, 0);
    if (config.aggregation === 'token-mean') total += sum / c.inputs.miniBatchTokens;
    else if (config.aggregation === 'seq-mean-token-mean') {
      if (perToken.length) total += sum / perToken.length / c.inputs.miniBatchSequences;
    } else total += sum / config.maxLengthNorm / c.inputs.miniBatchSequences;
  }
  return total;
}

const variants: [string, Partial<PolicyLossConfig>][] = [
  ['clip, seq-mean-token-mean', {}],
  ['clip, token-mean', { aggregation: 'token-mean' }],
  ['clip, seq-mean-token-sum-norm', { aggregation: 'seq-mean-token-sum-norm' }],
  ['no clip', { clipMode: 'none' }],
  ['dual clip', { dualClip: 1.5, epsLow: 0.05, epsHigh: 0.05 }],
  ['k1 KL + entropy bonus', { klCoef: 0.3, klEstimator: 'k1', entropyCoef: 0.01 }],
  ['k3 KL, token-mean', { klCoef: 0.5, klEstimator: 'k3', aggregation: 'token-mean' }],
  ['tight log-ratio clamp', { logRatioClamp: 0.25 }],
];

describe('policyLoss', () => {
  for (const [name, overrides] of variants) {
    it(`${name}: value matches the reference formula and gradients match finite differences`, () => {
      const config = { ...baseConfig, ...overrides };
      const c = randomCase(name.length * 31);
      const result = policyLoss(c.newLp, c.entropy, c.mask, c.inputs, config, c.B, c.T);
      expect(result.stats.loss).toBeCloseTo(referenceLoss(c, config), 10);
      if (config.clipMode === 'clip') {
        // Not vacuous: some tokens sit on a clip bound and some do not.
        const clipped = result.stats.clippedLow + result.stats.clippedHigh;
        expect(clipped).toBeGreaterThan(0);
        expect(clipped).toBeLessThan(result.stats.tokens);
      }
      const lossOfNew = () => policyLoss(c.newLp, c.entropy, c.mask, c.inputs, config, c.B, c.T).stats.loss;
      // Clip and clamp kinks: no sampled point sits within h of a bound (checked by the seeds used).
      expect(gradientMismatches(c.newLp, result.dNewLogprobs, lossOfNew)).toEqual([]);
      expect(gradientMismatches(c.entropy, result.dEntropy, lossOfNew)).toEqual([]);
      // Masked-out tokens get no gradient.
      for (let i = 0; i < c.mask.length; i++) if (!c.mask[i]) expect(result.dNewLogprobs[i]).toBe(0);
    });
  }

  it('splitting a mini-batch into micro-batches sums to the same loss and gradients', () => {
    for (const aggregation of ['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm'] as const) {
      const config = { ...baseConfig, aggregation, klCoef: 0.1 };
      const c = randomCase(77, 4, 5);
      const whole = policyLoss(c.newLp, c.entropy, c.mask, c.inputs, config, 4, 5);
      let lossSum = 0;
      for (const [b0, b1] of [
        [0, 1],
        [1, 4],
      ]) {
        const slice = <A extends Float32Array | Float64Array>(x: A, per: number) =>
          x.subarray(b0 * per, b1 * per) as A;
        const part = policyLoss(
          slice(c.newLp, 5),
          slice(c.entropy, 5),
          slice(c.mask, 5),
          {
            ...c.inputs,
            oldLogprobs: slice(c.inputs.oldLogprobs, 5),
            refLogprobs: slice(c.inputs.refLogprobs as Float32Array, 5),
            advantages: slice(c.inputs.advantages, 1),
          },
          config,
          b1 - b0,
          5,
        );
        lossSum += part.stats.loss;
        for (let i = 0; i < part.dNewLogprobs.length; i++) {
          expect(part.dNewLogprobs[i]).toBeCloseTo(whole.dNewLogprobs[b0 * 5 + i], 14);
        }
      }
      expect(lossSum).toBeCloseTo(whole.stats.loss, 12);
    }
  });

  it('reports ratios, clip flags, approximate KL and entropy sums', () => {
    const old = Math.log(0.5);
    // Row 0 (A = +1): R = 1.5 (upper bound binds), R = 0.5. Row 1 (A = -1): R = 0.5 (lower binds), R = 1.5.
    const newLp = Float64Array.from([
      0,
      old + Math.log(1.5),
      old + Math.log(0.5),
      0,
      old + Math.log(0.5),
      old + Math.log(1.5),
    ]);
    const mask = Float32Array.from([0, 1, 1, 0, 1, 1]);
    const inputs: PolicyLossInputs = {
      oldLogprobs: Float32Array.from([0, old, old, 0, old, old]),
      advantages: Float32Array.from([1, -1]),
      miniBatchSequences: 2,
      miniBatchTokens: 4,
    };
    const entropy = Float64Array.from([9, 1, 2, 9, 3, 4]);
    const r = policyLoss(newLp, entropy, mask, inputs, baseConfig, 2, 3);
    expect(Array.from(r.clippedHigh)).toEqual([0, 1, 0, 0, 0, 0]);
    expect(Array.from(r.clippedLow)).toEqual([0, 0, 0, 0, 1, 0]);
    expect(r.stats.clippedHigh).toBe(1);
    expect(r.stats.clippedLow).toBe(1);
    expect(r.stats.tokens).toBe(4);
    expect(r.stats.ratioSum).toBeCloseTo(4, 6);
    expect(r.stats.ratioMin).toBeCloseTo(0.5, 6);
    expect(r.stats.ratioMax).toBeCloseTo(1.5, 6);
    expect(r.stats.approxKlSum).toBeCloseTo(-2 * Math.log(1.5) - 2 * Math.log(0.5), 6);
    expect(r.stats.entropySum).toBe(10);
    // Clipped tokens carry no gradient; the others do.
    expect(r.dNewLogprobs[1]).toBe(0);
    expect(r.dNewLogprobs[4]).toBe(0);
    expect(r.dNewLogprobs[2]).not.toBe(0);
    expect(r.dNewLogprobs[5]).not.toBe(0);
    // Without clipping no bound binds and every token has a gradient.
    const none = policyLoss(newLp, entropy, mask, inputs, { ...baseConfig, clipMode: 'none' }, 2, 3);
    expect(none.stats.clippedHigh + none.stats.clippedLow).toBe(0);
    expect(none.dNewLogprobs[1]).not.toBe(0);
  });

  it("paper's worked example: with pi_old = 0.85 and eps 0.2 the upper bound 1.02 is unreachable", () => {
    const oldLp = Math.log(0.85);
    const inputs = (A: number): PolicyLossInputs => ({
      oldLogprobs: Float32Array.from([0, oldLp]),
      advantages: Float32Array.from([A]),
      miniBatchSequences: 1,
      miniBatchTokens: 1,
    });
    const mask = Float32Array.from([0, 1]);
    const config = { ...baseConfig, epsLow: 0.2, epsHigh: 0.2 };
    // Sweep the new probability over (0, 1]: a positive advantage is never clipped, so the gradient
    // keeps pushing the likely token up however far the policy has moved; a negative advantage is
    // clipped once pi < 0.8 * 0.85 = 0.68 and then stops pushing it down.
    for (let pi = 0.05; pi <= 1.0000001; pi += 0.05) {
      const newLp = Float64Array.from([0, Math.log(pi)]);
      const up = policyLoss(newLp, new Float64Array(2), mask, inputs(1), config, 1, 2);
      expect(up.stats.clippedHigh).toBe(0);
      expect(up.dNewLogprobs[1]).toBeLessThan(0); // gradient descent raises log pi
      const down = policyLoss(newLp, new Float64Array(2), mask, inputs(-1), config, 1, 2);
      if (pi < 0.68 - 1e-9) {
        expect(down.stats.clippedLow).toBe(1);
        expect(down.dNewLogprobs[1]).toBe(0);
      } else {
        expect(down.stats.clippedLow).toBe(0);
        expect(down.dNewLogprobs[1]).toBeGreaterThan(0);
      }
    }
  });

  it('rejects bad configs and inputs with specific errors', () => {
    const c = randomCase(5);
    const run =
      (config: Partial<PolicyLossConfig>, inputs: Partial<PolicyLossInputs> = {}) =>
      () =>
        policyLoss(
          c.newLp,
          c.entropy,
          c.mask,
          { ...c.inputs, ...inputs },
          { ...baseConfig, ...config },
          c.B,
          c.T,
        );
    expect(run({ epsLow: 1 })).toThrow(/epsLow must be in \[0, 1\)/);
    expect(run({ dualClip: 0.5 })).toThrow(/dualClip must be > 1/);
    expect(run({ klCoef: 0.1 }, { refLogprobs: undefined })).toThrow(/klCoef > 0 needs refLogprobs/);
    expect(run({}, { advantages: new Float32Array(3) })).toThrow(/advantages has 3 entries, expected 4/);
    expect(run({}, { miniBatchTokens: 0 })).toThrow(/miniBatchTokens must be > 0/);
    expect(run({ aggregation: 'seq-mean-token-sum-norm', maxLengthNorm: 0 })).toThrow(/maxLengthNorm/);
  });
});
