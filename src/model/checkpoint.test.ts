// Tests of HF-format checkpoints: the exact tensor names/shapes/dtypes Qwen2ForCausalLM expects for the
// tiny config (tied and untied), bit-exact round trips, F16/BF16 loading, and one specific error per
// malformed checkpoint (never a partial load).
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  type CheckpointInput,
  loadCheckpoint,
  logitsReferenceJson,
  saveCheckpoint,
} from './checkpoint';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from './config';
import { toHfConfigJson } from './hfConfig';
import { initParameters, parameterLayout } from './layout';
import { parseSafetensors, serializeSafetensors } from './safetensors';
import { CharTokenizer } from './tokenizer';

const tied: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, tie_word_embeddings: true };
const untied: ModelConfig = { ...tied, tie_word_embeddings: false };

/** What Qwen2ForCausalLM(hidden 32, 4 heads, 2 KV heads, intermediate 37, 2 layers, vocab 100) has. */
function expectedHfTensors(tieWordEmbeddings: boolean): [string, number[]][] {
  const layer = (i: number): [string, number[]][] => [
    [`model.layers.${i}.input_layernorm.weight`, [32]],
    [`model.layers.${i}.mlp.down_proj.weight`, [32, 37]],
    [`model.layers.${i}.mlp.gate_proj.weight`, [37, 32]],
    [`model.layers.${i}.mlp.up_proj.weight`, [37, 32]],
    [`model.layers.${i}.post_attention_layernorm.weight`, [32]],
    [`model.layers.${i}.self_attn.k_proj.bias`, [16]],
    [`model.layers.${i}.self_attn.k_proj.weight`, [16, 32]],
    [`model.layers.${i}.self_attn.o_proj.weight`, [32, 32]],
    [`model.layers.${i}.self_attn.q_proj.bias`, [32]],
    [`model.layers.${i}.self_attn.q_proj.weight`, [32, 32]],
    [`model.layers.${i}.self_attn.v_proj.bias`, [16]],
    [`model.layers.${i}.self_attn.v_proj.weight`, [16, 32]],
  ];
  return [
    ...(tieWordEmbeddings ? [] : [['lm_head.weight', [100, 32]] as [string, number[]]]),
    ['model.embed_tokens.weight', [100, 32]],
    ...layer(0),
    ...layer(1),
    ['model.norm.weight', [32]],
  ];
}

interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file from raw tensors of any dtype (the writer under test only writes F32). */
function buildSafetensors(
  tensors: RawTensor[],
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const file = new Uint8Array(8 + json.byteLength + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  file.set(json, 8);
  let position = 8 + json.byteLength;
  for (const t of tensors) {
    file.set(t.bytes, position);
    position += t.bytes.byteLength;
  }
  return file;
}

/** The tensors of a saved checkpoint as raw F32 entries, for building variants. */
function rawTensorsOf(config: ModelConfig, params: Float32Array): RawTensor[] {
  return parameterLayout(config).entries.map((e) => ({
    name: e.name,
    dtype: 'F32',
    shape: [...e.shape],
    bytes: new Uint8Array(params.slice(e.offset, e.offset + e.size).buffer),
  }));
}

function float32Tensor(name: string, shape: number[], fill: number): RawTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill);
  return { name, dtype: 'F32', shape, bytes: new Uint8Array(data.buffer) };
}

