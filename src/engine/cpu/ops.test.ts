// Tests of the CPU reference ops: forward results against straight-line independent formulas, and every
// backward against float64 central differences of a random linear functional of the outputs.
// Also the gradient conventions: parameter grads accumulate (+=), activation grads assign.

import { describe, expect, it } from 'vitest';
import { Random } from '../../util/random';
import { ropeTables } from '../rope';
import { gradientMismatches, randomArray, weightedSum } from './gradcheck';
import {
  type AttentionShape,
  attentionBackward,
  attentionDecodeForward,
  attentionForward,
  embeddingBackward,
  embeddingForward,
  logSoftmaxBackward,
  logSoftmaxForward,
  matmulBackward,
  matmulForward,
  matmulNT,
  residualBackward,
  residualForward,
  rmsnormBackward,
  rmsnormForward,
  ropeBackward,
  ropeForward,
  swigluBackward,
  swigluForward,
} from './ops';

const F = Float64Array;

describe('matmul', () => {
  it('matmulNT matches a naive triple loop on ragged shapes, with bias and accumulate', () => {
    const rng = new Random(1);
    for (const [M, N, K] of [
      [1, 1, 1],
      [5, 7, 3],
      [8, 4, 9],
      [13, 6, 17],
    ]) {
      const a = randomArray(rng, M * K);
      const b = randomArray(rng, N * K);
      const bias = randomArray(rng, N);
      const prior = randomArray(rng, M * N);
      const out = new F(prior);
      matmulNT(out, a, b, bias, M, N, K, true);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = prior[m * N + n] + bias[n];
          for (let k = 0; k < K; k++) s += a[m * K + k] * b[n * K + k];
          expect(out[m * N + n]).toBeCloseTo(s, 12);
        }
      }
      const fresh = new F(M * N).fill(123);
      matmulNT(fresh, a, b, null, M, N, K, false);
      let s00 = 0;
      for (let k = 0; k < K; k++) s00 += a[k] * b[k];
      expect(fresh[0]).toBeCloseTo(s00, 12);
    }
  });

  it('backward matches finite differences; dweight/dbias accumulate and dinp assigns', () => {
    const rng = new Random(2);
    const [N, IC, OC] = [7, 6, 5];
    const inp = randomArray(rng, N * IC);
    const weight = randomArray(rng, OC * IC);
    const bias = randomArray(rng, OC);
    const w = randomArray(rng, N * OC);
    const out = new F(N * OC);
    const loss = () => {
      matmulForward(out, inp, weight, bias, N, IC, OC);
      return weightedSum(out, w);
    };
    const dinp = new F(N * IC).fill(99); // garbage: must be overwritten
    const dweight = new F(OC * IC);
    const dbias = new F(OC);
    matmulBackward(dinp, dweight, dbias, w, inp, weight, N, IC, OC);
    expect(gradientMismatches(inp, dinp, loss)).toEqual([]);
    expect(gradientMismatches(weight, dweight, loss)).toEqual([]);
    expect(gradientMismatches(bias, dbias, loss)).toEqual([]);

    const dweight2 = new F(dweight);
    const dbias2 = new F(dbias);
    matmulBackward(null, dweight2, dbias2, w, inp, weight, N, IC, OC);
    for (let i = 0; i < dweight.length; i++) expect(dweight2[i]).toBeCloseTo(2 * dweight[i], 12);
    for (let i = 0; i < dbias.length; i++) expect(dbias2[i]).toBeCloseTo(2 * dbias[i], 12);
  });
});

describe('embedding', () => {
  it('gathers rows, scatter-adds gradients with repeated tokens, rejects bad ids', () => {
    const rng = new Random(3);
    const [N, V, C] = [6, 5, 3];
    const tokens = Int32Array.from([4, 0, 4, 2, 2, 4]);
    const wte = randomArray(rng, V * C);
    const out = new F(N * C);
    embeddingForward(out, tokens, wte, N, V, C);
    expect(Array.from(out.subarray(0, C))).toEqual(Array.from(wte.subarray(4 * C, 5 * C)));
    const w = randomArray(rng, N * C);
    const dwte = new F(V * C);
    embeddingBackward(dwte, w, tokens, N, V, C);
    const loss = () => {
      embeddingForward(out, tokens, wte, N, V, C);
      return weightedSum(out, w);
    };
    expect(gradientMismatches(wte, dwte, loss)).toEqual([]);
    expect(() => embeddingForward(out, Int32Array.from([0, 5]), wte, 2, V, C)).toThrow(
      /token id 5 at row 1 is outside \[0, 5\)/,
    );
  });
});

