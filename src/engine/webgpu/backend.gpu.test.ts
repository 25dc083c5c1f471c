// Kernel tier, whole model: WebGpuBackend against CpuBackend on tiny Qwen2 configs (tied and untied,
// GQA, ragged lengths, odd intermediate size): token log-probs and entropies, every parameter
// gradient of nllStep and policyStep, a 10-step AdamW loss trajectory, optimizer state round trip,
// and KV-cache generation (greedy and seeded sampling) token for token.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../../model/config';
import { initParameters, parameterLayout } from '../../model/layout';
import type { AdamWConfig, Backend, EngineModel, PolicyLossConfig, TokenBatch } from '../backend';
import { CpuBackend } from '../cpu/backend';
import { varyNormsAndBiases } from '../selfCheck';
import { WebGpuBackend, type WebGpuModel } from './backend';
import { expectClose, mismatches, randomArray, randomInts } from './kernelTestKit';
import { acquireNodeGpu } from './node-gpu';

const TIED: ModelConfig = DEFAULT_TINY_CONFIG;
const UNTIED: ModelConfig = {
  ...DEFAULT_TINY_CONFIG,
  vocab_size: 29,
  hidden_size: 24,
  intermediate_size: 21,
  num_hidden_layers: 1,
  num_attention_heads: 6,
  num_key_value_heads: 3,
  tie_word_embeddings: false,
};

let gpu: Backend;
const cpu = new CpuBackend();
beforeAll(async () => {
  // A fixed variant skips the start-up probe (tested in matmul.gpu.test.ts). vec4 also exercises its
  // scalar fallback here: the tied config has I = 37 and the untied one V = 29.
  // fusedDecode: the fused decode layer is off by default on software adapters; on here so that a
  // model starts with it wherever it fits (the generate tests switch between the two paths).
  gpu = await WebGpuBackend.create(await acquireNodeGpu(), {
    matmul: { kind: 'vec4', wgX: 8, wgY: 8 },
    fusedDecode: true,
  });
});

/**
 * B=3 right-padded rows of lengths 12, 7, 4; loss on completions (row 0 from t=3, the rest from t=1).
 * B*T = 36 rows is a multiple of 4, so projections with widths divisible by 4 take the vec4 kernel.
 */
function makeBatch(config: ModelConfig, seed: number): TokenBatch {
  const [B, T] = [3, 12];
  const lengths = new Int32Array([12, 7, 4]);
  const tokens = randomInts(B * T, config.vocab_size, seed);
  const lossMask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (t >= lengths[b]) tokens[b * T + t] = config.pad_token_id;
      else if (t >= (b === 0 ? 3 : 1)) lossMask[b * T + t] = 1;
    }
  }
  return { B, T, tokens, lengths, lossMask };
}

/** Per-tensor comparison so a failure names the parameter whose gradient is wrong. */
function expectGradsClose(config: ModelConfig, got: Float32Array, want: Float32Array): void {
  for (const e of parameterLayout(config).entries) {
    const w = want.subarray(e.offset, e.offset + e.size);
    const scale = w.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expectClose(`grad ${e.name}`, got.subarray(e.offset, e.offset + e.size), w, {
      atol: 1e-4 * scale + 1e-7,
      rtol: 2e-3,
    });
  }
}

/** A greedy generate request (eos id 2, the tiny configs' eos). */
function greedyRequest(prompts: Int32Array[], maxNewTokens: number) {
  return { prompts, maxNewTokens, temperature: 0, topK: 0, topP: 1, seed: 1, stream: 0, eosId: 2 };
}

async function pairOf(config: ModelConfig, seed = 1, varied = false): Promise<[EngineModel, EngineModel]> {
  const params = initParameters(config, seed);
  // Larger than the 0.02 init so attention and the softmax are far from uniform.
  for (let i = 0; i < params.length; i++) params[i] *= 5;
  // Random norm weights and biases (else 5 and 0): the decode tests must see a dropped bias.
  if (varied) varyNormsAndBiases(config, params, seed, 5);
  return [await gpu.createModel(config, params), await cpu.createModel(config, params)];
}

