// Kernel tier: shaders/grpo_loss.wgsl against a straight-line float64 formula written here (not the
// CPU twin), for every clip / dual-clip / KL / entropy / aggregation combination: per-token losses,
// gradients (checked by central finite differences of the straight-line loss), clip flags and the
// PolicyLossStats sums. Plus the paper's worked example: with pi_old = 0.85 and eps = 0.2 the upper
// bound (pi = 1.02) is unreachable while the lower one (pi = 0.68) binds.
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../util/random';
import type { PolicyLossConfig, PolicyLossInputs, PolicyLossStats } from '../backend';
import { policyLoss } from '../cpu/policyLoss';
import { encodePolicyLoss, POLICY_STATS, packPolicyTokenInputs, policyLossStats } from './grpoLoss';
import { type GpuTensor, KernelRunner } from './kernel';
import { expectClose as expectCloseTol } from './kernelTestKit';
import { acquireNodeGpu } from './node-gpu';

let runner: KernelRunner;
beforeAll(async () => {
  runner = new KernelRunner(await acquireNodeGpu());
});

/** kernelTestKit.ts's comparison with this file's default tolerances, positional. */
const expectClose = (
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol = 1e-5,
  rtol = 1e-4,
) => expectCloseTol(name, got, want, { atol, rtol });

interface Batch {
  B: number;
  T: number;
  newLogprobs: Float32Array;
  entropy: Float32Array;
  lossMask: Float32Array;
  inputs: PolicyLossInputs;
}

interface GpuResult {
  dNew: Float32Array;
  dEntropy: Float32Array;
  tokenOut: Float32Array;
  stats: PolicyLossStats;
}

function upload(label: string, data: Float32Array): GpuTensor {
  const t = runner.pool.tensor(`grpo.test.${label}`, data.length);
  runner.write(t, data);
  return t;
}

async function runGpu(batch: Batch, config: PolicyLossConfig): Promise<GpuResult> {
  const { B, T, inputs } = batch;
  const t = {
    newLogprobs: upload('new', batch.newLogprobs),
    entropy: upload('entropy', batch.entropy),
    tokenInputs: upload(
      'tokenIn',
      packPolicyTokenInputs(inputs.oldLogprobs, inputs.refLogprobs, batch.lossMask),
    ),
    advantages: upload('adv', inputs.advantages),
    dNewLogprobs: runner.pool.tensor('grpo.test.dNew', B * T),
    dEntropy: runner.pool.tensor('grpo.test.dEnt', B * T),
    tokenOut: runner.pool.tensor('grpo.test.tokenOut', B * T * 4),
    seqStats: runner.pool.tensor('grpo.test.seqStats', B * POLICY_STATS),
    stats: runner.pool.tensor('grpo.test.stats', POLICY_STATS),
  };
  const step = runner.begin('grpo loss test');
  encodePolicyLoss(step, t, config, inputs, B, T);
  const reads = [t.dNewLogprobs, t.dEntropy, t.tokenOut, t.stats].map((x) => step.read(x));
  await step.submit();
  const [dNew, dEntropy, tokenOut, stats] = await Promise.all(reads);
  return { dNew, dEntropy, tokenOut, stats: policyLossStats(stats) };
}

// ---- the straight-line reference (float64) -------------------------------------------------------

/** Loss of one token exactly as the brief states it; `lp` and `ent` are the differentiated inputs. */
function tokenLoss(
  lp: number,
  ent: number,
  old: number,
  ref: number,
  A: number,
  c: PolicyLossConfig,
): number {
  const R = Math.exp(Math.min(Math.max(lp - old, -c.logRatioClamp), c.logRatioClamp));
  let pg: number;
  if (c.clipMode === 'clip') {
    const clipR = Math.min(Math.max(R, 1 - c.epsLow), 1 + c.epsHigh);
    pg = -Math.min(R * A, clipR * A);
    if (c.dualClip !== null && A < 0) pg = Math.min(pg, -c.dualClip * A);
  } else {
    pg = -R * A; // the ablation clips nothing, dual clip included
  }
  let kl = 0;
  if (c.klCoef > 0) kl = c.klEstimator === 'k1' ? lp - ref : Math.exp(ref - lp) - (ref - lp) - 1;
  return pg + c.klCoef * kl - c.entropyCoef * ent;
}