describe('rmsnorm', () => {
  it('forward matches HF formula and backward matches finite differences', () => {
    const rng = new Random(4);
    const [N, C, eps] = [5, 8, 1e-6];
    const inp = randomArray(rng, N * C);
    const weight = randomArray(rng, C, 0.5).map((x) => 1 + x);
    const out = new F(N * C);
    const rstd = new F(N);
    rmsnormForward(out, rstd, inp, weight, N, C, eps);
    const row = Array.from(inp.subarray(C, 2 * C));
    const rms = Math.sqrt(row.reduce((s, x) => s + x * x, 0) / C + eps);
    expect(out[C + 3]).toBeCloseTo((row[3] / rms) * weight[3], 12);

    const w = randomArray(rng, N * C);
    const dinp = new F(N * C).fill(-5);
    const dweight = new F(C);
    rmsnormBackward(dinp, dweight, w, inp, weight, rstd, N, C);
    const loss = () => {
      rmsnormForward(out, rstd, inp, weight, N, C, eps);
      return weightedSum(out, w);
    };
    expect(gradientMismatches(inp, dinp, loss)).toEqual([]);
    expect(gradientMismatches(weight, dweight, loss)).toEqual([]);
  });
});

describe('rope', () => {
  it('matches the HF rotate_half formula, is a rotation, and backward matches finite differences', () => {
    const rng = new Random(5);
    const [N, nH, D, theta] = [4, 3, 8, 10000];
    const tables = ropeTables(D, theta, 16);
    const positions = Int32Array.from([0, 5, 15, 2]);
    const inp = randomArray(rng, N * nH * D);
    const out = new F(N * nH * D);
    ropeForward(out, inp, positions, tables, N, nH, D);
    // Independent straight-line HF formula: q*cos(emb) + rotate_half(q)*sin(emb), emb = cat(freqs, freqs).
    for (let n = 0; n < N; n++) {
      for (let h = 0; h < nH; h++) {
        const base = (n * nH + h) * D;
        for (let i = 0; i < D; i++) {
          const j = i % (D / 2);
          const angle = positions[n] / theta ** ((2 * j) / D);
          const rotated = i < D / 2 ? -inp[base + i + D / 2] : inp[base + i - D / 2];
          const expected = inp[base + i] * Math.cos(angle) + rotated * Math.sin(angle);
          // Tables hold f32 cos/sin of an f32 angle (as HF computes them): agree to ~1e-6.
          expect(out[base + i]).toBeCloseTo(expected, 5);
        }
      }
    }
    // Position 0 is the identity; a rotation preserves each pair's norm.
    for (let i = 0; i < nH * D; i++) expect(out[i]).toBe(inp[i]);

    const w = randomArray(rng, N * nH * D);
    const dinp = new F(N * nH * D);
    ropeBackward(dinp, w, positions, tables, N, nH, D);
    const loss = () => {
      ropeForward(out, inp, positions, tables, N, nH, D);
      return weightedSum(out, w);
    };
    expect(gradientMismatches(inp, dinp, loss)).toEqual([]);
    expect(() => ropeForward(out, inp, Int32Array.from([0, 16, 0, 0]), tables, N, nH, D)).toThrow(
      /position 16 at row 1/,
    );
  });

  it('works in place', () => {
    const rng = new Random(6);
    const tables = ropeTables(4, 100, 8);
    const positions = Int32Array.from([3, 7]);
    const x = randomArray(rng, 2 * 2 * 4);
    const out = new F(x.length);
    ropeForward(out, x, positions, tables, 2, 2, 4);
    ropeForward(x, x, positions, tables, 2, 2, 4);
    expect(Array.from(x)).toEqual(Array.from(out));
  });
});

/** Independent attention: explicit repeat_kv, scores matrix, causal + padding mask, softmax. */
function naiveAttention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  lengths: Int32Array,
  s: AttentionShape,
): Float64Array {
  const out = new F(s.B * s.T * s.H * s.D);
  for (let b = 0; b < s.B; b++) {
    for (let h = 0; h < s.H; h++) {
      const kvh = Math.floor((h * s.KVH) / s.H);
      for (let t = 0; t < lengths[b]; t++) {
        const scores: number[] = [];
        for (let t2 = 0; t2 <= t; t2++) {
          let dot = 0;
          for (let d = 0; d < s.D; d++) {
            dot += q[((b * s.T + t) * s.H + h) * s.D + d] * k[((b * s.T + t2) * s.KVH + kvh) * s.D + d];
          }
          scores.push(dot / Math.sqrt(s.D));
        }
        const max = Math.max(...scores);
        const exps = scores.map((x) => Math.exp(x - max));
        const z = exps.reduce((a, c) => a + c, 0);
        for (let d = 0; d < s.D; d++) {
          let acc = 0;
          for (let t2 = 0; t2 <= t; t2++) acc += (exps[t2] / z) * v[((b * s.T + t2) * s.KVH + kvh) * s.D + d];
          out[((b * s.T + t) * s.H + h) * s.D + d] = acc;
        }
      }
    }
  }
  return out;
}