describe.each([
  ['tied', TIED],
  ['untied', UNTIED],
] as const)('WebGpuBackend vs CpuBackend (%s embeddings)', (_name, config) => {
  it('round-trips parameters through the padded GPU layout', async () => {
    const [g] = await pairOf(config, 2);
    expect(g.numParams).toBe(parameterLayout(config).total);
    const params = randomArray(g.numParams, 3);
    await g.writeParameters(params);
    expectClose('params', await g.readParameters(), params, { atol: 0, rtol: 0 });
    await expect(g.writeParameters(params.subarray(1))).rejects.toThrow(/layout needs/);
    g.dispose();
    await expect(g.readParameters()).rejects.toThrow(/disposed/);
  });

  it.each([1, 0.7])('scores tokens like the CPU engine at temperature %s', async (temperature) => {
    const [g, c] = await pairOf(config);
    const batch = makeBatch(config, 4);
    const want = await c.scoreTokens(batch, temperature);
    const got = await g.scoreTokens(batch, temperature);
    expectClose('logprobs', got.logprobs, want.logprobs, { atol: 2e-5, rtol: 1e-4 });
    expectClose('entropy', got.entropy, want.entropy, { atol: 2e-5, rtol: 1e-4 });
    g.dispose();
  });

  it('nllStep gives the same loss and every parameter gradient (accumulated over two calls)', async () => {
    const [g, c] = await pairOf(config);
    const batch = makeBatch(config, 5);
    const other = makeBatch(config, 6);
    for (const m of [g, c]) m.zeroGradients();
    const wantLoss = await c.nllStep(batch);
    await c.nllStep(other, 0.5);
    const gotLoss = await g.nllStep(batch);
    await g.nllStep(other, 0.5);
    expect(gotLoss.tokens).toBe(wantLoss.tokens);
    expect(gotLoss.loss).toBeCloseTo(wantLoss.loss, 4);
    expectGradsClose(config, await g.readGradients(), await c.readGradients());
    g.zeroGradients();
    expect((await g.readGradients()).every((x) => x === 0)).toBe(true);
    g.dispose();
  });

  it('policyStep gives the same stats and gradients (clip, KL k3, entropy bonus)', async () => {
    const [g, c] = await pairOf(config);
    const batch = makeBatch(config, 7);
    const scored = await c.scoreTokens(batch, 0.9);
    // Old log-probs near the current ones so some ratios leave the clip range, others do not.
    const noise = randomArray(batch.B * batch.T, 8, 0, 0.4);
    const oldLogprobs = scored.logprobs.map((lp, i) => (batch.lossMask[i] ? lp + noise[i] : 0));
    const refLogprobs = scored.logprobs.map((lp, i) => (batch.lossMask[i] ? lp - noise[i] * 0.5 : 0));
    const inputs = {
      oldLogprobs,
      refLogprobs,
      advantages: new Float32Array([1.2, -0.7, 0.3]),
      miniBatchSequences: 6,
      miniBatchTokens: 36,
    };
    const loss: PolicyLossConfig = {
      clipMode: 'clip',
      epsLow: 0.2,
      epsHigh: 0.2,
      dualClip: 3,
      logRatioClamp: 20,
      klCoef: 0.05,
      klEstimator: 'k3',
      entropyCoef: 0.01,
      aggregation: 'seq-mean-token-mean',
      maxLengthNorm: 16,
    };
    for (const m of [g, c]) m.zeroGradients();
    const want = await c.policyStep(batch, inputs, loss, 0.9);
    const got = await g.policyStep(batch, inputs, loss, 0.9);
    expect(want.clippedLow + want.clippedHigh).toBeGreaterThan(0);
    const { newLogprobs: wantLogprobs, ...wantStats } = want;
    const { newLogprobs: gotLogprobs, ...gotStats } = got;
    for (const key of Object.keys(wantStats) as (keyof typeof wantStats)[]) {
      expect(gotStats[key], key).toBeCloseTo(wantStats[key], 4);
    }
    // The per-token log-probs the loss used (the trainer's instruments read them): the CPU engine's,
    // and what scoreTokens gives at the same temperature, 0 outside the mask.
    expect(gotLogprobs).toHaveLength(batch.B * batch.T);
    const scoredAt = await c.scoreTokens(batch, 0.9);
    for (let i = 0; i < gotLogprobs.length; i++) {
      expect(gotLogprobs[i], `token ${i}`).toBeCloseTo(wantLogprobs[i], 4);
      expect(wantLogprobs[i], `token ${i}`).toBeCloseTo(scoredAt.logprobs[i], 5);
      if (!batch.lossMask[i]) expect(gotLogprobs[i]).toBe(0);
    }
    expectGradsClose(config, await g.readGradients(), await c.readGradients());
    g.dispose();
  });
});

