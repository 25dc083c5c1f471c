// The Backend interface: what everything above the engine (pretraining, GRPO, eval, UI) may ask of a
// compute engine. Two implementations: cpu/ (the readable reference and fallback) and webgpu/ (speed).
// Tokens, activations and weights stay inside the engine; only token ids and scalars come back out.
import type { ModelConfig } from '../model/config';

export type BackendKind = 'cpu' | 'webgpu';

/**
 * A right-padded batch of token sequences.
 * Convention: logprobs[b, t] = log p(tokens[b, t] | tokens[b, <t]); position 0 has no prediction.
 */
export interface TokenBatch {
  B: number;
  T: number;
  /** (B, T) token ids; positions >= lengths[b] hold the pad id and are never attended to. */
  tokens: Int32Array;
  /** (B) real (unpadded) length of each row. */
  lengths: Int32Array;
  /** (B, T) 1 where tokens[b, t] is a target that counts (completion tokens), else 0. lossMask[b, 0] = 0. */
  lossMask: Float32Array;
}

/** How per-token losses become one scalar (see PolicyLossConfig.aggregation). */
export type LossAggregation =
  /** mean over tokens of each sequence, then mean over sequences (paper, OpenRLHF) */
  | 'seq-mean-token-mean'
  /** mean over all tokens of the mini-batch (DAPO, verl default) */
  | 'token-mean'
  /** sum over tokens of each sequence / maxLength, then mean over sequences (Dr. GRPO) */
  | 'seq-mean-token-sum-norm';

/** Every option of the GRPO policy loss (the WGSL `grpo_loss` kernel and its CPU twin). */
export interface PolicyLossConfig {
  /** 'clip': -min(R*A, clip(R, 1-epsLow, 1+epsHigh)*A); 'none': -R*A (the paper's no-clip ablation). */
  clipMode: 'clip' | 'none';
  epsLow: number;
  epsHigh: number;
  /** Dual clip constant c > 1 applied when A < 0 (loss capped at -c*A); null disables it. */
  dualClip: number | null;
  /** log R = new - old is clamped to [-logRatioClamp, logRatioClamp] before exp, for stability. */
  logRatioClamp: number;
  /** KL-to-reference coefficient beta; 0 disables the reference term. */
  klCoef: number;
  klEstimator: 'k1' | 'k3';
  /** Entropy bonus coefficient: loss -= entropyCoef * entropy. */
  entropyCoef: number;
  aggregation: LossAggregation;
  /** The constant length divisor of 'seq-mean-token-sum-norm'. */
  maxLengthNorm: number;
}

/** Per-token and per-sequence inputs of one policy-loss micro-batch, aligned with TokenBatch. */
export interface PolicyLossInputs {
  /** (B, T) log-probs under the rollout (old) policy, same positions as TokenBatch.lossMask. */
  oldLogprobs: Float32Array;
  /** (B, T) log-probs under the reference policy; required when klCoef > 0. */
  refLogprobs?: Float32Array;
  /** (B) advantage of each sequence. */
  advantages: Float32Array;
  /**
   * Totals of the whole mini-batch this micro-batch belongs to, so that splitting a mini-batch into
   * micro-batches gives the same gradient as one pass: number of sequences and of masked tokens.
   */
  miniBatchSequences: number;
  miniBatchTokens: number;
}

/** Sums over the micro-batch's masked tokens; the trainer turns them into the logged means. */
export interface PolicyLossStats {
  /** This micro-batch's contribution to the aggregated loss. */
  loss: number;
  tokens: number;
  ratioSum: number;
  ratioMin: number;
  ratioMax: number;
  /** R < 1-epsLow and A < 0 (the lower bound binds). */
  clippedLow: number;
  /** R > 1+epsHigh and A > 0 (the upper bound binds). */
  clippedHigh: number;
  /** Sum of (old - new) log-prob: the k1 estimate of KL(old || new). */
  approxKlSum: number;
  /** Sum of the chosen KL-to-reference estimate (0 when no reference). */
  refKlSum: number;
  entropySum: number;
}

/** What one policy-loss pass returns: the sums above and the per-token log-probs it used. */
export interface PolicyStepResult extends PolicyLossStats {
  /**
   * (B, T) log-probs of the batch's tokens under the current policy (0 outside the loss mask): with
   * the rollout policy's log-probs they give every token's ratio, which the trainer's instruments bin.
   */
  newLogprobs: Float32Array;
}

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global grad-norm clip; gradients are scaled by min(1, maxGradNorm / norm). Infinity disables. */
  maxGradNorm: number;
}

export interface GenerateRequest {
  /** Prompt token ids, one array per sequence (they may differ in length). */
  prompts: Int32Array[];
  maxNewTokens: number;
  /** Sampling temperature; 0 means greedy (argmax, ties to the lowest id). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 disables. */
  topK: number;
  /** Nucleus sampling mass; 1 disables. */
  topP: number;
  /** RNG key: uniform draws come from counterUniform(seed, stream, sequence index, position). */
  seed: number;
  stream: number;
  /** Generation stops for a sequence after it emits this id (kept in the completion). */
  eosId: number;
}

export interface GenerateResult {
  /** Sampled ids per sequence, eos included when emitted. */
  completions: Int32Array[];
  /** Log-prob of each sampled id under the temperature-scaled distribution (0 for greedy). */
  logprobs: Float32Array[];
  /** True when the sequence hit maxNewTokens without eos. */
  truncated: boolean[];
}

/** One model living on a backend: parameters, gradients and AdamW moments in the HF flat layout. */
export interface EngineModel {
  readonly config: ModelConfig;
  readonly numParams: number;
  /** Copy of the flat parameters in src/model/layout.ts order. */
  readParameters(): Promise<Float32Array>;
  writeParameters(params: Float32Array): Promise<void>;
  /** Copy of the flat gradients (for tests and diagnostics). */
  readGradients(): Promise<Float32Array>;
  /** Per-token log-probs and entropies at a temperature, no gradients: (B, T) each, 0 where lossMask is 0. */
  scoreTokens(
    batch: TokenBatch,
    temperature: number,
  ): Promise<{ logprobs: Float32Array; entropy: Float32Array }>;
  /** Next-token cross-entropy over masked tokens: forward + backward, gradients accumulate. Mean NLL back. */
  nllStep(batch: TokenBatch, weight?: number): Promise<{ loss: number; tokens: number }>;
  /** GRPO policy loss: forward + loss + backward, gradients accumulate. */
  policyStep(
    batch: TokenBatch,
    inputs: PolicyLossInputs,
    config: PolicyLossConfig,
    temperature: number,
  ): Promise<PolicyStepResult>;
  zeroGradients(): void;
  /** Global-norm clip then AdamW (bias-corrected, decoupled weight decay). Returns the pre-clip norm. */
  optimizerStep(config: AdamWConfig): Promise<{ gradNorm: number }>;
  /** Batched sampling with a KV cache. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** Optimizer state for checkpoints (step count and both moments, flat layout). */
  readOptimizerState(): Promise<{ step: number; m: Float32Array; v: Float32Array }>;
  writeOptimizerState(state: { step: number; m: Float32Array; v: Float32Array }): Promise<void>;
  dispose(): void;
}

export interface Backend {
  readonly kind: BackendKind;
  /** Human-readable device description for badges and reports. */
  readonly description: string;
  createModel(config: ModelConfig, params: Float32Array): Promise<EngineModel>;
  /**
   * Frees what the backend holds beyond its models (WebGPU: staging, uniform and query buffers), not
   * the device, which other runs may share. Its models are disposed first.
   */
  dispose(): void;
}
