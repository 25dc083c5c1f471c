// Host side of shaders/grpo_loss.wgsl: kernel descriptors, the uniform values of a PolicyLossConfig,
// packing of the per-token host inputs, and encodePolicyLoss / policyLossStats for the WebGPU backend's
// policyStep. The loss formulas are documented once, in the shader header.
import type { PolicyLossConfig, PolicyLossInputs, PolicyLossStats } from '../backend';
import { defineKernel, type GpuTensor, grid1d, type Step } from './kernel';

/** Floats per sequence in seq_stats and in the final stats (order of the S_* constants in the shader). */
export const POLICY_STATS = 10;
const WORKGROUP_SIZE = 64;
/** Workgroup of the final reduction; a power of two (tree reduction). */
const REDUCE_SIZE = 64;
/** The shader's min/max identity; a ratio never gets near it (exp of a clamped log-ratio). */
const BIG = 3.0e38;

/** The loss kernel's Params fields, in order: the PolicyLossConfig as numbers (policyLossUniforms). */
const LOSS_UNIFORMS = {
  B: 'u32',
  T: 'u32',
  clip_mode: 'u32',
  eps_low: 'f32',
  eps_high: 'f32',
  dual_clip: 'f32',
  log_ratio_clamp: 'f32',
  kl_coef: 'f32',
  kl_estimator: 'u32',
  entropy_coef: 'f32',
  aggregation: 'u32',
  max_length_norm: 'f32',
  mini_batch_sequences: 'f32',
  mini_batch_tokens: 'f32',
} as const;
type LossUniform = keyof typeof LOSS_UNIFORMS;

export const GRPO_LOSS_FORWARD = defineKernel({
  shader: 'grpo_loss',
  entryPoint: 'grpo_loss_forward',
  bindings: {
    newLogprobs: 'read',
    entropy: 'read',
    tokenInputs: 'read',
    advantages: 'read',
    dNewLogprobs: 'read_write',
    dEntropy: 'read_write',
    tokenOut: 'read_write',
    seqStats: 'read_write',
  },
  uniforms: LOSS_UNIFORMS,
  constants: { WORKGROUP_SIZE },
  dispatch: (u) => grid1d(u.B, WORKGROUP_SIZE),
});

export const GRPO_LOSS_REDUCE = defineKernel({
  shader: 'grpo_loss',
  entryPoint: 'grpo_loss_reduce',
  bindings: { seqStats: 'read', stats: 'read_write' },
  uniforms: { B: 'u32' },
  constants: { REDUCE_SIZE },
  dispatch: () => [1],
});

const AGGREGATION_CODE: Record<PolicyLossConfig['aggregation'], number> = {
  'seq-mean-token-mean': 0,
  'token-mean': 1,
  'seq-mean-token-sum-norm': 2,
};

/** Every reason a config cannot run, empty when it can (checked before any GPU work). */
export function policyLossConfigProblems(config: PolicyLossConfig, inputs: PolicyLossInputs): string[] {
  const problems: string[] = [];
  if (config.clipMode !== 'clip' && config.clipMode !== 'none')
    problems.push(`unknown clipMode ${config.clipMode}`);
  if (!(config.epsLow >= 0 && config.epsLow < 1)) problems.push(`epsLow ${config.epsLow} must be in [0, 1)`);
  if (!(config.epsHigh >= 0)) problems.push(`epsHigh ${config.epsHigh} must be >= 0`);
  if (config.dualClip !== null && !(config.dualClip > 1))
    problems.push(`dualClip ${config.dualClip} must be > 1 or null`);
  if (!(config.logRatioClamp > 0)) problems.push(`logRatioClamp ${config.logRatioClamp} must be > 0`);
  if (!(config.klCoef >= 0)) problems.push(`klCoef ${config.klCoef} must be >= 0`);
  if (config.klCoef > 0 && !inputs.refLogprobs) problems.push('klCoef > 0 needs refLogprobs');
  if (config.klEstimator !== 'k1' && config.klEstimator !== 'k3')
    problems.push(`unknown klEstimator ${config.klEstimator}`);
  if (!Number.isFinite(config.entropyCoef)) problems.push(`entropyCoef ${config.entropyCoef} must be finite`);
  if (!(config.aggregation in AGGREGATION_CODE)) problems.push(`unknown aggregation ${config.aggregation}`);
  if (config.aggregation === 'seq-mean-token-sum-norm' && !(config.maxLengthNorm > 0)) {
    problems.push(`maxLengthNorm ${config.maxLengthNorm} must be > 0`);
  }
  if (config.aggregation !== 'token-mean' && !(inputs.miniBatchSequences > 0)) {
    problems.push(`miniBatchSequences ${inputs.miniBatchSequences} must be > 0`);
  }
  if (config.aggregation === 'token-mean' && !(inputs.miniBatchTokens > 0)) {
    problems.push(`miniBatchTokens ${inputs.miniBatchTokens} must be > 0`);
  }
  return problems;
}

