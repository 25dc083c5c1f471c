// Kernel tier: shaders/attention.wgsl (online-softmax causal GQA forward, dq and dk/dv backward) and
// shaders/kvcache.wgsl, against a straight-line softmax(q kᵀ / sqrt(D)) v written here and against the
// CPU reference (cpu/ops.ts), on seeded random inputs with ragged, right-padded rows.
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../util/random';
import { type AttentionShape, attentionBackward, attentionDecodeForward, attentionForward } from '../cpu/ops';
import {
  attentionRows,
  attentionStatsElements,
  encodeAttentionBackward,
  encodeAttentionForward,
  encodeKvCacheWrite,
  usesBlockedAttention,
} from './attention';
import { type GpuTensor, KernelRunner } from './kernel';
import { expectClose as expectCloseTol } from './kernelTestKit';
import { acquireNodeGpu } from './node-gpu';

let runner: KernelRunner;
beforeAll(async () => {
  runner = new KernelRunner(await acquireNodeGpu());
});

function randomArray(rng: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** kernelTestKit.ts's comparison with this file's default tolerances, positional. */
const expectClose = (
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol = 2e-5,
  rtol = 1e-4,
) => expectCloseTol(name, got, want, { atol, rtol });

function upload(label: string, data: Float32Array | Uint32Array): GpuTensor {
  const t = runner.pool.tensor(`attention.test.${label}`, data.length);
  runner.write(t, data);
  return t;
}

/** Straight-line reference in float64: full score matrix, masked softmax, weighted sum; plus its VJP. */
function straightLine(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  dout: Float32Array,
  lengths: number[],
  { B, T, H, KVH, D }: AttentionShape,
) {
  const out = new Float64Array(B * T * H * D);
  const dq = new Float64Array(B * T * H * D);
  const dk = new Float64Array(B * T * KVH * D);
  const dv = new Float64Array(B * T * KVH * D);
  const qi = (b: number, t: number, h: number, d: number) => ((b * T + t) * H + h) * D + d;
  const ki = (b: number, t: number, h: number, d: number) =>
    ((b * T + t) * KVH + Math.floor(h / (H / KVH))) * D + d;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < lengths[b]; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qi(b, t, h, d)] * k[ki(b, s, h, d)];
          scores.push(dot / Math.sqrt(D));
        }
        const max = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - max));
        const sum = e.reduce((a, x) => a + x, 0);
        const p = e.map((x) => x / sum);
        for (let s = 0; s <= t; s++)
          for (let d = 0; d < D; d++) out[qi(b, t, h, d)] += p[s] * v[ki(b, s, h, d)];
        // dP[s] = dout·v[s]; dS = P (dP - sum_s P dP); dq += dS k / sqrt(D), dk[s] += dS q / sqrt(D).
        const dp = p.map((_, s) => {
          let acc = 0;
          for (let d = 0; d < D; d++) acc += dout[qi(b, t, h, d)] * v[ki(b, s, h, d)];
          return acc;
        });
        const rowDot = p.reduce((a, ps, s) => a + ps * dp[s], 0);
        for (let s = 0; s <= t; s++) {
          const ds = (p[s] * (dp[s] - rowDot)) / Math.sqrt(D);
          for (let d = 0; d < D; d++) {
            dv[ki(b, s, h, d)] += p[s] * dout[qi(b, t, h, d)];
            dq[qi(b, t, h, d)] += ds * k[ki(b, s, h, d)];
            dk[ki(b, s, h, d)] += ds * q[qi(b, t, h, d)];
          }
        }
      }
    }
  }
  return { out, dq, dk, dv };
}

