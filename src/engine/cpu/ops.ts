// CPU reference ops, llm.c style: one `<op>Forward` / `<op>Backward` pair per op on flat arrays with
// explicit sizes. These are the oracle for every WGSL kernel and the pretraining engine on CPU, so
// the hot loops avoid allocation and walk memory contiguously, and every large float32 product
// (linear layers and attention alike) goes through one matmul that runs on a WebAssembly SIMD kernel
// (wasmMatmul.ts, which also transposes) with the plain JS loops below as the float64 path and
// fallback. SwiGLU, RMSNorm, the causal softmax and the KV-cache attention use exact WebAssembly
// kernels (wasmExact.ts) that return the very bits of the JS loops, so a run replays identically on
// either path. exp and log are util/fdlibm.ts's, not Math's: the same bits in every JavaScript engine
// (Chromium's Math.exp differs).
//
// Conventions:
// - Every function works on Float32Array (production) or Float64Array (finite-difference tests).
// - Backward: PARAMETER gradients ACCUMULATE (+=), so micro-batches sum; ACTIVATION gradients ASSIGN.
// - Row-major everywhere; N = number of token rows (B*T), shapes noted as `// (N, C)`.
// - Linear layers follow nn.Linear: weight (OC, IC), out = inp · weightᵀ + bias.

import { fdExp, fdLog } from '../../util/fdlibm';
import type { RopeTables } from '../rope';
import {
  attentionDecodeWasm,
  causalSoftmaxWasm,
  expInPlace,
  rmsnormBackwardWasm,
  rmsnormForwardWasm,
  swigluBackwardWasm,
  swigluForwardWasm,
} from './wasmExact';
import { matmulNTWasm, transposeWasm } from './wasmMatmul';

export type FloatArray = Float32Array | Float64Array;

// ---------------------------------------------------------------------------------------------------
// Matmul core: every product is turned into out = a · bᵀ ("NT": both operands walk rows contiguously).
// The JS loops are register-blocked 4x4 so each loaded value feeds four multiply-adds.

/** Reused scratch buffers per element type and purpose, so hot ops do not allocate per call. */
const scratch32 = new Map<string, Float32Array>();
const scratch64 = new Map<string, Float64Array>();

function scratchLike(like: FloatArray, key: string, size: number): FloatArray {
  if (like instanceof Float64Array) return pooledFloat64(key, size).subarray(0, size);
  let buf = scratch32.get(key);
  if (!buf || buf.length < size) {
    buf = new Float32Array(size);
    scratch32.set(key, buf);
  }
  return buf.subarray(0, size);
}

/**
 * A reused float64 buffer by purpose: the softmaxes collect every (x - max) of a block in one, then take
 * their exps in one batch (expInPlace, WebAssembly SIMD: the same bits as fdExp, about twice as fast).
 */
function pooledFloat64(key: string, size: number): Float64Array {
  let buf = scratch64.get(key);
  if (!buf || buf.length < size) {
    buf = new Float64Array(size);
    scratch64.set(key, buf);
  }
  return buf;
}

/** Below this many elements the copies into wasm memory cost more than the transpose there saves. */
const WASM_MIN_TRANSPOSE = 256;

/** out (cols, rows) = inᵀ where in is (rows, cols). */
export function transpose(out: FloatArray, inp: FloatArray, rows: number, cols: number): void {
  if (
    rows * cols >= WASM_MIN_TRANSPOSE &&
    out instanceof Float32Array &&
    inp instanceof Float32Array &&
    transposeWasm(out, inp, rows, cols)
  ) {
    return; // SIMD 4x4 blocks in wasm (wasmMatmul.ts): the same values, about 4x faster
  }
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = inp[row + c];
  }
}

/** Below this many multiply-adds the copy into wasm memory costs more than it saves. */
const WASM_MIN_WORK = 4096;

/**
 * out (M, N) (= or +=) a (M, K) · bᵀ where b is (N, K), plus bias (N) when given.
 * `accumulate` adds into out instead of overwriting it. Float32 products of useful size run on the
 * WebAssembly SIMD kernel (float32 accumulation, 5-20x the JS loops here); everything else, and platforms
 * without wasm SIMD, on matmulNTJs (float64 accumulation).
 */
export function matmulNT(
  out: FloatArray,
  a: FloatArray,
  b: FloatArray,
  bias: FloatArray | null,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
): void {
  if (
    M * N * K >= WASM_MIN_WORK &&
    out instanceof Float32Array &&
    a instanceof Float32Array &&
    b instanceof Float32Array &&
    (bias === null || bias instanceof Float32Array) &&
    matmulNTWasm(out, a, b, bias, M, N, K, accumulate)
  ) {
    return;
  }
  matmulNTJs(out, a, b, bias, M, N, K, accumulate);
}

