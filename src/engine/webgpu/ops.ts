// Descriptors of the non-matmul kernels (embedding, RMSNorm, RoPE, SwiGLU, residual add, log-softmax,
// grad norm, AdamW) and small encode helpers with the same argument order as src/engine/cpu/ops.ts,
// so the WebGPU model reads like the CPU one. Every helper only records into a Step.
import { type GpuTensor, grid1d, type Kernel, type Step, type UniformType } from './kernel';

const WG = 64;

/** A kernel whose storage bindings are its read-only inputs followed by its read_write outputs. */
function def<R extends string, W extends string, U extends string>(
  shader: string,
  entryPoint: string,
  io: { read: readonly R[]; write: readonly W[] },
  uniforms: Record<U, UniformType>,
  dispatch: (u: Readonly<Record<U, number>>) => readonly [number, number?, number?],
  workgroupSize: number | null = WG,
): Kernel<R | W, U> {
  return {
    shader,
    entryPoint,
    bindings: [
      ...io.read.map((name) => ({ name, access: 'read' as const })),
      ...io.write.map((name) => ({ name, access: 'read_write' as const })),
    ],
    uniforms: (Object.entries(uniforms) as [U, UniformType][]).map(([name, type]) => ({ name, type })),
    constants: workgroupSize ? { WORKGROUP_SIZE: workgroupSize } : {},
    dispatch,
  };
}

const flat = (key: string) => (u: Readonly<Record<string, number>>) => grid1d(u[key], WG);
/** One invocation per 4 elements (the `_vec4` entry points). */
const flat4 = (key: string) => (u: Readonly<Record<string, number>>) => grid1d(Math.ceil(u[key] / 4), WG);

// Most kernels have a `_vec4` twin that reads and writes vec4s; the helpers below pick it whenever the
// sizes are multiples of 4 (on SwiftShader 1.5-4x faster: every load is a gather of scalars, and a
// typed vec4 load needs one address and one bounds check instead of four).

export const ADD_FORWARD = def(
  'elementwise',
  'add_forward',
  { read: ['a', 'b'], write: ['out'] },
  { n: 'u32', alpha: 'f32' },
  flat('n'),
);

export const ADD_INPLACE = def(
  'elementwise',
  'add_inplace',
  { read: ['src'], write: ['dst'] },
  { n: 'u32', alpha: 'f32' },
  flat('n'),
);

export const ADD_FORWARD_VEC4 = { ...ADD_FORWARD, entryPoint: 'add_forward_vec4', dispatch: flat4('n') };
export const ADD_INPLACE_VEC4 = { ...ADD_INPLACE, entryPoint: 'add_inplace_vec4', dispatch: flat4('n') };

const embU = { N: 'u32', V: 'u32', C: 'u32' } as const;
export const EMBEDDING_FORWARD = def(
  'embedding',
  'embedding_forward',
  { read: ['tokens', 'table'], write: ['out'] },
  embU,
  (u) => grid1d(u.N * u.C, WG),
);
export const EMBEDDING_BACKWARD = def(
  'embedding',
  'embedding_backward',
  { read: ['offsets', 'rows', 'dout'], write: ['dtable'] },
  embU,
  (u) => grid1d(u.V * u.C, WG),
);

