// Tests of the WebAssembly SIMD matmul against a float64 naive product on ragged shapes (every padding
// case of M % 4, N % 2, K % 4), with bias and accumulate, and across heap growth; and that matmulNT
// routes float32 work to it while float64 stays on the JS loops.
import { describe, expect, it } from 'vitest';
import { Random } from '../../util/random';
import { matmulNT, matmulNTJs } from './ops';
import { matmulModuleBytes, matmulNTWasm, transposeWasm, wasmMatmulKernel } from './wasmMatmul';

function naive(a: Float32Array, b: Float32Array, bias: Float32Array | null, M: number, N: number, K: number) {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += a[m * K + k] * b[n * K + k];
      out[m * N + n] = s;
    }
  }
  return out;
}

function random32(rng: Random, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** float32 accumulation of K products of unit normals: error ~ 1e-7 * sqrt(K) * |terms|. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, K: number): void {
  const tol = 2e-6 * Math.sqrt(K) + 1e-6;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `worst relative error at ${at}: got ${got[at]} want ${want[at]}`).toBeLessThan(tol);
}

describe('wasm SIMD matmul', () => {
  it('assembles a module this platform validates (Node 20 has wasm SIMD)', () => {
    expect(WebAssembly.validate(matmulModuleBytes())).toBe(true);
    expect(wasmMatmulKernel()).not.toBeNull();
  });

  it('matches a float64 naive product on ragged shapes, with bias and accumulate', () => {
    const rng = new Random(1);
    const shapes = [
      [1, 1, 1],
      [4, 2, 4],
      [5, 3, 7],
      [6, 5, 9],
      [7, 1, 2],
      [33, 37, 32],
      [300, 64, 172],
      [64, 172, 300],
    ];
    for (const [M, N, K] of shapes) {
      const a = random32(rng, M * K);
      const b = random32(rng, N * K);
      const bias = random32(rng, N);
      const out = new Float32Array(M * N).fill(Number.NaN); // assign must overwrite everything
      expect(matmulNTWasm(out, a, b, bias, M, N, K, false)).toBe(true);
      expectClose(out, naive(a, b, bias, M, N, K), K);
      const prior = random32(rng, M * N);
      const acc = prior.slice();
      matmulNTWasm(acc, a, b, null, M, N, K, true);
      const want = naive(a, b, null, M, N, K).map((x, i) => x + prior[i]);
      expectClose(acc, want, K);
    }
  });

  it('adds the bias and accumulates in exactly the bits of a float64 sum rounded to float32 (the JS loop it replaced)', () => {
    const rng = new Random(4);
    for (const [M, N, K] of [
      [1, 1, 4],
      [5, 3, 7],
      [6, 4, 8],
      [9, 11, 5],
      [33, 64, 16],
    ]) {
      const a = random32(rng, M * K);
      const b = random32(rng, N * K);
      // Bias and prior values across magnitudes, so the float32 sums round in every way.
      const bias = Float32Array.from({ length: N }, () => rng.normal() * 10 ** rng.int(-8, 8));
      const prior = Float32Array.from({ length: M * N }, () => rng.normal() * 10 ** rng.int(-8, 8));
      const product = new Float32Array(M * N);
      matmulNTWasm(product, a, b, null, M, N, K, false);
      const withBias = new Float32Array(M * N);
      matmulNTWasm(withBias, a, b, bias, M, N, K, false);
      const accumulated = prior.slice();
      matmulNTWasm(accumulated, a, b, null, M, N, K, true);
      const both = prior.slice();
      matmulNTWasm(both, a, b, bias, M, N, K, true);
      for (let i = 0; i < M * N; i++) {
        const n = i % N;
        expect(withBias[i]).toBe(Math.fround(product[i] + bias[n]));
        expect(accumulated[i]).toBe(Math.fround(prior[i] + product[i]));
        expect(both[i]).toBe(Math.fround(prior[i] + (product[i] + bias[n])));
      }
    }
  });

  it('transposes every ragged shape (4x4 SIMD blocks, right columns, bottom rows) exactly', () => {
    const rng = new Random(6);
    for (const [rows, cols] of [
      [1, 1],
      [1, 6],
      [6, 1],
      [3, 7],
      [4, 4],
      [5, 9],
      [8, 12],
      [13, 6],
      [37, 172],
    ]) {
      const inp = random32(rng, rows * cols);
      const out = new Float32Array(rows * cols).fill(Number.NaN);
      expect(transposeWasm(out, inp, rows, cols)).toBe(true);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++)
          expect(out[c * rows + r], `${rows}x${cols} at ${r},${c}`).toBe(inp[r * cols + c]);
      }
    }
  });

  it('stale heap contents from a larger product do not leak into a smaller padded one', () => {
    const rng = new Random(2);
    const big = random32(rng, 64 * 64);
    matmulNTWasm(new Float32Array(64 * 64), big, big, null, 64, 64, 64, false);
    const a = random32(rng, 3 * 5);
    const b = random32(rng, 3 * 5);
    const out = new Float32Array(9);
    matmulNTWasm(out, a, b, null, 3, 3, 5, false);
    expectClose(out, naive(a, b, null, 3, 3, 5), 5);
  });

  it('matmulNT uses it for float32 (float32 rounding) and the JS loops for float64 (exact order)', () => {
    const rng = new Random(3);
    const [M, N, K] = [40, 24, 48];
    const a = random32(rng, M * K);
    const b = random32(rng, N * K);
    const viaDispatch = new Float32Array(M * N);
    matmulNT(viaDispatch, a, b, null, M, N, K, false);
    const viaWasm = new Float32Array(M * N);
    matmulNTWasm(viaWasm, a, b, null, M, N, K, false);
    expect(Array.from(viaDispatch)).toEqual(Array.from(viaWasm));
    const a64 = Float64Array.from(a);
    const b64 = Float64Array.from(b);
    const out64 = new Float64Array(M * N);
    matmulNT(out64, a64, b64, null, M, N, K, false);
    const js64 = new Float64Array(M * N);
    matmulNTJs(js64, a64, b64, null, M, N, K, false);
    expect(Array.from(out64)).toEqual(Array.from(js64));
  });
});