describe('attention', () => {
  const shape: AttentionShape = { B: 3, T: 5, H: 4, KVH: 2, D: 4 };
  const lengths = Int32Array.from([5, 3, 1]);

  it('forward matches a naive GQA attention with causal and padding masks', () => {
    const rng = new Random(7);
    const { B, T, H, KVH, D } = shape;
    const q = randomArray(rng, B * T * H * D);
    const k = randomArray(rng, B * T * KVH * D);
    const v = randomArray(rng, B * T * KVH * D);
    const out = new F(B * T * H * D).fill(7);
    const att = new F(B * H * T * T).fill(7);
    attentionForward(out, att, q, k, v, lengths, shape);
    const expected = naiveAttention(q, k, v, lengths, shape);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(expected[i], 12);
    // Padded keys never receive attention: changing them leaves every output unchanged.
    const k2 = new F(k);
    const v2 = new F(v);
    for (let t = 3; t < T; t++) for (let j = 0; j < KVH * D; j++) k2[(1 * T + t) * KVH * D + j] += 10;
    for (let t = 3; t < T; t++) for (let j = 0; j < KVH * D; j++) v2[(1 * T + t) * KVH * D + j] -= 10;
    const out2 = new F(out.length);
    attentionForward(out2, new F(att.length), q, k2, v2, lengths, shape);
    expect(Array.from(out2)).toEqual(Array.from(out));
  });

  it('backward matches finite differences for q, k and v', () => {
    const rng = new Random(8);
    const { B, T, H, KVH, D } = shape;
    const q = randomArray(rng, B * T * H * D);
    const k = randomArray(rng, B * T * KVH * D);
    const v = randomArray(rng, B * T * KVH * D);
    const out = new F(B * T * H * D);
    const att = new F(B * H * T * T);
    const w = randomArray(rng, out.length);
    attentionForward(out, att, q, k, v, lengths, shape);
    const dq = new F(q.length).fill(3);
    const dk = new F(k.length).fill(3);
    const dv = new F(v.length).fill(3);
    attentionBackward(dq, dk, dv, w, q, k, v, att, lengths, shape);
    const loss = () => {
      attentionForward(out, att, q, k, v, lengths, shape);
      return weightedSum(out, w);
    };
    expect(gradientMismatches(q, dq, loss)).toEqual([]);
    expect(gradientMismatches(k, dk, loss)).toEqual([]);
    expect(gradientMismatches(v, dv, loss)).toEqual([]);
  });

  // D = 6 exercises the tail of the decode loops, which are unrolled by 4.
  for (const D of [4, 6]) {
    it(`decode step against a KV cache equals the full attention at that position (D=${D})`, () => {
      const rng = new Random(9);
      const decodeShape = { ...shape, D };
      const { B, T, H, KVH } = decodeShape;
      const q = randomArray(rng, B * T * H * D);
      const k = randomArray(rng, B * T * KVH * D);
      const v = randomArray(rng, B * T * KVH * D);
      const full = naiveAttention(q, k, v, lengths, decodeShape);
      // Cache slots in reverse order, queried rows are each sequence's last real token.
      const maxT = 6;
      const slots = Int32Array.from([2, 0, 1]);
      const kCache = new F(B * maxT * KVH * D);
      const vCache = new F(B * maxT * KVH * D);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < KVH * D; j++) {
            kCache[(slots[b] * maxT + t) * KVH * D + j] = k[(b * T + t) * KVH * D + j];
            vCache[(slots[b] * maxT + t) * KVH * D + j] = v[(b * T + t) * KVH * D + j];
          }
        }
      }
      const positions = Int32Array.from(Array.from(lengths, (len) => len - 1));
      const qRows = new F(B * H * D);
      for (let b = 0; b < B; b++)
        qRows.set(q.subarray((b * T + positions[b]) * H * D, (b * T + positions[b] + 1) * H * D), b * H * D);
      const out = new F(B * H * D);
      attentionDecodeForward(
        out,
        qRows,
        kCache,
        vCache,
        slots,
        positions,
        B,
        maxT,
        H,
        KVH,
        D,
        new F(H * maxT),
      );
      // A scratch for one head only (the size before heads were batched) is refused, not overrun.
      expect(() =>
        attentionDecodeForward(out, qRows, kCache, vCache, slots, positions, B, maxT, H, KVH, D, new F(maxT)),
      ).toThrow(/scores scratch holds/);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H * D; j++) {
          expect(out[b * H * D + j]).toBeCloseTo(full[(b * T + positions[b]) * H * D + j], 12);
        }
      }
    });
  }

  it('rejects lengths outside [0, T]', () => {
    const { B, T, H, KVH, D } = shape;
    expect(() =>
      attentionForward(
        new F(B * T * H * D),
        new F(B * H * T * T),
        new F(B * T * H * D),
        new F(B * T * KVH * D),
        new F(B * T * KVH * D),
        Int32Array.from([5, 6, 1]),
        shape,
      ),
    ).toThrow(/lengths\[1\] = 6/);
  });
});