/** The plain JavaScript matmulNT: the readable reference and the float64 path. */
export function matmulNTJs(
  out: FloatArray,
  a: FloatArray,
  b: FloatArray,
  bias: FloatArray | null,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const b0 = n * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = a[a0 + k];
        const x1 = a[a1 + k];
        const x2 = a[a2 + k];
        const x3 = a[a3 + k];
        const y0 = b[b0 + k];
        const y1 = b[b1 + k];
        const y2 = b[b2 + k];
        const y3 = b[b3 + k];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      if (bias) {
        const d0 = bias[n];
        const d1 = bias[n + 1];
        const d2 = bias[n + 2];
        const d3 = bias[n + 3];
        c00 += d0;
        c01 += d1;
        c02 += d2;
        c03 += d3;
        c10 += d0;
        c11 += d1;
        c12 += d2;
        c13 += d3;
        c20 += d0;
        c21 += d1;
        c22 += d2;
        c23 += d3;
        c30 += d0;
        c31 += d1;
        c32 += d2;
        c33 += d3;
      }
      const o0 = m * N + n;
      const o1 = o0 + N;
      const o2 = o1 + N;
      const o3 = o2 + N;
      if (accumulate) {
        out[o0] += c00;
        out[o0 + 1] += c01;
        out[o0 + 2] += c02;
        out[o0 + 3] += c03;
        out[o1] += c10;
        out[o1 + 1] += c11;
        out[o1 + 2] += c12;
        out[o1 + 3] += c13;
        out[o2] += c20;
        out[o2 + 1] += c21;
        out[o2 + 2] += c22;
        out[o2 + 3] += c23;
        out[o3] += c30;
        out[o3 + 1] += c31;
        out[o3 + 2] += c32;
        out[o3 + 3] += c33;
      } else {
        out[o0] = c00;
        out[o0 + 1] = c01;
        out[o0 + 2] = c02;
        out[o0 + 3] = c03;
        out[o1] = c10;
        out[o1 + 1] = c11;
        out[o1 + 2] = c12;
        out[o1 + 3] = c13;
        out[o2] = c20;
        out[o2 + 1] = c21;
        out[o2 + 2] = c22;
        out[o2 + 3] = c23;
        out[o3] = c30;
        out[o3 + 1] = c31;
        out[o3 + 2] = c32;
        out[o3 + 3] = c33;
      }
    }
    // Leftover columns of this 4-row block.
    for (let n = N4; n < N; n++) {
      for (let r = m; r < m + 4; r++) matmulNTDot(out, a, b, bias, r, n, N, K, accumulate);
    }
  }
  // Leftover rows.
  for (let m = M4; m < M; m++) {
    for (let n = 0; n < N; n++) matmulNTDot(out, a, b, bias, m, n, N, K, accumulate);
  }
}

function matmulNTDot(
  out: FloatArray,
  a: FloatArray,
  b: FloatArray,
  bias: FloatArray | null,
  m: number,
  n: number,
  N: number,
  K: number,
  accumulate: boolean,
): void {
  const ar = m * K;
  const br = n * K;
  let sum = bias ? bias[n] : 0;
  for (let k = 0; k < K; k++) sum += a[ar + k] * b[br + k];
  if (accumulate) out[m * N + n] += sum;
  else out[m * N + n] = sum;
}

// ---------------------------------------------------------------------------------------------------
// Linear layer (nn.Linear): out = inp · weightᵀ + bias.

/** out (N, OC) = inp (N, IC) · weight (OC, IC)ᵀ + bias (OC) (bias may be null). */
export function matmulForward(
  out: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  bias: FloatArray | null,
  N: number,
  IC: number,
  OC: number,
): void {
  matmulNT(out, inp, weight, bias, N, OC, IC, false);
}

/**
 * dinp (N, IC) = dout (N, OC) · weight (OC, IC)      [assigned; skipped when dinp is null]
 * dweight (OC, IC) += dout (N, OC)ᵀ · inp (N, IC)     [accumulated]
 * dbias (OC) += column sums of dout                   [accumulated; skipped when null]
 */
