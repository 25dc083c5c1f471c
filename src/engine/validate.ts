// Input checks both engines share (they are peers: neither imports the other), with errors that name
// the field: token batches, AdamW settings, sampling options, generate requests, batch shapes against a
// model config.
import type { ModelConfig } from '../model/config';
import type { AdamWConfig, GenerateRequest, TokenBatch } from './backend';

/** Shape and mask checks of a TokenBatch, with errors naming the field. */
export function checkTokenBatch(batch: TokenBatch): void {
  const { B, T, tokens, lengths, lossMask } = batch;
  if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) {
    throw new RangeError(`TokenBatch B and T must be positive integers (got B=${B}, T=${T})`);
  }
  if (tokens.length !== B * T)
    throw new RangeError(`TokenBatch.tokens has ${tokens.length} ids, expected B*T = ${B * T}`);
  if (lengths.length !== B)
    throw new RangeError(`TokenBatch.lengths has ${lengths.length} entries, expected B = ${B}`);
  if (lossMask.length !== B * T) {
    throw new RangeError(`TokenBatch.lossMask has ${lossMask.length} entries, expected B*T = ${B * T}`);
  }
  for (let b = 0; b < B; b++) {
    const len = lengths[b];
    if (!(Number.isInteger(len) && len >= 1 && len <= T)) {
      throw new RangeError(`TokenBatch.lengths[${b}] = ${len} must be in [1, T=${T}]`);
    }
    for (let t = 0; t < T; t++) {
      const mask = lossMask[b * T + t];
      if (!(mask >= 0 && Number.isFinite(mask))) {
        throw new RangeError(`TokenBatch.lossMask[${b}, ${t}] = ${mask} must be finite and >= 0`);
      }
      if (mask !== 0 && (t === 0 || t >= len)) {
        throw new RangeError(
          `TokenBatch.lossMask[${b}, ${t}] is set but position ${t} has no prediction (t = 0) or is padding (length ${len})`,
        );
      }
    }
  }
}

export function validateAdamWConfig(config: AdamWConfig): void {
  const problems: string[] = [];
  if (!(config.lr >= 0 && Number.isFinite(config.lr)))
    problems.push(`lr must be finite and >= 0 (got ${config.lr})`);
  if (!(config.beta1 >= 0 && config.beta1 < 1))
    problems.push(`beta1 must be in [0, 1) (got ${config.beta1})`);
  if (!(config.beta2 >= 0 && config.beta2 < 1))
    problems.push(`beta2 must be in [0, 1) (got ${config.beta2})`);
  if (!(config.eps > 0)) problems.push(`eps must be > 0 (got ${config.eps})`);
  if (!(config.weightDecay >= 0)) problems.push(`weightDecay must be >= 0 (got ${config.weightDecay})`);
  if (!(config.maxGradNorm > 0))
    problems.push(`maxGradNorm must be > 0 or Infinity (got ${config.maxGradNorm})`);
  if (problems.length) throw new RangeError(`Invalid AdamW config: ${problems.join('; ')}`);
}

export interface SamplingOptions {
  /** 0 = greedy argmax. */
  temperature: number;
  /** Keep the k most likely ids; 0 disables. */
  topK: number;
  /** Nucleus mass in (0, 1]; 1 disables. */
  topP: number;
}

export function validateSamplingOptions(options: SamplingOptions, V: number): void {
  const problems: string[] = [];
  if (!(options.temperature >= 0 && Number.isFinite(options.temperature))) {
    problems.push(`temperature must be finite and >= 0 (got ${options.temperature})`);
  }
  if (!(Number.isInteger(options.topK) && options.topK >= 0)) {
    problems.push(`topK must be an integer >= 0 (got ${options.topK})`);
  }
  if (!(options.topP > 0 && options.topP <= 1)) problems.push(`topP must be in (0, 1] (got ${options.topP})`);
  if (!(Number.isInteger(V) && V > 0)) problems.push(`vocabulary size must be a positive integer (got ${V})`);
  if (problems.length) throw new RangeError(`Invalid sampling options: ${problems.join('; ')}`);
}

/**
 * The checks of EngineModel.generate, in the order both engines make them: maxNewTokens, eosId, the
 * sampling options, then every prompt (not empty, and room for maxNewTokens within the positions).
 */
export function checkGenerateRequest(
  request: GenerateRequest,
  config: Pick<ModelConfig, 'vocab_size' | 'max_position_embeddings'>,
): void {
  const { prompts, maxNewTokens, eosId } = request;
  const V = config.vocab_size;
  const maxPositions = config.max_position_embeddings;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 0)) {
    throw new RangeError(`maxNewTokens must be an integer >= 0 (got ${maxNewTokens})`);
  }
  if (!(Number.isInteger(eosId) && eosId >= 0 && eosId < V)) {
    throw new RangeError(`eosId ${eosId} is not a token id in [0, ${V})`);
  }
  validateSamplingOptions(request, V);
  prompts.forEach((p, b) => {
    if (p.length === 0) throw new RangeError(`prompt ${b} is empty (it needs at least a bos token)`);
    if (p.length + maxNewTokens > maxPositions) {
      throw new RangeError(
        `prompt ${b} (${p.length} tokens) + maxNewTokens ${maxNewTokens} exceeds max_position_embeddings ${maxPositions}`,
      );
    }
  });
}

/** Shape of a right-padded (B, T) batch of ids and lengths, against the model's position limit. */
export function checkBatchShape(
  config: Pick<ModelConfig, 'max_position_embeddings'>,
  tokens: Int32Array,
  lengths: Int32Array,
  B: number,
  T: number,
): void {
  if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) {
    throw new RangeError(`batch shape must be positive integers (got B=${B}, T=${T})`);
  }
  if (T > config.max_position_embeddings) {
    throw new RangeError(`T=${T} exceeds max_position_embeddings=${config.max_position_embeddings}`);
  }
  if (tokens.length !== B * T)
    throw new RangeError(`tokens has ${tokens.length} ids, expected B*T = ${B * T}`);
  if (lengths.length !== B) throw new RangeError(`lengths has ${lengths.length} entries, expected B = ${B}`);
  for (let b = 0; b < B; b++) {
    if (!(lengths[b] >= 1 && lengths[b] <= T)) {
      throw new RangeError(`lengths[${b}] = ${lengths[b]} must be in [1, T=${T}]`);
    }
  }
}
