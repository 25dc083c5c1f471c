// The Qwen2 decoder on the GPU: parameters, gradients and AdamW moments in four flat buffers (the HF
// layout of src/model/layout.ts with every tensor padded to the storage-offset alignment so it can be
// bound on its own, and the MLP width padded to a multiple of 4: gpuIntermediate), activations in a
// per-model buffer pool, and forward / backward recorded into a Step with the same structure as
// src/engine/cpu/model.ts (read them side by side).
//
// One block (pre-norm):  h = x + o_proj(attn(rope(q(ln1 x)), rope(k(ln1 x)), v(ln1 x)))
//                        y = h + down(silu(gate(ln2 h)) * up(ln2 h))

import { headDim, type ModelConfig, validateConfig } from '../../model/config';
import { type ModelTensors, namedTensors, type ParameterLayout, parameterLayout } from '../../model/layout';
import { ropeTables } from '../rope';
import { checkBatchShape } from '../validate';
import {
  attentionRows,
  attentionStatsElements,
  encodeAttentionBackward,
  encodeAttentionForward,
  encodeKvCacheWrite,
} from './attention';
import { type DecodeLayerShape, decodeLayerPlan, encodeDecodeLayer, fusedDecodeUnfit } from './decodeLayer';
import { BufferPool, GpuCapacityError, type GpuTensor, type KernelRunner, type Step } from './kernel';
import type { MatmulOps } from './matmul';
import * as ops from './ops';
import { encodeSample, type SamplingParams, samplingRows, samplingScratchElements } from './sampling';

/** Where each HF tensor sits in the padded GPU buffers. */
export interface GpuLayout {
  layout: ParameterLayout;
  /** Element offset of each entry (same order as layout.entries). */
  offsets: number[];
  /** GPU shape of each entry as [rows, row stride]: the HF shape with the MLP width padded. */
  shapes: [number, number][];
  /** Elements of the padded flat buffers. */
  total: number;
}

/**
 * The MLP width on the GPU: intermediate_size rounded up to a multiple of 4, so every MLP matmul can
 * take the vec4 / vec8 kernels (a row stride that is no multiple of 4 forces scalar loads, 1.5-3x
 * slower on SwiftShader). gate/up weights get zero rows and down weights zero columns up to it, the MLP
 * activations zero columns; zeros stay zeros through forward, backward and AdamW.
 */
export function gpuIntermediate(config: ModelConfig): number {
  return Math.ceil(config.intermediate_size / 4) * 4;
}

export function gpuLayout(config: ModelConfig, alignElements: number): GpuLayout {
  const layout = parameterLayout(config);
  const Ip = gpuIntermediate(config);
  const offsets: number[] = [];
  const shapes: [number, number][] = [];
  let at = 0;
  for (const e of layout.entries) {
    let [rows, cols] = e.shape.length === 2 ? e.shape : [1, e.size];
    if (/mlp\.(gate|up)_proj\.weight$/.test(e.name)) rows = Ip; // (I, C) -> (Ip, C)
    if (/mlp\.down_proj\.weight$/.test(e.name)) cols = Ip; // (C, I) -> (C, Ip)
    offsets.push(at);
    shapes.push([rows, cols]);
    at += Math.ceil((rows * cols) / alignElements) * alignElements;
  }
  return { layout, offsets, shapes, total: Math.max(at, alignElements) };
}

/** Flat HF-layout array -> padded GPU layout (padding zeros, so AdamW leaves it at zero). */
export function padFlat(g: GpuLayout, flat: Float32Array): Float32Array {
  if (flat.length !== g.layout.total) {
    throw new RangeError(`flat array has ${flat.length} values, the layout needs ${g.layout.total}`);
  }
  const out = new Float32Array(g.total);
  g.layout.entries.forEach((e, i) => {
    const cols = e.shape.length === 2 ? e.shape[1] : e.size;
    const stride = g.shapes[i][1];
    for (let r = 0; r < e.size / cols; r++) {
      out.set(flat.subarray(e.offset + r * cols, e.offset + (r + 1) * cols), g.offsets[i] + r * stride);
    }
  });
  return out;
}

export function unpadFlat(g: GpuLayout, padded: Float32Array): Float32Array {
  const out = new Float32Array(g.layout.total);
  g.layout.entries.forEach((e, i) => {
    const cols = e.shape.length === 2 ? e.shape[1] : e.size;
    const stride = g.shapes[i][1];
    for (let r = 0; r < e.size / cols; r++) {
      const from = g.offsets[i] + r * stride;
      out.set(padded.subarray(from, from + cols), e.offset + r * cols);
    }
  });
  return out;
}