export function matmulBackward(
  dinp: FloatArray | null,
  dweight: FloatArray,
  dbias: FloatArray | null,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  N: number,
  IC: number,
  OC: number,
): void {
  const doutT = scratchLike(dout, 'matmul.doutT', OC * N); // (OC, N)
  transpose(doutT, dout, N, OC);
  if (dinp) {
    const weightT = scratchLike(weight, 'matmul.weightT', IC * OC); // (IC, OC)
    transpose(weightT, weight, OC, IC);
    matmulNT(dinp, dout, weightT, null, N, IC, OC, false);
  }
  const inpT = scratchLike(inp, 'matmul.inpT', IC * N); // (IC, N)
  transpose(inpT, inp, N, IC);
  matmulNT(dweight, doutT, inpT, null, OC, IC, N, true);
  if (dbias) {
    for (let o = 0; o < OC; o++) {
      const row = o * N;
      let sum = 0;
      for (let n = 0; n < N; n++) sum += doutT[row + n];
      dbias[o] += sum;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Token embedding.

function checkToken(token: number, V: number, row: number): void {
  if (!(token >= 0 && token < V))
    throw new RangeError(`token id ${token} at row ${row} is outside [0, ${V})`);
}

/** out (N, C) = wte (V, C)[tokens (N)]. */
export function embeddingForward(
  out: FloatArray,
  tokens: Int32Array,
  wte: FloatArray,
  N: number,
  V: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const token = tokens[n];
    checkToken(token, V, n);
    out.set(wte.subarray(token * C, token * C + C), n * C);
  }
}

/** dwte (V, C) += scatter-add of dout (N, C) rows into their token rows. */
export function embeddingBackward(
  dwte: FloatArray,
  dout: FloatArray,
  tokens: Int32Array,
  N: number,
  V: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const token = tokens[n];
    checkToken(token, V, n);
    const dst = token * C;
    const src = n * C;
    for (let c = 0; c < C; c++) dwte[dst + c] += dout[src + c];
  }
}

// ---------------------------------------------------------------------------------------------------
// RMSNorm (Qwen2RMSNorm): out = weight * (x * rsqrt(mean(x²) + eps)).

/** out (N, C), rstd (N) = 1/sqrt(mean(x²)+eps) kept for backward, from inp (N, C) and weight (C). */
export function rmsnormForward(
  out: FloatArray,
  rstd: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  N: number,
  C: number,
  eps: number,
): void {
  if (
    out instanceof Float32Array &&
    rstd instanceof Float32Array &&
    inp instanceof Float32Array &&
    weight instanceof Float32Array &&
    rmsnormForwardWasm(out, rstd, inp, weight, N, C, eps)
  ) {
    return; // the same bits as the loop below (wasmExact.ts)
  }
  for (let n = 0; n < N; n++) {
    const row = n * C;
    let sq = 0;
    for (let c = 0; c < C; c++) sq += inp[row + c] * inp[row + c];
    const r = 1 / Math.sqrt(sq / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) out[row + c] = inp[row + c] * r * weight[c];
  }
}

/**
 * dinp (N, C) assigned; dweight (C) accumulated. With xhat = x * rstd and g = dout * weight:
 * dx = rstd * (g - xhat * mean(g * xhat)).
 */
export function rmsnormBackward(
  dinp: FloatArray,
  dweight: FloatArray,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  rstd: FloatArray,
  N: number,
  C: number,
): void {
  if (
    dinp instanceof Float32Array &&
    dweight instanceof Float32Array &&
    dout instanceof Float32Array &&
    inp instanceof Float32Array &&
    weight instanceof Float32Array &&
    rstd instanceof Float32Array &&
    rmsnormBackwardWasm(dinp, dweight, dout, inp, weight, rstd, N, C)
  ) {
    return; // the same bits as the loop below (wasmExact.ts)
  }
  for (let n = 0; n < N; n++) {
    const row = n * C;
    const r = rstd[n];
    let dot = 0;
    for (let c = 0; c < C; c++) {
      const xhat = inp[row + c] * r;
      const d = dout[row + c];
      dweight[c] += d * xhat;
      dot += d * weight[c] * xhat;
    }
    const meanDot = dot / C;
    for (let c = 0; c < C; c++) {
      const xhat = inp[row + c] * r;
      dinp[row + c] = r * (dout[row + c] * weight[c] - xhat * meanDot);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// RoPE, Hugging Face rotate_half convention: for j < D/2, with angle = position * theta^(-2j/D),
//   out[j]       = x[j] * cos - x[j + D/2] * sin
//   out[j + D/2] = x[j + D/2] * cos + x[j] * sin

function checkPosition(position: number, tables: RopeTables, row: number): void {
  if (!(position >= 0 && position < tables.maxPositions)) {
    throw new RangeError(`position ${position} at row ${row} is outside [0, ${tables.maxPositions})`);
  }
}

/**
 * out (N, nHeads, D) = rope(inp (N, nHeads, D)) at positions (N); out may be inp (in place). HF
 * rotate_half: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin) per head. `direction` -1 rotates by -θ
 * instead, which is ropeBackward (sin negated: exact, the same bits as writing that formula out).
 */
export function ropeForward(
  out: FloatArray,
  inp: FloatArray,
  positions: Int32Array,
  tables: RopeTables,
  N: number,
  nHeads: number,
  D: number,
  direction: 1 | -1 = 1,
): void {
  const half = D / 2;
  if (half !== tables.halfDim)
    throw new Error(`RoPE tables are for head dim ${2 * tables.halfDim}, got ${D}`);
  for (let n = 0; n < N; n++) {
    checkPosition(positions[n], tables, n);
    const t = positions[n] * half;
    for (let h = 0; h < nHeads; h++) {
      const base = (n * nHeads + h) * D;
      for (let j = 0; j < half; j++) {
        const c = tables.cos[t + j];
        const s = direction * tables.sin[t + j];
        const x1 = inp[base + j];
        const x2 = inp[base + j + half];
        out[base + j] = x1 * c - x2 * s;
        out[base + j + half] = x2 * c + x1 * s;
      }
    }
  }
}

/**
 * dinp (N, nHeads, D) = rotation transposed applied to dout; dinp may be dout (in place). The transpose
 * of a rotation by θ is the rotation by -θ.
 */
export function ropeBackward(
  dinp: FloatArray,
  dout: FloatArray,
  positions: Int32Array,
  tables: RopeTables,
  N: number,
  nHeads: number,
  D: number,
): void {
  ropeForward(dinp, dout, positions, tables, N, nHeads, D, -1);
}

// ---------------------------------------------------------------------------------------------------
// Causal grouped-query attention over right-padded rows. Query head h reads KV head
// floor(h / (H / KVH)) (HF repeat_kv). Row b has lengths[b] real tokens: query t attends to keys
// t2 <= t (t2 < lengths[b] follows); padded queries (t >= lengths[b]) output zeros.

export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  KVH: number;
  D: number;
}

function checkLengths(lengths: Int32Array, B: number, T: number): void {
  for (let b = 0; b < B; b++) {
    if (!(lengths[b] >= 0 && lengths[b] <= T))
      throw new RangeError(`lengths[${b}] = ${lengths[b]} is outside [0, ${T}]`);
  }
}

/**
 * Gathers one (b, KV-group) block: rows (hi, t) for the `group` query heads sharing KV head g and t < len,
 * from x (B, T, nHeads*D) into dst (group*len, D) (or one head when headCount = 1).
 */
function gatherHeads(
  dst: FloatArray,
  x: FloatArray,
  b: number,
  firstHead: number,
  headCount: number,
  len: number,
  T: number,
  nHeads: number,
  D: number,
): void {
  // Index loops, not subarray + set: a head row is a few floats, and a subarray per row cost 3x the copy.
  for (let hi = 0; hi < headCount; hi++) {
    for (let t = 0; t < len; t++) {
      const src = ((b * T + t) * nHeads + firstHead + hi) * D;
      const to = (hi * len + t) * D;
      for (let d = 0; d < D; d++) dst[to + d] = x[src + d];
    }
  }
}

/** The inverse of gatherHeads: src (headCount*len, D) into x (B, T, nHeads*D). */
function scatterHeads(
  x: FloatArray,
  src: FloatArray,
  b: number,
  firstHead: number,
  headCount: number,
  len: number,
  T: number,
  nHeads: number,
  D: number,
): void {
  for (let hi = 0; hi < headCount; hi++) {
    for (let t = 0; t < len; t++) {
      const dst = ((b * T + t) * nHeads + firstHead + hi) * D;
      const from = (hi * len + t) * D;
      for (let d = 0; d < D; d++) x[dst + d] = src[from + d];
    }
  }
}

/**
 * In place on a (rows, len) block of scores whose row r is query position t = r mod len: scale, then the
 * softmax of entries 0..t, zeros after t. On the exact wasm kernel for float32 (the same bits), else here,
 * with the exps of the whole block taken in one batch.
 */
function causalSoftmax(scores: FloatArray, rows: number, len: number, scale: number): void {
  if (scores instanceof Float32Array && causalSoftmaxWasm(scores, rows, len, scale)) return;
  const args = pooledFloat64('att.exp', (rows * (len + 1)) / 2);
  let j = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * len;
    const t = r % len;
    let max = -Infinity;
    for (let t2 = 0; t2 <= t; t2++) {
      const x = scores[row + t2] * scale;
      scores[row + t2] = x;
      if (x > max) max = x;
    }
    for (let t2 = 0; t2 <= t; t2++) args[j++] = scores[row + t2] - max;
  }
  expInPlace(args, j);
  j = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * len;
    const t = r % len;
    let sum = 0;
    for (let t2 = 0; t2 <= t; t2++) {
      const e = args[j++];
      scores[row + t2] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let t2 = 0; t2 <= t; t2++) scores[row + t2] *= inv;
    scores.fill(0, row + t + 1, row + len);
  }
}

/**
 * out (B, T, H*D); att (B, H, T, T) softmax probabilities kept for backward (zero outside the mask);
 * q (B, T, H*D), k and v (B, T, KVH*D). Scores are scaled by 1/sqrt(D).
 *
 * Computed per sequence b and KV head g as dense products so they run on the fast matmul: with the
 * `group` = H/KVH query heads of g stacked as rows (hi, t), t < len = lengths[b],
 *   S = Q_g · K_gᵀ (group*len, len),  P = causal softmax(S * scale),  O = P · V_g (group*len, D).
 * Entries above the diagonal are computed and then discarded: twice the arithmetic of a triangular
 * loop, but on the SIMD kernel that is still far faster.
 */
export function attentionForward(
  out: FloatArray,
  att: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  lengths: Int32Array,
  shape: AttentionShape,
): void {
  const { B, T, H, KVH, D } = shape;
  checkLengths(lengths, B, T);
  const group = H / KVH;
  const scale = 1 / Math.sqrt(D);
  att.fill(0, 0, B * H * T * T);
  out.fill(0, 0, B * T * H * D);
  for (let b = 0; b < B; b++) {
    const len = lengths[b];
    if (len === 0) continue;
    const rows = group * len;
    const qg = scratchLike(q, 'att.q', rows * D); // (group*len, D)
    const kg = scratchLike(q, 'att.k', len * D); // (len, D)
    const vgT = scratchLike(q, 'att.vT', D * len); // (D, len)
    const scores = scratchLike(q, 'att.s', rows * len); // (group*len, len)
    const og = scratchLike(q, 'att.o', rows * D); // (group*len, D)
    const vg = scratchLike(q, 'att.v', len * D); // (len, D)
    for (let g = 0; g < KVH; g++) {
      gatherHeads(qg, q, b, g * group, group, len, T, H, D);
      gatherHeads(kg, k, b, g, 1, len, T, KVH, D);
      gatherHeads(vg, v, b, g, 1, len, T, KVH, D);
      transpose(vgT, vg, len, D);
      matmulNT(scores, qg, kg, null, rows, len, D, false);
      causalSoftmax(scores, rows, len, scale);
      for (let hi = 0; hi < group; hi++) {
        for (let t = 0; t < len; t++) {
          const row = (hi * len + t) * len;
          const attRow = ((b * H + g * group + hi) * T + t) * T;
          for (let t2 = 0; t2 <= t; t2++) att[attRow + t2] = scores[row + t2]; // no subarray per row
        }
      }
      matmulNT(og, scores, vgT, null, rows, D, len, false);
      scatterHeads(out, og, b, g * group, group, len, T, H, D);
    }
  }
}

/**
 * dq (B, T, H*D), dk and dv (B, T, KVH*D), all assigned, from dout (B, T, H*D) and the kept att.
 * Per (b, g) with P (group*len, len) and dO (group*len, D):
 *   dP = dO · V_gᵀ,  dS = P ⊙ (dP - rowsum(P ⊙ dP)) * scale,
 *   dQ_g = dS · K_g,  dK_g = dSᵀ · Q_g,  dV_g = Pᵀ · dO.
 */
export function attentionBackward(
  dq: FloatArray,
  dk: FloatArray,
  dv: FloatArray,
  dout: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  att: FloatArray,
  lengths: Int32Array,
  shape: AttentionShape,
): void {
  const { B, T, H, KVH, D } = shape;
  checkLengths(lengths, B, T);
  const group = H / KVH;
  const scale = 1 / Math.sqrt(D);
  dq.fill(0, 0, B * T * H * D);
  dk.fill(0, 0, B * T * KVH * D);
  dv.fill(0, 0, B * T * KVH * D);
  for (let b = 0; b < B; b++) {
    const len = lengths[b];
    if (len === 0) continue;
    const rows = group * len;
    const p = scratchLike(q, 'attb.p', rows * len); // (group*len, len)
    const pT = scratchLike(q, 'attb.pT', len * rows); // (len, group*len)
    const dO = scratchLike(q, 'attb.do', rows * D); // (group*len, D)
    const dOT = scratchLike(q, 'attb.doT', D * rows); // (D, group*len)
    const vg = scratchLike(q, 'attb.v', len * D); // (len, D)
    const kg = scratchLike(q, 'attb.k', len * D); // (len, D)
    const kgT = scratchLike(q, 'attb.kT', D * len); // (D, len)
    const qg = scratchLike(q, 'attb.q', rows * D); // (group*len, D)
    const qgT = scratchLike(q, 'attb.qT', D * rows); // (D, group*len)
    const ds = scratchLike(q, 'attb.ds', rows * len); // (group*len, len): dP, then dS in place
    const dsT = scratchLike(q, 'attb.dsT', len * rows); // (len, group*len)
    const dqg = scratchLike(q, 'attb.dq', rows * D); // (group*len, D)
    const dkvg = scratchLike(q, 'attb.dkv', len * D); // (len, D)
    for (let g = 0; g < KVH; g++) {
      for (let hi = 0; hi < group; hi++) {
        for (let t = 0; t < len; t++) {
          const attRow = ((b * H + g * group + hi) * T + t) * T;
          p.set(att.subarray(attRow, attRow + len), (hi * len + t) * len);
        }
      }
      gatherHeads(dO, dout, b, g * group, group, len, T, H, D);
      gatherHeads(qg, q, b, g * group, group, len, T, H, D);
      gatherHeads(kg, k, b, g, 1, len, T, KVH, D);
      gatherHeads(vg, v, b, g, 1, len, T, KVH, D);
      // dV_g = Pᵀ · dO
      transpose(pT, p, rows, len);
      transpose(dOT, dO, rows, D);
      matmulNT(dkvg, pT, dOT, null, len, D, rows, false);
      scatterHeads(dv, dkvg, b, g, 1, len, T, KVH, D);
      // dP = dO · V_gᵀ, then the softmax backward in place (P is 0 above the diagonal, so is dS).
      matmulNT(ds, dO, vg, null, rows, len, D, false);
      for (let r = 0; r < rows; r++) {
        const t = r % len; // row r is query position t of head r / len
        const row = r * len;
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) dot += p[row + t2] * ds[row + t2];
        for (let t2 = 0; t2 <= t; t2++) ds[row + t2] = p[row + t2] * (ds[row + t2] - dot) * scale;
        ds.fill(0, row + t + 1, row + len);
      }
      // dQ_g = dS · K_g
      transpose(kgT, kg, len, D);
      matmulNT(dqg, ds, kgT, null, rows, D, len, false);
      scatterHeads(dq, dqg, b, g * group, group, len, T, H, D);
      // dK_g = dSᵀ · Q_g
      transpose(dsT, ds, rows, len);
      transpose(qgT, qg, rows, D);
      matmulNT(dkvg, dsT, qgT, null, len, D, rows, false);
      scatterHeads(dk, dkvg, b, g, 1, len, T, KVH, D);
    }
  }
}