describe('swiglu and residual', () => {
  it('swiglu forward is silu(gate)*up and backward matches finite differences', () => {
    const rng = new Random(10);
    const n = 11;
    const gate = randomArray(rng, n, 2);
    const up = randomArray(rng, n);
    const out = new F(n);
    swigluForward(out, gate, up, n);
    expect(out[2]).toBeCloseTo((gate[2] / (1 + Math.exp(-gate[2]))) * up[2], 14);
    const w = randomArray(rng, n);
    const dgate = new F(n).fill(1);
    const dup = new F(n).fill(1);
    swigluBackward(dgate, dup, w, gate, up, n);
    const loss = () => {
      swigluForward(out, gate, up, n);
      return weightedSum(out, w);
    };
    expect(gradientMismatches(gate, dgate, loss)).toEqual([]);
    expect(gradientMismatches(up, dup, loss)).toEqual([]);
  });

  it('residual add and its backward', () => {
    const rng = new Random(11);
    const n = 6;
    const a = randomArray(rng, n);
    const b = randomArray(rng, n);
    const out = new F(n);
    residualForward(out, a, b, n);
    expect(out[4]).toBe(a[4] + b[4]);
    const w = randomArray(rng, n);
    const da = new F(n);
    const db = new F(n);
    residualBackward(da, db, w, n);
    const loss = () => {
      residualForward(out, a, b, n);
      return weightedSum(out, w);
    };
    expect(gradientMismatches(a, da, loss)).toEqual([]);
    expect(gradientMismatches(b, db, loss)).toEqual([]);
  });
});

describe('logSoftmax with target gather and entropy', () => {
  it('forward matches the definitions at a temperature', () => {
    const rng = new Random(12);
    const [N, V, tau] = [4, 9, 0.7];
    const logits = randomArray(rng, N * V, 3);
    const targets = Int32Array.from([0, 8, 3, 3]);
    const lp = new F(N);
    const ent = new F(N);
    logSoftmaxForward(lp, ent, logits, targets, N, V, tau);
    for (let n = 0; n < N; n++) {
      const z = Array.from(logits.subarray(n * V, n * V + V), (x) => x / tau);
      const zSum = z.reduce((s, x) => s + Math.exp(x), 0);
      const p = z.map((x) => Math.exp(x) / zSum);
      expect(lp[n]).toBeCloseTo(Math.log(p[targets[n]]), 12);
      expect(ent[n]).toBeCloseTo(-p.reduce((s, x) => s + x * Math.log(x), 0), 12);
    }
    expect(() => logSoftmaxForward(lp, ent, logits, targets, N, V, 0)).toThrow(/temperature/);
  });

  it('backward of logprob and entropy together matches finite differences', () => {
    const rng = new Random(13);
    const [N, V, tau] = [5, 7, 1.3];
    const logits = randomArray(rng, N * V, 2);
    const targets = Int32Array.from([6, 0, 2, 2, 5]);
    const wLp = randomArray(rng, N);
    const wEnt = randomArray(rng, N);
    wLp[3] = 0;
    wEnt[3] = 0; // a row with no upstream gradient must get exact zeros
    const lp = new F(N);
    const ent = new F(N);
    const dlogits = new F(N * V).fill(4);
    logSoftmaxBackward(dlogits, wLp, wEnt, logits, targets, N, V, tau);
    const loss = () => {
      logSoftmaxForward(lp, ent, logits, targets, N, V, tau);
      return weightedSum(lp, wLp) + weightedSum(ent, wEnt);
    };
    expect(gradientMismatches(logits, dlogits, loss)).toEqual([]);
    expect(Array.from(dlogits.subarray(3 * V, 4 * V)).every((x) => x === 0)).toBe(true);
  });
});