describe('training trajectory', () => {
  it('10 AdamW nllSteps follow the CPU loss curve; optimizer state round-trips', async () => {
    const config = TIED;
    const [g, c] = await pairOf(config, 9);
    const batch = makeBatch(config, 10);
    const adam: AdamWConfig = {
      lr: 3e-3,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0.1,
      maxGradNorm: 1,
    };
    const losses: [number, number][] = [];
    const norms: [number, number][] = [];
    for (let s = 0; s < 10; s++) {
      const pairStep = [] as number[][];
      for (const m of [g, c]) {
        m.zeroGradients();
        const { loss } = await m.nllStep(batch);
        const { gradNorm } = await m.optimizerStep(adam);
        pairStep.push([loss, gradNorm]);
      }
      losses.push([pairStep[0][0], pairStep[1][0]]);
      norms.push([pairStep[0][1], pairStep[1][1]]);
    }
    expect(losses[9][1]).toBeLessThan(losses[0][1] - 0.05); // it actually trains
    expectClose(
      'loss trajectory',
      losses.map((l) => l[0]),
      losses.map((l) => l[1]),
      { atol: 1e-4, rtol: 1e-3 },
    );
    expectClose(
      'grad norms',
      norms.map((n) => n[0]),
      norms.map((n) => n[1]),
      { atol: 1e-5, rtol: 2e-3 },
    );
    // Adam divides by sqrt(v): a parameter whose gradient is ~0 moves by up to lr per step on the
    // sign of float rounding noise, so a handful may differ by O(lr); the bulk must agree tightly.
    const gotParams = await g.readParameters();
    const wantParams = await c.readParameters();
    expectClose('params after 10 steps (all, O(lr))', gotParams, wantParams, { atol: adam.lr, rtol: 0 });
    const loose = mismatches(gotParams, wantParams, { atol: 1e-4, rtol: 1e-3 }, Infinity);
    expect(loose.length, loose.slice(0, 5).join('\n')).toBeLessThan(wantParams.length / 1000);
    const state = await c.readOptimizerState();
    expect((await g.readOptimizerState()).step).toBe(10);
    await g.writeOptimizerState({ ...state, step: 3 });
    const back = await g.readOptimizerState();
    expect(back.step).toBe(3);
    expectClose('m', back.m, state.m, { atol: 0, rtol: 0 });
    g.dispose();
  });
});

it('a fused decode layer the adapter fails to compile falls back to the 12 kernels, keeping the reason', async () => {
  const runner = (gpu as WebGpuBackend).runner;
  const prepare = runner.prepare;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  runner.prepare = async () => {
    throw new Error('kernel decode_layer failed to compile: (refused by this test)');
  };
  try {
    const [g, c] = await pairOf(TIED, 16, true);
    const net = (g as WebGpuModel).net;
    expect(net.fusedDecode).toBe(false);
    expect(net.fusedDecodeUnfit).toMatch(/refused by this test/);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/12 kernels per layer: .*refused by this test/));
    const request = greedyRequest([new Int32Array([1, 5, 9]), new Int32Array([1, 7])], 6);
    expect((await g.generate(request)).completions.map((x) => [...x])).toEqual(
      (await c.generate(request)).completions.map((x) => [...x]),
    );
    g.dispose();
  } finally {
    runner.prepare = prepare;
    warn.mockRestore();
  }
});