describe('attention.wgsl', () => {
  // Ragged: T = 11 is no multiple of the workgroup, rows are full, half, one token and empty.
  const shape: AttentionShape = { B: 4, T: 11, H: 4, KVH: 2, D: 8 };
  const lengths = [11, 6, 1, 0];

  // The brief's shape, plus a longer MQA case with D = 6 (not a multiple of 4) and plain MHA. Head dims
  // that are multiples of 4 up to REG_HEAD_DIM take the register-blocked kernels (blocked: true); the
  // brief's shape runs both kinds. T is never a multiple of the 4-row blocks in the blocked cases but
  // one, and the D = 24 case has H / KVH = 3 and a row shorter than one block.
  const cases: { shape: AttentionShape; lengths: number[]; blocked: boolean }[] = [
    { shape, lengths, blocked: true },
    { shape, lengths, blocked: false },
    { shape: { B: 2, T: 70, H: 4, KVH: 1, D: 6 }, lengths: [70, 33], blocked: false },
    { shape: { B: 1, T: 5, H: 2, KVH: 2, D: 16 }, lengths: [5], blocked: true },
    { shape: { B: 1, T: 5, H: 2, KVH: 2, D: 16 }, lengths: [5], blocked: false },
    { shape: { B: 3, T: 13, H: 6, KVH: 2, D: 24 }, lengths: [13, 10, 3], blocked: true },
    { shape: { B: 2, T: 9, H: 2, KVH: 1, D: 32 }, lengths: [7, 9], blocked: true },
    { shape: { B: 2, T: 8, H: 2, KVH: 2, D: 4 }, lengths: [8, 2], blocked: true },
  ];
  it.each(cases)(
    'forward and backward match a straight-line softmax reference and the CPU engine: $shape, lengths $lengths, blocked $blocked',
    async ({ shape, lengths, blocked }) => {
      const { B, T, H, KVH, D } = shape;
      expect(usesBlockedAttention(D) || !blocked).toBe(true);
      const rng = new Random(4242 + T);
      const q = randomArray(rng, B * T * H * D);
      const k = randomArray(rng, B * T * KVH * D);
      const v = randomArray(rng, B * T * KVH * D);
      const dout = randomArray(rng, B * T * H * D);
      const dims = { R: B, Tq: T, Tk: T, H, KVH, D, blocked };
      const t = {
        q: upload('q', q),
        k: upload('k', k),
        v: upload('v', v),
        rows: upload('rows', attentionRows(lengths)),
        dout: upload('dout', dout),
        out: runner.pool.tensor('attention.test.out', B * T * H * D),
        stats: runner.pool.tensor('attention.test.stats', attentionStatsElements(dims)),
        dq: runner.pool.tensor('attention.test.dq', B * T * H * D),
        dk: runner.pool.tensor('attention.test.dk', B * T * KVH * D),
        dv: runner.pool.tensor('attention.test.dv', B * T * KVH * D),
      };
      const run = async (workgroupSize: number) => {
        const step = runner.begin('attention test');
        encodeAttentionForward(step, t, { ...dims, workgroupSize });
        encodeAttentionBackward(step, t, { ...dims, workgroupSize });
        const reads = [t.out, t.dq, t.dk, t.dv].map((x) => step.read(x));
        await step.submit();
        return Promise.all(reads);
      };
      const [out, dq, dk, dv] = await run(64);
      // The workgroup size is tuned per adapter; it must never change a single bit of the results.
      const small = await run(4);
      for (const [i, name] of ['out', 'dq', 'dk', 'dv'].entries()) {
        expectClose(`${name}: workgroup 4 vs 64`, small[i], [out, dq, dk, dv][i], 0, 0);
      }

      const ref = straightLine(q, k, v, dout, lengths, shape);
      expectClose('out vs straight line', out, ref.out);
      expectClose('dq vs straight line', dq, ref.dq);
      expectClose('dk vs straight line', dk, ref.dk);
      expectClose('dv vs straight line', dv, ref.dv);

      const lens = Int32Array.from(lengths);
      const cpuOut = new Float64Array(B * T * H * D);
      const att = new Float64Array(B * H * T * T);
      attentionForward(cpuOut, att, q, k, v, lens, shape);
      const cpu = {
        dq: new Float64Array(B * T * H * D),
        dk: new Float64Array(B * T * KVH * D),
        dv: new Float64Array(B * T * KVH * D),
      };
      attentionBackward(cpu.dq, cpu.dk, cpu.dv, dout, q, k, v, att, lens, shape);
      expectClose('out vs cpu', out, cpuOut);
      expectClose('dq vs cpu', dq, cpu.dq);
      expectClose('dk vs cpu', dk, cpu.dk);
      expectClose('dv vs cpu', dv, cpu.dv);
    },
  );

  it.each([true, false])(
    'stays finite and exact with large scores (online softmax rescaling), blocked %s',
    async (blocked) => {
      const { B, T, H, KVH, D } = shape;
      const rng = new Random(7);
      // Scores of order +-100: a naive exp would overflow f32; the running max must absorb it.
      const q = randomArray(rng, B * T * H * D, 6);
      const k = randomArray(rng, B * T * KVH * D, 6);
      const v = randomArray(rng, B * T * KVH * D);
      const dims = { R: B, Tq: T, Tk: T, H, KVH, D, blocked };
      const t = {
        q: upload('q', q),
        k: upload('k', k),
        v: upload('v', v),
        rows: upload('rows', attentionRows(lengths)),
        out: runner.pool.tensor('attention.test.out', B * T * H * D),
        stats: runner.pool.tensor('attention.test.stats', attentionStatsElements(dims)),
      };
      const step = runner.begin('attention large scores');
      encodeAttentionForward(step, t, dims);
      const read = step.read(t.out);
      await step.submit();
      const ref = straightLine(q, k, v, new Float32Array(q.length), lengths, shape);
      expectClose('out (large scores)', await read, ref.out, 1e-4, 1e-3);
    },
  );
});

