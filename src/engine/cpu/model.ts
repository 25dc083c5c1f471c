// The whole Qwen2 decoder on the CPU ops: forward keeping every activation backward needs, backward to
// all parameter gradients (accumulated into a flat array in the layout order), per-token log-probs and
// entropies per backend.ts conventions, and incremental decoding with a batched KV cache.
//
// One block (pre-norm):  h = x + o_proj(attn(rope(q(ln1 x)), rope(k(ln1 x)), v(ln1 x)))
//                        y = h + down(silu(gate(ln2 h)) * up(ln2 h))
// Head: logits = norm(x_L) · W_headᵀ, W_head = embed_tokens when tie_word_embeddings.

import { headDim, type ModelConfig, validateConfig } from '../../model/config';
import {
  layoutEntry,
  type ModelTensors as ModelTensorsOf,
  namedTensors,
  type ParameterLayout,
  parameterLayout,
  paramView,
} from '../../model/layout';
import { type RopeTables, ropeTables } from '../rope';
import { checkBatchShape } from '../validate';
import {
  attentionBackward,
  attentionDecodeForward,
  attentionForward,
  embeddingBackward,
  embeddingForward,
  type FloatArray,
  logSoftmaxBackward,
  logSoftmaxForward,
  matmulBackward,
  matmulNT,
  rmsnormBackward,
  rmsnormForward,
  ropeBackward,
  ropeForward,
  swigluBackward,
  swigluForward,
} from './ops';
import { allocateWasmKvCache } from './wasmExact';

/** f32 for production; f64 only so finite-difference checks of the whole model are meaningful. */
export type Precision = 'f32' | 'f64';

function alloc(precision: Precision, n: number): FloatArray {
  return precision === 'f64' ? new Float64Array(n) : new Float32Array(n);
}

/** Views of the model's tensors inside a flat params (or grads) array. */
type ModelTensors = ModelTensorsOf<FloatArray>;

/** Activations of one decoder layer for a (B, T) batch, N = B*T rows. */
interface LayerActivations {
  ln1: FloatArray; // (N, C)
  ln1Rstd: FloatArray; // (N)
  q: FloatArray; // (N, H*D) after RoPE
  k: FloatArray; // (N, KVH*D) after RoPE
  v: FloatArray; // (N, KVH*D)
  att: FloatArray; // (B, H, T, T) softmax probabilities
  attOut: FloatArray; // (N, H*D) before o_proj
  resid2: FloatArray; // (N, C) residual stream after the attention block
  ln2: FloatArray; // (N, C)
  ln2Rstd: FloatArray; // (N)
  gate: FloatArray; // (N, I)
  up: FloatArray; // (N, I)
  act: FloatArray; // (N, I) silu(gate) * up
}

/** Everything the forward pass keeps for one batch shape; reused across calls of that shape. */
export interface Activations {
  B: number;
  T: number;
  tokens: Int32Array; // (B, T) copy of the input
  lengths: Int32Array; // (B)
  positions: Int32Array; // (B, T) = t
  /** residuals[l] is the input of layer l; residuals[L] goes into the final norm. Each (N, C). */
  residuals: FloatArray[];
  layers: LayerActivations[];
  lnf: FloatArray; // (N, C)
  lnfRstd: FloatArray; // (N)
  logits: FloatArray; // (N, V)
}

/** Backward scratch for one batch shape. */
interface GradScratch {
  dlogits: FloatArray; // (N, V)
  dresid: FloatArray; // (N, C)
  dln: FloatArray; // (N, C)
  dtmp: FloatArray; // (N, C)
  dact: FloatArray; // (N, I)
  dgate: FloatArray; // (N, I)
  dup: FloatArray; // (N, I)
  dattOut: FloatArray; // (N, H*D)
  dq: FloatArray; // (N, H*D)
  dk: FloatArray; // (N, KVH*D)
  dv: FloatArray; // (N, KVH*D)
  rowTargets: Int32Array; // (N) next token of each row (0 where there is none)
  rowLogprobs: FloatArray; // (N)
  rowEntropy: FloatArray; // (N)
  dRowLogprobs: FloatArray; // (N)
  dRowEntropy: FloatArray; // (N)
}

