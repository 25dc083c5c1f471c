// The WebGPU engine checked against the CPU engine on whatever adapter it runs on: the kernel tier
// proves the kernels on SwiftShader, but a real GPU runs the same WGSL with real parallelism
// (workgroup-memory races, subnormals, fast-math) and may pick another matmul variant. This runs the
// whole-model comparisons of backend.gpu.test.ts for every matmul variant on one adapter and returns
// a report instead of asserting, so `npm run gpu-check` can print it on a user's machine.
import type { ModelConfig } from '../model/config';
import { initParameters, parameterLayout } from '../model/layout';
import { Random } from '../util/random';
import type { AdamWConfig, EngineModel, PolicyLossConfig, PolicyLossInputs, TokenBatch } from './backend';
import { CpuBackend } from './cpu/backend';
import { CpuTransformer } from './cpu/model';
import { policyLoss } from './cpu/policyLoss';
import { WebGpuBackend, type WebGpuModel } from './webgpu/backend';
import type { GpuContext } from './webgpu/device';
import { MATMUL_VARIANTS, type MatmulVariant, variantName } from './webgpu/matmul';

/** One comparison: the worst error relative to its tolerance (`ratio` <= 1 passes). */
export interface SelfCheckRow {
  variant: string;
  model: string;
  check: string;
  /** max |gpu - cpu| over the compared values. */
  maxAbsError: number;
  /** max over elements of |gpu - cpu| / (atol + rtol |cpu|); NaN or > 1 fails. */
  ratio: number;
  pass: boolean;
}

export interface SelfCheckModel {
  name: string;
  config: ModelConfig;
  B: number;
  T: number;
}

/** Tolerances as in backend.gpu.test.ts: f32 sums in another order, over depth-2 models. */
const LOGPROB_TOL = { atol: 2e-4, rtol: 1e-3 };
const TRAJECTORY_TOL = { atol: 1e-3, rtol: 1e-3 };

/** Ragged right-padded batch: rows of decreasing length, loss on everything after a short prompt. */
export function selfCheckBatch(config: ModelConfig, B: number, T: number, seed: number): TokenBatch {
  const rng = new Random(seed, 11);
  const lengths = Int32Array.from({ length: B }, (_, b) => Math.max(2, T - Math.floor((b * T) / (2 * B))));
  const tokens = new Int32Array(B * T);
  const lossMask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (t >= lengths[b]) tokens[i] = config.pad_token_id;
      else {
        tokens[i] = rng.int(3, config.vocab_size - 1);
        if (t >= 2) lossMask[i] = 1;
      }
    }
  }
  return { B, T, tokens, lengths, lossMask };
}

export function compare(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: { atol: number; rtol: number },
): { maxAbsError: number; ratio: number } {
  if (got.length !== want.length) return { maxAbsError: Number.NaN, ratio: Number.NaN };
  let maxAbsError = 0;
  let ratio = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (Number.isNaN(err)) return { maxAbsError: Number.NaN, ratio: Number.NaN };
    maxAbsError = Math.max(maxAbsError, err);
    ratio = Math.max(ratio, err / (tol.atol + tol.rtol * Math.abs(want[i])));
  }
  return { maxAbsError, ratio };
}

/**
 * Gradients judged against a float64 run of the CPU engine: per tensor, the GPU's worst error must be
 * within 8x the worst error of the float32 CPU engine plus 1e-4 of the tensor's largest gradient.
 * Why not a fixed tolerance: on a width-128 model with peaked logits the two float32 engines differ by
 * more than the tiny-model tolerances while both are close to the exact gradient. The GPU's weight
 * gradients sum B*T rows in one serial float32 chain per output, where the CPU's SIMD kernel keeps
 * several partial sums, so its error is measured at 1-5x the CPU's; a broken kernel (a race, a wrong
 * index) is off by a sizeable fraction of the gradient, orders of magnitude beyond this bound.
 */
export function compareGradients(
  config: ModelConfig,
  gpu: Float32Array,
  cpu: Float32Array,
  exact: Float64Array,
) {
  let maxAbsError = 0;
  let ratio = 0;
  for (const e of parameterLayout(config).entries) {
    let gpuErr = 0;
    let cpuErr = 0;
    let scale = 0;
    for (let i = e.offset; i < e.offset + e.size; i++) {
      const g = Math.abs(gpu[i] - exact[i]);
      if (Number.isNaN(g)) return { maxAbsError: Number.NaN, ratio: Number.NaN };
      gpuErr = Math.max(gpuErr, g);
      cpuErr = Math.max(cpuErr, Math.abs(cpu[i] - exact[i]));
      scale = Math.max(scale, Math.abs(exact[i]));
    }
    maxAbsError = Math.max(maxAbsError, gpuErr);
    ratio = Math.max(ratio, gpuErr / (8 * cpuErr + 1e-4 * scale + 1e-12));
  }
  return { maxAbsError, ratio };
}

