// Tests that the WebAssembly exact kernels return the very bits of the JavaScript loops they replace:
// exp against fdExp (util/fdlibm.ts, Node 20's Math.exp) at every branch edge of fdlibm's algorithm and
// on millions of values; SwiGLU, RMSNorm, the attention forward's causal softmax and the KV-cache decode
// attention against the JS loops (kernels turned off), with a count that proves the kernel ran; the
// order of the decode's q·k sums; the whole CPU model (forward, log-softmax, backward, KV-cache sampling)
// with the kernels on and off. Bit for bit, since study records replay on either path.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../../model/config';
import { initParameters } from '../../model/layout';
import { fdExp } from '../../util/fdlibm';
import { Random } from '../../util/random';
import { CpuBackend } from './backend';
import { CpuTransformer } from './model';
import {
  attentionDecodeForward,
  attentionForward,
  rmsnormBackward,
  rmsnormForward,
  swigluBackward,
  swigluForward,
} from './ops';
import {
  allocateWasmKvCache,
  exactKernelCalls,
  exactKernels,
  exactModuleBytes,
  expInPlace,
  setExactKernelsEnabled,
} from './wasmExact';

afterEach(() => setExactKernelsEnabled(true));

/** Runs fn and checks the named kernel ran during it: the comparison is then wasm against JS, not JS twice. */
function viaKernel<T>(kernel: keyof typeof exactKernelCalls, fn: () => T): T {
  const before = exactKernelCalls[kernel];
  const result = fn();
  expect(exactKernelCalls[kernel], `${kernel} kernel ran`).toBeGreaterThan(before);
  return result;
}

const fromBits = (hex: bigint) => new Float64Array(new BigInt64Array([hex]).buffer)[0];
const bitsOf = (x: number) => new BigInt64Array(new Float64Array([x]).buffer)[0];

/** Indices where got and want differ in any bit (NaNs compare by Object.is). */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < want.length && out.length < 5; i++) {
    if (!Object.is(got[i], want[i])) out.push(`[${i}] got ${got[i]} want ${want[i]}`);
  }
  if (got.length !== want.length) out.push(`length ${got.length} vs ${want.length}`);
  return out;
}

/** Values around every threshold of fdlibm's exp (|x| vs its high word) and the kernel's own limits. */
function edgeValues(): number[] {
  const out = [0, -0, 1, -1, 2, -2, 0.5, Math.LN2 / 2, Math.LN2, 1.5 * Math.LN2, 706.9, 707, -707, 708, -708];
  out.push(709.78, 709.79, -745.13, -745.14, 1000, -1000, 1e-300, -1e-300, 5e-324, 2 ** -28, -(2 ** -28));
  out.push(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
  );
  // The exact high-word thresholds, with the lowest and highest low words and their neighbours.
  for (const high of [0x3e300000n, 0x3fd62e42n, 0x3fd62e43n, 0x3ff0a2b2n, 0x3ff0a2b1n, 0x40862e42n]) {
    for (const low of [0n, 1n, 0x7fffffffn, 0xfffffffen, 0xffffffffn]) {
      const x = fromBits((high << 32n) | low);
      out.push(x, -x);
    }
  }
  // Every multiple of ln2/2 in range and its neighbours (where k changes).
  for (let m = -2040; m <= 2040; m++) {
    const x = (m * Math.LN2) / 2;
    out.push(x, fromBits(bitsOf(x) + 1n), fromBits(bitsOf(x) - 1n));
  }
  return out;
}

