// config.json in the Hugging Face Qwen2 form: ModelConfig -> the object `Qwen2Config.from_pretrained`
// reads, and back. Reading checks everything the lab cannot honour (another model_type, sliding
// window, RoPE scaling, another activation) and lists every problem at once, so a user fixes a file
// in one go; ModelConfig's own validation (configProblems) runs on the result.
import { configProblems, type ModelConfig } from './config';

export class HfConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`config.json: ${problems.join('; ')}`);
    this.name = 'HfConfigError';
  }
}

/** The config.json object for a lab model: every ModelConfig field plus the Qwen2 constants. */
export function toHfConfigJson(config: ModelConfig): Record<string, unknown> {
  const problems = configProblems(config);
  if (problems.length) throw new HfConfigError(problems);
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    intermediate_size: config.intermediate_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    num_key_value_heads: config.num_key_value_heads,
    max_position_embeddings: config.max_position_embeddings,
    rope_theta: config.rope_theta,
    rope_scaling: null,
    rms_norm_eps: config.rms_norm_eps,
    tie_word_embeddings: config.tie_word_embeddings,
    initializer_range: config.initializer_range,
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.pad_token_id,
    hidden_act: 'silu',
    attention_dropout: 0,
    // Full attention in every layer: no sliding window, so max_window_layers covers them all.
    use_sliding_window: false,
    sliding_window: null,
    max_window_layers: config.num_hidden_layers,
    use_cache: true,
    torch_dtype: 'float32',
  };
}

/** Qwen2Config's float fields: Python writes them with a decimal point even when integral. */
const FLOAT_FIELDS = ['rope_theta', 'rms_norm_eps', 'initializer_range', 'attention_dropout'];

/**
 * config.json text, pretty-printed like transformers' save_pretrained. Integral float fields get a
 * ".0" (JSON.stringify writes 10000 where Python writes 10000.0), so Python reads them back as floats
 * exactly as it does for Hugging Face's own Qwen2 configs.
 */
export function stringifyHfConfig(config: ModelConfig): string {
  let text = JSON.stringify(toHfConfigJson(config), null, 2);
  for (const field of FLOAT_FIELDS) {
    text = text.replace(new RegExp(`^(  "${field}": -?\\d+)(,?)$`, 'm'), '$1.0$2');
  }
  return `${text}\n`;
}

/** Fields whose absence would make the weights uninterpretable: no default is safe. */
const REQUIRED_INTEGERS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
] as const;

/** Qwen2Config's own defaults, used when a field is absent (as transformers would). */
const QWEN2_DEFAULTS = {
  max_position_embeddings: 32768,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  initializer_range: 0.02,
  // Qwen2Config defaults to untied; a file that omits the flag has (and needs) lm_head.weight.
  tie_word_embeddings: false,
} as const;

/**
 * Parses config.json (text or an already-parsed object) into a ModelConfig.
 * Throws HfConfigError listing every problem.
 */