/**
 * One decoding step against a KV cache: each of the R rows has one new query at position
 * positions[r] (its key/value already written to the cache at that position) and attends to cache
 * entries 0..positions[r] of cache slot slots[r].
 * out (R, H*D); q (R, H*D); kCache, vCache (S, maxT, KVH*D); scoresScratch >= H*maxT.
 */
export function attentionDecodeForward(
  out: FloatArray,
  q: FloatArray,
  kCache: FloatArray,
  vCache: FloatArray,
  slots: Int32Array,
  positions: Int32Array,
  R: number,
  maxT: number,
  H: number,
  KVH: number,
  D: number,
  scoresScratch: FloatArray,
): void {
  const group = H / KVH;
  const qStride = H * D;
  const kvStride = KVH * D;
  const scale = 1 / Math.sqrt(D);
  const D4 = D - (D % 4);
  if (scoresScratch.length < H * maxT) {
    throw new RangeError(`decode scores scratch holds ${scoresScratch.length}, needs H * maxT = ${H * maxT}`);
  }
  const slotCount = Math.floor(Math.min(kCache.length, vCache.length) / (maxT * kvStride));
  for (let r = 0; r < R; r++) {
    const pos = positions[r];
    if (!(pos >= 0 && pos < maxT)) throw new RangeError(`decode position ${pos} is outside [0, ${maxT})`);
    if (!(slots[r] >= 0 && slots[r] < slotCount))
      throw new RangeError(`decode slot ${slots[r]} is outside the cache's ${slotCount} slots`);
  }
  if (
    out instanceof Float32Array &&
    q instanceof Float32Array &&
    kCache instanceof Float32Array &&
    vCache instanceof Float32Array &&
    scoresScratch instanceof Float32Array && // the kernel rounds scores and exps to float32, as this one does
    attentionDecodeWasm(out, q, kCache, vCache, slots, positions, R, maxT, H, KVH, D)
  ) {
    return; // the same bits as the loops below, for caches in the kernel's memory (wasmExact.ts)
  }
  out.fill(0, 0, R * qStride);
  // Generation spends most of its time here, so the loops over D are unrolled by 4 (with a tail), and the
  // exps of a row's heads are taken in one batch.
  const args = pooledFloat64('decode.exp', H * maxT);
  for (let r = 0; r < R; r++) {
    const pos = positions[r];
    const cacheBase = slots[r] * maxT * kvStride;
    const n = pos + 1;
    for (let h = 0; h < H; h++) {
      const kvBase = cacheBase + Math.floor(h / group) * D;
      const qOff = r * qStride + h * D;
      const sc = h * maxT; // this head's scores in scoresScratch
      let max = -Infinity;
      for (let t2 = 0, kOff = kvBase; t2 <= pos; t2++, kOff += kvStride) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let d = 0;
        for (; d < D4; d += 4) {
          s0 += q[qOff + d] * kCache[kOff + d];
          s1 += q[qOff + d + 1] * kCache[kOff + d + 1];
          s2 += q[qOff + d + 2] * kCache[kOff + d + 2];
          s3 += q[qOff + d + 3] * kCache[kOff + d + 3];
        }
        for (; d < D; d++) s0 += q[qOff + d] * kCache[kOff + d];
        const s = (s0 + s1 + s2 + s3) * scale;
        scoresScratch[sc + t2] = s;
        if (s > max) max = s;
      }
      for (let t2 = 0; t2 <= pos; t2++) args[h * n + t2] = scoresScratch[sc + t2] - max;
    }
    expInPlace(args, H * n);
    for (let h = 0; h < H; h++) {
      const kvBase = cacheBase + Math.floor(h / group) * D;
      const qOff = r * qStride + h * D;
      const sc = h * maxT;
      let sum = 0;
      for (let t2 = 0; t2 <= pos; t2++) {
        const e = args[h * n + t2];
        scoresScratch[sc + t2] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let t2 = 0, vOff = kvBase; t2 <= pos; t2++, vOff += kvStride) {
        const p = scoresScratch[sc + t2] * inv;
        let d = 0;
        for (; d < D4; d += 4) {
          out[qOff + d] += p * vCache[vOff + d];
          out[qOff + d + 1] += p * vCache[vOff + d + 1];
          out[qOff + d + 2] += p * vCache[vOff + d + 2];
          out[qOff + d + 3] += p * vCache[vOff + d + 3];
        }
        for (; d < D; d++) out[qOff + d] += p * vCache[vOff + d];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// SwiGLU: out = silu(gate) * up, silu(x) = x * sigmoid(x).

/** out (n) = silu(gate (n)) * up (n). */
export function swigluForward(out: FloatArray, gate: FloatArray, up: FloatArray, n: number): void {
  if (
    out instanceof Float32Array &&
    gate instanceof Float32Array &&
    up instanceof Float32Array &&
    swigluForwardWasm(out, gate, up, n)
  ) {
    return; // the same bits as the loop below (wasmExact.ts)
  }
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = (g / (1 + fdExp(-g))) * up[i];
  }
}

/** dgate, dup (n) assigned: d silu(g)/dg = sig(g) * (1 + g * (1 - sig(g))). */
export function swigluBackward(
  dgate: FloatArray,
  dup: FloatArray,
  dout: FloatArray,
  gate: FloatArray,
  up: FloatArray,
  n: number,
): void {
  if (
    dgate instanceof Float32Array &&
    dup instanceof Float32Array &&
    dout instanceof Float32Array &&
    gate instanceof Float32Array &&
    up instanceof Float32Array &&
    swigluBackwardWasm(dgate, dup, dout, gate, up, n)
  ) {
    return; // the same bits as the loop below (wasmExact.ts)
  }
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const sig = 1 / (1 + fdExp(-g));
    const d = dout[i];
    dup[i] = d * g * sig;
    dgate[i] = d * up[i] * sig * (1 + g * (1 - sig));
  }
}

// ---------------------------------------------------------------------------------------------------
// Residual add.

/** out (n) = a (n) + b (n); out may alias a or b. */
export function residualForward(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/** da, db (n) assigned = dout: both branches of a sum receive the same gradient. */
export function residualBackward(da: FloatArray, db: FloatArray, dout: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    da[i] = dout[i];
    db[i] = dout[i];
  }
}

// ---------------------------------------------------------------------------------------------------
// Log-softmax with target gather and entropy, at a temperature tau: z = logits / tau,
// logprob = z[target] - logsumexp(z), entropy = logsumexp(z) - Σ p z with p = softmax(z).

function checkTemperature(temperature: number): void {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`log-softmax temperature must be a finite number > 0 (got ${temperature})`);
  }
}