it("the rollout sampler's workgroup size, set per adapter, never changes a token or a log-prob bit", async () => {
  const ctx = await acquireNodeGpu();
  const net = (g: EngineModel) => (g as WebGpuModel).net;
  const [g] = await pairOf(TIED, 17, true);
  // This suite's backend takes the default: 4 invocations per row on a software adapter, 64 on hardware.
  expect(net(g).samplerWorkgroupSize).toBe(ctx.info.isSoftware ? 4 : 64);
  const request = {
    prompts: [new Int32Array([1, 5, 9, 12]), new Int32Array([1, 7]), new Int32Array([1, 3, 3, 8])],
    maxNewTokens: 10,
    temperature: 1,
    topK: 0,
    topP: 1,
    seed: 5,
    stream: 2,
    eosId: 2,
  };
  const runs = [];
  // Which sampler each generate really dispatches: the pipelines it asks the runner for.
  const pipeline = vi.spyOn((gpu as WebGpuBackend).runner, 'pipeline');
  for (const size of [1, 4, 64]) {
    net(g).samplerWorkgroupSize = size;
    pipeline.mockClear();
    for (const topP of [1, 0.9]) runs.push({ size, topP, out: await g.generate({ ...request, topP }) });
    const samplers = pipeline.mock.calls.map(([k]) => k).filter((k) => k.entryPoint === 'sample_forward');
    expect(samplers.length).toBeGreaterThan(0);
    expect(new Set(samplers.map((k) => k.constants?.WORKGROUP_SIZE))).toEqual(new Set([size]));
  }
  pipeline.mockRestore();
  for (const run of runs) {
    const ref = runs.find((r) => r.size === 64 && r.topP === run.topP)?.out;
    const label = `size ${run.size}, top-p ${run.topP}`;
    expect(
      run.out.completions.map((x) => [...x]),
      label,
    ).toEqual(ref?.completions.map((x) => [...x]));
    expect(
      run.out.logprobs.map((x) => [...x]),
      label,
    ).toEqual(ref?.logprobs.map((x) => [...x]));
  }
  g.dispose();
  await expect(
    WebGpuBackend.create(ctx, { matmul: { kind: 'vec4', wgX: 8, wgY: 8 }, samplerWorkgroupSize: 48 }),
  ).rejects.toThrow(/workgroup size 48 must be a power of two/);
});