/** A batched KV cache: `slots` independent sequences of up to maxT positions. */
export interface KvCache {
  slots: number;
  maxT: number;
  /** Per layer (slots, maxT, KVH*D) keys after RoPE and values. */
  k: FloatArray[];
  v: FloatArray[];
  /** Hands the arrays back (a float32 cache lives in the decode kernel's memory; see wasmExact.ts). */
  release(): void;
}

/** Per-token results at a temperature, (B, T) each, 0 where lossMask is 0. */
export interface TokenScores {
  logprobs: FloatArray;
  entropy: FloatArray;
}

export class CpuTransformer {
  readonly config: ModelConfig;
  readonly layout: ParameterLayout;
  readonly precision: Precision;
  readonly C: number;
  readonly V: number;
  readonly L: number;
  readonly H: number;
  readonly KVH: number;
  readonly D: number;
  readonly I: number;
  private readonly rope: RopeTables;
  private acts: Activations | null = null;
  private scratch: GradScratch | null = null;

  constructor(config: ModelConfig, precision: Precision = 'f32') {
    validateConfig(config);
    this.config = config;
    this.precision = precision;
    this.layout = parameterLayout(config);
    this.C = config.hidden_size;
    this.V = config.vocab_size;
    this.L = config.num_hidden_layers;
    this.H = config.num_attention_heads;
    this.KVH = config.num_key_value_heads;
    this.D = headDim(config);
    this.I = config.intermediate_size;
    this.rope = ropeTables(this.D, config.rope_theta, config.max_position_embeddings);
  }

  /** Named views of a flat params or grads array (no copies). */
  tensors(flat: FloatArray): ModelTensors {
    if (flat.length !== this.layout.total) {
      throw new Error(
        `flat parameter array has ${flat.length} values, the layout needs ${this.layout.total}`,
      );
    }
    return namedTensors(this.config, (name) => paramView(flat, layoutEntry(this.layout, name)));
  }

  /**
   * Activation and scratch buffers come from this pool: a named backing array per buffer, grown on
   * demand and handed out as views. Length-bucketed batches change (B, T) every step; the pool keeps
   * that from reallocating tens of megabytes per step.
   */
  private readonly pool = new Map<string, FloatArray>();
  private readonly intPool = new Map<string, Int32Array>();

  private buffer(key: string, size: number): FloatArray {
    let backing = this.pool.get(key);
    if (!backing || backing.length < size) {
      backing = alloc(this.precision, size);
      this.pool.set(key, backing);
    }
    return backing.subarray(0, size);
  }

  private ints(key: string, size: number): Int32Array {
    let backing = this.intPool.get(key);
    if (!backing || backing.length < size) {
      backing = new Int32Array(size);
      this.intPool.set(key, backing);
    }
    return backing.subarray(0, size);
  }