/** Rows per batch of exps, so the float64 argument buffer stays within 2 MiB whatever the vocabulary. */
const SOFTMAX_BATCH_VALUES = 1 << 18;

/**
 * For rows first..first+count of logits (N, V) with z = logit / tau, where `wanted(n)` holds: max[n] =
 * max z, and the exps of zc = z - max at exps[(n - first) * V + v]. The exps of the batch are taken at
 * once (expInPlace: the same bits as fdExp, about twice as fast).
 */
function softmaxExps(
  logits: FloatArray,
  first: number,
  count: number,
  V: number,
  invTau: number,
  wanted: (n: number) => boolean,
  max: Float64Array,
): Float64Array {
  const exps = pooledFloat64('softmax.exp', count * V);
  for (let i = 0; i < count; i++) {
    const n = first + i;
    if (!wanted(n)) {
      exps.fill(0, i * V, (i + 1) * V);
      continue;
    }
    const row = n * V;
    let m = -Infinity;
    for (let v = 0; v < V; v++) {
      const z = logits[row + v] * invTau;
      if (z > m) m = z;
    }
    max[i] = m;
    for (let v = 0; v < V; v++) exps[i * V + v] = logits[row + v] * invTau - m;
  }
  expInPlace(exps, count * V);
  return exps;
}