function tokenWeight(batch: Batch, b: number, c: PolicyLossConfig): number {
  const { T, lossMask, inputs } = batch;
  let count = 0;
  for (let t = 0; t < T; t++) count += lossMask[b * T + t];
  if (c.aggregation === 'token-mean') return 1 / inputs.miniBatchTokens;
  if (c.aggregation === 'seq-mean-token-sum-norm') return 1 / (c.maxLengthNorm * inputs.miniBatchSequences);
  return count > 0 ? 1 / (count * inputs.miniBatchSequences) : 0;
}

function reference(batch: Batch, c: PolicyLossConfig) {
  const { B, T, newLogprobs, entropy, lossMask, inputs } = batch;
  const n = B * T;
  const tokenLosses = new Float64Array(n);
  const dNew = new Float64Array(n);
  const dEntropy = new Float64Array(n);
  const flags = new Float64Array(n);
  const ratio = new Float64Array(n);
  const stats: PolicyLossStats = {
    loss: 0,
    tokens: 0,
    ratioSum: 0,
    ratioMin: Number.POSITIVE_INFINITY,
    ratioMax: Number.NEGATIVE_INFINITY,
    clippedLow: 0,
    clippedHigh: 0,
    approxKlSum: 0,
    refKlSum: 0,
    entropySum: 0,
  };
  const h = 1e-6;
  for (let b = 0; b < B; b++) {
    const w = tokenWeight(batch, b, c);
    const A = inputs.advantages[b];
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (!lossMask[i]) continue;
      const old = inputs.oldLogprobs[i];
      const ref = inputs.refLogprobs?.[i] ?? 0;
      const f = (lp: number, ent: number) => tokenLoss(lp, ent, old, ref, A, c);
      const lp = newLogprobs[i];
      tokenLosses[i] = f(lp, entropy[i]);
      // Central differences of the weighted loss: independent of any hand-derived gradient.
      dNew[i] = (w * (f(lp + h, entropy[i]) - f(lp - h, entropy[i]))) / (2 * h);
      dEntropy[i] = (w * (f(lp, entropy[i] + h) - f(lp, entropy[i] - h))) / (2 * h);
      const R = Math.exp(Math.min(Math.max(lp - old, -c.logRatioClamp), c.logRatioClamp));
      ratio[i] = R;
      const low = c.clipMode === 'clip' && R < 1 - c.epsLow && A < 0;
      const high = c.clipMode === 'clip' && R > 1 + c.epsHigh && A > 0;
      flags[i] = (low ? 1 : 0) + (high ? 2 : 0);
      stats.loss += w * tokenLosses[i];
      stats.tokens++;
      stats.ratioSum += R;
      stats.ratioMin = Math.min(stats.ratioMin, R);
      stats.ratioMax = Math.max(stats.ratioMax, R);
      stats.clippedLow += low ? 1 : 0;
      stats.clippedHigh += high ? 1 : 0;
      stats.approxKlSum += old - lp;
      if (c.klCoef > 0)
        stats.refKlSum += c.klEstimator === 'k1' ? lp - ref : Math.exp(ref - lp) - (ref - lp) - 1;
      stats.entropySum += entropy[i];
    }
  }
  return { tokenLosses, dNew, dEntropy, flags, ratio, stats };
}

// ---- inputs -------------------------------------------------------------------------------------

/**
 * Ragged right-padded rows (one empty), advantages of both signs and one zero, log-ratios mostly within
 * +-0.5 plus a few beyond the clamp. Ratios within 1e-3 of a clip bound are nudged away so the finite
 * differences never straddle a kink.
 */