describe('exact exp kernel', () => {
  it('is available here (Node has WebAssembly SIMD) and its module validates', () => {
    expect(WebAssembly.validate(exactModuleBytes())).toBe(true);
    expect(exactKernels()).not.toBeNull();
  });

  it('equals fdExp bit for bit at every branch edge and special value', () => {
    const xs = edgeValues();
    const got = Float64Array.from(xs);
    expInPlace(got, got.length);
    expect(mismatches(got, xs.map(fdExp))).toEqual([]);
  });

  it('equals fdExp bit for bit on millions of values across magnitudes (float64 and float32 inputs)', () => {
    const rng = new Random(11);
    const n = 1 << 18;
    for (const scale of [1e-10, 1e-4, 0.2, 0.4, 1, 4, 30, 200, 740]) {
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) xs[i] = (2 * rng.next() - 1) * scale;
      const f32 = Float64Array.from(Float32Array.from(xs)); // the engine's arguments often come from float32
      for (const input of [xs, f32]) {
        const got = Float64Array.from(input);
        expInPlace(got, n - 3); // an odd count: the kernel's padding must not leak into the results
        const want = input.map(fdExp);
        expect(mismatches(got.subarray(0, n - 3), want.subarray(0, n - 3)), `scale ${scale}`).toEqual([]);
        expect(got[n - 3]).toBe(input[n - 3]); // untouched past n
      }
    }
  });
});

describe('exact SwiGLU kernels', () => {
  function inputs(n: number, seed: number) {
    const rng = new Random(seed);
    const gate = Float32Array.from({ length: n }, () => 6 * rng.normal());
    const up = Float32Array.from({ length: n }, () => rng.normal());
    const dout = Float32Array.from({ length: n }, () => rng.normal());
    // Overflowing and special arguments, on both lanes of a pair and at the ragged tail.
    const special = [0, -0, 1, -1, 100, -100, 800, -800, 3e38, -3e38, Number.NaN, Infinity, -Infinity];
    special.forEach((v, i) => {
      gate[i] = v;
      gate[n - 1 - i] = v;
    });
    return { gate, up, dout };
  }

  function both<T>(kernel: keyof typeof exactKernelCalls, run: () => T): { wasm: T; js: T } {
    setExactKernelsEnabled(true);
    const wasm = viaKernel(kernel, run);
    setExactKernelsEnabled(false);
    const js = run();
    setExactKernelsEnabled(true);
    return { wasm, js };
  }

  for (const n of [1, 2, 7, 8, 9, 1001, 4096]) {
    it(`forward and backward equal the JS loops bit for bit (n = ${n})`, () => {
      const { gate, up, dout } = inputs(Math.max(n, 1), n);
      const fwd = both('swigluF', () => {
        const out = new Float32Array(n);
        swigluForward(out, gate, up, n);
        return out;
      });
      expect(mismatches(fwd.wasm, fwd.js)).toEqual([]);
      const bwd = both('swigluB', () => {
        const dgate = new Float32Array(n);
        const dup = new Float32Array(n);
        swigluBackward(dgate, dup, dout, gate, up, n);
        return [...dgate, ...dup];
      });
      expect(mismatches(bwd.wasm, bwd.js)).toEqual([]);
    });
  }

  it('writes in place when the output is the gate (as the decoder calls it)', () => {
    const { gate, up } = inputs(257, 3);
    const want = new Float32Array(257);
    swigluForward(want, gate, up, 257);
    const inPlace = gate.slice();
    swigluForward(inPlace, inPlace, up, 257);
    expect(mismatches(inPlace, want)).toEqual([]);
  });
});

describe('exact RMSNorm', () => {
  it('forward and backward (dweight accumulating onto earlier gradients) equal the JS loops bit for bit', () => {
    const [N, C] = [7, 37];
    const rng = new Random(31);
    const scaled = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 10 ** rng.int(-3, 3));
    const inp = scaled(N * C);
    const weight = scaled(C);
    const dout = scaled(N * C);
    const priorDweight = scaled(C);
    const run = () => {
      const out = new Float32Array(N * C);
      const rstd = new Float32Array(N);
      rmsnormForward(out, rstd, inp, weight, N, C, 1e-6);
      const dinp = new Float32Array(N * C);
      const dweight = priorDweight.slice();
      rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
      return [...out, ...rstd, ...dinp, ...dweight];
    };
    const wasm = viaKernel('rmsF', () => viaKernel('rmsB', run));
    setExactKernelsEnabled(false);
    const js = run();
    expect(mismatches(wasm, js)).toEqual([]);
  });
});