// Every generate test runs both decode paths: the fused layer kernel (decode_layer.wgsl, the default
// where it fits) and the 12 kernels per layer it replaces; and the untied config (6 heads over 3 KV
// heads, D 4, one layer) beside the tied one.
describe.each([
  ['fused decode layer', TIED, true],
  ['unfused decode layer', TIED, false],
  ['fused decode layer, untied', UNTIED, true],
] as const)('generate (%s)', (_name, config, fused) => {
  // Six rows: the fused kernel's second workgroup of four holds two real rows and two missing ones.
  const prompts = [
    new Int32Array([1, 5, 9, 12]),
    new Int32Array([1, 7]),
    new Int32Array([1, 3, 3, 8, 20, 4]),
    new Int32Array([1, 11]),
    new Int32Array([1, 4, 6, 13, 2]),
    new Int32Array([1, 9, 9]),
  ];
  const pair = async (seed: number) => {
    const [g, c] = await pairOf(config, seed, true);
    const net = (g as WebGpuModel).net;
    expect(net.fusedDecode, 'the fused layer fits this config').toBe(true);
    net.fusedDecode = fused;
    return [g, c] as const;
  };

  it('greedy KV-cache decoding produces the CPU engine tokens', async () => {
    const [g, c] = await pair(11);
    const request = greedyRequest(prompts, 8);
    const want = await c.generate(request);
    const got = await g.generate(request);
    expect(got.completions.map((x) => [...x])).toEqual(want.completions.map((x) => [...x]));
    expect(got.truncated).toEqual(want.truncated);
    // Make row 0's third greedy token the eos id: that row must stop there, the others may run on.
    const eosId = want.completions[0][2];
    const stopAt = want.completions[0].indexOf(eosId) + 1;
    const wantEos = await c.generate({ ...request, eosId });
    const gotEos = await g.generate({ ...request, eosId });
    expect(gotEos.completions[0].length).toBe(stopAt);
    expect(gotEos.truncated[0]).toBe(false);
    expect(gotEos.completions.map((x) => [...x])).toEqual(wantEos.completions.map((x) => [...x]));
    expect(gotEos.truncated).toEqual(wantEos.truncated);
    g.dispose();
  });

  it('seeded sampling matches the CPU engine, with log-probs, and stops at eos', async () => {
    const [g, c] = await pair(12);
    const request = {
      prompts,
      maxNewTokens: 12,
      temperature: 1,
      topK: 20,
      topP: 0.95,
      seed: 42,
      stream: 3,
      eosId: 2,
    };
    const want = await c.generate(request);
    const got = await g.generate(request);
    expect(got.completions.map((x) => [...x])).toEqual(want.completions.map((x) => [...x]));
    got.logprobs.forEach((lp, r) => {
      expectClose(`logprobs ${r}`, lp, want.logprobs[r], { atol: 1e-4, rtol: 1e-3 });
    });
    expect(got.truncated).toEqual(want.truncated);
    const again = await g.generate(request);
    expect(again.completions.map((x) => [...x])).toEqual(got.completions.map((x) => [...x]));
    g.dispose();
  });

  it('every decode chunk size (steps per submission) gives the CPU engine tokens, stopping mid-chunk', async () => {
    const [g, c] = await pair(14);
    const request = {
      prompts,
      maxNewTokens: 11,
      temperature: 0.9,
      topK: 0,
      topP: 1,
      seed: 7,
      stream: 1,
      eosId: 0,
    };
    const free = await c.generate(request);
    // Row 1's fifth token becomes the eos: it finishes inside a chunk of 3 or 8 while the others go on.
    const eosId = free.completions[1][4];
    for (const req of [request, { ...request, eosId }]) {
      const want = await c.generate(req);
      for (const chunk of [1, 3, 8, 32]) {
        (g as WebGpuModel).decodeChunk = chunk;
        const got = await g.generate(req);
        const label = `decodeChunk ${chunk}, eos ${req.eosId}`;
        expect(
          got.completions.map((x) => [...x]),
          label,
        ).toEqual(want.completions.map((x) => [...x]));
        expect(got.truncated, label).toEqual(want.truncated);
        got.logprobs.forEach((lp, r) => {
          expectClose(`${label} logprobs ${r}`, lp, want.logprobs[r], { atol: 1e-4, rtol: 1e-3 });
        });
      }
    }
    (g as WebGpuModel).decodeChunk = 0;
    await expect(g.generate(request)).rejects.toThrow(/decodeChunk/);
    g.dispose();
  });

  it('a model the fused layer does not fit decodes with the 12 kernels, and refuses to be forced', async () => {
    // Head dim 24 / 4 = 6: the fused layer needs multiples of 4.
    const odd = { ...TIED, hidden_size: 24 };
    const [g, c] = await pairOf(odd, 15);
    const net = (g as WebGpuModel).net;
    expect(net.fusedDecodeUnfit).toMatch(/head dim 6/);
    expect(net.fusedDecode).toBe(false);
    const request = greedyRequest(prompts, 6);
    const want = await c.generate(request);
    expect((await g.generate(request)).completions.map((x) => [...x])).toEqual(
      want.completions.map((x) => [...x]),
    );
    net.fusedDecode = true;
    await expect(g.generate(request)).rejects.toThrow(/fused decode layer: head dim 6/);
    g.dispose();
  });

  it('rejects prompts that do not fit the positions', async () => {
    const [g] = await pair(13);
    const request = {
      prompts: [new Int32Array(60).fill(3)],
      maxNewTokens: 10,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 0,
      stream: 0,
      eosId: 2,
    };
    await expect(g.generate(request)).rejects.toThrow(/max_position_embeddings/);
    g.dispose();
  });
});