export function parseHfConfig(input: string | unknown): ModelConfig {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new HfConfigError([`not valid JSON: ${(error as Error).message}`]);
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new HfConfigError(['must be a JSON object']);
  }
  const raw = json as Record<string, unknown>;
  const problems: string[] = [];

  if (raw.model_type !== 'qwen2') {
    problems.push(`model_type must be "qwen2" (got ${JSON.stringify(raw.model_type)})`);
  }
  if (
    raw.architectures !== undefined &&
    !(Array.isArray(raw.architectures) && raw.architectures.includes('Qwen2ForCausalLM'))
  ) {
    problems.push(`architectures must include "Qwen2ForCausalLM" (got ${JSON.stringify(raw.architectures)})`);
  }
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'silu') {
    problems.push(
      `hidden_act ${JSON.stringify(raw.hidden_act)} is not supported (the lab implements "silu")`,
    );
  }
  if (raw.use_sliding_window !== undefined && raw.use_sliding_window !== false) {
    problems.push('use_sliding_window must be false (the lab implements full causal attention only)');
  }
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null) {
    problems.push(`rope_scaling ${JSON.stringify(raw.rope_scaling)} is not supported (plain RoPE only)`);
  }
  // transformers 5 writes RoPE settings as rope_parameters {rope_type, rope_theta} and per-layer
  // layer_types; read those too so its checkpoints do not silently fall back to the default theta.
  let ropeThetaFromParameters: number | undefined;
  const ropeParameters = raw.rope_parameters;
  if (ropeParameters !== undefined && ropeParameters !== null) {
    const rp = ropeParameters as Record<string, unknown>;
    if (typeof ropeParameters !== 'object' || Array.isArray(ropeParameters)) {
      problems.push(`rope_parameters must be an object (got ${JSON.stringify(ropeParameters)})`);
    } else if (rp.rope_type !== undefined && rp.rope_type !== 'default') {
      problems.push(
        `rope_parameters.rope_type ${JSON.stringify(rp.rope_type)} is not supported (plain RoPE only)`,
      );
    } else if (rp.rope_theta !== undefined) {
      if (typeof rp.rope_theta !== 'number') {
        problems.push(`rope_parameters.rope_theta must be a number (got ${JSON.stringify(rp.rope_theta)})`);
      } else if (typeof raw.rope_theta === 'number' && raw.rope_theta !== rp.rope_theta) {
        problems.push(
          `rope_theta ${raw.rope_theta} disagrees with rope_parameters.rope_theta ${rp.rope_theta}`,
        );
      } else {
        ropeThetaFromParameters = rp.rope_theta;
      }
    }
  }
  if (Array.isArray(raw.layer_types) && raw.layer_types.some((t) => t !== 'full_attention')) {
    problems.push('layer_types must all be "full_attention" (the lab implements full causal attention only)');
  }
  if (raw.attention_dropout !== undefined && raw.attention_dropout !== 0) {
    problems.push(`attention_dropout ${JSON.stringify(raw.attention_dropout)} is not supported (must be 0)`);
  }

  const integer = (key: string, fallback?: number): number => {
    const value = raw[key];
    if (value === undefined || value === null) {
      if (fallback !== undefined) return fallback;
      problems.push(`${key} is missing`);
      return Number.NaN;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      problems.push(`${key} must be an integer (got ${JSON.stringify(value)})`);
      return Number.NaN;
    }
    return value;
  };
  const number = (key: string, fallback: number): number => {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number') {
      problems.push(`${key} must be a number (got ${JSON.stringify(value)})`);
      return Number.NaN;
    }
    return value;
  };
  const required = Object.fromEntries(REQUIRED_INTEGERS.map((key) => [key, integer(key)])) as Record<
    (typeof REQUIRED_INTEGERS)[number],
    number
  >;
  const tie = raw.tie_word_embeddings ?? QWEN2_DEFAULTS.tie_word_embeddings;
  if (typeof tie !== 'boolean') {
    problems.push(`tie_word_embeddings must be true or false (got ${JSON.stringify(tie)})`);
  }

  const config: ModelConfig = {
    ...required,
    // Qwen2Config: num_key_value_heads defaults to num_attention_heads (plain multi-head attention).
    num_key_value_heads: integer('num_key_value_heads', required.num_attention_heads),
    max_position_embeddings: integer('max_position_embeddings', QWEN2_DEFAULTS.max_position_embeddings),
    rope_theta: number('rope_theta', ropeThetaFromParameters ?? QWEN2_DEFAULTS.rope_theta),
    rms_norm_eps: number('rms_norm_eps', QWEN2_DEFAULTS.rms_norm_eps),
    initializer_range: number('initializer_range', QWEN2_DEFAULTS.initializer_range),
    tie_word_embeddings: tie === true,
  };
  if (problems.length) throw new HfConfigError(problems);
  const invalid = configProblems(config);
  if (invalid.length) throw new HfConfigError(invalid);
  return config;
}
