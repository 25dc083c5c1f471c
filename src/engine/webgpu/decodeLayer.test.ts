// Unit tier: which model shapes the fused decode layer takes (decodeLayer.ts; no GPU needed). The kernel
// itself is checked against the CPU engine in backend.gpu.test.ts (generate, both decode paths).
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, headDim, type ModelConfig } from '../../model/config';
import { decodeLayerKernel, decodeLayerWorkgroupBytes, fusedDecodeUnfit } from './decodeLayer';
import { gpuIntermediate } from './model';

/** The zoo model's shape (src/tasks/zoo.ts, a layer above the engine, so written out here). */
const ZOO_MODEL_CONFIG: ModelConfig = {
  ...DEFAULT_TINY_CONFIG,
  vocab_size: 100,
  hidden_size: 64,
  intermediate_size: 172,
  num_attention_heads: 4,
  num_key_value_heads: 2,
};

const shapeOf = (c: ModelConfig) => ({
  C: c.hidden_size,
  H: c.num_attention_heads,
  KVH: c.num_key_value_heads,
  D: headDim(c),
  I: gpuIntermediate(c),
});

describe('fusedDecodeUnfit', () => {
  it('takes the zoo model and the tests\u2019 tiny model on the 16 KiB every adapter offers', () => {
    // Zoo: four rows of (2 * 64 + 128 + 64 + 172) floats.
    expect(decodeLayerWorkgroupBytes(shapeOf(ZOO_MODEL_CONFIG))).toBe(4 * 4 * (128 + 128 + 64 + 172));
    expect(fusedDecodeUnfit(shapeOf(ZOO_MODEL_CONFIG), 16384)).toBeNull();
    expect(fusedDecodeUnfit(shapeOf(DEFAULT_TINY_CONFIG), 16384)).toBeNull();
  });

  it('refuses wide models, even where the adapter allows more workgroup memory, and says why', () => {
    // Qwen2.5-0.5B's shape: one workgroup per four rows would do a whole 896-wide layer in series.
    const wide = { C: 896, H: 14, KVH: 2, D: 64, I: 4864 };
    expect(fusedDecodeUnfit(wide, 65536)).toMatch(
      /4 rows need \d+ bytes of workgroup memory, more than 16384/,
    );
    // Fits 16 KiB, but not an adapter that offers less.
    expect(fusedDecodeUnfit(shapeOf(ZOO_MODEL_CONFIG), 4096)).toMatch(/more than 4096/);
  });

  it('needs widths the vec4 weight loads can read and heads that share their KV heads evenly', () => {
    const zoo = shapeOf(ZOO_MODEL_CONFIG);
    expect(fusedDecodeUnfit({ ...zoo, C: 62 }, 16384)).toMatch(/hidden size 62/);
    expect(fusedDecodeUnfit({ ...zoo, D: 6 }, 16384)).toMatch(/head dim 6/);
    expect(fusedDecodeUnfit({ ...zoo, I: 170 }, 16384)).toMatch(/MLP width 170/);
    expect(fusedDecodeUnfit({ ...zoo, H: 3, KVH: 2 }, 16384)).toMatch(/3 query heads/);
  });
});

describe('decodeLayerKernel', () => {
  it('is one descriptor per shape, its constants the shape, one workgroup per four rows', () => {
    const zoo = shapeOf(ZOO_MODEL_CONFIG);
    const k = decodeLayerKernel(zoo);
    expect(decodeLayerKernel({ ...zoo })).toBe(k);
    expect(decodeLayerKernel({ ...zoo, I: 176 })).not.toBe(k);
    expect(k.constants).toMatchObject({ C: 64, H: 4, KVH: 2, HEAD_DIM: 16, I: 172 });
    const u = Object.fromEntries((k.uniforms ?? []).map((f) => [f.name, 0])) as Parameters<
      typeof k.dispatch
    >[0];
    expect(k.dispatch({ ...u, R: 128 })).toEqual([32]);
    expect(k.dispatch({ ...u, R: 6 })).toEqual([2]);
  });
});