describe('kvcache.wgsl + attention_forward decoding', () => {
  it.each([true, false])(
    'prefill + token-by-token decode over the cache equals the full forward rows, blocked %s',
    async (blocked) => {
      // Three sequences of different lengths in cache slots 2, 0, 1 (slots need not follow row order).
      const H = 4;
      const KVH = 2;
      const D = 8;
      const W = KVH * D;
      const lengths = [9, 5, 7];
      const prompts = [3, 2, 5];
      const slots = [2, 0, 1];
      const R = lengths.length;
      const T = 9;
      const Tmax = 13;
      const rng = new Random(99);
      const q = randomArray(rng, R * T * H * D);
      const k = randomArray(rng, R * T * W);
      const v = randomArray(rng, R * T * W);
      const shape = { B: R, T, H, KVH, D };
      const fullOut = new Float64Array(R * T * H * D);
      attentionForward(fullOut, new Float64Array(R * H * T * T), q, k, v, Int32Array.from(lengths), shape);

      const kCache = runner.pool.tensor('attention.test.kCache', 3 * Tmax * W);
      const vCache = runner.pool.tensor('attention.test.vCache', 3 * Tmax * W);
      const out = runner.pool.tensor('attention.test.decodeOut', R * T * H * D);
      const stats = runner.pool.tensor('attention.test.decodeStats', R * T * H * 2);
      // Prefill: write the prompts' k/v (padded to the longest prompt) and attend over them from the cache.
      const Tp = Math.max(...prompts);
      const sliceRows = (x: Float32Array, width: number, from: number[], count: number) => {
        const res = new Float32Array(R * count * width);
        for (let r = 0; r < R; r++) {
          for (let t = 0; t < count; t++) {
            const src = from[r] + t;
            if (src < T)
              res.set(x.subarray((r * T + src) * width, (r * T + src + 1) * width), (r * count + t) * width);
          }
        }
        return res;
      };
      const prefillRows = upload('prefillRows', attentionRows(prompts, [0, 0, 0], slots));
      let step = runner.begin('prefill');
      const zeros = new Array(R).fill(0);
      const kNew = upload('kNew', sliceRows(k, W, zeros, Tp));
      const vNew = upload('vNew', sliceRows(v, W, zeros, Tp));
      const qNew = upload('qNew', sliceRows(q, H * D, zeros, Tp));
      encodeKvCacheWrite(
        step,
        { kNew, vNew, rows: prefillRows, kCache, vCache },
        { R, Tn: Tp, Tmax, KVH, D },
      );
      const prefillOut = runner.pool.tensor('attention.test.prefillOut', R * Tp * H * D);
      const dims = { R, Tq: Tp, Tk: Tmax, H, KVH, D, blocked };
      encodeAttentionForward(
        step,
        { q: qNew, k: kCache, v: vCache, rows: prefillRows, out: prefillOut, stats },
        dims,
      );
      const prefillRead = step.read(prefillOut);
      await step.submit();
      const got = new Float32Array(R * T * H * D);
      const prefillGot = await prefillRead;
      for (let r = 0; r < R; r++) {
        for (let t = 0; t < prompts[r]; t++) {
          got.set(prefillGot.subarray((r * Tp + t) * H * D, (r * Tp + t + 1) * H * D), (r * T + t) * H * D);
        }
      }
      // Decode one position per step; rows whose sequence is complete get count 0 and are left alone.
      for (let pos = Math.min(...prompts); pos < T; pos++) {
        const positions = lengths.map((_, r) => Math.max(pos, prompts[r]));
        const counts = lengths.map((len, r) => (positions[r] === pos && pos < len ? 1 : 0));
        if (!counts.some(Boolean)) continue;
        const rows = upload('decodeRows', attentionRows(counts, positions, slots));
        step = runner.begin(`decode ${pos}`);
        encodeKvCacheWrite(
          step,
          {
            kNew: upload('kStep', sliceRows(k, W, positions, 1)),
            vNew: upload('vStep', sliceRows(v, W, positions, 1)),
            rows,
            kCache,
            vCache,
          },
          { R, Tn: 1, Tmax, KVH, D },
        );
        encodeAttentionForward(
          step,
          { q: upload('qStep', sliceRows(q, H * D, positions, 1)), k: kCache, v: vCache, rows, out, stats },
          { R, Tq: 1, Tk: Tmax, H, KVH, D, blocked },
        );
        const read = step.read(out, R * H * D);
        await step.submit();
        const stepOut = await read;
        for (let r = 0; r < R; r++) {
          if (counts[r]) got.set(stepOut.subarray(r * H * D, (r + 1) * H * D), (r * T + pos) * H * D);
        }
      }
      expectClose('cached decode vs full forward', got, fullOut);

      // The cache holds exactly the rows' k/v at their slots, and the CPU decode step agrees with the cache.
      const cacheK = await runner.read(kCache);
      const cacheV = await runner.read(vCache);
      for (let r = 0; r < R; r++) {
        const want = k.subarray(r * T * W, (r * T + lengths[r]) * W);
        expectClose(
          `k cache slot ${slots[r]}`,
          cacheK.subarray(slots[r] * Tmax * W, (slots[r] * Tmax + lengths[r]) * W),
          want,
          0,
          0,
        );
      }
      const lastQ = sliceRows(
        q,
        H * D,
        lengths.map((len) => len - 1),
        1,
      );
      const cpuDecode = new Float64Array(R * H * D);
      attentionDecodeForward(
        cpuDecode,
        lastQ,
        cacheK,
        cacheV,
        Int32Array.from(slots),
        Int32Array.from(lengths.map((len) => len - 1)),
        R,
        Tmax,
        H,
        KVH,
        D,
        new Float64Array(H * Tmax),
      );
      const lastRows = new Float32Array(R * H * D);
      for (let r = 0; r < R; r++)
        lastRows.set(got.subarray((r * T + lengths[r] - 1) * H * D, (r * T + lengths[r]) * H * D), r * H * D);
      expectClose('last decode row vs cpu attentionDecodeForward', lastRows, cpuDecode);
    },
  );
});