const normU = { N: 'u32', C: 'u32', eps: 'f32', accumulate: 'u32' } as const;
export const RMSNORM_FORWARD = def(
  'rmsnorm',
  'rmsnorm_forward',
  { read: ['inp', 'weight'], write: ['out', 'rstd'] },
  normU,
  flat('N'),
);
export const RMSNORM_BACKWARD = def(
  'rmsnorm',
  'rmsnorm_backward',
  { read: ['inp', 'weight', 'dout', 'rstd'], write: ['dinp'] },
  normU,
  flat('N'),
);
export const RMSNORM_BACKWARD_WEIGHT = def(
  'rmsnorm',
  'rmsnorm_backward_weight',
  { read: ['inp', 'dout', 'rstd'], write: ['dweight'] },
  normU,
  flat('C'),
);
/** Rows per partial sum of the two-pass RMSNorm weight gradient (NORM_CHUNK in rmsnorm.wgsl). */
export const NORM_CHUNK = 64;
const normChunks = (u: Readonly<Record<string, number>>) => Math.ceil(u.N / NORM_CHUNK);
export const RMSNORM_BACKWARD_WEIGHT_PARTIAL = def(
  'rmsnorm',
  'rmsnorm_backward_weight_partial',
  { read: ['inp', 'dout', 'rstd'], write: ['partials'] },
  normU,
  (u) => grid1d(normChunks(u) * u.C, WG),
);
export const RMSNORM_BACKWARD_WEIGHT_PARTIAL_VEC4 = {
  ...RMSNORM_BACKWARD_WEIGHT_PARTIAL,
  entryPoint: 'rmsnorm_backward_weight_partial_vec4',
  dispatch: (u: Readonly<Record<keyof typeof normU, number>>) =>
    grid1d(normChunks(u) * Math.ceil(u.C / 4), WG),
};
export const RMSNORM_BACKWARD_WEIGHT_FINISH = def(
  'rmsnorm',
  'rmsnorm_backward_weight_finish',
  { read: ['partials'], write: ['dweight'] },
  normU,
  flat('C'),
);
/** Elements of the scratch the two-pass weight gradient needs for N rows of C channels. */
export const rmsnormPartialsElements = (N: number, C: number) => Math.ceil(N / NORM_CHUNK) * C;

export const RMSNORM_FORWARD_VEC4 = { ...RMSNORM_FORWARD, entryPoint: 'rmsnorm_forward_vec4' };
export const RMSNORM_BACKWARD_VEC4 = { ...RMSNORM_BACKWARD, entryPoint: 'rmsnorm_backward_vec4' };
export const RMSNORM_BACKWARD_WEIGHT_VEC4 = {
  ...RMSNORM_BACKWARD_WEIGHT,
  entryPoint: 'rmsnorm_backward_weight_vec4',
  dispatch: flat4('C'),
};

const ropeU = { N: 'u32', heads: 'u32', half: 'u32' } as const;
const ropeIo = { read: ['positions', 'cos', 'sin'] as const, write: ['x'] as const };
const ropeGrid = (u: Readonly<Record<keyof typeof ropeU, number>>) => grid1d(u.N * u.heads * u.half, WG);
export const ROPE_FORWARD = def('rope', 'rope_forward', ropeIo, ropeU, ropeGrid);
export const ROPE_BACKWARD = def('rope', 'rope_backward', ropeIo, ropeU, ropeGrid);
const ropeGrid4 = (u: Readonly<Record<keyof typeof ropeU, number>>) =>
  grid1d(u.N * u.heads * Math.ceil(u.half / 4), WG);
export const ROPE_FORWARD_VEC4 = { ...ROPE_FORWARD, entryPoint: 'rope_forward_vec4', dispatch: ropeGrid4 };
export const ROPE_BACKWARD_VEC4 = { ...ROPE_BACKWARD, entryPoint: 'rope_backward_vec4', dispatch: ropeGrid4 };

export const SWIGLU_FORWARD = def(
  'swiglu',
  'swiglu_forward',
  { read: ['gate', 'up'], write: ['out'] },
  { n: 'u32' },
  flat('n'),
);
export const SWIGLU_BACKWARD = def(
  'swiglu',
  'swiglu_backward',
  { read: ['gate', 'up', 'dout'], write: ['dgate', 'dup'] },
  { n: 'u32' },
  flat('n'),
);
export const SWIGLU_FORWARD_VEC4 = {
  ...SWIGLU_FORWARD,
  entryPoint: 'swiglu_forward_vec4',
  dispatch: flat4('n'),
};
export const SWIGLU_BACKWARD_VEC4 = {
  ...SWIGLU_BACKWARD,
  entryPoint: 'swiglu_backward_vec4',
  dispatch: flat4('n'),
};

