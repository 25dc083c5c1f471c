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
      const first = model.prefill(params, cache, prompts, Int32Array.from(promptLengths), B, Tp);
      for (let b = 0; b < B; b++) compare(first, b, promptLengths[b] - 1);
      const slots = Int32Array.from([0, 1, 2]);
      for (let s = 0; s < steps; s++) {
        const positions = Int32Array.from(promptLengths, (p) => p + s);
        const tokens = Int32Array.from(positions, (pos, b) => full.tokens[b * fullT + pos]);
        const logits = model.decodeStep(params, cache, tokens, slots, positions, B);
        for (let b = 0; b < B; b++) compare(logits, b, positions[b]);
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
