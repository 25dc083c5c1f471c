// Tests of the sampler: greedy ties, determinism of the counter-RNG keying, and chi-square checks that
// many draws follow the softmax (plain, top-k and top-p filtered) at a temperature.
import { describe, expect, it } from 'vitest';
import { Sampler } from './sampling';

/** Pearson chi-square statistic of observed counts against expected probabilities (zero-p cells must be empty). */
function chiSquare(counts: number[], probs: number[], draws: number): number {
  let stat = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) {
      expect(counts[i], `id ${i} has probability 0 but was drawn`).toBe(0);
      continue;
    }
    const expected = probs[i] * draws;
    stat += (counts[i] - expected) ** 2 / expected;
  }
  return stat;
}

function softmax(logits: number[], tau: number): number[] {
  const z = logits.map((x) => x / tau);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function draw(sampler: Sampler, logits: number[], n: number): number[] {
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler.sampleAt(logits, 0, 42, 3, i % 7, i).token]++;
  return counts;
}

// 99.9% quantiles of chi-square: df 2 -> 13.82, df 5 -> 20.52. The draws are seeded, so these are
// fixed outcomes, but a wrong distribution (e.g. a missing temperature) gives statistics in the
// hundreds or thousands at 20000 draws.
const CHI2_999 = { 2: 13.82, 5: 20.52 } as const;

describe('Sampler', () => {
  const logits = [1.0, 2.5, -0.5, 2.5, 0.3, 1.7];

  it('greedy picks the argmax with ties to the lowest id, logprob 0', () => {
    const greedy = new Sampler(6, { temperature: 0, topK: 0, topP: 1 });
    expect(greedy.sample(logits, 0, 0.99)).toEqual({ token: 1, logprob: 0 });
    expect(greedy.sample([0, 0, 0], 0, 0.5).token).toBe(0);
  });

  it('is a pure function of (seed, stream, sequence, position)', () => {
    const s = new Sampler(6, { temperature: 1, topK: 0, topP: 1 });
    const a = Array.from({ length: 50 }, (_, i) => s.sampleAt(logits, 0, 7, 1, 2, i).token);
    const b = Array.from({ length: 50 }, (_, i) => s.sampleAt(logits, 0, 7, 1, 2, i).token);
    const c = Array.from({ length: 50 }, (_, i) => s.sampleAt(logits, 0, 8, 1, 2, i).token);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('reports the log-prob under the full temperature-scaled softmax', () => {
    const s = new Sampler(6, { temperature: 0.7, topK: 2, topP: 1 });
    const { token, logprob } = s.sample(logits, 0, 0.3);
    expect(logprob).toBeCloseTo(Math.log(softmax(logits, 0.7)[token]), 12);
  });

  it('draws follow the softmax at a temperature (chi-square)', () => {
    const tau = 0.8;
    const n = 20000;
    const counts = draw(new Sampler(6, { temperature: tau, topK: 0, topP: 1 }), logits, n);
    expect(chiSquare(counts, softmax(logits, tau), n)).toBeLessThan(CHI2_999[5]);
    // The same counts are far from the untempered softmax: the test can tell temperatures apart.
    expect(chiSquare(counts, softmax(logits, 1), n)).toBeGreaterThan(100);
  });

  it('top-k keeps the k best ids (ties to the lower id) and renormalises', () => {
    const n = 20000;
    const counts = draw(new Sampler(6, { temperature: 1, topK: 3, topP: 1 }), logits, n);
    // Ranks: ids 1 and 3 (2.5), then 5 (1.7).
    const p = softmax(logits, 1);
    const keep = [1, 3, 5];
    const mass = keep.reduce((s, i) => s + p[i], 0);
    const expected = p.map((x, i) => (keep.includes(i) ? x / mass : 0));
    expect(chiSquare(counts, expected, n)).toBeLessThan(CHI2_999[2]);
  });

  it('top-p keeps the smallest rank prefix reaching the mass', () => {
    const n = 20000;
    const p = softmax(logits, 1);
    // Ranked masses: ids 1, 3 (0.353 each), 5 (0.159), 0 (0.079), 4 (0.039), 2 (0.018).
    // topP 0.8: after 1 and 3 the mass is 0.706 < 0.8, so 5 is kept; after it 0.864 >= 0.8, so 0 is cut.
    const counts = draw(new Sampler(6, { temperature: 1, topK: 0, topP: 0.8 }), logits, n);
    const keep = [1, 3, 5];
    const mass = keep.reduce((s, i) => s + p[i], 0);
    const expected = p.map((x, i) => (keep.includes(i) ? x / mass : 0));
    expect(chiSquare(counts, expected, n)).toBeLessThan(CHI2_999[2]);
    // A tiny topP keeps only the top-ranked id (the lower of the tied pair).
    const top = new Sampler(6, { temperature: 1, topK: 0, topP: 1e-6 });
    for (const u of [0, 0.5, 0.999]) expect(top.sample(logits, 0, u).token).toBe(1);
  });

  it('rejects invalid options', () => {
    expect(() => new Sampler(6, { temperature: -1, topK: 0, topP: 1 })).toThrow(/temperature/);
    expect(() => new Sampler(6, { temperature: 1, topK: 1.5, topP: 1 })).toThrow(/topK/);
    expect(() => new Sampler(6, { temperature: 1, topK: 0, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
  });
});