const lsmU = { N: 'u32', T: 'u32', V: 'u32', inv_temp: 'f32' } as const;
export const LOGSOFTMAX_FORWARD = def(
  'logsoftmax',
  'logsoftmax_forward',
  { read: ['logits', 'tokens', 'mask'], write: ['logprobs', 'entropy'] },
  lsmU,
  flat('N'),
);
export const LOGSOFTMAX_BACKWARD = def(
  'logsoftmax',
  'logsoftmax_backward',
  { read: ['logits', 'tokens', 'dlogprobs', 'dentropy'], write: ['dlogits'] },
  lsmU,
  flat('N'),
);

const gnU = { n: 'u32', chunk: 'u32', parts: 'u32', max_norm: 'f32', clip_enabled: 'u32' } as const;
export const GRADNORM_PARTIAL = def(
  'gradnorm',
  'gradnorm_partial',
  { read: ['grads'], write: ['partials'] },
  gnU,
  (u) => [Math.ceil(u.parts / WG)],
);
export const GRADNORM_FINISH = def(
  'gradnorm',
  'gradnorm_finish',
  { read: ['partials'], write: ['clip'] },
  gnU,
  () => [1],
  null,
);

export const ADAMW_FORWARD = def(
  'adamw',
  'adamw_forward',
  { read: ['grads', 'clip'], write: ['params', 'm', 'v'] },
  { n: 'u32', lr: 'f32', beta1: 'f32', beta2: 'f32', eps: 'f32', decay: 'f32', bc1: 'f32', bc2: 'f32' },
  flat('n'),
);

// Every kernel above, for precompiling at start-up. The cast is needed because Kernel<B, U> is not a
// Kernel<string, string> (its dispatch function is contravariant in U); the list is only compiled.
export const ALL_OP_KERNELS = [
  ADD_FORWARD,
  ADD_INPLACE,
  ADD_FORWARD_VEC4,
  ADD_INPLACE_VEC4,
  EMBEDDING_FORWARD,
  EMBEDDING_BACKWARD,
  RMSNORM_FORWARD,
  RMSNORM_BACKWARD,
  RMSNORM_BACKWARD_WEIGHT,
  RMSNORM_FORWARD_VEC4,
  RMSNORM_BACKWARD_VEC4,
  RMSNORM_BACKWARD_WEIGHT_VEC4,
  RMSNORM_BACKWARD_WEIGHT_PARTIAL,
  RMSNORM_BACKWARD_WEIGHT_PARTIAL_VEC4,
  RMSNORM_BACKWARD_WEIGHT_FINISH,
  ROPE_FORWARD,
  ROPE_BACKWARD,
  ROPE_FORWARD_VEC4,
  ROPE_BACKWARD_VEC4,
  SWIGLU_FORWARD,
  SWIGLU_BACKWARD,
  SWIGLU_FORWARD_VEC4,
  SWIGLU_BACKWARD_VEC4,
  LOGSOFTMAX_FORWARD,
  LOGSOFTMAX_BACKWARD,
  GRADNORM_PARTIAL,
  GRADNORM_FINISH,
  ADAMW_FORWARD,
] as unknown as readonly Kernel[];

// ---- encode helpers (argument order as in cpu/ops.ts) ------------------------------------------------

/** out (n) = a + alpha * b. */
export function residualForward(
  step: Step,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  n: number,
  alpha = 1,
) {
  step.dispatch(n % 4 === 0 ? ADD_FORWARD_VEC4 : ADD_FORWARD, { a, b, out }, { n, alpha });
}

/** dst (n) += alpha * src. */
export function addInPlace(step: Step, dst: GpuTensor, src: GpuTensor, n: number, alpha = 1) {
  step.dispatch(n % 4 === 0 ? ADD_INPLACE_VEC4 : ADD_INPLACE, { src, dst }, { n, alpha });
}

export function embeddingForward(
  step: Step,
  out: GpuTensor,
  tokens: GpuTensor,
  table: GpuTensor,
  N: number,
  V: number,
  C: number,
) {
  step.dispatch(EMBEDDING_FORWARD, { tokens, table, out }, { N, V, C });
}