function loadError(input: CheckpointInput): CheckpointError {
  try {
    loadCheckpoint(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('expected loadCheckpoint to throw');
}

const params = initParameters(tied, 7);
const configJson = JSON.stringify(toHfConfigJson(tied));

describe('saveCheckpoint', () => {
  for (const [label, config] of [
    ['tied', tied],
    ['untied', untied],
  ] as const) {
    it(`writes exactly the tensors Qwen2ForCausalLM expects (${label}), F32 with format "pt"`, () => {
      const files = saveCheckpoint(config, initParameters(config, 1));
      const file = parseSafetensors(files.safetensorsBytes);
      expect(file.metadata).toEqual({ format: 'pt' });
      const written = [...file.tensors.values()].map((t) => [t.name, t.shape] as [string, number[]]);
      expect(written).toEqual(expectedHfTensors(config.tie_word_embeddings));
      for (const tensor of file.tensors.values()) expect(tensor.dtype).toBe('F32');
      // Data starts 8-byte aligned, as the reference writer pads the header.
      expect(file.dataStart % 8).toBe(0);
    });
  }

  it('writes config.json, tokenizer files and generation_config.json that transformers reads', () => {
    const files = saveCheckpoint(tied, params, CharTokenizer.lab(), { metadata: { step: '12' } });
    expect(JSON.parse(files.configJson)).toMatchObject({ model_type: 'qwen2', vocab_size: 100 });
    expect(JSON.parse(files.tokenizerJson).model.type).toBe('BPE');
    expect(JSON.parse(files.tokenizerConfigJson).eos_token).toBe('<|im_end|>');
    expect(JSON.parse(files.generationConfigJson)).toEqual({
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 0,
    });
    expect(parseSafetensors(files.safetensorsBytes).metadata).toEqual({ step: '12', format: 'pt' });
  });

  it('refuses params of the wrong length, non-finite params and a tokenizer larger than the vocab', () => {
    expect(() => saveCheckpoint(tied, params.subarray(1))).toThrow(
      new RegExp(`params has ${params.length - 1} values but the layout of this config has ${params.length}`),
    );
    const broken = params.slice();
    const norm = parameterLayout(tied).byName.get('model.norm.weight')!;
    broken[norm.offset + 3] = Number.POSITIVE_INFINITY;
    expect(() => saveCheckpoint(tied, broken)).toThrow(
      /tensor "model.norm.weight" has 1 non-finite value\(s\) \(first Infinity at element 3\)/,
    );
    const small = { ...tied, vocab_size: 64 };
    expect(() => saveCheckpoint(small, initParameters(small, 1))).toThrow(
      /the tokenizer has 100 tokens but config.json vocab_size is 64/,
    );
  });
});

describe('loadCheckpoint', () => {
  it('round-trips config, params (bit-exact) and tokenizer, tied and untied', () => {
    for (const config of [tied, untied]) {
      const original = initParameters(config, 3);
      const files = saveCheckpoint(config, original);
      const loaded = loadCheckpoint(files);
      expect(loaded.config).toEqual(config);
      expect(new Uint32Array(loaded.params.buffer)).toEqual(new Uint32Array(original.buffer));
      expect(loaded.tokenizer.tokens).toEqual(CharTokenizer.lab().tokens);
      expect(loaded.metadata).toEqual({ format: 'pt' });
    }
  });

  it('loads BF16 and F16 weights (as PyTorch saves them), widening to float32', () => {
    // 1.5 and -0.25 are exact in both half formats, so the widened params are known exactly.
    const layout = parameterLayout(tied);
    const bf16 = (v: number) => new Uint16Array([v === 1.5 ? 0x3fc0 : 0xbe80]);
    const f16 = (v: number) => new Uint16Array([v === 1.5 ? 0x3e00 : 0xb400]);
    const tensors: RawTensor[] = layout.entries.map((e, index) => {
      const value = index % 2 ? 1.5 : -0.25;
      const useBf16 = index % 3 === 0;
      const element = useBf16 ? bf16(value) : f16(value);
      const data = new Uint16Array(e.size).fill(element[0]);
      return {
        name: e.name,
        dtype: useBf16 ? 'BF16' : 'F16',
        shape: [...e.shape],
        bytes: new Uint8Array(data.buffer),
      };
    });
    const loaded = loadCheckpoint({ configJson, safetensorsBytes: buildSafetensors(tensors) });
    layout.entries.forEach((e, index) => {
      const view = loaded.params.subarray(e.offset, e.offset + e.size);
      expect(view.every((v) => v === (index % 2 ? 1.5 : -0.25))).toBe(true);
    });
  });

  it('accepts lm_head.weight in a tied checkpoint only when it equals the embedding', () => {
    const embed = parameterLayout(tied).byName.get('model.embed_tokens.weight')!;
    const embedBytes = new Uint8Array(params.slice(embed.offset, embed.offset + embed.size).buffer);
    const withCopy = [
      ...rawTensorsOf(tied, params),
      { name: 'lm_head.weight', dtype: 'F32', shape: [100, 32], bytes: embedBytes },
    ];
    const loaded = loadCheckpoint({ configJson, safetensorsBytes: buildSafetensors(withCopy) });
    expect(loaded.params).toEqual(params);

    const different = embedBytes.slice();
    different[0] ^= 1;
    const withOther = [
      ...rawTensorsOf(tied, params),
      { name: 'lm_head.weight', dtype: 'F32', shape: [100, 32], bytes: different },
    ];
    expect(loadError({ configJson, safetensorsBytes: buildSafetensors(withOther) }).message).toMatch(
      /tensor "lm_head.weight" differs from "model.embed_tokens.weight" but config.json tie_word_embeddings is true/,
    );
  });

  describe('malformed checkpoints, each a specific error naming the problem', () => {
    const good = rawTensorsOf(tied, params);
    const replace = (name: string, tensor: RawTensor | null) =>
      buildSafetensors(good.flatMap((t) => (t.name === name ? (tensor ? [tensor] : []) : [t])));

    it('config problems (via configProblems) and bad JSON', () => {
      const bad = JSON.stringify({ ...toHfConfigJson(tied), num_key_value_heads: 3 });
      expect(loadError({ configJson: bad, safetensorsBytes: buildSafetensors(good) }).problems).toEqual([
        'config.json: num_key_value_heads (3) must divide num_attention_heads (4)',
      ]);
      const huge = JSON.stringify({ ...toHfConfigJson(tied), max_position_embeddings: 2_000_000_000 });
      expect(loadError({ configJson: huge, safetensorsBytes: buildSafetensors(good) }).problems).toEqual([
        'config.json: max_position_embeddings must be at most 1048576 (got 2000000000): the lab builds RoPE tables for every position',
      ]);
      expect(loadError({ configJson: '{', safetensorsBytes: buildSafetensors(good) }).message).toMatch(
        /config.json: not valid JSON/,
      );
    });

    it('missing tensor', () => {
      const error = loadError({
        configJson,
        safetensorsBytes: replace('model.layers.1.self_attn.k_proj.bias', null),
      });
      expect(error.problems).toEqual(['missing tensor "model.layers.1.self_attn.k_proj.bias"']);
    });

    it('missing lm_head in an untied checkpoint', () => {
      const error = loadError({
        configJson: JSON.stringify(toHfConfigJson(untied)),
        safetensorsBytes: buildSafetensors(good),
      });
      expect(error.problems).toEqual([
        'missing tensor "lm_head.weight" (config.json tie_word_embeddings is false, so the LM head is a separate tensor)',
      ]);
    });

    it('unexpected tensor, and a layer beyond num_hidden_layers', () => {
      const extra = buildSafetensors([
        ...good,
        float32Tensor('model.layers.2.input_layernorm.weight', [32], 1),
        float32Tensor('model.rotary.extra', [2], 0),
      ]);
      expect(loadError({ configJson, safetensorsBytes: extra }).problems).toEqual([
        'unexpected tensor "model.layers.2.input_layernorm.weight": config.json num_hidden_layers is 2',
        'unexpected tensor "model.rotary.extra" (not a Qwen2ForCausalLM parameter)',
      ]);
    });

    it('mis-shaped tensor, naming the config field behind the dimension', () => {
      const bytes = replace(
        'model.layers.0.mlp.gate_proj.weight',
        float32Tensor('model.layers.0.mlp.gate_proj.weight', [36, 32], 0),
      );
      expect(loadError({ configJson, safetensorsBytes: bytes }).problems).toEqual([
        'tensor "model.layers.0.mlp.gate_proj.weight" has shape [36, 32] but config.json implies [37, 32] (dim 0 is intermediate_size = 37)',
      ]);
      const rank = replace('model.norm.weight', float32Tensor('model.norm.weight', [1, 32], 1));
      expect(loadError({ configJson, safetensorsBytes: rank }).problems).toEqual([
        'tensor "model.norm.weight" has shape [1, 32] but config.json implies [32]',
      ]);
    });

    it('config/weights mismatch: vocab_size against the embedding rows', () => {
      const bigger = JSON.stringify({ ...toHfConfigJson(tied), vocab_size: 120 });
      expect(loadError({ configJson: bigger, safetensorsBytes: buildSafetensors(good) }).problems).toEqual([
        'tensor "model.embed_tokens.weight" has shape [100, 32] but config.json implies [120, 32] (dim 0 is vocab_size = 120)',
      ]);
    });

    it('wrong dtype', () => {
      const ints: RawTensor = {
        name: 'model.norm.weight',
        dtype: 'I32',
        shape: [32],
        bytes: new Uint8Array(128),
      };
      expect(
        loadError({ configJson, safetensorsBytes: replace('model.norm.weight', ints) }).problems,
      ).toEqual(['tensor "model.norm.weight" has dtype I32; expected F32 (F32, F16, BF16, F64 are read)']);
    });

    it('non-finite weights', () => {
      const nan = float32Tensor('model.layers.1.self_attn.q_proj.bias', [32], 0);
      new Float32Array(nan.bytes.buffer)[5] = Number.NaN;
      const bytes = replace('model.layers.1.self_attn.q_proj.bias', nan);
      expect(loadError({ configJson, safetensorsBytes: bytes }).problems).toEqual([
        'tensor "model.layers.1.self_attn.q_proj.bias" has 1 non-finite value(s) (first NaN at element 5)',
      ]);
    });

    it('truncated or corrupt safetensors', () => {
      const bytes = buildSafetensors(good);
      expect(
        loadError({ configJson, safetensorsBytes: bytes.subarray(0, bytes.length - 100) }).message,
      ).toMatch(/model.safetensors: safetensors: tensor ".*" data_offsets \[\d+, \d+\] are out of range/);
      expect(loadError({ configJson, safetensorsBytes: new Uint8Array(3) }).message).toMatch(
        /model.safetensors: safetensors: truncated file: 3 bytes/,
      );
    });

    it('a tokenizer that does not fit the config, or is not a char tokenizer', () => {
      const files = saveCheckpoint(tied, params);
      const small = { ...toHfConfigJson(tied), vocab_size: 64 };
      expect(loadError({ ...files, configJson: JSON.stringify(small) }).problems).toEqual([
        'tokenizer.json has 100 tokens but config.json vocab_size is 64',
      ]);
      expect(
        loadError({ configJson: JSON.stringify(small), safetensorsBytes: files.safetensorsBytes }).problems,
      ).toEqual([
        'the lab tokenizer (assumed: no tokenizer.json given) has 100 tokens but config.json vocab_size is 64',
      ]);
      const unigram = JSON.parse(files.tokenizerJson);
      unigram.model.type = 'Unigram';
      expect(loadError({ ...files, tokenizerJson: unigram }).message).toMatch(/model.type must be "BPE"/);
    });

    it('collects all tensor problems of one file in one error', () => {
      const bytes = buildSafetensors([
        ...good.filter((t) => t.name !== 'model.norm.weight'),
        float32Tensor('extra.weight', [1], 0),
      ]);
      expect(loadError({ configJson, safetensorsBytes: bytes }).problems).toEqual([
        'missing tensor "model.norm.weight"',
        'unexpected tensor "extra.weight" (not a Qwen2ForCausalLM parameter)',
      ]);
    });
  });
});

describe('logitsReferenceJson', () => {
  it('writes token ids and (T, V) logits rows that parse back to the same float32 values', () => {
    const logits = new Float32Array([0.1, -2.5, 3, 1e-8, 0, 7.75]);
    const json = JSON.parse(logitsReferenceJson([1, 40], logits, 3));
    expect(json.token_ids).toEqual([1, 40]);
    expect(json.shape).toEqual([2, 3]);
    expect(new Float32Array(json.logits.flat())).toEqual(logits);
    expect(() => logitsReferenceJson([1], logits, 3)).toThrow(/logits has 6 values, expected T\*V = 1\*3/);
  });
});

describe('safetensors writer vs checkpoint', () => {
  it('serializeSafetensors output of the layout loads as a checkpoint (writer and loader agree)', () => {
    const layout = parameterLayout(tied);
    const bytes = serializeSafetensors(
      layout.entries.map((e) => ({
        name: e.name,
        shape: e.shape,
        data: params.subarray(e.offset, e.offset + e.size),
      })),
      { format: 'pt' },
    );
    expect(loadCheckpoint({ configJson, safetensorsBytes: bytes }).params).toEqual(params);
  });
});
