// Tests of the whole CPU model: float64 finite differences of per-token log-prob and entropy
// functionals with respect to every tensor (a sample of entries per tensor), on the tiny test config
// with a ragged right-padded batch; KV-cache decoding against the full forward; input errors.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../../model/config';
import { initParameters, paramView } from '../../model/layout';
import { Random } from '../../util/random';
import { gradientMismatches, randomArray, sampleIndices, weightedSum } from './gradcheck';
import { CpuTransformer } from './model';

// Hidden 32, 4 heads, 2 KV heads, intermediate 37, 2 layers (odd sizes exercise matmul tails).
const tiny: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 23, max_position_embeddings: 16 };

/** Random float64 parameters large enough that every path carries signal (norm weights near 1). */
function randomParams(model: CpuTransformer, seed: number): Float64Array {
  const rng = new Random(seed);
  const flat = new Float64Array(model.layout.total);
  for (const e of model.layout.entries) {
    const view = paramView(flat, e);
    for (let i = 0; i < view.length; i++)
      view[i] = e.init === 'ones' ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal();
  }
  return flat;
}

function batchOf(rng: Random, V: number, lengths: number[], T: number) {
  const B = lengths.length;
  const tokens = new Int32Array(B * T);
  const lossMask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      tokens[b * T + t] = rng.int(0, V - 1);
      if (t >= 1) lossMask[b * T + t] = rng.bernoulli(0.8) ? 1 : 0;
    }
  }
  return { B, T, tokens, lengths: Int32Array.from(lengths), lossMask };
}

/**
 * An independent straight-line Qwen2 forward written from the HF modeling code (no shared code with
 * the engine): returns logits (B*T, V) in float64 with RoPE angles in float64.
 */
function referenceLogits(
  config: ModelConfig,
  params: Float64Array,
  model: CpuTransformer,
  tokens: Int32Array,
  lengths: Int32Array,
  B: number,
  T: number,
): Float64Array {
  const C = config.hidden_size;
  const H = config.num_attention_heads;
  const KVH = config.num_key_value_heads;
  const D = C / H;
  const I = config.intermediate_size;
  const V = config.vocab_size;
  const get = (name: string) => {
    const e = model.layout.byName.get(name);
    if (!e) throw new Error(`missing ${name}`);
    return (r: number, c = 0) => params[e.offset + r * (e.shape[1] ?? 1) + c];
  };
  const linear = (
    x: number[],
    w: (r: number, c: number) => number,
    out: number,
    bias?: (r: number) => number,
  ) => Array.from({ length: out }, (_, o) => x.reduce((s, xi, i) => s + xi * w(o, i), bias ? bias(o) : 0));
  const rmsnorm = (x: number[], w: (r: number) => number) => {
    const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + config.rms_norm_eps);
    return x.map((v, i) => (v / rms) * w(i));
  };
  const rope = (x: number[], pos: number) =>
    x.map((v, i) => {
      const j = i % (D / 2);
      const angle = pos / config.rope_theta ** ((2 * j) / D);
      const rotated = i < D / 2 ? -x[i + D / 2] : x[i - D / 2];
      return v * Math.cos(angle) + rotated * Math.sin(angle);
    });
  const embed = get('model.embed_tokens.weight');
  const head = config.tie_word_embeddings ? embed : get('lm_head.weight');
  const out = new Float64Array(B * T * V);
  for (let b = 0; b < B; b++) {
    const len = lengths[b];
    let xs = Array.from({ length: len }, (_, t) =>
      Array.from({ length: C }, (_, c) => embed(tokens[b * T + t], c)),
    );
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const p = `model.layers.${l}.`;
      const normed = xs.map((x) => rmsnorm(x, get(`${p}input_layernorm.weight`)));
      const qs = normed.map((x, t) => {
        const q = linear(x, get(`${p}self_attn.q_proj.weight`), H * D, get(`${p}self_attn.q_proj.bias`));
        return Array.from({ length: H }, (_, h) => rope(q.slice(h * D, h * D + D), t));
      });
      const ks = normed.map((x, t) => {
        const k = linear(x, get(`${p}self_attn.k_proj.weight`), KVH * D, get(`${p}self_attn.k_proj.bias`));
        return Array.from({ length: KVH }, (_, h) => rope(k.slice(h * D, h * D + D), t));
      });
      const vs = normed.map((x) => {
        const v = linear(x, get(`${p}self_attn.v_proj.weight`), KVH * D, get(`${p}self_attn.v_proj.bias`));
        return Array.from({ length: KVH }, (_, h) => v.slice(h * D, h * D + D));
      });
      xs = xs.map((x, t) => {
        const heads: number[] = [];
        for (let h = 0; h < H; h++) {
          const g = Math.floor(h / (H / KVH));
          const scores = Array.from(
            { length: t + 1 },
            (_, t2) => qs[t][h].reduce((s, qd, d) => s + qd * ks[t2][g][d], 0) / Math.sqrt(D),
          );
          const m = Math.max(...scores);
          const e = scores.map((sc) => Math.exp(sc - m));
          const z = e.reduce((a2, c2) => a2 + c2, 0);
          for (let d = 0; d < D; d++) heads.push(e.reduce((s, w, t2) => s + (w / z) * vs[t2][g][d], 0));
        }
        const attn = linear(heads, get(`${p}self_attn.o_proj.weight`), C);
        const h1 = x.map((v, c) => v + attn[c]);
        const n2 = rmsnorm(h1, get(`${p}post_attention_layernorm.weight`));
        const gate = linear(n2, get(`${p}mlp.gate_proj.weight`), I);
        const up = linear(n2, get(`${p}mlp.up_proj.weight`), I);
        const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
        const down = linear(act, get(`${p}mlp.down_proj.weight`), C);
        return h1.map((v, c) => v + down[c]);
      });
    }
    xs.forEach((x, t) => {
      const n = rmsnorm(x, get('model.norm.weight'));
      for (let v = 0; v < V; v++) out[(b * T + t) * V + v] = n.reduce((s, nc, c) => s + nc * head(v, c), 0);
    });
  }
  return out;
}

