// The fused decode layer (shaders/decode_layer.wgsl): one dispatch per layer and decoded token instead of
// the 12 of the unfused path (norm, q, k, v, RoPE, cache write, attention, o_proj, norm, gate, up,
// SwiGLU, down), one workgroup per four sequence rows. It applies when four rows' vectors fit the
// adapter's workgroup memory (fusedDecodeUnfit); larger models keep the unfused path.
import type { LayerTensors } from '../../model/layout';
import { MAX_HEAD_DIM } from './attention';
import { defineKernel, type GpuTensor, type Kernel, type Step } from './kernel';

/** Invocations per workgroup. */
const WORKGROUP_SIZE = 64;
/** Rows per workgroup (the shader's ROWS: the four components of its vec4s). */
const ROWS = 4;
/** WebGPU's default maxComputeWorkgroupStorageSize. */
const MAX_WORKGROUP_BYTES = 16384;

type DecodeLayerBinding = 'weights' | 'cos' | 'sin' | 'rows' | 'x' | 'kCache' | 'vCache';
type DecodeLayerUniform =
  | 'R'
  | 'Tmax'
  | 'eps'
  | 'scale'
  | 'in_norm'
  | 'q_w'
  | 'q_b'
  | 'k_w'
  | 'k_b'
  | 'v_w'
  | 'v_b'
  | 'o_w'
  | 'post_norm'
  | 'gate_w'
  | 'up_w'
  | 'down_w';
export type DecodeLayerKernel = Kernel<DecodeLayerBinding, DecodeLayerUniform>;

/** The model shape the kernel is specialised for (pipeline constants). */
export interface DecodeLayerShape {
  C: number;
  H: number;
  KVH: number;
  D: number;
  /** MLP width as laid out on the GPU (gpuIntermediate). */
  I: number;
}

/**
 * Bytes of workgroup memory a workgroup needs: for each of its four rows the residual, its norm, q/k/v,
 * the attention output and the MLP activations.
 */
export function decodeLayerWorkgroupBytes({ C, H, KVH, D, I }: DecodeLayerShape): number {
  return 4 * ROWS * (2 * C + (H + 2 * KVH) * D + H * D + I);
}

/**
 * Why the fused decode layer cannot run this shape on an adapter with `maxWorkgroupBytes` of workgroup
 * memory, or null when it can.
 */
export function fusedDecodeUnfit(shape: DecodeLayerShape, maxWorkgroupBytes: number): string | null {
  const bytes = decodeLayerWorkgroupBytes(shape);
  // At most WebGPU's guaranteed 16 KiB even where an adapter allows more: one workgroup does a row's
  // whole layer in series, a trade that pays for small models (where the 12 separate dispatches cost more
  // than their arithmetic) and not for wide ones, which keep the parallel kernels.
  const limit = Math.min(maxWorkgroupBytes, MAX_WORKGROUP_BYTES);
  if (bytes > limit) {
    return `${ROWS} rows need ${bytes} bytes of workgroup memory, more than ${limit}`;
  }
  // The projections load weights four at a time: every width a multiple of 4 (I is padded to one).
  if (shape.C % 4 !== 0) return `hidden size ${shape.C} is not a multiple of 4`;
  if (shape.D % 4 !== 0 || shape.D > MAX_HEAD_DIM) {
    return `head dim ${shape.D} is not a multiple of 4 up to ${MAX_HEAD_DIM}`;
  }
  if (shape.I % 4 !== 0) return `MLP width ${shape.I} is not a multiple of 4`;
  if (shape.H % shape.KVH !== 0) return `${shape.H} query heads are not a multiple of ${shape.KVH}`;
  return null;
}

const kernelCache = new Map<string, DecodeLayerKernel>();