  private activationsFor(B: number, T: number): Activations {
    if (this.acts && this.acts.B === B && this.acts.T === T) return this.acts;
    const { C, H, KVH, D, I, V, L } = this;
    const N = B * T;
    const layers: LayerActivations[] = [];
    for (let l = 0; l < L; l++) {
      const a = (name: string, n: number) => this.buffer(`layer${l}.${name}`, n);
      layers.push({
        ln1: a('ln1', N * C),
        ln1Rstd: a('ln1Rstd', N),
        q: a('q', N * H * D),
        k: a('k', N * KVH * D),
        v: a('v', N * KVH * D),
        att: a('att', B * H * T * T),
        attOut: a('attOut', N * H * D),
        resid2: a('resid2', N * C),
        ln2: a('ln2', N * C),
        ln2Rstd: a('ln2Rstd', N),
        gate: a('gate', N * I),
        up: a('up', N * I),
        act: a('act', N * I),
      });
    }
    const positions = this.ints('positions', N);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) positions[b * T + t] = t;
    this.acts = {
      B,
      T,
      tokens: this.ints('tokens', N),
      lengths: this.ints('lengths', B),
      positions,
      residuals: Array.from({ length: L + 1 }, (_, l) => this.buffer(`residual${l}`, N * C)),
      layers,
      lnf: this.buffer('lnf', N * C),
      lnfRstd: this.buffer('lnfRstd', N),
      logits: this.buffer('logits', N * V),
    };
    this.scratch = null;
    return this.acts;
  }

  private scratchFor(acts: Activations): GradScratch {
    const N = acts.B * acts.T;
    if (this.scratch && this.scratch.dresid.length === N * this.C) return this.scratch;
    const { C, H, KVH, D, I, V } = this;
    const a = (name: string, n: number) => this.buffer(`grad.${name}`, n);
    this.scratch = {
      dlogits: a('dlogits', N * V),
      dresid: a('dresid', N * C),
      dln: a('dln', N * C),
      dtmp: a('dtmp', N * C),
      dact: a('dact', N * I),
      dgate: a('dgate', N * I),
      dup: a('dup', N * I),
      dattOut: a('dattOut', N * H * D),
      dq: a('dq', N * H * D),
      dk: a('dk', N * KVH * D),
      dv: a('dv', N * KVH * D),
      rowTargets: this.ints('rowTargets', N),
      rowLogprobs: a('rowLogprobs', N),
      rowEntropy: a('rowEntropy', N),
      dRowLogprobs: a('dRowLogprobs', N),
      dRowEntropy: a('dRowEntropy', N),
    };
    return this.scratch;
  }

  private checkBatch(tokens: Int32Array, lengths: Int32Array, B: number, T: number): void {
    checkBatchShape(this.config, tokens, lengths, B, T);
  }

  /**
   * Full forward pass of a right-padded batch; returns the kept activations (logits in acts.logits,
   * (B*T, V)). The returned object is reused by the next forward of the same shape.
   */
  forward(params: FloatArray, tokens: Int32Array, lengths: Int32Array, B: number, T: number): Activations {
    this.checkBatch(tokens, lengths, B, T);
    const w = this.tensors(params);
    const acts = this.activationsFor(B, T);
    acts.tokens.set(tokens);
    acts.lengths.set(lengths);
    const { C, H, KVH, D, I, V } = this;
    const N = B * T;
    const eps = this.config.rms_norm_eps;
    const shape = { B, T, H, KVH, D };
    embeddingForward(acts.residuals[0], tokens, w.embed, N, V, C);
    for (let l = 0; l < this.L; l++) {
      const lw = w.layers[l];
      const la = acts.layers[l];
      const x = acts.residuals[l];
      rmsnormForward(la.ln1, la.ln1Rstd, x, lw.inputNorm, N, C, eps);
      matmulNT(la.q, la.ln1, lw.qWeight, lw.qBias, N, H * D, C, false);
      matmulNT(la.k, la.ln1, lw.kWeight, lw.kBias, N, KVH * D, C, false);
      matmulNT(la.v, la.ln1, lw.vWeight, lw.vBias, N, KVH * D, C, false);
      ropeForward(la.q, la.q, acts.positions, this.rope, N, H, D);
      ropeForward(la.k, la.k, acts.positions, this.rope, N, KVH, D);
      attentionForward(la.attOut, la.att, la.q, la.k, la.v, lengths, shape);
      la.resid2.set(x);
      matmulNT(la.resid2, la.attOut, lw.oWeight, null, N, C, H * D, true);
      rmsnormForward(la.ln2, la.ln2Rstd, la.resid2, lw.postNorm, N, C, eps);
      matmulNT(la.gate, la.ln2, lw.gateWeight, null, N, I, C, false);
      matmulNT(la.up, la.ln2, lw.upWeight, null, N, I, C, false);
      swigluForward(la.act, la.gate, la.up, N * I);
      const y = acts.residuals[l + 1];
      y.set(la.resid2);
      matmulNT(y, la.act, lw.downWeight, null, N, C, I, true);
    }
    rmsnormForward(acts.lnf, acts.lnfRstd, acts.residuals[this.L], w.finalNorm, N, C, eps);
    matmulNT(acts.logits, acts.lnf, w.head, null, N, V, C, false);
    return acts;
  }

  /**
   * Backward from dlogits (N, V) of the last forward: parameter gradients ACCUMULATE into `grads`
   * (flat, layout order). `dlogits` may be this model's own scratch (see tokenScoresBackward).
   */
  backward(params: FloatArray, grads: FloatArray, acts: Activations, dlogits: FloatArray): void {
    const w = this.tensors(params);
    const g = this.tensors(grads);
    const s = this.scratchFor(acts);
    const { B, T } = acts;
    const { C, H, KVH, D, I, V } = this;
    const N = B * T;
    const shape = { B, T, H, KVH, D };
    const { dresid, dln, dtmp } = s;

    // Head: logits = lnf · headᵀ, lnf = norm(x_L).
    matmulBackward(dln, g.head, null, dlogits, acts.lnf, w.head, N, C, V);
    rmsnormBackward(dresid, g.finalNorm, dln, acts.residuals[this.L], w.finalNorm, acts.lnfRstd, N, C);

    for (let l = this.L - 1; l >= 0; l--) {
      const lw = w.layers[l];
      const lg = g.layers[l];
      const la = acts.layers[l];
      // MLP branch: dresid is d(residuals[l+1]); the skip path passes it to resid2 unchanged.
      matmulBackward(s.dact, lg.downWeight, null, dresid, la.act, lw.downWeight, N, I, C);
      swigluBackward(s.dgate, s.dup, s.dact, la.gate, la.up, N * I);
      matmulBackward(dln, lg.gateWeight, null, s.dgate, la.ln2, lw.gateWeight, N, C, I);
      matmulBackward(dtmp, lg.upWeight, null, s.dup, la.ln2, lw.upWeight, N, C, I);
      addInto(dln, dtmp, N * C);
      rmsnormBackward(dtmp, lg.postNorm, dln, la.resid2, lw.postNorm, la.ln2Rstd, N, C);
      addInto(dresid, dtmp, N * C); // now d(resid2)
      // Attention branch.
      matmulBackward(s.dattOut, lg.oWeight, null, dresid, la.attOut, lw.oWeight, N, H * D, C);
      attentionBackward(s.dq, s.dk, s.dv, s.dattOut, la.q, la.k, la.v, la.att, acts.lengths, shape);
      ropeBackward(s.dq, s.dq, acts.positions, this.rope, N, H, D);
      ropeBackward(s.dk, s.dk, acts.positions, this.rope, N, KVH, D);
      matmulBackward(dln, lg.qWeight, lg.qBias, s.dq, la.ln1, lw.qWeight, N, C, H * D);
      matmulBackward(dtmp, lg.kWeight, lg.kBias, s.dk, la.ln1, lw.kWeight, N, C, KVH * D);
      addInto(dln, dtmp, N * C);
      matmulBackward(dtmp, lg.vWeight, lg.vBias, s.dv, la.ln1, lw.vWeight, N, C, KVH * D);
      addInto(dln, dtmp, N * C);
      rmsnormBackward(dtmp, lg.inputNorm, dln, acts.residuals[l], lw.inputNorm, la.ln1Rstd, N, C);
      addInto(dresid, dtmp, N * C); // now d(residuals[l])
    }
    embeddingBackward(g.embed, dresid, acts.tokens, N, V, C);
  }

  /**
   * Per-token log-probs and entropies of the last forward at a temperature, (B, T) each:
   * logprobs[b, t] = log p(tokens[b, t] | tokens[b, <t]) from the logits of row (b, t-1);
   * 0 where lossMask[b, t] is 0 (position 0 always has no prediction).
   */
  tokenScores(acts: Activations, lossMask: Float32Array, temperature: number): TokenScores {
    const { B, T } = acts;
    const N = B * T;
    const s = this.scratchFor(acts);
    this.fillRowTargets(acts, s.rowTargets);
    logSoftmaxForward(s.rowLogprobs, s.rowEntropy, acts.logits, s.rowTargets, N, this.V, temperature);
    const logprobs = alloc(this.precision, N);
    const entropy = alloc(this.precision, N);
    for (let b = 0; b < B; b++) {
      for (let t = 1; t < T; t++) {
        const i = b * T + t;
        if (lossMask[i] === 0) continue;
        logprobs[i] = s.rowLogprobs[i - 1];
        entropy[i] = s.rowEntropy[i - 1];
      }
    }
    return { logprobs, entropy };
  }

  /**
   * Backward from d loss / d logprobs[b, t] and d loss / d entropy[b, t] ((B, T), the tokenScores
   * layout; entries where lossMask is 0 must be 0) through the head and the whole model; parameter
   * gradients accumulate into `grads`.
   */
  tokenScoresBackward(
    params: FloatArray,
    grads: FloatArray,
    acts: Activations,
    dlogprobs: ArrayLike<number>,
    dentropy: ArrayLike<number> | null,
    temperature: number,
  ): void {
    const { B, T } = acts;
    const N = B * T;
    const s = this.scratchFor(acts);
    this.fillRowTargets(acts, s.rowTargets);
    s.dRowLogprobs.fill(0);
    s.dRowEntropy.fill(0);
    for (let b = 0; b < B; b++) {
      for (let t = 1; t < T; t++) {
        const i = b * T + t;
        s.dRowLogprobs[i - 1] = dlogprobs[i];
        if (dentropy) s.dRowEntropy[i - 1] = dentropy[i];
      }
    }
    logSoftmaxBackward(
      s.dlogits,
      s.dRowLogprobs,
      s.dRowEntropy,
      acts.logits,
      s.rowTargets,
      N,
      this.V,
      temperature,
    );
    this.backward(params, grads, acts, s.dlogits);
  }

  /** rowTargets[b*T + t] = tokens[b, t+1]; the last row of each sequence has no target (0). */
  private fillRowTargets(acts: Activations, rowTargets: Int32Array): void {
    const { B, T, tokens } = acts;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T - 1; t++) rowTargets[b * T + t] = tokens[b * T + t + 1];
      rowTargets[b * T + T - 1] = 0;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Incremental decoding.

  createKvCache(slots: number, maxT: number): KvCache {
    if (maxT > this.config.max_position_embeddings) {
      throw new RangeError(
        `KV cache length ${maxT} exceeds max_position_embeddings=${this.config.max_position_embeddings}`,
      );
    }
    const size = slots * maxT * this.KVH * this.D;
    // Float32 caches go where the decode attention kernel reads them without copies, when it is free.
    const inWasm =
      this.precision === 'f32' ? allocateWasmKvCache(this.L, size, slots, maxT, this.H, this.D) : null;
    if (inWasm) return { slots, maxT, ...inWasm };
    return {
      slots,
      maxT,
      k: Array.from({ length: this.L }, () => alloc(this.precision, size)),
      v: Array.from({ length: this.L }, () => alloc(this.precision, size)),
      release: () => {},
    };
  }

  /**
   * Runs a right-padded batch of prompts through the full forward, stores row b's keys/values in
   * cache slot firstSlot + b, and returns the logits of each row's last real token: (B, V).
   */
  prefill(
    params: FloatArray,
    cache: KvCache,
    tokens: Int32Array,
    lengths: Int32Array,
    B: number,
    T: number,
    firstSlot = 0,
  ): FloatArray {
    if (firstSlot + B > cache.slots || T > cache.maxT) {
      throw new RangeError(
        `prefill of (B=${B}, T=${T}) into slots from ${firstSlot} does not fit a cache of ${cache.slots} x ${cache.maxT}`,
      );
    }
    const acts = this.forward(params, tokens, lengths, B, T);
    const kv = this.KVH * this.D;
    for (let l = 0; l < this.L; l++) {
      for (let b = 0; b < B; b++) {
        const src = b * T * kv;
        const dst = (firstSlot + b) * cache.maxT * kv;
        cache.k[l].set(acts.layers[l].k.subarray(src, src + lengths[b] * kv), dst);
        cache.v[l].set(acts.layers[l].v.subarray(src, src + lengths[b] * kv), dst);
      }
    }
    const out = alloc(this.precision, B * this.V);
    for (let b = 0; b < B; b++) {
      const row = b * T + lengths[b] - 1;
      out.set(acts.logits.subarray(row * this.V, (row + 1) * this.V), b * this.V);
    }
    return out;
  }

  /**
   * One decoding step for R rows: row r feeds token tokens[r] at position positions[r] of cache slot
   * slots[r] (positions 0..positions[r]-1 already cached), writes its key/value there and returns
   * the next-token logits (R, V).
   */
  decodeStep(
    params: FloatArray,
    cache: KvCache,
    tokens: Int32Array,
    slots: Int32Array,
    positions: Int32Array,
    R: number,
  ): FloatArray {
    const w = this.tensors(params);
    const { C, H, KVH, D, I, V } = this;
    const eps = this.config.rms_norm_eps;
    const kv = KVH * D;
    for (let r = 0; r < R; r++) {
      if (!(slots[r] >= 0 && slots[r] < cache.slots))
        throw new RangeError(`decode slot ${slots[r]} is outside the cache`);
      if (!(positions[r] >= 0 && positions[r] < cache.maxT)) {
        throw new RangeError(`decode position ${positions[r]} is outside [0, ${cache.maxT})`);
      }
    }
    // Scratch from the pool (decoding runs one step per token: no garbage per step).
    const a = (name: string, n: number) => this.buffer(`decode.${name}`, n);
    const x = a('x', R * C);
    const ln = a('ln', R * C);
    const rstd = a('rstd', R);
    const q = a('q', R * H * D);
    const k = a('k', R * kv);
    const v = a('v', R * kv);
    const attOut = a('attOut', R * H * D);
    const gate = a('gate', R * I);
    const up = a('up', R * I);
    const scores = a('scores', H * cache.maxT);
    embeddingForward(x, tokens, w.embed, R, V, C);
    for (let l = 0; l < this.L; l++) {
      const lw = w.layers[l];
      rmsnormForward(ln, rstd, x, lw.inputNorm, R, C, eps);
      matmulNT(q, ln, lw.qWeight, lw.qBias, R, H * D, C, false);
      matmulNT(k, ln, lw.kWeight, lw.kBias, R, kv, C, false);
      matmulNT(v, ln, lw.vWeight, lw.vBias, R, kv, C, false);
      ropeForward(q, q, positions, this.rope, R, H, D);
      ropeForward(k, k, positions, this.rope, R, KVH, D);
      for (let r = 0; r < R; r++) {
        const dst = (slots[r] * cache.maxT + positions[r]) * kv;
        cache.k[l].set(k.subarray(r * kv, (r + 1) * kv), dst);
        cache.v[l].set(v.subarray(r * kv, (r + 1) * kv), dst);
      }
      attentionDecodeForward(
        attOut,
        q,
        cache.k[l],
        cache.v[l],
        slots,
        positions,
        R,
        cache.maxT,
        H,
        KVH,
        D,
        scores,
      );
      matmulNT(x, attOut, lw.oWeight, null, R, C, H * D, true);
      rmsnormForward(ln, rstd, x, lw.postNorm, R, C, eps);
      matmulNT(gate, ln, lw.gateWeight, null, R, I, C, false);
      matmulNT(up, ln, lw.upWeight, null, R, I, C, false);
      swigluForward(gate, gate, up, R * I);
      matmulNT(x, gate, lw.downWeight, null, R, C, I, true);
    }
    rmsnormForward(ln, rstd, x, w.finalNorm, R, C, eps);
    const logits = alloc(this.precision, R * V); // returned to the caller: not pooled
    matmulNT(logits, ln, w.head, null, R, V, C, false);
    return logits;
  }
}

/** a (n) += b (n). */
function addInto(a: FloatArray, b: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) a[i] += b[i];
}
