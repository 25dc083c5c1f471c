// The model configuration: one typed object mirroring Hugging Face `Qwen2Config` (so config.json moves
// both ways), its validation, and the shape abbreviations used across the engine.
//
// Abbreviations used in shape comments everywhere in src/ and shaders/:
//   B  batch size (sequences)           T  sequence length (tokens)
//   C  hidden size (model width)        V  vocabulary size
//   L  number of decoder layers         I  MLP intermediate size
//   H  query heads   KVH  key/value heads   D  head dim = C / H
//   G  GRPO group size (rollouts per prompt)

export interface ModelConfig {
  /** V: number of token ids, special tokens included. */
  vocab_size: number;
  /** C: residual stream width. */
  hidden_size: number;
  /** I: SwiGLU inner width (gate/up project C -> I, down projects I -> C). */
  intermediate_size: number;
  /** L: decoder blocks. */
  num_hidden_layers: number;
  /** H: query heads; D = C / H must be even for RoPE's rotate_half. */
  num_attention_heads: number;
  /** KVH: key/value heads (GQA); H must be a multiple of it. */
  num_key_value_heads: number;
  /** Longest sequence the RoPE tables and KV caches are built for. */
  max_position_embeddings: number;
  /** RoPE base frequency (Qwen2: 1e6 for long context; tiny models use 1e4). */
  rope_theta: number;
  /** RMSNorm epsilon; Qwen2 uses 1e-6. */
  rms_norm_eps: number;
  /** When true there is no lm_head.weight: logits use embed_tokens.weight. */
  tie_word_embeddings: boolean;
  /** Standard deviation of the normal init of weight matrices (HF: initializer_range). */
  initializer_range: number;
  bos_token_id: number;
  eos_token_id: number;
  pad_token_id: number;
}

export class ModelConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid model config: ${problems.join('; ')}`);
    this.name = 'ModelConfigError';
  }
}

export const DEFAULT_TINY_CONFIG: ModelConfig = {
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 37,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
};

/** D: per-head dimension. */
export function headDim(config: ModelConfig): number {
  return config.hidden_size / config.num_attention_heads;
}

/** The most positions a config may ask RoPE tables for (2^20). */
export const MAX_POSITIONS = 1_048_576;

/** All problems with a config, empty when valid. */
export function configProblems(config: ModelConfig): string[] {
  const problems: string[] = [];
  const positiveInts: (keyof ModelConfig)[] = [
    'vocab_size',
    'hidden_size',
    'intermediate_size',
    'num_hidden_layers',
    'num_attention_heads',
    'num_key_value_heads',
    'max_position_embeddings',
  ];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      problems.push(`${key} must be a positive integer (got ${String(v)})`);
  }
  if (problems.length) return problems;
  // RoPE tables are built for every position (no weights bound this field, so a config could ask for
  // billions); 2^20 covers every Qwen2 release (at most 131,072) and stays inside the range fdlibm's
  // sin and cos reduce exactly (2^20 pi/2).
  if (config.max_position_embeddings > MAX_POSITIONS) {
    problems.push(
      `max_position_embeddings must be at most ${MAX_POSITIONS} (got ${config.max_position_embeddings}): the lab builds RoPE tables for every position`,
    );
  }
  if (config.hidden_size % config.num_attention_heads !== 0) {
    problems.push(
      `num_attention_heads (${config.num_attention_heads}) must divide hidden_size (${config.hidden_size})`,
    );
  } else if (headDim(config) % 2 !== 0) {
    problems.push(`head dim hidden_size/num_attention_heads = ${headDim(config)} must be even for RoPE`);
  }
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    problems.push(
      `num_key_value_heads (${config.num_key_value_heads}) must divide num_attention_heads (${config.num_attention_heads})`,
    );
  }
  if (!(config.rope_theta > 0)) problems.push(`rope_theta must be > 0 (got ${config.rope_theta})`);
  if (!(config.rms_norm_eps > 0)) problems.push(`rms_norm_eps must be > 0 (got ${config.rms_norm_eps})`);
  if (!(config.initializer_range > 0))
    problems.push(`initializer_range must be > 0 (got ${config.initializer_range})`);
  for (const key of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    const id = config[key];
    if (!Number.isInteger(id) || id < 0 || id >= config.vocab_size) {
      problems.push(`${key} (${id}) must be a token id in [0, ${config.vocab_size})`);
    }
  }
  return problems;
}

/** Throws ModelConfigError listing every problem; returns the config for chaining. */
export function validateConfig(config: ModelConfig): ModelConfig {
  const problems = configProblems(config);
  if (problems.length) throw new ModelConfigError(problems);
  return config;
}
