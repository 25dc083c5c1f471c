// Descriptors of the non-matmul kernels (embedding, RMSNorm, RoPE, SwiGLU, residual add, log-softmax,
// grad norm, AdamW) and small encode helpers with the same argument order as src/engine/cpu/ops.ts,
// so the WebGPU model reads like the CPU one. Every helper only records into a Step.
import { fdPow } from '../../util/fdlibm';
import { defineKernel, type GpuTensor, grid1d, kernelFamily, type Step } from './kernel';

const WG = 64;
const WG64 = { WORKGROUP_SIZE: WG };

const flat = (key: string) => (u: Readonly<Record<string, number>>) => grid1d(u[key], WG);
/** One invocation per 4 elements (the `_vec4` entry points). */
const flat4 = (key: string) => (u: Readonly<Record<string, number>>) => grid1d(Math.ceil(u[key] / 4), WG);

// Most kernels have a `_vec4` twin that reads and writes vec4s; the helpers below pick it whenever the
// sizes are multiples of 4 (on SwiftShader 1.5-4x faster: every load is a gather of scalars, and a
// typed vec4 load needs one address and one bounds check instead of four).

const add = kernelFamily({ shader: 'elementwise', uniforms: { n: 'u32', alpha: 'f32' }, constants: WG64 });
export const ADD_FORWARD = add('add_forward', { a: 'read', b: 'read', out: 'read_write' }, flat('n'));
export const ADD_INPLACE = add('add_inplace', { src: 'read', dst: 'read_write' }, flat('n'));
export const ADD_FORWARD_VEC4 = { ...ADD_FORWARD, entryPoint: 'add_forward_vec4', dispatch: flat4('n') };
export const ADD_INPLACE_VEC4 = { ...ADD_INPLACE, entryPoint: 'add_inplace_vec4', dispatch: flat4('n') };

const embedding = kernelFamily({
  shader: 'embedding',
  uniforms: { N: 'u32', V: 'u32', C: 'u32' },
  constants: WG64,
});
export const EMBEDDING_FORWARD = embedding(
  'embedding_forward',
  { tokens: 'read', table: 'read', out: 'read_write' },
  (u) => grid1d(u.N * u.C, WG),
);
export const EMBEDDING_BACKWARD = embedding(
  'embedding_backward',
  { offsets: 'read', rows: 'read', dout: 'read', dtable: 'read_write' },
  (u) => grid1d(u.V * u.C, WG),
);

