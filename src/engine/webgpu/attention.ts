// Host side of shaders/attention.wgsl and shaders/kvcache.wgsl: kernel descriptors for the causal GQA
// attention (forward, backward) and the KV cache, plus the `encode*` helpers the WebGPU backend calls
// inside a training or decoding Step. Shapes use the abbreviations of src/model/config.ts; R is the
// number of query rows (= B in training), S the number of cache slots.
import {
  defineKernel,
  GpuCapacityError,
  type GpuTensor,
  grid1d,
  type Kernel,
  kernelFamily,
  type Step,
} from './kernel';

/** Longest head dim the shader's per-row register arrays hold (MAX_HEAD_DIM in attention.wgsl). */
export const MAX_HEAD_DIM = 128;
/**
 * Invocations per workgroup unless the caller tunes it. Each invocation's arithmetic does not depend on
 * it, so every choice gives bit-identical results. On SwiftShader 4, 16 and 64 measured the same within
 * the (large) noise of a shared 2-core machine, so no start-up probe is spent on it.
 */
export const DEFAULT_WORKGROUP_SIZE = 64;

export interface AttentionDims {
  /** Query rows (sequences); in training R = B. */
  R: number;
  /** Query positions per row. */
  Tq: number;
  /** Key positions per key sequence (T in training, the cache's Tmax when decoding). */
  Tk: number;
  H: number;
  KVH: number;
  D: number;
  /** Invocations per workgroup (default DEFAULT_WORKGROUP_SIZE). */
  workgroupSize?: number;
  /** Register-blocked kernels (true) or one-row kernels (false); default usesBlockedAttention(D). */
  blocked?: boolean;
}

const UNIFORMS = { R: 'u32', Tq: 'u32', Tk: 'u32', H: 'u32', KVH: 'u32', scale: 'f32' } as const;
type AttentionUniform = keyof typeof UNIFORMS;
/** The inputs every attention kernel reads first (bindings 0-3). */
const QKV_ROWS = { q: 'read', k: 'read', v: 'read', rows: 'read' } as const;

export type AttentionForwardKernel = Kernel<'q' | 'k' | 'v' | 'rows' | 'out' | 'stats', AttentionUniform>;
export type AttentionQueryKernel = Kernel<
  'q' | 'k' | 'v' | 'rows' | 'dout' | 'stats' | 'out' | 'dq',
  AttentionUniform
>;
export type AttentionKeyValueKernel = Kernel<
  'q' | 'k' | 'v' | 'rows' | 'dout' | 'stats' | 'dk' | 'dv',
  AttentionUniform
>;

export interface AttentionKernels {
  forward: AttentionForwardKernel;
  backwardQuery: AttentionQueryKernel;
  backwardKeyValue: AttentionKeyValueKernel;
}

const kernelCache = new Map<string, AttentionKernels>();

function checkWorkgroupSize(size: number): void {
  if (!(Number.isInteger(size) && size >= 1 && size <= 256)) {
    throw new RangeError(`attention: workgroup size ${size} must be an integer in 1..256`);
  }
}

/**
 * Longest head dim of the register-blocked kernels (`*_vec4` in attention.wgsl, REG_HEAD_DIM there):
 * they need D to be a multiple of 4 and hold each row in 8 vec4 registers. Other head dims take the
 * one-row-per-invocation kernels.
 */
export const REG_HEAD_DIM = 32;

/** Whether head dim D takes the register-blocked kernels (4 rows per invocation, vec4 loads). */
export function usesBlockedAttention(D: number): boolean {
  return D % 4 === 0 && D <= REG_HEAD_DIM;
}

/**
 * The three attention kernels specialised for head dim D and a workgroup size (pipeline constants).
 * Head dims with usesBlockedAttention(D) get the register-blocked `_vec4` entry points (4 query or key
 * rows per invocation; 4-8x faster on SwiftShader), other head dims the one-row kernels.
 * `blocked: false` forces the one-row kernels (tests compare the two).
 */