type ModelWeights = ModelTensors<GpuTensor>;

/** Per-layer activations of a (B, T) batch kept for backward, N = B*T rows. */
interface LayerActs {
  ln1: GpuTensor; // (N, C)
  ln1Rstd: GpuTensor; // (N)
  q: GpuTensor; // (N, H*D) after RoPE
  k: GpuTensor; // (N, KVH*D) after RoPE
  v: GpuTensor; // (N, KVH*D)
  attOut: GpuTensor; // (N, H*D)
  attStats: GpuTensor; // (B, T, H, 2) logsumexp and delta
  resid2: GpuTensor; // (N, C)
  ln2: GpuTensor; // (N, C)
  ln2Rstd: GpuTensor; // (N)
  gate: GpuTensor; // (N, I) with I = gpuIntermediate (padded)
  up: GpuTensor; // (N, I)
  act: GpuTensor; // (N, I)
}

/** Device-side inputs and activations of the batch last recorded with `uploadBatch` + `forward`. */
export interface GpuBatch {
  B: number;
  T: number;
  tokens: GpuTensor; // (N) i32
  positions: GpuTensor; // (N) i32 = t
  mask: GpuTensor; // (N) loss mask
  attRows: GpuTensor; // (B, 4) u32
  embOffsets: GpuTensor; // (V + 1) u32
  embRows: GpuTensor; // (N) u32
  residuals: GpuTensor[]; // L + 1 of (N, C)
  layers: LayerActs[];
  lnf: GpuTensor; // (N, C)
  lnfRstd: GpuTensor; // (N)
  logits: GpuTensor; // (N, V)
  logprobs: GpuTensor; // (N)
  entropy: GpuTensor; // (N)
}

export class GpuTransformer {
  readonly config: ModelConfig;
  readonly g: GpuLayout;
  readonly C: number;
  readonly V: number;
  readonly L: number;
  readonly H: number;
  readonly KVH: number;
  readonly D: number;
  /** MLP width on the GPU: gpuIntermediate(config), intermediate_size padded to a multiple of 4. */
  readonly I: number;
  /** Flat parameter, gradient and moment buffers (padded layout). */
  readonly params: GpuTensor;
  readonly grads: GpuTensor;
  readonly m: GpuTensor;
  readonly v: GpuTensor;
  readonly w: ModelWeights;
  readonly dw: ModelWeights;
  /** Activations and scratch of this model (named buffers reused across steps of the same shape). */
  readonly pool: BufferPool;
  readonly ropeCos: GpuTensor;
  readonly ropeSin: GpuTensor;
  /** The model shape the fused decode layer is specialised for. */
  readonly decodeLayerShape: DecodeLayerShape;
  /** Why this model cannot decode with the fused layer kernel (decode_layer.wgsl), or null when it can. */
  fusedDecodeUnfit: string | null;
  /**
   * Decode each layer in one dispatch (decode_layer.wgsl) rather than 12. Starts as whether the model
   * fits that kernel; WebGpuBackend turns it off on software adapters, tests and the bench toggle it.
   */
  fusedDecode: boolean;
  /** Invocations per row of the rollout sampler; any size gives the same tokens (WebGpuBackend sets it per adapter). */
  samplerWorkgroupSize = 64;

  constructor(
    readonly runner: KernelRunner,
    readonly mm: MatmulOps,
    config: ModelConfig,
  ) {
    validateConfig(config);
    this.config = config;
    this.C = config.hidden_size;
    this.V = config.vocab_size;
    this.L = config.num_hidden_layers;
    this.H = config.num_attention_heads;
    this.KVH = config.num_key_value_heads;
    this.D = headDim(config);
    this.I = gpuIntermediate(config);
    this.g = gpuLayout(config, Math.max(1, runner.storageAlignment / 4));
    const n = this.g.total;
    this.params = runner.tensor('params', n);
    this.grads = runner.tensor('grads', n);
    this.m = runner.tensor('adam.m', n);
    this.v = runner.tensor('adam.v', n);
    this.w = this.weights(this.params);
    this.dw = this.weights(this.grads);
    this.pool = new BufferPool(runner);
    const tables = ropeTables(this.D, config.rope_theta, config.max_position_embeddings);
    this.ropeCos = runner.tensor('rope.cos', tables.cos.length);
    this.ropeSin = runner.tensor('rope.sin', tables.sin.length);
    runner.write(this.ropeCos, tables.cos);
    runner.write(this.ropeSin, tables.sin);
    this.decodeLayerShape = { C: this.C, H: this.H, KVH: this.KVH, D: this.D, I: this.I };
    this.fusedDecodeUnfit = fusedDecodeUnfit(
      this.decodeLayerShape,
      runner.limits.maxComputeWorkgroupStorageSize,
    );
    this.fusedDecode = this.fusedDecodeUnfit === null;
  }