/** Parameter gradients in float64 for upstream gradients on the token log-probs (and entropies). */
function exactGradients(
  config: ModelConfig,
  params: Float32Array,
  batch: TokenBatch,
  temperature: number,
  upstream: (
    logprobs: Float64Array,
    entropy: Float64Array,
  ) => { dlogprobs: ArrayLike<number>; dentropy: ArrayLike<number> | null },
): Float64Array {
  const model = new CpuTransformer(config, 'f64');
  const p = Float64Array.from(params);
  const grads = new Float64Array(p.length);
  const acts = model.forward(p, batch.tokens, batch.lengths, batch.B, batch.T);
  const scores = model.tokenScores(acts, batch.lossMask, temperature);
  const { dlogprobs, dentropy } = upstream(
    Float64Array.from(scores.logprobs),
    Float64Array.from(scores.entropy),
  );
  model.tokenScoresBackward(p, grads, acts, dlogprobs, dentropy, temperature);
  return grads;
}

const ADAM: AdamWConfig = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 };
const POLICY: PolicyLossConfig = {
  clipMode: 'clip',
  epsLow: 0.2,
  epsHigh: 0.2,
  dualClip: 3,
  logRatioClamp: 20,
  klCoef: 0.05,
  klEstimator: 'k3',
  entropyCoef: 0.01,
  aggregation: 'seq-mean-token-mean',
  maxLengthNorm: 64,
};