export function attentionKernels(
  D: number,
  workgroupSize = DEFAULT_WORKGROUP_SIZE,
  blocked = usesBlockedAttention(D),
): AttentionKernels {
  if (!Number.isInteger(D) || D <= 0 || D > MAX_HEAD_DIM) {
    throw new GpuCapacityError(`attention: head dim ${D} is outside 1..${MAX_HEAD_DIM} (MAX_HEAD_DIM)`);
  }
  checkWorkgroupSize(workgroupSize);
  if (blocked && !usesBlockedAttention(D)) {
    throw new RangeError(
      `attention: the blocked kernels need D % 4 == 0 and D <= ${REG_HEAD_DIM} (got ${D})`,
    );
  }
  const key = `${D}/${workgroupSize}/${blocked ? 'vec4' : 'row'}`;
  let kernels = kernelCache.get(key);
  if (!kernels) {
    const WORKGROUP_SIZE = workgroupSize;
    const attention = kernelFamily({
      shader: 'attention',
      uniforms: UNIFORMS,
      constants: { WORKGROUP_SIZE, HEAD_DIM: D },
    });
    const suffix = blocked ? '_vec4' : '';
    // The blocked kernels run one invocation per 4 rows.
    const per = blocked ? 4 : 1;
    const queryRows = (u: Readonly<Record<AttentionUniform, number>>) =>
      grid1d(u.R * u.H * Math.ceil(u.Tq / per), WORKGROUP_SIZE);
    kernels = {
      forward: attention(
        `attention_forward${suffix}`,
        { ...QKV_ROWS, out: 'read_write', stats: 'read_write' },
        queryRows,
      ),
      backwardQuery: attention(
        `attention_backward_query${suffix}`,
        { ...QKV_ROWS, dout: 'read', stats: 'read_write', out: 'read', dq: 'read_write' },
        queryRows,
      ),
      backwardKeyValue: attention(
        `attention_backward_key_value${suffix}`,
        { ...QKV_ROWS, dout: 'read', stats: 'read', dk: 'read_write', dv: 'read_write' },
        (u) => grid1d(u.R * u.KVH * Math.ceil(u.Tk / per), WORKGROUP_SIZE),
      ),
    };
    kernelCache.set(key, kernels);
  }
  return kernels;
}

export type KvCacheWriteKernel = Kernel<
  'kNew' | 'vNew' | 'rows' | 'kCache' | 'vCache',
  'R' | 'Tn' | 'Tmax' | 'W'
>;

const kvCacheKernels = new Map<number, KvCacheWriteKernel>();

/** kvcache_write for a workgroup size (bit-identical results for every size). */
export function kvCacheWriteKernel(workgroupSize = DEFAULT_WORKGROUP_SIZE): KvCacheWriteKernel {
  checkWorkgroupSize(workgroupSize);
  let kernel = kvCacheKernels.get(workgroupSize);
  if (!kernel) {
    kernel = {
      ...KVCACHE_WRITE,
      constants: { WORKGROUP_SIZE: workgroupSize },
      dispatch: (u) => grid1d(u.R * u.Tn * u.W, workgroupSize),
    };
    kvCacheKernels.set(workgroupSize, kernel);
  }
  return kernel;
}

export const KVCACHE_WRITE: KvCacheWriteKernel = defineKernel({
  shader: 'kvcache',
  entryPoint: 'kvcache_write',
  bindings: { kNew: 'read', vNew: 'read', rows: 'read', kCache: 'read_write', vCache: 'read_write' },
  uniforms: { R: 'u32', Tn: 'u32', Tmax: 'u32', W: 'u32' },
  constants: { WORKGROUP_SIZE: DEFAULT_WORKGROUP_SIZE },
  dispatch: (u) => grid1d(u.R * u.Tn * u.W, DEFAULT_WORKGROUP_SIZE),
});

/** Elements of the attention `stats` tensor: (R, Tq, H, 2) = [logsumexp, delta] per query row and head. */
export function attentionStatsElements(dims: Pick<AttentionDims, 'R' | 'Tq' | 'H'>): number {
  return dims.R * dims.Tq * dims.H * 2;
}

/**
 * The `rows` tensor contents, (R, 4) u32: (start, count, slot, 0) per query row. Training: starts 0,
 * counts = lengths, slots = identity (the defaults). Decoding: start = position of the new token,
 * count = 1, slot = the row's cache slot.
 */
export function attentionRows(
  counts: ArrayLike<number>,
  starts?: ArrayLike<number>,
  slots?: ArrayLike<number>,
): Uint32Array {
  const R = counts.length;
  const rows = new Uint32Array(R * 4);
  for (let r = 0; r < R; r++) {
    const count = counts[r];
    const start = starts ? starts[r] : 0;
    const slot = slots ? slots[r] : r;
    if (
      !(Number.isInteger(count) && count >= 0) ||
      !(Number.isInteger(start) && start >= 0) ||
      !(slot >= 0)
    ) {
      throw new RangeError(
        `attention row ${r}: start ${start}, count ${count}, slot ${slot} must be integers >= 0`,
      );
    }
    rows.set([start, count, slot, 0], r * 4);
  }
  return rows;
}