  /** Decodes with the 12 kernels from now on, keeping `why` (e.g. the adapter's compiler refused the kernel). */
  refuseFusedDecode(why: string): void {
    this.fusedDecodeUnfit = why;
    this.fusedDecode = false;
  }

  /** Named views of one of the flat buffers. */
  private weights(flat: GpuTensor): ModelWeights {
    const { layout, offsets } = this.g;
    const view = (name: string) => {
      const i = layout.entries.findIndex((e) => e.name === name);
      if (i < 0) throw new Error(`parameter layout has no tensor named '${name}'`);
      const [rows, stride] = this.g.shapes[i];
      return this.runner.view(flat, offsets[i], rows * stride, `${flat.label}:${name}`);
    };
    return namedTensors(this.config, view);
  }

  /** Validates a right-padded batch as the CPU engine does. */
  checkBatch(tokens: Int32Array, lengths: Int32Array, B: number, T: number): void {
    checkBatchShape(this.config, tokens, lengths, B, T);
  }

  /** Allocates (or reuses) the activations of a (B, T) batch and uploads its inputs. */
  uploadBatch(
    tokens: Int32Array,
    lengths: Int32Array,
    mask: Float32Array | null,
    B: number,
    T: number,
  ): GpuBatch {
    this.checkBatch(tokens, lengths, B, T);
    const { C, H, KVH, D, I, V, L } = this;
    const N = B * T;
    const t = (name: string, n: number) => this.pool.tensor(name, n);
    const layers: LayerActs[] = [];
    for (let l = 0; l < L; l++) {
      const p = `l${l}.`;
      layers.push({
        ln1: t(`${p}ln1`, N * C),
        ln1Rstd: t(`${p}ln1Rstd`, N),
        q: t(`${p}q`, N * H * D),
        k: t(`${p}k`, N * KVH * D),
        v: t(`${p}v`, N * KVH * D),
        attOut: t(`${p}attOut`, N * H * D),
        attStats: t(`${p}attStats`, attentionStatsElements({ R: B, Tq: T, H })),
        resid2: t(`${p}resid2`, N * C),
        ln2: t(`${p}ln2`, N * C),
        ln2Rstd: t(`${p}ln2Rstd`, N),
        gate: t(`${p}gate`, N * I),
        up: t(`${p}up`, N * I),
        act: t(`${p}act`, N * I),
      });
    }
    const batch: GpuBatch = {
      B,
      T,
      tokens: t('tokens', N),
      positions: t('positions', N),
      mask: t('mask', N),
      attRows: t('attRows', B * 4),
      embOffsets: t('embOffsets', V + 1),
      embRows: t('embRows', N),
      residuals: Array.from({ length: L + 1 }, (_, l) => t(`resid${l}`, N * C)),
      layers,
      lnf: t('lnf', N * C),
      lnfRstd: t('lnfRstd', N),
      logits: t('logits', N * V),
      logprobs: t('logprobs', N),
      entropy: t('entropy', N),
    };
    const positions = new Int32Array(N);
    for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) positions[b * T + i] = i;
    const { offsets, rows } = ops.embeddingRowsByToken(tokens, V);
    this.runner.write(batch.tokens, tokens);
    this.runner.write(batch.positions, positions);
    this.runner.write(batch.mask, mask ?? new Float32Array(N).fill(1));
    this.runner.write(batch.attRows, attentionRows(lengths));
    this.runner.write(batch.embOffsets, offsets);
    this.runner.write(batch.embRows, rows);
    return batch;
  }

  /** Records the full forward pass of the uploaded batch; logits land in batch.logits (N, V). */
  forward(step: Step, a: GpuBatch): void {
    const { C, H, KVH, D, I, V, w, mm } = this;
    const { B, T } = a;
    const N = B * T;
    const eps = this.config.rms_norm_eps;
    const proj = this.pool.tensor('proj', N * C); // (N, C) branch output before the residual add
    ops.embeddingForward(step, a.residuals[0], a.tokens, w.embed, N, V, C);
    for (let l = 0; l < this.L; l++) {
      const lw = w.layers[l];
      const la = a.layers[l];
      const x = a.residuals[l];
      ops.rmsnormForward(step, la.ln1, la.ln1Rstd, x, lw.inputNorm, N, C, eps);
      mm.linearForward(step, la.q, la.ln1, lw.qWeight, lw.qBias, N, C, H * D);
      mm.linearForward(step, la.k, la.ln1, lw.kWeight, lw.kBias, N, C, KVH * D);
      mm.linearForward(step, la.v, la.ln1, lw.vWeight, lw.vBias, N, C, KVH * D);
      ops.ropeQkForward(step, la.q, la.k, a.positions, this.ropeCos, this.ropeSin, N, H, KVH, D);
      encodeAttentionForward(
        step,
        { q: la.q, k: la.k, v: la.v, rows: a.attRows, out: la.attOut, stats: la.attStats },
        { R: B, Tq: T, Tk: T, H, KVH, D },
      );
      mm.linearForward(step, proj, la.attOut, lw.oWeight, null, N, H * D, C);
      ops.residualForward(step, la.resid2, x, proj, N * C);
      ops.rmsnormForward(step, la.ln2, la.ln2Rstd, la.resid2, lw.postNorm, N, C, eps);
      mm.linearForward(step, la.gate, la.ln2, lw.gateWeight, null, N, C, I);
      mm.linearForward(step, la.up, la.ln2, lw.upWeight, null, N, C, I);
      ops.swigluForward(step, la.act, la.gate, la.up, N * I);
      mm.linearForward(step, proj, la.act, lw.downWeight, null, N, I, C);
      ops.residualForward(step, a.residuals[l + 1], la.resid2, proj, N * C);
    }
    ops.rmsnormForward(step, a.lnf, a.lnfRstd, a.residuals[this.L], w.finalNorm, N, C, eps);
    mm.linearForward(step, a.logits, a.lnf, w.head, null, N, C, V);
  }

  /** Records logprobs / entropy (B, T) at a temperature from the batch's logits (0 where mask is 0). */
  scores(step: Step, a: GpuBatch, temperature: number): void {
    checkTemperature(temperature);
    ops.logSoftmaxForward(
      step,
      a.logprobs,
      a.entropy,
      a.logits,
      a.tokens,
      a.mask,
      a.B,
      a.T,
      this.V,
      temperature,
    );
  }

  /**
   * Records the backward from per-position d loss / d logprob and d loss / d entropy ((B, T), 0 outside
   * the mask) through the head and every layer; parameter gradients accumulate into `grads`.
   */
  backward(step: Step, a: GpuBatch, dlogprobs: GpuTensor, dentropy: GpuTensor, temperature: number): void {
    const { C, H, KVH, D, I, V, w, mm } = this;
    const g = this.dw;
    const { B, T } = a;
    const N = B * T;
    const s = (name: string, n: number) => this.pool.tensor(name, n);
    const dlogits = s('dlogits', N * V);
    const dresid = s('dresid', N * C);
    const dln = s('dln', N * C);
    const dact = s('dact', N * I);
    const dgate = s('dgate', N * I);
    const dup = s('dup', N * I);
    const dattOut = s('dattOut', N * H * D);
    const dq = s('dq', N * H * D);
    const dk = s('dk', N * KVH * D);
    const dv = s('dv', N * KVH * D);
    const normPartials = s('normPartials', ops.rmsnormPartialsElements(N, C));

    ops.logSoftmaxBackward(step, dlogits, dlogprobs, dentropy, a.logits, a.tokens, B, T, V, temperature);
    // Head: logits = lnf · headᵀ, lnf = norm(x_L).
    mm.linearBackward(step, { dx: dln, dweight: g.head, dbias: null }, dlogits, a.lnf, w.head, N, C, V);
    ops.rmsnormBackward(
      step,
      dresid,
      g.finalNorm,
      dln,
      a.residuals[this.L],
      w.finalNorm,
      a.lnfRstd,
      N,
      C,
      false,
      normPartials,
    );

    for (let l = this.L - 1; l >= 0; l--) {
      const lw = w.layers[l];
      const lg = g.layers[l];
      const la = a.layers[l];
      // MLP branch: dresid is d(residuals[l+1]); the skip path passes it to resid2 unchanged.
      mm.linearBackward(
        step,
        { dx: dact, dweight: lg.downWeight, dbias: null },
        dresid,
        la.act,
        lw.downWeight,
        N,
        I,
        C,
      );
      ops.swigluBackward(step, dgate, dup, dact, la.gate, la.up, N * I);
      mm.linearBackward(
        step,
        { dx: dln, dweight: lg.gateWeight, dbias: null },
        dgate,
        la.ln2,
        lw.gateWeight,
        N,
        C,
        I,
      );
      mm.linearBackward(
        step,
        { dx: dln, dweight: lg.upWeight, dbias: null },
        dup,
        la.ln2,
        lw.upWeight,
        N,
        C,
        I,
        true,
      );
      ops.rmsnormBackward(
        step,
        dresid,
        lg.postNorm,
        dln,
        la.resid2,
        lw.postNorm,
        la.ln2Rstd,
        N,
        C,
        true,
        normPartials,
      );
      // Attention branch; dresid is now d(resid2).
      mm.linearBackward(
        step,
        { dx: dattOut, dweight: lg.oWeight, dbias: null },
        dresid,
        la.attOut,
        lw.oWeight,
        N,
        H * D,
        C,
      );
      encodeAttentionBackward(
        step,
        {
          q: la.q,
          k: la.k,
          v: la.v,
          rows: a.attRows,
          out: la.attOut,
          stats: la.attStats,
          dout: dattOut,
          dq,
          dk,
          dv,
        },
        { R: B, Tq: T, Tk: T, H, KVH, D },
      );
      ops.ropeQkBackward(step, dq, dk, a.positions, this.ropeCos, this.ropeSin, N, H, KVH, D);
      mm.linearBackward(
        step,
        { dx: dln, dweight: lg.qWeight, dbias: lg.qBias },
        dq,
        la.ln1,
        lw.qWeight,
        N,
        C,
        H * D,
      );
      mm.linearBackward(
        step,
        { dx: dln, dweight: lg.kWeight, dbias: lg.kBias },
        dk,
        la.ln1,
        lw.kWeight,
        N,
        C,
        KVH * D,
        true,
      );
      mm.linearBackward(
        step,
        { dx: dln, dweight: lg.vWeight, dbias: lg.vBias },
        dv,
        la.ln1,
        lw.vWeight,
        N,
        C,
        KVH * D,
        true,
      );
      ops.rmsnormBackward(
        step,
        dresid,
        lg.inputNorm,
        dln,
        a.residuals[l],
        lw.inputNorm,
        la.ln1Rstd,
        N,
        C,
        true,
        normPartials,
      );
    }
    ops.embeddingBackward(step, g.embed, dresid, a.embOffsets, a.embRows, N, V, C);
  }

  // ---- incremental decoding --------------------------------------------------------------------------

  /**
   * Prefills a KV cache with right-padded prompts (one cache slot per prompt), samples each row's first
   * new token on the GPU (shaders/sampling.wgsl, RNG key (row, absolute position)) and returns a
   * decoder whose advance(n) runs n decode steps, each feeding the token sampled before it.
   * Only the sampled ids and their log-probs come back. Finished rows keep running (fixed shapes, no
   * reallocation; positions stop at the cache end) and callers ignore their outputs.
   */
  async startDecoding(
    prompts: Int32Array[],
    maxNewTokens: number,
    sampling: Omit<SamplingParams, 'workgroupSize'>,
  ): Promise<Decoder> {
    const { C, H, KVH, D, I, V, L, w, mm, runner } = this;
    const R = prompts.length;
    const lengths = Int32Array.from(prompts, (p) => p.length);
    const Tp = Math.max(...lengths);
    const Tmax = Tp + Math.max(0, maxNewTokens - 1);
    if (Tmax > this.config.max_position_embeddings) {
      throw new RangeError(
        `prompt length ${Tp} + ${maxNewTokens} new tokens exceeds max_position_embeddings=` +
          `${this.config.max_position_embeddings}`,
      );
    }
    const tokens = new Int32Array(R * Tp).fill(this.config.pad_token_id);
    prompts.forEach((p, r) => {
      tokens.set(p, r * Tp);
    });
    const a = this.uploadBatch(tokens, lengths, null, R, Tp);
    const t = (name: string, n: number) => this.pool.tensor(`dec.${name}`, n);
    const kCache = Array.from({ length: L }, (_, l) => t(`k${l}`, R * Tmax * KVH * D));
    const vCache = Array.from({ length: L }, (_, l) => t(`v${l}`, R * Tmax * KVH * D));
    const prefill = runner.begin('prefill');
    this.forward(prefill, a);
    for (let l = 0; l < L; l++) {
      encodeKvCacheWrite(
        prefill,
        { kNew: a.layers[l].k, vNew: a.layers[l].v, rows: a.attRows, kCache: kCache[l], vCache: vCache[l] },
        { R, Tn: Tp, Tmax, KVH, D },
      );
    }
    const sampleRows = t('sampleRows', R * 4);
    const sampleScratch = t('sampleScratch', samplingScratchElements(R, V));
    const sampled = t('sampled', R);
    const sampledLogprobs = t('sampledLogprobs', R);
    const slots = Int32Array.from({ length: R }, (_, r) => r);
    /** Samples one token per row from `logitRows` of `logits` (row r keyed by position positions[r]). */
    const sample = (
      s: Step,
      logits: GpuTensor,
      rows: GpuTensor,
      logitRows: ArrayLike<number>,
      positions: ArrayLike<number>,
    ) => {
      runner.write(rows, samplingRows(logitRows, slots, positions));
      encodeSample(
        s,
        { logits, rows, weights: sampleScratch, tokens: sampled, logprobs: sampledLogprobs },
        R,
        V,
        { ...sampling, workgroupSize: this.samplerWorkgroupSize },
      );
    };
    sample(
      prefill,
      a.logits,
      sampleRows,
      Int32Array.from(lengths, (len, r) => r * Tp + len - 1),
      lengths,
    );
    const firstRead = { tokens: prefill.readInt32(sampled), logprobs: prefill.read(sampledLogprobs) };
    await prefill.submit();
    const first = { tokens: await firstRead.tokens, logprobs: await firstRead.logprobs };

    // Decode-step tensors, (R, ...) rows. The tokens fed to each step are the ones the previous step
    // sampled, read straight from `sampled` on the GPU, so several steps can share one submission.
    // The residual stream, updated in place: decoding keeps no activations for a backward pass, so the
    // o_proj and down products add into it in their own dispatches (matmul accumulate) instead of a
    // product, then an add: 2 dispatches fewer per layer and token, and the same numbers.
    const x = t('x', R * C);
    const ln = t('ln', R * C);
    const rstd = t('rstd', R);
    const q = t('q', R * H * D);
    const k = t('k', R * KVH * D);
    const v = t('v', R * KVH * D);
    const attOut = t('attOut', R * H * D);
    const attStats = t('attStats', attentionStatsElements({ R, Tq: 1, H }));
    const gate = t('gate', R * I);
    const up = t('up', R * I);
    const act = t('act', R * I);
    const logits = t('logits', R * V);
    const eps = this.config.rms_norm_eps;
    // Per step of a chunk: positions, attention rows and sampling rows differ, and host writes are
    // queue-ordered before the submission, so each step of a chunk needs its own small tensors.
    const perStep: { positions: GpuTensor; rows: GpuTensor; sampleRows: GpuTensor }[] = [];
    const stepTensors = (j: number) => {
      perStep[j] ??= {
        positions: t(`positions${j}`, R),
        rows: t(`rows${j}`, R * 4),
        sampleRows: t(`sampleRows${j}`, R * 4),
      };
      return perStep[j];
    };
    let generated = 0;
    // Read once per decoder, so a caller that toggles fusedDecode never mixes the two paths in one run.
    const fused = this.fusedDecode;
    if (fused && this.fusedDecodeUnfit) {
      throw new GpuCapacityError(`fused decode layer: ${this.fusedDecodeUnfit}`);
    }
    const plans = fused
      ? w.layers.map((lw) => decodeLayerPlan(this.decodeLayerShape, this.params, lw, eps))
      : [];

    const advance = async (count: number): Promise<SampledTokens[]> => {
      if (!(Number.isInteger(count) && count >= 1)) {
        throw new RangeError(`decoder.advance: count must be an integer >= 1 (got ${count})`);
      }
      const chunkTokens = t(`chunkTokens${count}`, R * count);
      const chunkLogprobs = t(`chunkLogprobs${count}`, R * count);
      const s = runner.begin(count === 1 ? 'decode' : `decode x${count}`);
      for (let j = 0; j < count; j++) {
        const pos = Int32Array.from(lengths, (len) => Math.min(len + generated, Tmax - 1));
        generated++;
        const st = stepTensors(j);
        runner.write(st.positions, pos);
        runner.write(st.rows, attentionRows(new Int32Array(R).fill(1), pos, slots));
        ops.embeddingForward(s, x, sampled, w.embed, R, V, C);
        for (let l = 0; l < L; l++) {
          if (fused) {
            encodeDecodeLayer(
              s,
              plans[l],
              {
                params: this.params,
                cos: this.ropeCos,
                sin: this.ropeSin,
                rows: st.rows,
                x,
                kCache: kCache[l],
                vCache: vCache[l],
              },
              R,
              Tmax,
            );
            continue;
          }
          const lw = w.layers[l];
          ops.rmsnormForward(s, ln, rstd, x, lw.inputNorm, R, C, eps);
          mm.linearForward(s, q, ln, lw.qWeight, lw.qBias, R, C, H * D);
          mm.linearForward(s, k, ln, lw.kWeight, lw.kBias, R, C, KVH * D);
          mm.linearForward(s, v, ln, lw.vWeight, lw.vBias, R, C, KVH * D);
          ops.ropeQkForward(s, q, k, st.positions, this.ropeCos, this.ropeSin, R, H, KVH, D);
          encodeKvCacheWrite(
            s,
            { kNew: k, vNew: v, rows: st.rows, kCache: kCache[l], vCache: vCache[l] },
            { R, Tn: 1, Tmax, KVH, D },
          );
          encodeAttentionForward(
            s,
            { q, k: kCache[l], v: vCache[l], rows: st.rows, out: attOut, stats: attStats },
            { R, Tq: 1, Tk: Tmax, H, KVH, D },
          );
          mm.linearForward(s, x, attOut, lw.oWeight, null, R, H * D, C, true);
          ops.rmsnormForward(s, ln, rstd, x, lw.postNorm, R, C, eps);
          mm.linearForward(s, gate, ln, lw.gateWeight, null, R, C, I);
          mm.linearForward(s, up, ln, lw.upWeight, null, R, C, I);
          ops.swigluForward(s, act, gate, up, R * I);
          mm.linearForward(s, x, act, lw.downWeight, null, R, I, C, true);
        }
        ops.rmsnormForward(s, ln, rstd, x, w.finalNorm, R, C, eps);
        mm.linearForward(s, logits, ln, w.head, null, R, C, V);
        // The token sampled now lands at the position after the one just fed.
        sample(
          s,
          logits,
          st.sampleRows,
          slots,
          Int32Array.from(pos, (p) => p + 1),
        );
        s.copy(sampled, chunkTokens, R, 0, j * R);
        s.copy(sampledLogprobs, chunkLogprobs, R, 0, j * R);
      }
      const tokensRead = s.readInt32(chunkTokens);
      const logprobsRead = s.read(chunkLogprobs);
      await s.submit();
      const [allTokens, allLogprobs] = [await tokensRead, await logprobsRead];
      return Array.from({ length: count }, (_, j) => ({
        tokens: allTokens.slice(j * R, (j + 1) * R),
        logprobs: allLogprobs.slice(j * R, (j + 1) * R),
      }));
    };
    return { first, advance, release: () => {} };
  }

  destroy(): void {
    this.pool.destroy();
    for (const t of [this.params, this.grads, this.m, this.v, this.ropeCos, this.ropeSin]) {
      this.runner.destroyBuffer(t.buffer);
    }
  }
}

/** (R) sampled ids and their log-probs under the temperature-scaled softmax (0 for greedy). */
export interface SampledTokens {
  tokens: Int32Array;
  logprobs: Float32Array;
}

/** A running batched decode: the tokens sampled after the prompts, and the next step. */
export interface Decoder {
  first: SampledTokens;
  /**
   * Runs `count` decode steps in one GPU submission: each feeds the tokens the previous step sampled
   * (still on the GPU) at each row's next position and samples the token after it. One readback per
   * call instead of per token, which is what bounds decoding speed on real GPUs.
   */
  advance(count: number): Promise<SampledTokens[]>;
  release(): void;
}

export function checkTemperature(temperature: number): void {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`log-softmax temperature must be a finite number > 0 (got ${temperature})`);
  }
}