/** The kernel specialised for `shape` (memoised, so the runner's pipeline cache hits on identity). */
export function decodeLayerKernel(shape: DecodeLayerShape): DecodeLayerKernel {
  const { C, H, KVH, D, I } = shape;
  const key = `${C}/${H}/${KVH}/${D}/${I}`;
  let kernel = kernelCache.get(key);
  if (!kernel) {
    kernel = defineKernel({
      shader: 'decode_layer',
      entryPoint: 'decode_layer',
      label: `decode_layer.${key}`,
      bindings: {
        weights: 'read',
        cos: 'read',
        sin: 'read',
        rows: 'read',
        x: 'read_write',
        kCache: 'read_write',
        vCache: 'read_write',
      },
      uniforms: {
        R: 'u32',
        Tmax: 'u32',
        eps: 'f32',
        scale: 'f32',
        in_norm: 'u32',
        q_w: 'u32',
        q_b: 'u32',
        k_w: 'u32',
        k_b: 'u32',
        v_w: 'u32',
        v_b: 'u32',
        o_w: 'u32',
        post_norm: 'u32',
        gate_w: 'u32',
        up_w: 'u32',
        down_w: 'u32',
      },
      constants: { WORKGROUP_SIZE, C, H, KVH, HEAD_DIM: D, I },
      dispatch: (u) => [Math.ceil(u.R / ROWS)],
    });
    kernelCache.set(key, kernel);
  }
  return kernel;
}

/**
 * What every dispatch of one layer shares: the kernel for the model's shape and the uniforms the weights
 * fix (their element offsets in the parameters, eps, the attention scale). Made once per decoder, so a
 * decoded token records the dispatch and nothing else.
 */
export interface DecodeLayerPlan {
  kernel: DecodeLayerKernel;
  uniforms: Omit<Record<DecodeLayerUniform, number>, 'R' | 'Tmax'>;
}

/** The plan of one layer whose weights are views of the flat parameter tensor `params`. */
export function decodeLayerPlan(
  shape: DecodeLayerShape,
  params: GpuTensor,
  layer: LayerTensors<GpuTensor>,
  eps: number,
): DecodeLayerPlan {
  const at = (w: GpuTensor) => {
    if (w.buffer !== params.buffer)
      throw new Error(`decode layer: ${w.label} is not a view of the parameters`);
    const at = (w.offset - params.offset) / 4;
    // The shader reads the parameters as vec4s.
    if (at % 4 !== 0)
      throw new Error(`decode layer: ${w.label} starts at element ${at}, not a multiple of 4`);
    return at;
  };
  return {
    kernel: decodeLayerKernel(shape),
    uniforms: {
      eps,
      scale: 1 / Math.sqrt(shape.D),
      in_norm: at(layer.inputNorm),
      q_w: at(layer.qWeight),
      q_b: at(layer.qBias),
      k_w: at(layer.kWeight),
      k_b: at(layer.kBias),
      v_w: at(layer.vWeight),
      v_b: at(layer.vBias),
      o_w: at(layer.oWeight),
      post_norm: at(layer.postNorm),
      gate_w: at(layer.gateWeight),
      up_w: at(layer.upWeight),
      down_w: at(layer.downWeight),
    },
  };
}

/**
 * Records one fused decode layer for R rows: `x` (R, C) is updated in place and each row's new key and
 * value land in its cache slot at the row's position (rows as attention.wgsl's decode rows).
 */
export function encodeDecodeLayer(
  step: Step,
  plan: DecodeLayerPlan,
  t: {
    params: GpuTensor;
    cos: GpuTensor;
    sin: GpuTensor;
    rows: GpuTensor;
    x: GpuTensor;
    kCache: GpuTensor;
    vCache: GpuTensor;
  },
  R: number,
  Tmax: number,
): void {
  step.dispatch(
    plan.kernel,
    {
      weights: t.params,
      cos: t.cos,
      sin: t.sin,
      rows: t.rows,
      x: t.x,
      kCache: t.kCache,
      vCache: t.vCache,
    },
    { ...plan.uniforms, R, Tmax },
  );
}