describe('exact causal softmax (attention forward)', () => {
  it("gives the JS loops' outputs and kept probabilities bit for bit (ragged lengths, GQA, huge scores)", () => {
    const [B, T, H, KVH, D] = [4, 9, 4, 2, 8];
    const rng = new Random(21);
    const q = Float32Array.from({ length: B * T * H * D }, () => 3 * rng.normal());
    const k = Float32Array.from({ length: B * T * KVH * D }, () => 3 * rng.normal());
    const v = Float32Array.from({ length: B * T * KVH * D }, () => rng.normal());
    q[5] = 3e5; // one score far beyond the exp's main path
    const lengths = Int32Array.from([9, 1, 6, 7]); // a full row, a single token, even and odd lengths
    const run = () => {
      const out = new Float32Array(B * T * H * D);
      const att = new Float32Array(B * H * T * T);
      attentionForward(out, att, q, k, v, lengths, { B, T, H, KVH, D });
      return [...out, ...att];
    };
    const wasm = viaKernel('causalSoftmax', run);
    setExactKernelsEnabled(false);
    const js = run();
    expect(mismatches(wasm, js)).toEqual([]);
  });
});

describe('exact KV-cache decode attention', () => {
  // GQA (2 query heads per KV head), positions of both parities (a spare exp lane on odd counts), rows
  // in shuffled cache slots, a score that overflows the exp's main path (|x| >= 707 after the max).
  for (const [H, KVH, D] of [
    [4, 2, 16],
    [6, 3, 8],
    [2, 2, 4],
  ]) {
    it(`equals the JS loops bit for bit (H ${H}, KVH ${KVH}, D ${D})`, () => {
      const [S, maxT, R] = [5, 19, 4];
      const size = S * maxT * KVH * D;
      const cache = allocateWasmKvCache(1, size, S, maxT, H, D);
      expect(cache).not.toBeNull();
      if (!cache) return;
      try {
        const rng = new Random(H * 100 + D);
        for (let i = 0; i < size; i++) {
          cache.k[0][i] = rng.normal();
          cache.v[0][i] = rng.normal();
        }
        cache.k[0][3 * maxT * KVH * D] = 4000; // slot 3, position 0: a score far above the rest
        const q = Float32Array.from({ length: R * H * D }, () => 2 * rng.normal());
        const slots = Int32Array.from([3, 0, 4, 1]);
        const positions = Int32Array.from([7, 0, 18, 11]);
        const kJs = cache.k[0].slice();
        const vJs = cache.v[0].slice();
        const wasm = new Float32Array(R * H * D);
        const js = new Float32Array(R * H * D);
        viaKernel('decodeAttention', () =>
          attentionDecodeForward(
            wasm,
            q,
            cache.k[0],
            cache.v[0],
            slots,
            positions,
            R,
            maxT,
            H,
            KVH,
            D,
            new Float32Array(H * maxT),
          ),
        );
        setExactKernelsEnabled(false);
        attentionDecodeForward(
          js,
          q,
          kJs,
          vJs,
          slots,
          positions,
          R,
          maxT,
          H,
          KVH,
          D,
          new Float32Array(H * maxT),
        );
        expect(mismatches(wasm, js)).toEqual([]);
        expect(wasm.some((x) => x !== 0)).toBe(true);
      } finally {
        cache.release();
      }
    });
  }

  it('keeps the JS order of the q·k sums (a cancellation that any other order changes)', () => {
    // q·k at position 0 sums 2^60 (lane 0), 1 (lane 1), -2^60 (lane 2): ((2^60 + 1) - 2^60) = 0 in the
    // JS order, 1 in most others; the other positions' scores are small, so the softmax shows the difference.
    const [S, maxT, H, KVH, D, R] = [1, 8, 1, 1, 8, 1];
    const cache = allocateWasmKvCache(1, S * maxT * KVH * D, S, maxT, H, D);
    expect(cache).not.toBeNull();
    if (!cache) return;
    try {
      const rng = new Random(5);
      const q = Float32Array.from([2 ** 30, 1, -(2 ** 30), 0, 0.5, -0.5, 0.25, 1]);
      for (let t = 0; t < maxT; t++) {
        for (let d = 0; d < D; d++) {
          cache.k[0][t * D + d] = d < 4 ? 0 : rng.normal();
          cache.v[0][t * D + d] = rng.normal();
        }
      }
      cache.k[0].set([2 ** 30, 1, 2 ** 30, 0], 0);
      const js = new Float32Array(R * H * D);
      const wasm = new Float32Array(R * H * D);
      const args = [
        Int32Array.of(0),
        Int32Array.of(5),
        R,
        maxT,
        H,
        KVH,
        D,
        new Float32Array(H * maxT),
      ] as const;
      viaKernel('decodeAttention', () => attentionDecodeForward(wasm, q, cache.k[0], cache.v[0], ...args));
      setExactKernelsEnabled(false);
      attentionDecodeForward(js, q, cache.k[0].slice(), cache.v[0].slice(), ...args);
      expect(mismatches(wasm, js)).toEqual([]);
    } finally {
      cache.release();
    }
  });

  it('lends its memory to one cache at a time; a second gets plain arrays until the first is released', () => {
    const first = allocateWasmKvCache(2, 64, 2, 4, 2, 8);
    expect(first).not.toBeNull();
    expect(allocateWasmKvCache(2, 64, 2, 4, 2, 8)).toBeNull();
    first?.release();
    const again = allocateWasmKvCache(2, 64, 2, 4, 2, 8);
    expect(again).not.toBeNull();
    again?.release();
    setExactKernelsEnabled(false);
    expect(allocateWasmKvCache(2, 64, 2, 4, 2, 8)).toBeNull();
  });
});