function makeBatch(seed: number, c: PolicyLossConfig): Batch {
  const rng = new Random(seed);
  const B = 5;
  const T = 13;
  const lengths = [13, 9, 4, 0, 11];
  const advantages = Float32Array.from([1.3, -0.8, 0.5, 1, 0]);
  advantages[0] = rng.normal() > 0 ? 1.3 : -1.1;
  const n = B * T;
  const lossMask = new Float32Array(n);
  const oldLogprobs = new Float32Array(n);
  const newLogprobs = new Float32Array(n);
  const refLogprobs = new Float32Array(n);
  const entropy = new Float32Array(n);
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < lengths[b]; t++) {
      const i = b * T + t;
      lossMask[i] = 1;
      oldLogprobs[i] = -Math.abs(rng.normal()) * 2 - 0.05;
      let diff = rng.normal() * 0.3;
      if (rng.next() < 0.1) diff = rng.normal() > 0 ? 2.5 : -2.5; // beyond the clamps used below
      if (t === 2) diff = b % 2 ? 2.5 : -2.5; // every row with length > 2 hits the clamp (and dual clip)
      if (t === 3) diff = b % 2 ? -2.5 : 2.5;
      for (const bound of [
        Math.log(1 - c.epsLow),
        Math.log(1 + c.epsHigh),
        c.logRatioClamp,
        -c.logRatioClamp,
      ]) {
        if (Math.abs(diff - bound) < 1e-3) diff = bound + 5e-3;
      }
      newLogprobs[i] = oldLogprobs[i] + diff;
      refLogprobs[i] = oldLogprobs[i] + rng.normal() * 0.2;
      entropy[i] = Math.abs(rng.normal()) * 1.5;
    }
  }
  // Padding positions hold junk, which the mask must neutralise.
  for (let i = 0; i < n; i++) {
    if (!lossMask[i]) {
      newLogprobs[i] = 7;
      oldLogprobs[i] = -9;
    }
  }
  const tokens = lossMask.reduce((a, x) => a + x, 0);
  return {
    B,
    T,
    newLogprobs,
    entropy,
    lossMask,
    // The micro-batch is part of a larger mini-batch, as in the trainer.
    inputs: { oldLogprobs, refLogprobs, advantages, miniBatchSequences: 2 * B, miniBatchTokens: 3 * tokens },
  };
}

const BASE: PolicyLossConfig = {
  clipMode: 'clip',
  epsLow: 0.2,
  epsHigh: 0.28,
  dualClip: null,
  logRatioClamp: 1.5,
  klCoef: 0,
  klEstimator: 'k1',
  entropyCoef: 0,
  aggregation: 'seq-mean-token-mean',
  maxLengthNorm: 16,
};

function allConfigs(): PolicyLossConfig[] {
  const configs: PolicyLossConfig[] = [];
  for (const clipMode of ['clip', 'none'] as const) {
    for (const dualClip of [null, 1.5]) {
      for (const kl of ['off', 'k1', 'k3'] as const) {
        for (const aggregation of ['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm'] as const) {
          configs.push({
            ...BASE,
            clipMode,
            dualClip,
            klCoef: kl === 'off' ? 0 : 0.05,
            klEstimator: kl === 'k3' ? 'k3' : 'k1',
            entropyCoef: configs.length % 2 ? 0.01 : 0,
            aggregation,
          });
        }
      }
    }
  }
  return configs;
}

function describeConfig(c: PolicyLossConfig): string {
  const kl = c.klCoef > 0 ? c.klEstimator : 'no-kl';
  return `${c.clipMode} dual=${c.dualClip} ${kl} ent=${c.entropyCoef} ${c.aggregation}`;
}