describe('CpuTransformer forward', () => {
  for (const tied of [true, false]) {
    it(`equals an independent straight-line Qwen2 forward (tie_word_embeddings=${tied})`, () => {
      const config = { ...tiny, tie_word_embeddings: tied };
      const model = new CpuTransformer(config, 'f64');
      const params = randomParams(model, tied ? 21 : 22);
      const batch = batchOf(new Random(23), config.vocab_size, [7, 3], 7);
      const logits = model.forward(params, batch.tokens, batch.lengths, 2, 7).logits;
      const want = referenceLogits(config, params, model, batch.tokens, batch.lengths, 2, 7);
      let worst = 0;
      for (let b = 0; b < 2; b++) {
        for (let t = 0; t < batch.lengths[b]; t++) {
          for (let v = 0; v < config.vocab_size; v++) {
            const i = (b * 7 + t) * config.vocab_size + v;
            worst = Math.max(worst, Math.abs(logits[i] - want[i]) / (1 + Math.abs(want[i])));
          }
        }
      }
      // The engine's RoPE tables hold f32 cos/sin of f32 angles (as HF computes them); the reference
      // uses float64 angles, so logits agree to ~1e-7 (bound 2e-6), not to float64 precision.
      expect(worst).toBeLessThan(2e-6);
    });
  }
});