/** Every comparison for one model on one variant. */
async function checkModel(
  gpuBackend: WebGpuBackend,
  variant: string,
  { name, config, B, T }: SelfCheckModel,
  trajectorySteps: number,
): Promise<SelfCheckRow[]> {
  const rows: SelfCheckRow[] = [];
  const add = (check: string, r: { maxAbsError: number; ratio: number }) =>
    rows.push({ variant, model: name, check, ...r, pass: r.ratio <= 1 });
  const params = initParameters(config, 5);
  // Larger than the 0.02 init, so attention and the softmax are far from uniform.
  for (let i = 0; i < params.length; i++) params[i] *= 5;
  varyNormsAndBiases(config, params, 5, 5);
  const batch = selfCheckBatch(config, B, T, 6);
  const g = await gpuBackend.createModel(config, params);
  const c: EngineModel = await new CpuBackend().createModel(config, params);
  try {
    const [gs, cs] = [await g.scoreTokens(batch, 0.8), await c.scoreTokens(batch, 0.8)];
    add('log-probs (T=0.8)', compare(gs.logprobs, cs.logprobs, LOGPROB_TOL));
    add('entropies (T=0.8)', compare(gs.entropy, cs.entropy, LOGPROB_TOL));

    for (const m of [g, c]) m.zeroGradients();
    const [gl, cl] = [await g.nllStep(batch), await c.nllStep(batch)];
    add('NLL loss', compare([gl.loss], [cl.loss], LOGPROB_TOL));
    const tokens = batch.lossMask.reduce((sum, x) => sum + x, 0);
    const exactNll = exactGradients(config, params, batch, 1, () => ({
      dlogprobs: Array.from(batch.lossMask, (m) => -m / tokens),
      dentropy: null,
    }));
    add(
      'NLL gradients (vs float64)',
      compareGradients(config, await g.readGradients(), await c.readGradients(), exactNll),
    );

    const rng = new Random(7, 3);
    const oldLogprobs = cs.logprobs.map((lp, i) => (batch.lossMask[i] ? lp + (rng.next() - 0.5) * 0.6 : 0));
    const refLogprobs = cs.logprobs.map((lp, i) => (batch.lossMask[i] ? lp - (rng.next() - 0.5) * 0.3 : 0));
    const inputs: PolicyLossInputs = {
      oldLogprobs,
      refLogprobs,
      advantages: Float32Array.from({ length: B }, (_, b) => ((b % 3) - 1) * 0.9 + 0.1),
      miniBatchSequences: B,
      miniBatchTokens: batch.lossMask.reduce((s, x) => s + x, 0),
    };
    for (const m of [g, c]) m.zeroGradients();
    const [gp, cp] = [
      await g.policyStep(batch, inputs, POLICY, 0.8),
      await c.policyStep(batch, inputs, POLICY, 0.8),
    ];
    add(
      'GRPO loss',
      compare(
        [gp.loss, gp.clippedLow, gp.clippedHigh],
        [cp.loss, cp.clippedLow, cp.clippedHigh],
        LOGPROB_TOL,
      ),
    );
    const exactPolicy = exactGradients(config, params, batch, 0.8, (logprobs, entropy) => {
      const r = policyLoss(logprobs, entropy, batch.lossMask, inputs, POLICY, B, T);
      return { dlogprobs: r.dNewLogprobs, dentropy: r.dEntropy };
    });
    add(
      'GRPO gradients (vs float64)',
      compareGradients(config, await g.readGradients(), await c.readGradients(), exactPolicy),
    );

    // AdamW trajectory from the ordinary 0.02 initialisation. (From the x5 weights above the loss
    // falls from ~11 to ~0.1 in ten clipped steps, a chaotic regime where float32 rounding differences
    // grow ~10x per step in both engines alike, so the two curves part after a few steps.)
    const initial = initParameters(config, 5);
    await g.writeParameters(initial);
    await c.writeParameters(initial);
    const losses: number[][] = [[], []];
    for (let s = 0; s < trajectorySteps; s++) {
      for (const [k, m] of [g, c].entries()) {
        m.zeroGradients();
        losses[k].push((await m.nllStep(batch)).loss);
        await m.optimizerStep(ADAM);
      }
    }
    add(`${trajectorySteps}-step AdamW losses`, compare(losses[0], losses[1], TRAJECTORY_TOL));

    // Greedy decoding from the starting parameters: token ids must be identical, on both decode paths
    // where the model fits the fused layer (decode_layer.wgsl), whichever this adapter uses by default
    // (up to 8 rows, so the fused layer runs two workgroups of rows).
    await g.writeParameters(params);
    await c.writeParameters(params);
    const prompts = Array.from({ length: Math.min(B, 8) }, (_, b) => batch.tokens.slice(b * T, b * T + 3));
    const request = {
      prompts,
      maxNewTokens: 8,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 1,
      stream: 0,
      eosId: config.eos_token_id,
    };
    const want = await c.generate(request);
    const net = (g as WebGpuModel).net;
    const byDefault = net.fusedDecode;
    for (const fused of net.fusedDecodeUnfit === null ? [true, false] : [false]) {
      net.fusedDecode = fused;
      const got = await g.generate(request);
      const differing = got.completions.filter((ids, i) => ids.join() !== want.completions[i].join()).length;
      rows.push({
        variant,
        model: name,
        check: `greedy decoding (KV cache, ${fused ? 'fused layer' : '12 kernels per layer'})`,
        maxAbsError: differing,
        ratio: differing,
        pass: differing === 0,
      });
    }
    net.fusedDecode = byDefault;
  } finally {
    g.dispose();
  }
  return rows;
}

/**
 * Random RMSNorm weights (normScale x U(0.5, 1.5)) and biases (U(-0.5, 0.5)) in place of their 1 / 0
 * initialisation, so a check sees a kernel that drops a bias or reads the wrong norm weight.
 */
export function varyNormsAndBiases(
  config: ModelConfig,
  params: Float32Array,
  seed: number,
  normScale = 1,
): void {
  const rng = new Random(seed, 7);
  for (const e of parameterLayout(config).entries) {
    if (e.init === 'normal') continue;
    for (let i = e.offset; i < e.offset + e.size; i++) {
      params[i] = e.init === 'ones' ? normScale * (0.5 + rng.next()) : rng.next() - 0.5;
    }
  }
}

export interface SelfCheckOptions {
  models: SelfCheckModel[];
  /** Matmul variants to check; default every variant. */
  variants?: readonly MatmulVariant[];
  trajectorySteps?: number;
}

/** Runs every check on every (variant, model) pair of this adapter. */
export async function selfCheckWebGpu(ctx: GpuContext, options: SelfCheckOptions): Promise<SelfCheckRow[]> {
  const rows: SelfCheckRow[] = [];
  for (const variant of options.variants ?? MATMUL_VARIANTS) {
    const backend = await WebGpuBackend.create(ctx, { matmul: variant });
    for (const model of options.models) {
      rows.push(...(await checkModel(backend, variantName(variant), model, options.trajectorySteps ?? 10)));
    }
  }
  return rows;
}
