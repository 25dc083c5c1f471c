// Kernel tier: shaders/sampling.wgsl. The WGSL counter RNG equals rng.ts bit for bit; the sampler is
// deterministic for a fixed key, picks the same tokens as the CPU reference (cpu/sampling.ts) except
// at float near-ties of the cumulative sum, matches the softmax distribution over many draws (chi-
// square), and top-k / top-p exclude exactly the ids they should.
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../util/random';
import { Sampler } from '../cpu/sampling';
import { counterHash, counterUniform } from '../rng';
import { type GpuTensor, KernelRunner } from './kernel';
import { acquireNodeGpu } from './node-gpu';
import {
  encodeCounterUniform,
  encodeSample,
  type SamplingParams,
  samplingRows,
  samplingScratchElements,
} from './sampling';

let runner: KernelRunner;
beforeAll(async () => {
  runner = new KernelRunner(await acquireNodeGpu());
});

function upload(label: string, data: Float32Array | Uint32Array): GpuTensor {
  const t = runner.pool.tensor(`sampling.test.${label}`, data.length);
  runner.write(t, data);
  return t;
}

/** Samples R rows on the GPU; row r reads logits row logitRows[r] and RNG key (sequence r, position). */
async function sampleGpu(
  logits: Float32Array,
  V: number,
  logitRows: number[],
  positions: number[],
  params: SamplingParams,
): Promise<{ tokens: Uint32Array; logprobs: Float32Array }> {
  const R = logitRows.length;
  const t = {
    logits: upload('logits', logits),
    rows: upload(
      'rows',
      samplingRows(
        logitRows,
        logitRows.map((_, r) => r),
        positions,
      ),
    ),
    weights: runner.pool.tensor('sampling.test.weights', samplingScratchElements(R, V)),
    tokens: runner.pool.tensor('sampling.test.tokens', R),
    logprobs: runner.pool.tensor('sampling.test.logprobs', R),
  };
  const step = runner.begin('sampling test');
  encodeSample(step, t, R, V, params);
  const tokens = step.readUint32(t.tokens);
  const logprobs = step.read(t.logprobs);
  await step.submit();
  return { tokens: await tokens, logprobs: await logprobs };
}

function randomLogits(rng: Random, rows: number, V: number, scale: number): Float32Array {
  return Float32Array.from({ length: rows * V }, () => rng.normal() * scale);
}

/** Softmax of one row at a temperature, float64. */
function softmax(logits: Float32Array, offset: number, V: number, temperature: number): number[] {
  const z = Array.from({ length: V }, (_, v) => logits[offset + v] / temperature);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, x) => a + x, 0);
  return e.map((x) => x / s);
}

/** Ids a straight-line top-k then top-p filter keeps (sort by probability, ties to lower id). */
function keptIds(p: number[], topK: number, topP: number): Set<number> {
  const order = p.map((_, v) => v).sort((a, b) => p[b] - p[a] || a - b);
  const survivors = topK > 0 ? order.slice(0, topK) : order;
  const mass = survivors.reduce((a, v) => a + p[v], 0);
  const kept = new Set<number>();
  let before = 0;
  for (const v of survivors) {
    if (before / mass < topP) kept.add(v);
    before += p[v];
  }
  return kept;
}