describe('CpuTransformer gradients', () => {
  for (const tied of [true, false]) {
    it(`matches float64 finite differences for every tensor (tie_word_embeddings=${tied})`, () => {
      const config = { ...tiny, tie_word_embeddings: tied };
      const model = new CpuTransformer(config, 'f64');
      const params = randomParams(model, tied ? 1 : 2);
      const rng = new Random(3);
      const batch = batchOf(rng, config.vocab_size, [6, 4, 2], 6);
      const temperature = 0.8;
      const wLp = randomArray(rng, batch.B * batch.T);
      const wEnt = randomArray(rng, batch.B * batch.T, 0.5);
      for (let i = 0; i < wLp.length; i++) {
        if (batch.lossMask[i] === 0) {
          wLp[i] = 0;
          wEnt[i] = 0;
        }
      }
      const loss = () => {
        const acts = model.forward(params, batch.tokens, batch.lengths, batch.B, batch.T);
        const scores = model.tokenScores(acts, batch.lossMask, temperature);
        return weightedSum(scores.logprobs, wLp) + weightedSum(scores.entropy, wEnt);
      };
      loss();
      const grads = new Float64Array(model.layout.total);
      const acts = model.forward(params, batch.tokens, batch.lengths, batch.B, batch.T);
      model.tokenScoresBackward(params, grads, acts, wLp, wEnt, temperature);

      const pick = new Random(4);
      const failures: string[] = [];
      for (const e of model.layout.entries) {
        const indices = sampleIndices(pick, e.size, 12).map((i) => e.offset + i);
        const bad = gradientMismatches(params, grads, loss, { indices });
        for (const m of bad.slice(0, 3)) {
          failures.push(`${e.name}[${m.index - e.offset}]: analytic ${m.analytic} numeric ${m.numeric}`);
        }
        // A tensor whose sampled gradients are all zero would make the check vacuous.
        expect(
          indices.some((i) => grads[i] !== 0),
          e.name,
        ).toBe(true);
      }
      expect(failures).toEqual([]);

      // Parameter gradients accumulate: a second backward doubles them.
      const once = new Float64Array(grads);
      const fresh = model.forward(params, batch.tokens, batch.lengths, batch.B, batch.T); // FD left stale acts
      model.tokenScoresBackward(params, grads, fresh, wLp, wEnt, temperature);
      for (let i = 0; i < grads.length; i += 97) expect(grads[i]).toBeCloseTo(2 * once[i], 10);
    });
  }

  it('padding tokens beyond a row length do not change that row', () => {
    const model = new CpuTransformer(tiny, 'f64');
    const params = randomParams(model, 5);
    const rng = new Random(6);
    const batch = batchOf(rng, tiny.vocab_size, [5, 3], 5);
    const a = model
      .tokenScores(model.forward(params, batch.tokens, batch.lengths, 2, 5), batch.lossMask, 1)
      .logprobs.slice();
    const tokens2 = batch.tokens.slice();
    tokens2[5 + 3] = (tokens2[5 + 3] + 7) % tiny.vocab_size;
    tokens2[5 + 4] = (tokens2[5 + 4] + 3) % tiny.vocab_size;
    const b = model.tokenScores(
      model.forward(params, tokens2, batch.lengths, 2, 5),
      batch.lossMask,
      1,
    ).logprobs;
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('CpuTransformer float32 production path', () => {
  it('agrees with the float64 path (wasm SIMD matmul and dense attention vs JS loops)', () => {
    // A wider config so the products are large enough to take the wasm kernel.
    const config = { ...tiny, hidden_size: 64, intermediate_size: 90, max_position_embeddings: 40 };
    const m64 = new CpuTransformer(config, 'f64');
    const m32 = new CpuTransformer(config, 'f32');
    const p64 = randomParams(m64, 11);
    const p32 = Float32Array.from(p64);
    const p64r = Float64Array.from(p32); // same (f32-representable) weights on both paths
    const rng = new Random(12);
    const batch = batchOf(rng, config.vocab_size, [33, 20, 9, 27], 33);
    const w = randomArray(rng, batch.B * batch.T);
    for (let i = 0; i < w.length; i++) if (!batch.lossMask[i]) w[i] = 0;
    const run = (
      model: CpuTransformer,
      params: Float32Array | Float64Array,
      grads: Float32Array | Float64Array,
    ) => {
      const acts = model.forward(params, batch.tokens, batch.lengths, batch.B, batch.T);
      const scores = model.tokenScores(acts, batch.lossMask, 1);
      model.tokenScoresBackward(params, grads, acts, w, null, 1);
      return scores.logprobs;
    };
    const g64 = new Float64Array(m64.layout.total);
    const g32 = new Float32Array(m32.layout.total);
    const lp64 = run(m64, p64r, g64);
    const lp32 = run(m32, p32, g32);
    let lpErr = 0;
    for (let i = 0; i < lp64.length; i++) lpErr = Math.max(lpErr, Math.abs(lp64[i] - lp32[i]));
    // float32 storage and accumulation over sums of <= 90 terms through 2 layers: ~1e-5 absolute.
    expect(lpErr).toBeLessThan(1e-4);
    let gMax = 0;
    let gErr = 0;
    for (let i = 0; i < g64.length; i++) {
      gMax = Math.max(gMax, Math.abs(g64[i]));
      gErr = Math.max(gErr, Math.abs(g64[i] - g32[i]));
    }
    expect(gMax).toBeGreaterThan(0.1);
    expect(gErr / gMax).toBeLessThan(1e-4);
  });
});

describe('CpuTransformer buffer reuse', () => {
  it('gives identical results when batch shapes alternate (pooled activation buffers)', () => {
    const model = new CpuTransformer(tiny, 'f32');
    const params = initParameters({ ...tiny, initializer_range: 0.3 }, 9);
    const rng = new Random(10);
    const small = batchOf(rng, tiny.vocab_size, [4, 3], 4);
    const large = batchOf(rng, tiny.vocab_size, [9, 7, 8], 9);
    const run = (b: typeof small) => {
      const acts = model.forward(params, b.tokens, b.lengths, b.B, b.T);
      const grads = new Float32Array(model.layout.total);
      model.tokenScoresBackward(params, grads, acts, b.lossMask, null, 1);
      return { logits: Array.from(acts.logits), grads: Array.from(grads) };
    };
    const first = run(small);
    const big = run(large);
    expect(run(small)).toEqual(first);
    expect(run(large)).toEqual(big);
    expect(new CpuTransformer(tiny, 'f32').forward(params, small.tokens, small.lengths, 2, 4).logits).toEqual(
      Float32Array.from(first.logits),
    );
  });
});

describe('CpuTransformer KV-cache decoding', () => {
  for (const precision of ['f64', 'f32'] as const) {
    it(`prefill + batched one-token steps equal the full forward (${precision})`, () => {
      const model = new CpuTransformer(tiny, precision);
      const params64 = randomParams(model, 7);
      const params = precision === 'f64' ? params64 : Float32Array.from(params64);
      const rng = new Random(8);
      const promptLengths = [4, 1, 6];
      const steps = 5;
      const B = promptLengths.length;
      const fullT = Math.max(...promptLengths) + steps;
      // Full sequences; prompts are their first promptLengths[b] tokens.
      const full = batchOf(
        rng,
        tiny.vocab_size,
        promptLengths.map((p) => p + steps),
        fullT,
      );
      const fullLogits = model.forward(params, full.tokens, full.lengths, B, fullT).logits.slice();
      const Tp = Math.max(...promptLengths);
      const prompts = new Int32Array(B * Tp);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < promptLengths[b]; t++) prompts[b * Tp + t] = full.tokens[b * fullT + t];
      }
      const V = tiny.vocab_size;
      // Cache slots deliberately larger than B and rows mapped to slots in order.
      const cache = model.createKvCache(B + 1, 16);
      const tol = precision === 'f64' ? 1e-10 : 2e-5; // f32: summation order differs from the full pass
      const compare = (logits: ArrayLike<number>, b: number, position: number) => {
        for (let v = 0; v < V; v++) {
          const expected = fullLogits[(b * fullT + position) * V + v];
          expect(Math.abs(logits[b * V + v] - expected)).toBeLessThan(tol * (1 + Math.abs(expected)));
        }
      };
      try {
        const first = model.prefill(params, cache, prompts, Int32Array.from(promptLengths), B, Tp);
        for (let b = 0; b < B; b++) compare(first, b, promptLengths[b] - 1);
        const slots = Int32Array.from([0, 1, 2]);
        for (let s = 0; s < steps; s++) {
          const positions = Int32Array.from(promptLengths, (p) => p + s);
          const tokens = Int32Array.from(positions, (pos, b) => full.tokens[b * fullT + pos]);
          const logits = model.decodeStep(params, cache, tokens, slots, positions, B);
          for (let b = 0; b < B; b++) compare(logits, b, positions[b]);
        }
      } finally {
        cache.release(); // a failure must not leave the decode arena held for the tests after it
      }
    });
  }
});

describe('CpuTransformer input errors', () => {
  const model = new CpuTransformer(tiny);
  const params = initParameters(tiny, 1);
  it('names the problem', () => {
    expect(() => model.forward(params, new Int32Array(5), Int32Array.from([2]), 1, 4)).toThrow(
      /tokens has 5 ids/,
    );
    expect(() => model.forward(params, new Int32Array(4), Int32Array.from([0]), 1, 4)).toThrow(
      /lengths\[0\] = 0/,
    );
    expect(() => model.forward(params, new Int32Array(17), Int32Array.from([3]), 1, 17)).toThrow(
      /max_position_embeddings/,
    );
    expect(() => model.forward(new Float32Array(3), new Int32Array(4), Int32Array.from([4]), 1, 4)).toThrow(
      /flat parameter array has 3 values/,
    );
    expect(() => model.forward(params, Int32Array.from([1, 99]), Int32Array.from([2]), 1, 2)).toThrow(
      /token id 99/,
    );
  });
});