function uniforms(dims: AttentionDims): Record<AttentionUniform, number> {
  const { R, Tq, Tk, H, KVH, D } = dims;
  if (H % KVH !== 0) throw new RangeError(`attention: KVH ${KVH} must divide H ${H}`);
  return { R, Tq, Tk, H, KVH, scale: 1 / Math.sqrt(D) };
}

function expectElements(name: string, t: GpuTensor, elements: number): void {
  if (t.elements < elements) {
    throw new RangeError(`attention: '${name}' (${t.label}) has ${t.elements} elements, needs ${elements}`);
  }
}

export interface AttentionForwardTensors {
  /** (R, Tq, H*D), RoPE already applied. */
  q: GpuTensor;
  /** (S, Tk, KVH*D) each: the layer's own k/v in training, the KV cache when decoding. */
  k: GpuTensor;
  v: GpuTensor;
  /** (R, 4) u32 from attentionRows. Every visible key start + t < Tk must exist. */
  rows: GpuTensor;
  /** (R, Tq, H*D) output. */
  out: GpuTensor;
  /** (R, Tq, H, 2) logsumexp per row, kept for the backward (scratch when decoding). */
  stats: GpuTensor;
}

/** Records softmax(q kᵀ / sqrt(D) + causal mask) v into `step`. */
export function encodeAttentionForward(
  step: Step,
  tensors: AttentionForwardTensors,
  dims: AttentionDims,
): void {
  const { R, Tq, H, D } = dims;
  expectElements('q', tensors.q, R * Tq * H * D);
  expectElements('out', tensors.out, R * Tq * H * D);
  expectElements('stats', tensors.stats, attentionStatsElements(dims));
  expectElements('rows', tensors.rows, R * 4);
  step.dispatch(
    attentionKernels(D, dims.workgroupSize, dims.blocked ?? usesBlockedAttention(D)).forward,
    tensors,
    uniforms(dims),
  );
}

/**
 * The forward's tensors, its out and stats included (stats also receives delta), with training rows
 * (slot = row index: attentionRows(lengths)), and the gradients.
 */
export interface AttentionBackwardTensors extends AttentionForwardTensors {
  /** (R, Tq, H*D) gradient of out. */
  dout: GpuTensor;
  /** Gradients, assigned (not accumulated): dq (R, Tq, H*D), dk and dv (R, Tk, KVH*D). */
  dq: GpuTensor;
  dk: GpuTensor;
  dv: GpuTensor;
}

/** Records dq, dk, dv of the attention whose forward produced `out` and `stats`. Training only (slot = r). */
export function encodeAttentionBackward(step: Step, t: AttentionBackwardTensors, dims: AttentionDims): void {
  const { R, Tq, Tk, H, KVH, D } = dims;
  expectElements('dout', t.dout, R * Tq * H * D);
  expectElements('dq', t.dq, R * Tq * H * D);
  expectElements('dk', t.dk, R * Tk * KVH * D);
  expectElements('dv', t.dv, R * Tk * KVH * D);
  const kernels = attentionKernels(D, dims.workgroupSize, dims.blocked ?? usesBlockedAttention(D));
  const u = uniforms(dims);
  const { q, k, v, rows, dout, stats } = t;
  step.dispatch(kernels.backwardQuery, { q, k, v, rows, dout, stats, out: t.out, dq: t.dq }, u);
  step.dispatch(kernels.backwardKeyValue, { q, k, v, rows, dout, stats, dk: t.dk, dv: t.dv }, u);
}

export interface KvCacheDims {
  /** Rows written (sequences). */
  R: number;
  /** Positions per row in kNew / vNew (the prompt length for prefill, 1 for a decode step). */
  Tn: number;
  /** Cache capacity per slot. */
  Tmax: number;
  KVH: number;
  D: number;
  workgroupSize?: number;
}

export interface KvCacheTensors {
  /** (R, Tn, KVH*D) this layer's new keys (RoPE applied) and values. */
  kNew: GpuTensor;
  vNew: GpuTensor;
  /** (R, 4) u32 from attentionRows(counts, starts, slots). */
  rows: GpuTensor;
  /** (S, Tmax, KVH*D) the layer's caches. */
  kCache: GpuTensor;
  vCache: GpuTensor;
}

/** Records the copy of new keys/values into their cache positions. */
export function encodeKvCacheWrite(step: Step, tensors: KvCacheTensors, dims: KvCacheDims): void {
  const W = dims.KVH * dims.D;
  expectElements('kNew', tensors.kNew, dims.R * dims.Tn * W);
  expectElements('vNew', tensors.vNew, dims.R * dims.Tn * W);
  step.dispatch(kvCacheWriteKernel(dims.workgroupSize), tensors, {
    R: dims.R,
    Tn: dims.Tn,
    Tmax: dims.Tmax,
    W,
  });
}