/**
 * The sums both passes start from, for the row of logits at `row` whose exps start at exps[at], with
 * zc = z - max: sum = Σ e^zc and weighted = Σ e^zc zc.
 */
function softmaxSums(
  logits: FloatArray,
  row: number,
  V: number,
  invTau: number,
  max: number,
  exps: Float64Array,
  at: number,
): { sum: number; weighted: number } {
  let sum = 0;
  let weighted = 0;
  for (let v = 0; v < V; v++) {
    const zc = logits[row + v] * invTau - max;
    const e = exps[at + v];
    sum += e;
    weighted += e * zc;
  }
  return { sum, weighted };
}

/** logprobs (N), entropy (N) from logits (N, V) and targets (N). */
export function logSoftmaxForward(
  logprobs: FloatArray,
  entropy: FloatArray,
  logits: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
  temperature: number,
): void {
  checkTemperature(temperature);
  for (let n = 0; n < N; n++) checkToken(targets[n], V, n);
  const invTau = 1 / temperature;
  const batch = Math.max(1, Math.floor(SOFTMAX_BATCH_VALUES / V));
  const max = pooledFloat64('softmax.max', batch); // pooled, like the exps
  for (let first = 0; first < N; first += batch) {
    const count = Math.min(batch, N - first);
    const exps = softmaxExps(logits, first, count, V, invTau, () => true, max);
    for (let i = 0; i < count; i++) {
      const n = first + i;
      const row = n * V;
      const { sum, weighted } = softmaxSums(logits, row, V, invTau, max[i], exps, i * V);
      const logSum = fdLog(sum); // logsumexp(z) - max
      logprobs[n] = logits[row + targets[n]] * invTau - max[i] - logSum;
      entropy[n] = logSum - weighted / sum;
    }
  }
}