describe('the CPU model with the exact kernels on and off', () => {
  // Odd sizes (intermediate 37, vocab 23) exercise every ragged tail.
  const config: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 23, max_position_embeddings: 32 };

  it('computes the same logits, log-probs, entropies, gradients and samples, bit for bit', async () => {
    const run = async () => {
      const params = initParameters(config, 5);
      const model = new CpuTransformer(config);
      const rng = new Random(9);
      const [B, T] = [3, 20];
      const lengths = Int32Array.from([20, 13, 7]);
      const tokens = Int32Array.from({ length: B * T }, () => rng.int(0, config.vocab_size - 1));
      const lossMask = Float32Array.from({ length: B * T }, (_, i) =>
        i % T > 0 && i % T < lengths[Math.floor(i / T)] ? 1 : 0,
      );
      const acts = model.forward(params, tokens, lengths, B, T);
      const scores = model.tokenScores(acts, lossMask, 0.7);
      const grads = new Float32Array(params.length);
      const dlogprobs = Float32Array.from(lossMask, (m) => m * rng.normal());
      const dentropy = Float32Array.from(lossMask, (m) => m * 0.1 * rng.normal());
      model.tokenScoresBackward(params, grads, acts, dlogprobs, dentropy, 0.7);
      const engine = await new CpuBackend().createModel(config, params);
      const sample = await engine.generate({
        prompts: [Int32Array.from([1, 5, 7]), Int32Array.from([1, 9])],
        maxNewTokens: 12,
        temperature: 1,
        topK: 0,
        topP: 1,
        seed: 4,
        stream: 0,
        eosId: 2,
      });
      engine.dispose();
      return {
        logits: Array.from(acts.logits),
        logprobs: Array.from(scores.logprobs),
        entropy: Array.from(scores.entropy),
        grads: Array.from(grads),
        sampled: sample.completions.map((c) => Array.from(c)),
        sampledLogprobs: sample.logprobs.flatMap((l) => Array.from(l)),
      };
    };
    setExactKernelsEnabled(true);
    const calls = { ...exactKernelCalls };
    const wasm = await run();
    for (const kernel of [
      'swigluF',
      'swigluB',
      'rmsF',
      'rmsB',
      'causalSoftmax',
      'decodeAttention',
      'exp',
    ] as const)
      expect(exactKernelCalls[kernel], `${kernel} kernel ran in the model`).toBeGreaterThan(calls[kernel]);
    setExactKernelsEnabled(false);
    const js = await run();
    for (const key of ['logits', 'logprobs', 'entropy', 'grads', 'sampledLogprobs'] as const) {
      expect(mismatches(wasm[key], js[key]), key).toEqual([]);
    }
    expect(wasm.sampled).toEqual(js.sampled);
    expect(wasm.grads.some((g) => g !== 0)).toBe(true); // the backward pass carried signal
  });
});