/** The CSR the backward kernel gathers by: offsets (V + 1) and positions (N) sorted by token id. */
export function embeddingRowsByToken(
  tokens: Int32Array,
  V: number,
): { offsets: Uint32Array; rows: Uint32Array } {
  const offsets = new Uint32Array(V + 1);
  for (const t of tokens) {
    if (!(t >= 0 && t < V)) throw new RangeError(`token id ${t} is outside [0, ${V})`);
    offsets[t + 1]++;
  }
  for (let v = 0; v < V; v++) offsets[v + 1] += offsets[v];
  const cursor = offsets.slice(0, V);
  const rows = new Uint32Array(tokens.length);
  tokens.forEach((t, n) => {
    rows[cursor[t]++] = n;
  });
  return { offsets, rows };
}

/** dtable (V, C) += gather-reduce of dout (N, C) by token; offsets/rows from embeddingRowsByToken. */
export function embeddingBackward(
  step: Step,
  dtable: GpuTensor,
  dout: GpuTensor,
  offsets: GpuTensor,
  rows: GpuTensor,
  N: number,
  V: number,
  C: number,
) {
  step.dispatch(EMBEDDING_BACKWARD, { offsets, rows, dout, dtable }, { N, V, C });
}

export function rmsnormForward(
  step: Step,
  out: GpuTensor,
  rstd: GpuTensor,
  inp: GpuTensor,
  weight: GpuTensor,
  N: number,
  C: number,
  eps: number,
) {
  const kernel = C % 4 === 0 ? RMSNORM_FORWARD_VEC4 : RMSNORM_FORWARD;
  step.dispatch(kernel, { inp, weight, out, rstd }, { N, C, eps, accumulate: 0 });
}

/**
 * dinp (N, C) = (or += when accumulate) input gradient; dweight (C) += weight gradient. With `partials`
 * (at least rmsnormPartialsElements(N, C)) the weight gradient runs in two passes over 64-row chunks
 * (many invocations: what real GPUs need); without, one invocation per channel sums every row.
 */
export function rmsnormBackward(
  step: Step,
  dinp: GpuTensor,
  dweight: GpuTensor,
  dout: GpuTensor,
  inp: GpuTensor,
  weight: GpuTensor,
  rstd: GpuTensor,
  N: number,
  C: number,
  accumulate = false,
  partials: GpuTensor | null = null,
) {
  const u = { N, C, eps: 0, accumulate: accumulate ? 1 : 0 };
  const vec4 = C % 4 === 0;
  step.dispatch(vec4 ? RMSNORM_BACKWARD_VEC4 : RMSNORM_BACKWARD, { inp, weight, dout, rstd, dinp }, u);
  if (partials) {
    const need = rmsnormPartialsElements(N, C);
    if (partials.elements < need) {
      throw new RangeError(`rmsnorm: partials has ${partials.elements} elements, needs ${need}`);
    }
    const partial = vec4 ? RMSNORM_BACKWARD_WEIGHT_PARTIAL_VEC4 : RMSNORM_BACKWARD_WEIGHT_PARTIAL;
    step.dispatch(partial, { inp, dout, rstd, partials }, u);
    step.dispatch(RMSNORM_BACKWARD_WEIGHT_FINISH, { partials, dweight }, u);
  } else {
    step.dispatch(
      vec4 ? RMSNORM_BACKWARD_WEIGHT_VEC4 : RMSNORM_BACKWARD_WEIGHT,
      { inp, dout, rstd, dweight },
      u,
    );
  }
}

/** In place on x (N, heads, D); cos/sin tables (maxPositions, D/2); positions (N) i32. */
export function ropeForward(
  step: Step,
  x: GpuTensor,
  positions: GpuTensor,
  cos: GpuTensor,
  sin: GpuTensor,
  N: number,
  heads: number,
  D: number,
) {
  const kernel = D % 8 === 0 ? ROPE_FORWARD_VEC4 : ROPE_FORWARD;
  step.dispatch(kernel, { positions, cos, sin, x }, { N, heads, half: D / 2 });
}