const normU = { N: 'u32', C: 'u32', eps: 'f32', accumulate: 'u32' } as const;
const norm = kernelFamily({ shader: 'rmsnorm', uniforms: normU, constants: WG64 });
export const RMSNORM_FORWARD = norm(
  'rmsnorm_forward',
  { inp: 'read', weight: 'read', out: 'read_write', rstd: 'read_write' },
  flat('N'),
);
export const RMSNORM_BACKWARD = norm(
  'rmsnorm_backward',
  { inp: 'read', weight: 'read', dout: 'read', rstd: 'read', dinp: 'read_write' },
  flat('N'),
);
export const RMSNORM_BACKWARD_WEIGHT = norm(
  'rmsnorm_backward_weight',
  { inp: 'read', dout: 'read', rstd: 'read', dweight: 'read_write' },
  flat('C'),
);
/** Rows per partial sum of the two-pass RMSNorm weight gradient (NORM_CHUNK in rmsnorm.wgsl). */
export const NORM_CHUNK = 64;
const normChunks = (u: Readonly<Record<string, number>>) => Math.ceil(u.N / NORM_CHUNK);
export const RMSNORM_BACKWARD_WEIGHT_PARTIAL = norm(
  'rmsnorm_backward_weight_partial',
  { inp: 'read', dout: 'read', rstd: 'read', partials: 'read_write' },
  (u) => grid1d(normChunks(u) * u.C, WG),
);
export const RMSNORM_BACKWARD_WEIGHT_PARTIAL_VEC4 = {
  ...RMSNORM_BACKWARD_WEIGHT_PARTIAL,
  entryPoint: 'rmsnorm_backward_weight_partial_vec4',
  dispatch: (u: Readonly<Record<keyof typeof normU, number>>) =>
    grid1d(normChunks(u) * Math.ceil(u.C / 4), WG),
};
export const RMSNORM_BACKWARD_WEIGHT_FINISH = norm(
  'rmsnorm_backward_weight_finish',
  { partials: 'read', dweight: 'read_write' },
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
const rope = kernelFamily({ shader: 'rope', uniforms: ropeU, constants: WG64 });
const ropeIo = { positions: 'read', cos: 'read', sin: 'read', x: 'read_write' } as const;
const ropeGrid = (u: Readonly<Record<keyof typeof ropeU, number>>) => grid1d(u.N * u.heads * u.half, WG);
export const ROPE_FORWARD = rope('rope_forward', ropeIo, ropeGrid);
export const ROPE_BACKWARD = rope('rope_backward', ropeIo, ropeGrid);
const ropeGrid4 = (u: Readonly<Record<keyof typeof ropeU, number>>) =>
  grid1d(u.N * u.heads * Math.ceil(u.half / 4), WG);
export const ROPE_FORWARD_VEC4 = { ...ROPE_FORWARD, entryPoint: 'rope_forward_vec4', dispatch: ropeGrid4 };
export const ROPE_BACKWARD_VEC4 = { ...ROPE_BACKWARD, entryPoint: 'rope_backward_vec4', dispatch: ropeGrid4 };
/** q and k rotated in one dispatch (rope_qk_*: invocations past q's pairs take k's). */
const ropeQkU = { N: 'u32', heads: 'u32', kv_heads: 'u32', half: 'u32' } as const;
const ropeQk = kernelFamily({ shader: 'rope', uniforms: ropeQkU, constants: WG64 });
const ropeQkIo = { positions: 'read', cos: 'read', sin: 'read', q: 'read_write', k: 'read_write' } as const;
const ropeQkGrid =
  (perHalf: (half: number) => number) => (u: Readonly<Record<keyof typeof ropeQkU, number>>) =>
    grid1d(u.N * (u.heads + u.kv_heads) * perHalf(u.half), WG);
export const ROPE_QK_FORWARD = ropeQk(
  'rope_qk_forward',
  ropeQkIo,
  ropeQkGrid((h) => h),
);
export const ROPE_QK_BACKWARD = ropeQk(
  'rope_qk_backward',
  ropeQkIo,
  ropeQkGrid((h) => h),
);
export const ROPE_QK_FORWARD_VEC4 = {
  ...ROPE_QK_FORWARD,
  entryPoint: 'rope_qk_forward_vec4',
  dispatch: ropeQkGrid((h) => Math.ceil(h / 4)),
};
export const ROPE_QK_BACKWARD_VEC4 = {
  ...ROPE_QK_BACKWARD,
  entryPoint: 'rope_qk_backward_vec4',
  dispatch: ropeQkGrid((h) => Math.ceil(h / 4)),
};

const swiglu = kernelFamily({ shader: 'swiglu', uniforms: { n: 'u32' }, constants: WG64 });
export const SWIGLU_FORWARD = swiglu(
  'swiglu_forward',
  { gate: 'read', up: 'read', out: 'read_write' },
  flat('n'),
);
export const SWIGLU_BACKWARD = swiglu(
  'swiglu_backward',
  { gate: 'read', up: 'read', dout: 'read', dgate: 'read_write', dup: 'read_write' },
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

const logsoftmax = kernelFamily({
  shader: 'logsoftmax',
  uniforms: { N: 'u32', T: 'u32', V: 'u32', inv_temp: 'f32' },
  constants: WG64,
});
export const LOGSOFTMAX_FORWARD = logsoftmax(
  'logsoftmax_forward',
  { logits: 'read', tokens: 'read', mask: 'read', logprobs: 'read_write', entropy: 'read_write' },
  flat('N'),
);
export const LOGSOFTMAX_BACKWARD = logsoftmax(
  'logsoftmax_backward',
  { logits: 'read', tokens: 'read', dlogprobs: 'read', dentropy: 'read', dlogits: 'read_write' },
  flat('N'),
);

const gradnormU = { n: 'u32', chunk: 'u32', parts: 'u32', max_norm: 'f32', clip_enabled: 'u32' } as const;
export const GRADNORM_PARTIAL = defineKernel({
  shader: 'gradnorm',
  entryPoint: 'gradnorm_partial',
  bindings: { grads: 'read', partials: 'read_write' },
  uniforms: gradnormU,
  constants: WG64,
  dispatch: (u) => [Math.ceil(u.parts / WG)],
});
// One invocation (@workgroup_size(1) in the shader) adds the partials in order.
export const GRADNORM_FINISH = defineKernel({
  shader: 'gradnorm',
  entryPoint: 'gradnorm_finish',
  bindings: { partials: 'read', clip: 'read_write' },
  uniforms: gradnormU,
  constants: {},
  dispatch: () => [1],
});

export const ADAMW_FORWARD = defineKernel({
  shader: 'adamw',
  entryPoint: 'adamw_forward',
  bindings: { grads: 'read', clip: 'read', params: 'read_write', m: 'read_write', v: 'read_write' },
  uniforms: {
    n: 'u32',
    lr: 'f32',
    beta1: 'f32',
    beta2: 'f32',
    eps: 'f32',
    decay: 'f32',
    bc1: 'f32',
    bc2: 'f32',
  },
  constants: WG64,
  dispatch: flat('n'),
});

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

/** q (N, heads, D) and k (N, kvHeads, D) rotated by one rope_qk dispatch (forward, or the transpose back). */
function encodeRopeQk(step: Step, backward: boolean, ...args: RopeQkArgs) {
  const [q, k, positions, cos, sin, N, heads, kvHeads, D] = args;
  const kernel =
    D % 8 === 0
      ? backward
        ? ROPE_QK_BACKWARD_VEC4
        : ROPE_QK_FORWARD_VEC4
      : backward
        ? ROPE_QK_BACKWARD
        : ROPE_QK_FORWARD;
  step.dispatch(kernel, { positions, cos, sin, q, k }, { N, heads, kv_heads: kvHeads, half: D / 2 });
}

/**
 * ropeForward on q (N, heads, D) and k (N, kvHeads, D) at the same positions, in one dispatch: the same
 * numbers as two ropeForward calls (ops.gpu.test.ts checks bit for bit).
 */
export const ropeQkForward = (step: Step, ...rest: RopeQkArgs) => encodeRopeQk(step, false, ...rest);

/** ropeBackward on dq and dk in one dispatch, as ropeQkForward. */
export const ropeQkBackward = (step: Step, ...rest: RopeQkArgs) => encodeRopeQk(step, true, ...rest);

type RopeQkArgs = [
  q: GpuTensor,
  k: GpuTensor,
  positions: GpuTensor,
  cos: GpuTensor,
  sin: GpuTensor,
  N: number,
  heads: number,
  kvHeads: number,
  D: number,
];

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
      // The same bias corrections as the CPU engine's, whichever JavaScript engine computes them.
      bc1: 1 - fdPow(c.beta1, c.step),
      bc2: 1 - fdPow(c.beta2, c.step),
    },
  );
}