describe('attention_forward over a cache in chunks', () => {
  it.each([true, false])(
    'a prompt attended in two chunks (start 0, then start c) equals the full forward, blocked %s',
    async (blocked) => {
      const H = 4;
      const KVH = 2;
      const D = 8;
      const W = KVH * D;
      const T = 12;
      const lengths = [12, 9];
      const cut = [5, 7]; // first chunk lengths; the second chunk continues from there
      const R = lengths.length;
      const rng = new Random(123);
      const q = randomArray(rng, R * T * H * D);
      const k = randomArray(rng, R * T * W);
      const v = randomArray(rng, R * T * W);
      const want = new Float64Array(R * T * H * D);
      attentionForward(want, new Float64Array(R * H * T * T), q, k, v, Int32Array.from(lengths), {
        B: R,
        T,
        H,
        KVH,
        D,
      });
      // The whole k/v is written to the cache up front; causality alone keeps each chunk from the future.
      const kCache = upload('chunk.kCache', k);
      const vCache = upload('chunk.vCache', v);
      const got = new Float32Array(R * T * H * D);
      for (const chunk of [0, 1]) {
        const starts = cut.map((c) => (chunk === 0 ? 0 : c));
        const counts = lengths.map((len, r) => (chunk === 0 ? cut[r] : len - cut[r]));
        const Tq = Math.max(...counts);
        const qChunk = new Float32Array(R * Tq * H * D);
        for (let r = 0; r < R; r++) {
          const from = (r * T + starts[r]) * H * D;
          qChunk.set(q.subarray(from, from + counts[r] * H * D), r * Tq * H * D);
        }
        const dims = { R, Tq, Tk: T, H, KVH, D, blocked };
        const out = runner.pool.tensor('attention.test.chunkOut', R * Tq * H * D);
        const stats = runner.pool.tensor('attention.test.chunkStats', attentionStatsElements(dims));
        const rows = upload('chunk.rows', attentionRows(counts, starts));
        const step = runner.begin(`chunk ${chunk}`);
        encodeAttentionForward(
          step,
          { q: upload('chunk.q', qChunk), k: kCache, v: vCache, rows, out, stats },
          dims,
        );
        const read = step.read(out);
        await step.submit();
        const chunkOut = await read;
        for (let r = 0; r < R; r++) {
          const to = (r * T + starts[r]) * H * D;
          got.set(chunkOut.subarray(r * Tq * H * D, (r * Tq + counts[r]) * H * D), to);
        }
      }
      expectClose('two chunks vs full forward', got, want);
    },
  );
});