describe('grpo_loss.wgsl', () => {
  const configs = allConfigs();
  it(`matches the straight-line formula in all ${configs.length} mode combinations`, async () => {
    for (const [k, config] of configs.entries()) {
      const batch = makeBatch(100 + k, config);
      const name = describeConfig(config);
      const got = await runGpu(batch, config);
      const want = reference(batch, config);
      const n = batch.B * batch.T;
      const pick = (j: number) => Float32Array.from({ length: n }, (_, i) => got.tokenOut[4 * i + j]);
      expectClose(`${name}: per-token loss`, pick(0), want.tokenLosses);
      expectClose(`${name}: ratio`, pick(1), want.ratio);
      expectClose(`${name}: clip flags`, pick(2), want.flags, 0, 0);
      // Finite differences in float64 carry ~1e-9 error; the kernel's f32 analytic gradient ~1e-7.
      expectClose(`${name}: d loss / d new logprob`, got.dNew, want.dNew, 1e-6, 1e-4);
      expectClose(`${name}: d loss / d entropy`, got.dEntropy, want.dEntropy, 1e-7, 1e-4);
      const keys = Object.keys(want.stats) as (keyof PolicyLossStats)[];
      expectClose(
        `${name}: stats (${keys.join(', ')})`,
        keys.map((key) => got.stats[key]),
        keys.map((key) => want.stats[key]),
        1e-5,
        1e-5,
      );
    }
  });

  it('agrees with the CPU twin (cpu/policyLoss.ts) in every mode combination', async () => {
    for (const [k, config] of configs.entries()) {
      const batch = makeBatch(300 + k, config);
      const name = `${describeConfig(config)} vs cpu`;
      const got = await runGpu(batch, config);
      const cpu = policyLoss(
        batch.newLogprobs,
        batch.entropy,
        batch.lossMask,
        batch.inputs,
        config,
        batch.B,
        batch.T,
      );
      const n = batch.B * batch.T;
      const flags = Float64Array.from({ length: n }, (_, i) => cpu.clippedLow[i] + 2 * cpu.clippedHigh[i]);
      expectClose(
        `${name}: clip flags`,
        Float32Array.from({ length: n }, (_, i) => got.tokenOut[4 * i + 2]),
        flags,
        0,
        0,
      );
      expectClose(`${name}: d loss / d new logprob`, got.dNew, cpu.dNewLogprobs, 1e-7, 1e-4);
      expectClose(`${name}: d loss / d entropy`, got.dEntropy, cpu.dEntropy, 1e-8, 1e-5);
      const keys = Object.keys(cpu.stats) as (keyof PolicyLossStats)[];
      expectClose(
        `${name}: stats (${keys.join(', ')})`,
        keys.map((key) => got.stats[key]),
        keys.map((key) => cpu.stats[key]),
        1e-5,
        1e-5,
      );
    }
  });

  it('gives the same loss and gradients when a mini-batch is split into micro-batches', async () => {
    for (const aggregation of ['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm'] as const) {
      const config = {
        ...BASE,
        aggregation,
        dualClip: 2,
        klCoef: 0.1,
        klEstimator: 'k3' as const,
        entropyCoef: 0.01,
      };
      const full = makeBatch(77, config);
      // The batch is the whole mini-batch here; each half carries the whole mini-batch's totals.
      const tokens = full.lossMask.reduce((a, x) => a + x, 0);
      full.inputs.miniBatchSequences = full.B;
      full.inputs.miniBatchTokens = tokens;
      const whole = await runGpu(full, config);
      const split = [
        [0, 2],
        [2, full.B],
      ];
      let loss = 0;
      const dNew = new Float32Array(full.B * full.T);
      for (const [from, to] of split) {
        const T = full.T;
        const slice = (x: Float32Array) => x.slice(from * T, to * T);
        const part: Batch = {
          B: to - from,
          T,
          newLogprobs: slice(full.newLogprobs),
          entropy: slice(full.entropy),
          lossMask: slice(full.lossMask),
          inputs: {
            oldLogprobs: slice(full.inputs.oldLogprobs),
            refLogprobs: slice(full.inputs.refLogprobs!),
            advantages: full.inputs.advantages.slice(from, to),
            miniBatchSequences: full.B,
            miniBatchTokens: tokens,
          },
        };
        const got = await runGpu(part, config);
        loss += got.stats.loss;
        dNew.set(got.dNew, from * T);
      }
      expectClose(`${aggregation}: summed micro-batch losses`, [loss], [whole.stats.loss], 1e-6, 1e-5);
      expectClose(`${aggregation}: micro-batch gradients`, dNew, whole.dNew, 0, 1e-6);
    }
  });

  it('exercises every branch: clipped both ways, dual clip, clamp, zero advantage', () => {
    // Guards the test inputs themselves: each branch the kernel has must be hit by makeBatch.
    const config = { ...BASE, dualClip: 1.5 };
    const batch = makeBatch(100, config);
    const want = reference(batch, config);
    const { B, T, inputs } = batch;
    let dualBinds = 0;
    let clamped = 0;
    for (let i = 0; i < B * T; i++) {
      if (!batch.lossMask[i]) continue;
      const A = inputs.advantages[Math.floor(i / T)];
      if (
        A < 0 &&
        -1.5 * A <
          tokenLoss(batch.newLogprobs[i], 0, inputs.oldLogprobs[i], 0, A, { ...config, dualClip: null })
      )
        dualBinds++;
      if (Math.abs(batch.newLogprobs[i] - inputs.oldLogprobs[i]) > config.logRatioClamp) clamped++;
    }
    expect(want.stats.clippedLow).toBeGreaterThan(0);
    expect(want.stats.clippedHigh).toBeGreaterThan(0);
    expect(dualBinds).toBeGreaterThan(0);
    expect(clamped).toBeGreaterThan(0);
  });

  it("paper's worked example: pi_old = 0.85, eps 0.2 — the upper bound is unreachable, the lower one binds", async () => {
    // Row 0: A = +1, row 1: A = -1; position t + 1 has pi = (t + 1) / 100 for t = 0..99 (pi in (0, 1]).
    const T = 101;
    const B = 2;
    const n = B * T;
    const newLogprobs = new Float32Array(n);
    const oldLogprobs = new Float32Array(n).fill(Math.log(0.85));
    const lossMask = new Float32Array(n);
    const pis = new Float64Array(n);
    for (let b = 0; b < B; b++) {
      for (let t = 1; t < T; t++) {
        pis[b * T + t] = t / 100;
        newLogprobs[b * T + t] = Math.log(t / 100);
        lossMask[b * T + t] = 1;
      }
    }
    const batch: Batch = {
      B,
      T,
      newLogprobs,
      entropy: new Float32Array(n),
      lossMask,
      inputs: {
        oldLogprobs,
        advantages: Float32Array.from([1, -1]),
        miniBatchSequences: B,
        miniBatchTokens: 200,
      },
    };
    const clip: PolicyLossConfig = { ...BASE, epsLow: 0.2, epsHigh: 0.2, logRatioClamp: 20 };
    const got = await runGpu(batch, clip);
    const w = 1 / (100 * B);
    let lowFlags = 0;
    for (let t = 1; t < T; t++) {
      const pi = pis[t];
      const R = pi / 0.85;
      // A > 0: R <= 1/0.85 < 1.2 for every reachable pi, so the upper bound never binds and the gradient
      // -A * R * w always flows: the clip can only ever hold back decreases, never increases.
      expect(got.tokenOut[4 * t + 2], `A>0 flag at pi=${pi}`).toBe(0);
      expect(got.dNew[t]).toBeCloseTo(-R * w, 6);
      // A < 0: the lower bound 0.8 is reached at pi = 0.68; below it the token is clipped, gradient 0.
      const i = T + t;
      if (Math.abs(pi - 0.68) < 0.005) continue; // the bound itself is a float coin toss
      const clipped = pi < 0.68;
      lowFlags += clipped ? 1 : 0;
      expect(got.tokenOut[4 * i + 2], `A<0 flag at pi=${pi}`).toBe(clipped ? 1 : 0);
      expect(got.dNew[i], `A<0 gradient at pi=${pi}`).toBeCloseTo(clipped ? 0 : R * w, 6);
    }
    expect(lowFlags).toBe(67); // pi = 0.01 .. 0.67
    expect(got.stats.clippedHigh).toBe(0);
    expect(got.stats.clippedLow).toBe(67);
    expect(got.stats.ratioMax).toBeCloseTo(1 / 0.85, 5);

    // The no-clip ablation on the same tokens: no bound binds, and the gradient keeps flowing (R * w)
    // where the clipped loss had cut it.
    const none = await runGpu(batch, { ...clip, clipMode: 'none' });
    expect(none.stats.clippedLow).toBe(0);
    for (let t = 1; t < 68; t++) expect(none.dNew[T + t]).toBeCloseTo((pis[t] / 0.85) * w, 6);
  });

  it('reports empty micro-batches as zero tokens with infinite ratio bounds', async () => {
    const config = { ...BASE, aggregation: 'token-mean' as const };
    const batch = makeBatch(5, config);
    batch.lossMask.fill(0);
    const got = await runGpu(batch, config);
    expect(got.stats.tokens).toBe(0);
    expect(got.stats.loss).toBe(0);
    expect(got.stats.ratioMin).toBe(Number.POSITIVE_INFINITY);
    expect(got.stats.ratioMax).toBe(Number.NEGATIVE_INFINITY);
    expect(got.dNew.every((x) => x === 0)).toBe(true);
  });
});