describe('sampling.wgsl counter RNG', () => {
  it('equals rng.ts counterHash / counterUniform exactly for many keys', async () => {
    const rng = new Random(2024);
    const keys: number[][] = [];
    const edges = [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    for (const a of edges) for (const b of edges) keys.push([a, b, (a ^ 0x5bd1e995) >>> 0, b]);
    for (let i = 0; i < 1000; i++) keys.push([7, 3, i % 31, i]); // the shape rollouts use: nearby counters
    while (keys.length < 4099) keys.push([rng.nextU32(), rng.nextU32(), rng.nextU32(), rng.nextU32()]);
    const N = keys.length;
    const t = {
      keys: upload('keys', Uint32Array.from(keys.flat())),
      hashes: runner.pool.tensor('sampling.test.hashes', N),
      uniforms: runner.pool.tensor('sampling.test.uniforms', N),
    };
    const step = runner.begin('counter rng');
    encodeCounterUniform(step, t, N);
    const hashes = step.readUint32(t.hashes);
    const uniforms = step.read(t.uniforms);
    await step.submit();
    const [gotHash, gotUniform] = [await hashes, await uniforms];
    const wrong: string[] = [];
    keys.forEach(([s, st, q, p], i) => {
      const h = counterHash(s, st, q, p);
      const u = counterUniform(s, st, q, p);
      if (gotHash[i] !== h || gotUniform[i] !== u) {
        wrong.push(`key (${s}, ${st}, ${q}, ${p}): wgsl ${gotHash[i]} / ${gotUniform[i]}, ts ${h} / ${u}`);
      }
    });
    expect(wrong.slice(0, 8), `${wrong.length}/${N} keys differ`).toEqual([]);
  });
});

describe('sampling.wgsl sample_forward', () => {
  // 16 invocations per row is what SwiftShader runs fastest; the CPU-agreement tests also run 64.
  const base: SamplingParams = { temperature: 1, topK: 0, topP: 1, seed: 11, stream: 2, workgroupSize: 16 };

  it('greedy takes the argmax, ties to the lowest id, log-prob 0', async () => {
    const V = 70; // more ids than invocations, so the per-invocation strided scan and the tree both matter
    for (const workgroupSize of [16, 64]) {
      const logits = new Float32Array(3 * V).fill(-1);
      logits[5] = 3;
      logits[66] = 3; // tie with 5, in another invocation's stride
      logits[V + 69] = 2; // the last id
      logits[2 * V + 64] = 0.5;
      logits[2 * V + 0] = 0.5; // tie across the first and the last workgroup lanes
      const got = await sampleGpu(logits, V, [0, 1, 2], [0, 0, 0], {
        ...base,
        temperature: 0,
        workgroupSize,
      });
      expect([...got.tokens]).toEqual([5, 69, 0]);
      expect([...got.logprobs]).toEqual([0, 0, 0]);
    }
  });

  it('is deterministic for a fixed key and changes with the key', async () => {
    const V = 37;
    const rng = new Random(3);
    const logits = randomLogits(rng, 8, V, 1);
    const rows = Array.from({ length: 64 }, (_, r) => r % 8);
    const positions = rows.map((_, r) => 100 + r);
    const a = await sampleGpu(logits, V, rows, positions, base);
    const b = await sampleGpu(logits, V, rows, positions, base);
    expect([...b.tokens]).toEqual([...a.tokens]);
    expect([...b.logprobs]).toEqual([...a.logprobs]);
    const c = await sampleGpu(logits, V, rows, positions, { ...base, seed: 12 });
    const differ = a.tokens.filter((tok, i) => tok !== c.tokens[i]).length;
    expect(differ).toBeGreaterThan(10);
  });

  const optionSets: SamplingParams[] = [
    { ...base },
    { ...base, temperature: 0.7, topK: 5 },
    { ...base, temperature: 1.3, topP: 0.8 },
    { ...base, temperature: 1, topK: 7, topP: 0.6 },
    { ...base, temperature: 0.5, topK: 1 },
    { ...base, temperature: 2, topK: 200, topP: 0.95 },
    { ...base, temperature: 0.9, topK: 3, workgroupSize: 64 },
    { ...base, temperature: 1.1, topP: 0.9, workgroupSize: 64 },
  ];
  for (const params of optionSets) {
    it(`picks the CPU reference's tokens (tau ${params.temperature}, k ${params.topK}, p ${params.topP}, workgroup ${params.workgroupSize})`, async () => {
      for (const V of [37, 150]) {
        const R = 48;
        const rng = new Random(V * 31 + params.topK);
        const logits = randomLogits(rng, R, V, 2);
        const rows = Array.from({ length: R }, (_, r) => r);
        const positions = rows.map((r) => 3 * r + 1);
        const got = await sampleGpu(logits, V, rows, positions, params);
        const sampler = new Sampler(V, params);
        const mismatches: string[] = [];
        for (let r = 0; r < R; r++) {
          const u = counterUniform(params.seed, params.stream, r, positions[r]);
          const want = sampler.sample(logits, r * V, u);
          expect(got.logprobs[r], `row ${r} logprob of token ${got.tokens[r]}`).toBeCloseTo(
            Math.log(softmax(logits, r * V, V, params.temperature)[got.tokens[r]]),
            4,
          );
          if (got.tokens[r] === want.token) continue;
          // Allowed only on a float near-tie: u sits within 1e-5 of the CDF boundary between the two.
          const p = softmax(logits, r * V, V, params.temperature);
          const kept = keptIds(p, params.topK, params.topP);
          const mass = [...kept].reduce((a, v) => a + p[v], 0);
          let cdf = 0;
          for (let v = 0; v < Math.min(got.tokens[r], want.token); v++) if (kept.has(v)) cdf += p[v] / mass;
          cdf += p[Math.min(got.tokens[r], want.token)] / mass;
          if (Math.abs(cdf - u) > 1e-5)
            mismatches.push(`V ${V} row ${r}: gpu ${got.tokens[r]}, cpu ${want.token}, u ${u}, cdf ${cdf}`);
        }
        expect(mismatches).toEqual([]);
      }
    });
  }

  it('returns bit-identical tokens and log-probs for every workgroup size', async () => {
    const V = 150;
    const R = 32;
    const logits = randomLogits(new Random(77), R, V, 2);
    const rows = Array.from({ length: R }, (_, r) => r);
    for (const params of [base, { ...base, topK: 9, topP: 0.9 }]) {
      const ref = await sampleGpu(logits, V, rows, rows, { ...params, workgroupSize: 64 });
      for (const workgroupSize of [1, 4, 16]) {
        const got = await sampleGpu(logits, V, rows, rows, { ...params, workgroupSize });
        expect([...got.tokens], `tokens, workgroup ${workgroupSize}`).toEqual([...ref.tokens]);
        expect([...got.logprobs], `logprobs, workgroup ${workgroupSize}`).toEqual([...ref.logprobs]);
      }
    }
  });

  /** Chi-square statistic of observed counts against expected probabilities (bins with p > 0). */
  function chiSquare(counts: number[], probs: number[], n: number): { stat: number; dof: number } {
    let stat = 0;
    let dof = -1;
    probs.forEach((p, v) => {
      if (p <= 0) return;
      const expected = n * p;
      stat += (counts[v] - expected) ** 2 / expected;
      dof++;
    });
    return { stat, dof };
  }
  // 99.9% quantiles of chi-square: a correct sampler fails with probability 1e-3 per check, and the
  // seeds are fixed, so the outcome is reproducible rather than flaky.
  const chiSquare999: Record<number, number> = { 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 9: 27.88 };

  it('matches the softmax distribution over many draws; top-k and top-p exclude what they should', async () => {
    const V = 10;
    const N = 2000;
    const logits = Float32Array.from([1.2, 0.3, -0.5, 2.0, 0.0, -1.5, 0.9, 1.9, -0.2, 0.4]);
    const rows = new Array(N).fill(0);
    const positions = rows.map((_, i) => i);
    const cases: { params: SamplingParams; dof: number }[] = [
      { params: { ...base, temperature: 1 }, dof: 9 },
      { params: { ...base, temperature: 0.6, seed: 5 }, dof: 9 },
      { params: { ...base, topK: 4, seed: 6 }, dof: 3 },
      { params: { ...base, topP: 0.7, seed: 7 }, dof: 3 },
      { params: { ...base, topK: 6, topP: 0.9, temperature: 1.4, seed: 8 }, dof: 4 },
    ];
    for (const { params, dof } of cases) {
      const got = await sampleGpu(logits, V, rows, positions, params);
      const p = softmax(logits, 0, V, params.temperature);
      const kept = keptIds(p, params.topK, params.topP);
      const mass = [...kept].reduce((a, v) => a + p[v], 0);
      const probs = p.map((x, v) => (kept.has(v) ? x / mass : 0));
      const counts = new Array(V).fill(0);
      for (const tok of got.tokens) counts[tok]++;
      const name = `tau ${params.temperature} k ${params.topK} p ${params.topP}`;
      for (let v = 0; v < V; v++) {
        if (!kept.has(v)) expect(counts[v], `${name}: excluded id ${v} was drawn`).toBe(0);
        else expect(counts[v], `${name}: kept id ${v} never drawn`).toBeGreaterThan(0);
      }
      const chi = chiSquare(counts, probs, N);
      expect(chi.dof, name).toBe(dof);
      expect(
        chi.stat,
        `${name}: chi-square ${chi.stat.toFixed(2)} on ${dof} dof; counts ${counts}`,
      ).toBeLessThan(chiSquare999[dof]);
    }
  });
});