export function ropeBackward(
  step: Step,
  dx: GpuTensor,
  positions: GpuTensor,
  cos: GpuTensor,
  sin: GpuTensor,
  N: number,
  heads: number,
  D: number,
) {
  const kernel = D % 8 === 0 ? ROPE_BACKWARD_VEC4 : ROPE_BACKWARD;
  step.dispatch(kernel, { positions, cos, sin, x: dx }, { N, heads, half: D / 2 });
}

export function swigluForward(step: Step, out: GpuTensor, gate: GpuTensor, up: GpuTensor, n: number) {
  step.dispatch(n % 4 === 0 ? SWIGLU_FORWARD_VEC4 : SWIGLU_FORWARD, { gate, up, out }, { n });
}

export function swigluBackward(
  step: Step,
  dgate: GpuTensor,
  dup: GpuTensor,
  dout: GpuTensor,
  gate: GpuTensor,
  up: GpuTensor,
  n: number,
) {
  step.dispatch(n % 4 === 0 ? SWIGLU_BACKWARD_VEC4 : SWIGLU_BACKWARD, { gate, up, dout, dgate, dup }, { n });
}

/** logprobs, entropy (B*T) at token positions from next-token logits (B*T, V); 0 where masked out. */
export function logSoftmaxForward(
  step: Step,
  logprobs: GpuTensor,
  entropy: GpuTensor,
  logits: GpuTensor,
  tokens: GpuTensor,
  mask: GpuTensor,
  B: number,
  T: number,
  V: number,
  temperature: number,
) {
  const u = { N: B * T, T, V, inv_temp: 1 / temperature };
  step.dispatch(LOGSOFTMAX_FORWARD, { logits, tokens, mask, logprobs, entropy }, u);
}

/** dlogits (B*T, V) assigned from per-position dlogprobs and dentropy (B*T), 0 outside the mask. */
export function logSoftmaxBackward(
  step: Step,
  dlogits: GpuTensor,
  dlogprobs: GpuTensor,
  dentropy: GpuTensor,
  logits: GpuTensor,
  tokens: GpuTensor,
  B: number,
  T: number,
  V: number,
  temperature: number,
) {
  const u = { N: B * T, T, V, inv_temp: 1 / temperature };
  step.dispatch(LOGSOFTMAX_BACKWARD, { logits, tokens, dlogprobs, dentropy, dlogits }, u);
}

/** Number of partial sums the grad-norm reduction uses for n elements (size of `partials`). */
export function gradNormParts(n: number): { parts: number; chunk: number } {
  const chunk = Math.max(64, Math.ceil(n / 4096));
  return { parts: Math.ceil(n / chunk), chunk };
}

/** clip (4) = [norm, scale, finite, 0] of grads (n); partials needs gradNormParts(n).parts elements. */
export function gradNormClip(
  step: Step,
  clip: GpuTensor,
  partials: GpuTensor,
  grads: GpuTensor,
  n: number,
  maxGradNorm: number,
) {
  const { parts, chunk } = gradNormParts(n);
  const enabled = Number.isFinite(maxGradNorm);
  const u = { n, chunk, parts, max_norm: enabled ? maxGradNorm : 0, clip_enabled: enabled ? 1 : 0 };
  step.dispatch(GRADNORM_PARTIAL, { grads, partials }, u);
  step.dispatch(GRADNORM_FINISH, { partials, clip }, u);
}

export interface AdamWStepConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step index for bias correction. */
  step: number;
}

export function adamwUpdate(
  step: Step,
  params: GpuTensor,
  grads: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  clip: GpuTensor,
  n: number,
  c: AdamWStepConfig,
) {
  step.dispatch(
    ADAMW_FORWARD,
    { grads, clip, params, m, v },
    {
      n,
      lr: c.lr,
      beta1: c.beta1,
      beta2: c.beta2,
      eps: c.eps,
      decay: 1 - c.lr * c.weightDecay,
      bc1: 1 - c.beta1 ** c.step,
      bc2: 1 - c.beta2 ** c.step,
    },
  );
}
