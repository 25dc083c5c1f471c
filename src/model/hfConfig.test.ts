// Tests of config.json in Hugging Face Qwen2 form: the exact object written, the round trip, HF
// defaults for absent fields, and a specific error for each thing the lab cannot load.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from './config';
import { HfConfigError, parseHfConfig, stringifyHfConfig, toHfConfigJson } from './hfConfig';

const tiny: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 256 };

describe('toHfConfigJson', () => {
  it('writes exactly the Qwen2Config object transformers reads', () => {
    expect(toHfConfigJson(tiny)).toEqual({
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      vocab_size: 100,
      hidden_size: 32,
      intermediate_size: 37,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 256,
      rope_theta: 10000,
      rope_scaling: null,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: true,
      initializer_range: 0.02,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 0,
      hidden_act: 'silu',
      attention_dropout: 0,
      use_sliding_window: false,
      sliding_window: null,
      max_window_layers: 2,
      use_cache: true,
      torch_dtype: 'float32',
    });
  });

  it('writes integral float fields with a decimal point, as Python does', () => {
    const text = stringifyHfConfig({ ...tiny, rope_theta: 1e6, initializer_range: 1 });
    expect(text).toContain('\n  "rope_theta": 1000000.0,\n');
    expect(text).toContain('\n  "attention_dropout": 0.0,\n');
    expect(text).toContain('\n  "initializer_range": 1.0,\n');
    expect(text).toContain('\n  "rms_norm_eps": 0.000001,\n');
    expect(text).toContain('\n  "num_hidden_layers": 2,\n');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('refuses an invalid config', () => {
    expect(() => toHfConfigJson({ ...tiny, num_key_value_heads: 3 })).toThrow(
      /num_key_value_heads \(3\) must divide num_attention_heads \(4\)/,
    );
  });
});

describe('parseHfConfig', () => {
  it('round-trips every ModelConfig field through config.json text', () => {
    const untied = { ...tiny, tie_word_embeddings: false, rope_theta: 1e6, rms_norm_eps: 1e-5 };
    for (const config of [tiny, untied]) expect(parseHfConfig(stringifyHfConfig(config))).toEqual(config);
  });

  it('fills absent optional fields with Qwen2Config defaults (untied, MHA, theta 1e4)', () => {
    const minimal = {
      model_type: 'qwen2',
      vocab_size: 100,
      hidden_size: 32,
      intermediate_size: 37,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 0,
    };
    // The given fields (model_type only identifies the architecture), then the defaults.
    const { model_type: _, ...given } = minimal;
    expect(parseHfConfig(minimal)).toStrictEqual({
      ...given,
      num_key_value_heads: 4,
      max_position_embeddings: 32768,
      rope_theta: 10000,
      rms_norm_eps: 1e-6,
      initializer_range: 0.02,
      tie_word_embeddings: false,
    });
  });

  it('reads the transformers 5 form (rope_parameters, layer_types) and refuses what it cannot honour', () => {
    const { rope_theta: _, ...v4 } = toHfConfigJson(tiny);
    const v5 = {
      ...v4,
      rope_parameters: { rope_type: 'default', rope_theta: 1e6 },
      layer_types: ['full_attention', 'full_attention'],
    };
    expect(parseHfConfig(v5).rope_theta).toBe(1e6);
    expect(() => parseHfConfig({ ...v5, rope_parameters: { rope_type: 'yarn', factor: 4 } })).toThrow(
      /rope_parameters.rope_type "yarn" is not supported/,
    );
    expect(() => parseHfConfig({ ...v5, rope_theta: 1e4 })).toThrow(
      /rope_theta 10000 disagrees with rope_parameters.rope_theta 1000000/,
    );
    expect(() => parseHfConfig({ ...v5, layer_types: ['full_attention', 'sliding_attention'] })).toThrow(
      /layer_types must all be "full_attention"/,
    );
  });

  it('lists every problem of a bad file at once', () => {
    const bad = {
      ...toHfConfigJson(tiny),
      model_type: 'llama',
      hidden_act: 'gelu',
      use_sliding_window: true,
      rope_scaling: { type: 'linear', factor: 2 },
      attention_dropout: 0.1,
      vocab_size: '100',
      tie_word_embeddings: 'yes',
    };
    delete (bad as Record<string, unknown>).hidden_size;
    let error: HfConfigError | undefined;
    try {
      parseHfConfig(bad);
    } catch (e) {
      error = e as HfConfigError;
    }
    expect(error).toBeInstanceOf(HfConfigError);
    expect(error!.problems).toEqual([
      'model_type must be "qwen2" (got "llama")',
      'hidden_act "gelu" is not supported (the lab implements "silu")',
      'use_sliding_window must be false (the lab implements full causal attention only)',
      'rope_scaling {"type":"linear","factor":2} is not supported (plain RoPE only)',
      'attention_dropout 0.1 is not supported (must be 0)',
      'vocab_size must be an integer (got "100")',
      'hidden_size is missing',
      'tie_word_embeddings must be true or false (got "yes")',
    ]);
  });

  it('reports ModelConfig validation problems and malformed JSON', () => {
    expect(() => parseHfConfig({ ...toHfConfigJson(tiny), num_attention_heads: 5 })).toThrow(
      /num_attention_heads \(5\) must divide hidden_size \(32\)/,
    );
    expect(() => parseHfConfig({ ...toHfConfigJson(tiny), eos_token_id: 100 })).toThrow(
      /eos_token_id \(100\) must be a token id in \[0, 100\)/,
    );
    expect(() => parseHfConfig('{"model_type": "qwen2",')).toThrow(/config.json: not valid JSON/);
    expect(() => parseHfConfig('[]')).toThrow(/config.json: must be a JSON object/);
    expect(() => parseHfConfig({ ...toHfConfigJson(tiny), architectures: ['Qwen2Model'] })).toThrow(
      /architectures must include "Qwen2ForCausalLM"/,
    );
  });
});