/**
 * dlogits (N, V) assigned, from dlogprobs (N) and dentropy (N):
 *   d logprob / d z_v = onehot_v - p_v,   d entropy / d z_v = -p_v (z_v - Σ p z),   d z / d logits = 1/tau.
 * Rows whose two upstream gradients are both 0 get zeros without touching the logits.
 */
export function logSoftmaxBackward(
  dlogits: FloatArray,
  dlogprobs: FloatArray,
  dentropy: FloatArray | null,
  logits: FloatArray,
  targets: Int32Array,
  N: number,
  V: number,
  temperature: number,
): void {
  checkTemperature(temperature);
  const invTau = 1 / temperature;
  const active = (n: number) => dlogprobs[n] !== 0 || (dentropy !== null && dentropy[n] !== 0);
  for (let n = 0; n < N; n++) if (active(n)) checkToken(targets[n], V, n);
  const batch = Math.max(1, Math.floor(SOFTMAX_BATCH_VALUES / V));
  const max = pooledFloat64('softmax.max', batch); // pooled, like the exps
  for (let first = 0; first < N; first += batch) {
    const count = Math.min(batch, N - first);
    const exps = softmaxExps(logits, first, count, V, invTau, active, max);
    for (let i = 0; i < count; i++) {
      const n = first + i;
      const row = n * V;
      const gLp = dlogprobs[n];
      const gEnt = dentropy ? dentropy[n] : 0;
      if (!active(n)) {
        dlogits.fill(0, row, row + V);
        continue;
      }
      const { sum, weighted } = softmaxSums(logits, row, V, invTau, max[i], exps, i * V);
      const inv = 1 / sum;
      const meanZc = weighted * inv; // Σ p (z - max)
      for (let v = 0; v < V; v++) {
        const zc = logits[row + v] * invTau - max[i];
        const p = exps[i * V + v] * inv;
        const dz = -gLp * p - gEnt * p * (zc - meanZc);
        dlogits[row + v] = dz * invTau;
      }
      dlogits[row + targets[n]] += gLp * invTau;
    }
  }
}
