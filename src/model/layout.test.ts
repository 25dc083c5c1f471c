// Tests of the flat parameter layout: HF names and shapes written out by hand, contiguity, the
// parameter count against an independent formula, and the seeded init's statistics.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from './config';
import { initParameters, layoutEntry, parameterLayout, paramView } from './layout';

const tiny: ModelConfig = { ...DEFAULT_TINY_CONFIG }; // C 32, H 4, KVH 2, I 37, L 2, V 64, tied

describe('parameterLayout', () => {
  it('names and shapes every tensor as Hugging Face Qwen2ForCausalLM does', () => {
    const layout = parameterLayout(tiny);
    const got = layout.entries.map((e) => `${e.name} ${e.shape.join('x')}`);
    const layer = (i: number) => [
      `model.layers.${i}.input_layernorm.weight 32`,
      `model.layers.${i}.self_attn.q_proj.weight 32x32`,
      `model.layers.${i}.self_attn.q_proj.bias 32`,
      `model.layers.${i}.self_attn.k_proj.weight 16x32`,
      `model.layers.${i}.self_attn.k_proj.bias 16`,
      `model.layers.${i}.self_attn.v_proj.weight 16x32`,
      `model.layers.${i}.self_attn.v_proj.bias 16`,
      `model.layers.${i}.self_attn.o_proj.weight 32x32`,
      `model.layers.${i}.post_attention_layernorm.weight 32`,
      `model.layers.${i}.mlp.gate_proj.weight 37x32`,
      `model.layers.${i}.mlp.up_proj.weight 37x32`,
      `model.layers.${i}.mlp.down_proj.weight 32x37`,
    ];
    expect(got).toEqual([
      'model.embed_tokens.weight 64x32',
      ...layer(0),
      ...layer(1),
      'model.norm.weight 32',
    ]);
  });

  it('packs tensors contiguously and counts parameters like an independent formula', () => {
    for (const tie of [true, false]) {
      const config = { ...tiny, tie_word_embeddings: tie };
      const layout = parameterLayout(config);
      let expectedOffset = 0;
      for (const e of layout.entries) {
        expect(e.offset).toBe(expectedOffset);
        expect(e.size).toBe(e.shape.reduce((a, b) => a * b, 1));
        expectedOffset += e.size;
      }
      const C = 32;
      const I = 37;
      const V = 64;
      const kv = 16;
      const perLayer = 2 * C + (C * C + C) + 2 * (kv * C + kv) + C * C + 3 * C * I;
      const expected = V * C + 2 * perLayer + C + (tie ? 0 : V * C);
      expect(layout.total).toBe(expected);
      expect(layout.byName.has('lm_head.weight')).toBe(!tie);
    }
  });

  it('rejects an invalid config with the config error', () => {
    expect(() => parameterLayout({ ...tiny, num_key_value_heads: 3 })).toThrow(/num_key_value_heads/);
  });
});

describe('paramView and layoutEntry', () => {
  it('views without copying and names a missing tensor or a short array', () => {
    const layout = parameterLayout(tiny);
    const flat = new Float32Array(layout.total);
    const norm = layoutEntry(layout, 'model.norm.weight');
    paramView(flat, norm)[3] = 7;
    expect(flat[norm.offset + 3]).toBe(7);
    expect(() => layoutEntry(layout, 'lm_head.weight')).toThrow(/lm_head\.weight/);
    expect(() => paramView(new Float32Array(10), norm)).toThrow(/too short.*model\.norm\.weight/);
  });
});

describe('initParameters', () => {
  it('is seeded, with normal matrices, zero biases and unit norms', () => {
    const config = { ...tiny, tie_word_embeddings: false, initializer_range: 0.05 };
    const layout = parameterLayout(config);
    const a = initParameters(config, 11);
    expect(initParameters(config, 11)).toEqual(a);
    expect(initParameters(config, 12)).not.toEqual(a);
    for (const e of layout.entries) {
      const view = paramView(a, e);
      if (e.name.endsWith('.bias')) expect(view.every((x) => x === 0)).toBe(true);
      else if (e.name.includes('norm')) expect(view.every((x) => x === 1)).toBe(true);
      else {
        let sum = 0;
        let sq = 0;
        for (const x of view) {
          sum += x;
          sq += x * x;
        }
        const mean = sum / view.length;
        const std = Math.sqrt(sq / view.length - mean * mean);
        // Sample sizes are >= 512, so the std estimate is within ~10% with overwhelming probability.
        expect(Math.abs(std - 0.05)).toBeLessThan(0.008);
        expect(Math.abs(mean)).toBeLessThan(0.01);
      }
    }
  });
});
