// Host side of shaders/sampling.wgsl: the batched token sampler for rollouts (temperature, top-k,
// top-p; the procedure of src/engine/cpu/sampling.ts) and the GPU counter RNG. The backend's generate()
// records encodeSample after each decode step's logits; only the sampled ids and their log-probs are
// read back.
import { defineKernel, type GpuTensor, grid1d, type Kernel, type Step } from './kernel';

const WORKGROUP_SIZE = 64;

export interface SamplingParams {
  /** 0 = greedy (argmax, ties to the lowest id; reported log-prob 0). */
  temperature: number;
  /** Keep the k most likely ids; 0 disables. */
  topK: number;
  /** Nucleus mass in (0, 1]; 1 disables. */
  topP: number;
  /** RNG key: u = counterUniform(seed, stream, rows' sequence, rows' position). */
  seed: number;
  stream: number;
  /**
   * Invocations per row (a power of two, default 64); tokens and log-probs are bit-identical for every
   * size. Real GPUs want >= 32; on SwiftShader (2 shared cores) 64 rows of 100 ids sampled 2-8x faster with
   * 4-16 invocations than with 64, the barriers of the reductions being what it pays for.
   */
  workgroupSize?: number;
}

type SampleUniform = 'R' | 'V' | 'inv_temperature' | 'top_k' | 'top_p' | 'seed' | 'stream';

export type SampleKernel = Kernel<'logits' | 'rows' | 'weights' | 'tokens' | 'logprobs', SampleUniform>;

const sampleKernels = new Map<number, SampleKernel>();

/** The sampler specialised for a workgroup size (a power of two: the reductions are trees). */
export function sampleKernel(workgroupSize = WORKGROUP_SIZE): SampleKernel {
  if (!(Number.isInteger(Math.log2(workgroupSize)) && workgroupSize >= 1 && workgroupSize <= 256)) {
    throw new RangeError(`sampling: workgroup size ${workgroupSize} must be a power of two in 1..256`);
  }
  let kernel = sampleKernels.get(workgroupSize);
  if (!kernel) {
    kernel = { ...SAMPLE, constants: { WORKGROUP_SIZE: workgroupSize } };
    sampleKernels.set(workgroupSize, kernel);
  }
  return kernel;
}

export const SAMPLE: SampleKernel = defineKernel({
  shader: 'sampling',
  entryPoint: 'sample_forward',
  bindings: {
    logits: 'read',
    rows: 'read',
    weights: 'read_write',
    tokens: 'read_write',
    logprobs: 'read_write',
  },
  uniforms: {
    R: 'u32',
    V: 'u32',
    inv_temperature: 'f32',
    top_k: 'u32',
    top_p: 'f32',
    seed: 'u32',
    stream: 'u32',
  },
  constants: { WORKGROUP_SIZE },
  // One workgroup per row.
  dispatch: (u) => grid1d(u.R, 1),
});

export const COUNTER_UNIFORM = defineKernel({
  shader: 'sampling',
  entryPoint: 'counter_uniform_forward',
  bindings: { keys: 'read', hashes: 'read_write', uniforms: 'read_write' },
  uniforms: { N: 'u32' },
  constants: { WORKGROUP_SIZE },
  dispatch: (u) => grid1d(u.N, WORKGROUP_SIZE),
});

/** Every reason the options cannot be sampled with, empty when they can. */
export function samplingProblems(p: SamplingParams, V: number): string[] {
  const problems: string[] = [];
  if (!(p.temperature >= 0 && Number.isFinite(p.temperature)))
    problems.push(`temperature ${p.temperature} must be finite and >= 0`);
  if (!(Number.isInteger(p.topK) && p.topK >= 0)) problems.push(`topK ${p.topK} must be an integer >= 0`);
  if (!(p.topP > 0 && p.topP <= 1)) problems.push(`topP ${p.topP} must be in (0, 1]`);
  if (!(Number.isInteger(V) && V > 0)) problems.push(`vocabulary size ${V} must be a positive integer`);
  for (const key of ['seed', 'stream'] as const) {
    if (!(Number.isInteger(p[key]) && p[key] >= 0 && p[key] <= 0xffffffff))
      problems.push(`${key} ${p[key]} must be a u32`);
  }
  return problems;
}

/**
 * The `rows` tensor contents, (R, 4) u32: (logits row, RNG sequence, RNG position, 0). The logits row
 * lets prefill sample from the last prompt position of a (B, T, V) block without a gather.
 */
export function samplingRows(
  logitRows: ArrayLike<number>,
  sequences: ArrayLike<number>,
  positions: ArrayLike<number>,
): Uint32Array {
  const R = logitRows.length;
  if (sequences.length !== R || positions.length !== R) {
    throw new RangeError(
      `sampling rows: ${R} logit rows, ${sequences.length} sequences, ${positions.length} positions`,
    );
  }
  const rows = new Uint32Array(R * 4);
  for (let r = 0; r < R; r++) rows.set([logitRows[r], sequences[r], positions[r], 0], r * 4);
  return rows;
}

/** Elements of the sampler's scratch tensor: (R, 2, V). */
export function samplingScratchElements(R: number, V: number): number {
  return R * 2 * V;
}

export interface SampleTensors {
  /** (N, V) logits; row rows[r].x is sampled for row r. */
  logits: GpuTensor;
  /** (R, 4) u32 from samplingRows. */
  rows: GpuTensor;
  /** (R, 2, V) scratch. */
  weights: GpuTensor;
  /** (R) u32 sampled ids and (R) f32 their log-probs under the temperature-scaled softmax. */
  tokens: GpuTensor;
  logprobs: GpuTensor;
}

/** Records the sampling of one token for each of R rows into `step`. */
export function encodeSample(step: Step, t: SampleTensors, R: number, V: number, p: SamplingParams): void {
  const problems = samplingProblems(p, V);
  if (problems.length) throw new RangeError(`sampling: ${problems.join('; ')}`);
  const needs: [keyof SampleTensors, number][] = [
    ['rows', R * 4],
    ['weights', samplingScratchElements(R, V)],
    ['tokens', R],
    ['logprobs', R],
  ];
  for (const [name, elements] of needs) {
    if (t[name].elements < elements)
      throw new RangeError(`sampling: '${name}' has ${t[name].elements} elements, needs ${elements}`);
  }
  step.dispatch(sampleKernel(p.workgroupSize), t, {
    R,
    V,
    inv_temperature: p.temperature === 0 ? 0 : 1 / p.temperature,
    top_k: p.topK,
    top_p: p.topP,
    seed: p.seed,
    stream: p.stream,
  });
}

/** Records counter hashes and uniforms for N keys ((N, 4) u32: seed, stream, sequence, position). */
export function encodeCounterUniform(
  step: Step,
  t: { keys: GpuTensor; hashes: GpuTensor; uniforms: GpuTensor },
  N: number,
): void {
  step.dispatch(COUNTER_UNIFORM, t, { N });
}