/** The forward kernel's uniform values for a (B, T) micro-batch. */
export function policyLossUniforms(
  config: PolicyLossConfig,
  inputs: PolicyLossInputs,
  B: number,
  T: number,
): Record<LossUniform, number> {
  const problems = policyLossConfigProblems(config, inputs);
  if (problems.length) throw new RangeError(`policy loss: ${problems.join('; ')}`);
  return {
    B,
    T,
    clip_mode: config.clipMode === 'clip' ? 1 : 0,
    eps_low: config.epsLow,
    eps_high: config.epsHigh,
    dual_clip: config.dualClip ?? 0,
    log_ratio_clamp: config.logRatioClamp,
    kl_coef: config.klCoef,
    kl_estimator: config.klEstimator === 'k3' ? 3 : 1,
    entropy_coef: config.entropyCoef,
    aggregation: AGGREGATION_CODE[config.aggregation],
    // Unused divisors of other modes are set to 1 so the uniform never carries a NaN or 0.
    max_length_norm: config.maxLengthNorm > 0 ? config.maxLengthNorm : 1,
    mini_batch_sequences: inputs.miniBatchSequences > 0 ? inputs.miniBatchSequences : 1,
    mini_batch_tokens: inputs.miniBatchTokens > 0 ? inputs.miniBatchTokens : 1,
  };
}

/**
 * (B, T, 4) token_in of the shader: (old log-prob, ref log-prob or 0, loss mask, 0) per token, so the
 * three host-side per-token inputs travel in one upload and one binding.
 */
export function packPolicyTokenInputs(
  oldLogprobs: Float32Array,
  refLogprobs: Float32Array | undefined,
  lossMask: Float32Array,
): Float32Array {
  const n = lossMask.length;
  if (oldLogprobs.length !== n || (refLogprobs && refLogprobs.length !== n)) {
    throw new RangeError(
      `policy loss: oldLogprobs (${oldLogprobs.length}), refLogprobs (${refLogprobs?.length ?? '-'}) and ` +
        `lossMask (${n}) must all be (B, T)`,
    );
  }
  const packed = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    packed[4 * i] = oldLogprobs[i];
    packed[4 * i + 1] = refLogprobs ? refLogprobs[i] : 0;
    packed[4 * i + 2] = lossMask[i];
  }
  return packed;
}

export interface PolicyLossTensors {
  /** (B, T) log-probs of the targets under the current policy (temperature-scaled). */
  newLogprobs: GpuTensor;
  /** (B, T) entropies of the same distributions. */
  entropy: GpuTensor;
  /** (B, T, 4) from packPolicyTokenInputs. */
  tokenInputs: GpuTensor;
  /** (B) per-sequence advantages. */
  advantages: GpuTensor;
  /** (B, T) outputs: d loss / d new log-prob and d loss / d entropy (0 at unmasked tokens). */
  dNewLogprobs: GpuTensor;
  dEntropy: GpuTensor;
  /** (B, T, 4) per-token (loss_t, ratio, flags = low + 2 * high, aggregation weight). */
  tokenOut: GpuTensor;
  /** (B, 10) per-sequence sums; (10) micro-batch sums, read with policyLossStats. */
  seqStats: GpuTensor;
  stats: GpuTensor;
}

/** Records the loss, its gradients and the stats reduction of one (B, T) micro-batch into `step`. */
export function encodePolicyLoss(
  step: Step,
  t: PolicyLossTensors,
  config: PolicyLossConfig,
  inputs: PolicyLossInputs,
  B: number,
  T: number,
): void {
  const needs: [keyof PolicyLossTensors, number][] = [
    ['newLogprobs', B * T],
    ['entropy', B * T],
    ['tokenInputs', B * T * 4],
    ['advantages', B],
    ['dNewLogprobs', B * T],
    ['dEntropy', B * T],
    ['tokenOut', B * T * 4],
    ['seqStats', B * POLICY_STATS],
    ['stats', POLICY_STATS],
  ];
  for (const [name, elements] of needs) {
    if (t[name].elements < elements) {
      throw new RangeError(`policy loss: '${name}' has ${t[name].elements} elements, needs ${elements}`);
    }
  }
  const { stats, ...forward } = t;
  step.dispatch(GRPO_LOSS_FORWARD, forward, policyLossUniforms(config, inputs, B, T));
  step.dispatch(GRPO_LOSS_REDUCE, { seqStats: t.seqStats, stats }, { B });
}

/** PolicyLossStats from the 10 floats of the `stats` tensor. */
export function policyLossStats(stats: Float32Array): PolicyLossStats {
  const tokens = stats[1];
  return {
    loss: stats[0],
    tokens,
    ratioSum: stats[2],
    ratioMin: tokens > 0 && stats[3] < BIG ? stats[3] : Number.POSITIVE_INFINITY,
    ratioMax: tokens > 0 && stats[4] > -BIG ? stats[4] : Number.NEGATIVE_INFINITY,
    clippedLow: stats[5],
    clippedHigh: stats[6],
    approxKlSum: stats[7],
    refKlSum: stats[8],
    entropySum: stats[9],
  };
}
