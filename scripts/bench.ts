// Benchmarks of the WebGPU engine (`npm run bench`); prints tables, asserts nothing, never fails on time.
//   1. matmul GFLOP/s at 256/512/1024: our kernels (every variant, and the one the probe picks) vs
//      tfjs-backend-webgpu `tf.matMul` on the SAME GPUDevice vs the CPU engine's matmulNT, one process;
//   2. one training step (forward + backward + AdamW) of the zoo model and a ~200K-parameter model,
//      WebGPU vs CPU engine, tokens/s;
//   3. batched decoding tokens/s, WebGPU and CPU, with the KV cache and without (full forward per token);
//      WebGPU also with 1 and 32 decode steps per submission, to show what chunked decoding saves; then
//      WebGPU decoding with 12 kernels per layer vs the fused decode layer (decode_layer.wgsl), 16 and
//      128 rows, dispatches per token counted;
//   0. the adapter's ceiling: GFLOP/s of register-only multiply-adds, the bound for every kernel;
//   4. one seed's GRPO step on the CPU engine with its exp-heavy loops in JS vs the exact WebAssembly
//      kernels (wasmExact.ts), phase by phase, checking both give the same metrics;
//   5. seed sweeps on the CPU engine: S seeds one after another vs in parallel worker threads;
//   6. one seed's GRPO step on WebGPU, rollout decoding with 12 kernels per layer vs the fused layer
//      (hardware adapters by default), phase by phase, dispatches per step counted;
//   7. GPU time per kernel of one seed's GRPO step on WebGPU (hardware adapters by default), every
//      dispatch timed (part gpuprofile);
//   8. seed sweeps on WebGPU: S seeds one after another vs all at once on one shared device vs a device
//      per seed in one thread vs a worker thread and device per seed, each with the share of its time
//      the GPU was busy and this thread spent recording GPU work;
// Environment: BENCH_SIZES=256,512 to choose matmul sizes, BENCH_PARTS=matmul,training,decoding,onnx,cpustep,sweep,gpustep,gpuprofile,gpusweep to
// choose sections, BENCH_QUICK=1 for a short smoke run, BENCH_MODELS=zoo,wide,large to choose the
// training-step models ('large', ~3M parameters at B x T = 16x128, is for real GPUs and on by default
// there: on SwiftShader one step takes minutes), BENCH_PROFILE=1 to print the GPU time per kernel of
// one step of each model (needs timestamp-query). LAB_NATIVE_GPU=1 runs on the machine's Vulkan GPU.

import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import type { AdamWConfig, EngineModel, TokenBatch } from '../src/engine/backend';
import { CpuBackend } from '../src/engine/cpu/backend';
import { CpuTransformer } from '../src/engine/cpu/model';
import { matmulNT } from '../src/engine/cpu/ops';
import { WebGpuBackend, type WebGpuModel } from '../src/engine/webgpu/backend';
import { gpuWorkTotals, KernelRunner } from '../src/engine/webgpu/kernel';
import {
  MATMUL_VARIANTS,
  type MatmulLayout,
  type MatmulVariant,
  matmulKernel,
  probeMatmul,
  variantName,
} from '../src/engine/webgpu/matmul';
import { acquireNodeGpu, nodeGpu } from '../src/engine/webgpu/node-gpu';
import { shaderSource } from '../src/engine/webgpu/shaders';
import { median } from '../src/experiment/paired';
import type { ModelConfig } from '../src/model/config';
import { initParameters } from '../src/model/layout';
import { ZOO_MODEL_CONFIG } from '../src/tasks/zoo';
import { Random } from '../src/util/random';
import { LARGE_BENCH_CONFIG } from './benchModels';

const QUICK = process.env.BENCH_QUICK === '1';
const PARTS = new Set(
  (
    process.env.BENCH_PARTS ?? 'matmul,training,decoding,onnx,cpustep,sweep,gpustep,gpuprofile,gpusweep'
  ).split(','),
);
const SIZES = (process.env.BENCH_SIZES ?? (QUICK ? '128' : '256,512,1024')).split(',').map(Number);
/** BENCH_MODELS, or the default for the adapter: 'large' only on hardware GPUs (minutes per step on SwiftShader). */
const modelsFor = (isSoftware: boolean) =>
  new Set((process.env.BENCH_MODELS ?? (isSoftware ? 'zoo,wide' : 'zoo,wide,large')).split(','));
const PROFILE = process.env.BENCH_PROFILE === '1';

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  console.log(`\n## ${title}\n`);
  cells.forEach((r, i) => {
    console.log(`| ${r.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`);
    if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  });
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** Repetitions so one measurement does about `flopBudget` FLOPs (at least 1). */
const repsFor = (n: number, flopBudget: number) => Math.max(1, Math.round(flopBudget / (2 * n * n * n)));

/** GFLOP/s of shaders/bench_peak.wgsl: register-only vec4 multiply-adds over the whole adapter. */
async function adapterPeakGflops(device: GPUDevice): Promise<number> {
  const iterations = 512;
  const workgroups = QUICK ? 256 : 1024;
  const module = device.createShaderModule({ code: shaderSource('bench_peak') });
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'peak_fma', constants: { WORKGROUP_SIZE: 64, ITERATIONS: iterations } },
  });
  const sink = device.createBuffer({ size: workgroups * 64 * 16, usage: GPUBufferUsage.STORAGE });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: sink } }],
  });
  const run = async (reps: number) => {
    const encoder = device.createCommandEncoder();
    for (let r = 0; r < reps; r++) {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
    }
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await run(1);
  // Enough repetitions for ~0.3 s on the slowest adapter measured so far (SwiftShader on 2 cores).
  let reps = 1;
  let ms = 0;
  for (;;) {
    const t0 = performance.now();
    await run(reps);
    ms = performance.now() - t0;
    if (ms > 300 || reps >= 1 << 16) break;
    reps *= 4;
  }
  const flops = reps * workgroups * 64 * iterations * 4 * 4 * 2; // 4 chains x vec4 x (mul + add)
  sink.destroy();
  return flops / (ms / 1000) / 1e9;
}

async function benchMatmul(runner: KernelRunner, chosen: MatmulVariant): Promise<void> {
  const chosenName = variantName(chosen);
  const rows: (string | number)[][] = [];
  for (const n of SIZES) {
    const reps = repsFor(n, QUICK ? 2e7 : 5e8);
    const data = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 101) / 101 - 0.5);
    const a = runner.tensor('bench.a', n * n);
    const b = runner.tensor('bench.b', n * n);
    const out = runner.tensor('bench.out', n * n);
    const noBias = runner.tensor('bench.bias', 4);
    runner.write(a, data);
    runner.write(b, data);
    const ours: Record<string, number> = {};
    // Every variant in the A·B layout (what tf.matMul computes); the probe's choice in the other two.
    const candidates: [MatmulLayout, MatmulVariant][] = [
      ...MATMUL_VARIANTS.map((v) => ['nn', v] as [MatmulLayout, MatmulVariant]),
      ['nt', chosen],
      ['tn', chosen],
    ];
    for (const [layout, v] of candidates) {
      const kernel = matmulKernel(v, layout);
      const u = { M: n, N: n, K: n, has_bias: 0, accumulate: 0 };
      // Compile and warm on a small problem (pipelines do not depend on the sizes).
      await runner.run(kernel, { a, b, bias: noBias, out }, { ...u, M: 64, N: 64, K: 64 });
      await runner.sync();
      const t0 = performance.now();
      const step = runner.begin('bench');
      for (let r = 0; r < reps; r++) step.dispatch(kernel, { a, b, bias: noBias, out }, u);
      const last = step.read(out, 1);
      await step.submit();
      await last;
      ours[`${layout}.${variantName(v)}`] = (2 * n * n * n * reps) / ((performance.now() - t0) / 1000) / 1e9;
    }
    for (const t of [a, b, out, noBias]) runner.destroyBuffer(t.buffer);

    // tfjs-backend-webgpu on the same device: chained matMuls, one readback at the end.
    const ta = tf.tensor2d(data, [n, n]);
    const tb = tf.tensor2d(data, [n, n]);
    const warm = tf.matMul(ta, tb);
    await warm.data();
    warm.dispose();
    let t0 = performance.now();
    const outs: tf.Tensor[] = [];
    for (let r = 0; r < reps; r++) outs.push(tf.matMul(ta, tb));
    await outs[outs.length - 1].data();
    const tfjs = (2 * n * n * n * reps) / ((performance.now() - t0) / 1000) / 1e9;
    tf.dispose([ta, tb, ...outs]);

    // The CPU engine's matmulNT (WebAssembly SIMD for float32, JS loops as fallback).
    const ca = data.slice();
    const cb = data.slice();
    const cout = new Float32Array(n * n);
    matmulNT(cout, ca, cb, null, n, n, n, false);
    const cpuReps = Math.max(1, Math.round(reps / 2));
    t0 = performance.now();
    for (let r = 0; r < cpuReps; r++) matmulNT(cout, ca, cb, null, n, n, n, false);
    const cpu = (2 * n * n * n * cpuReps) / ((performance.now() - t0) / 1000) / 1e9;

    const oursNn = ours[`nn.${chosenName}`];
    const oursNt = ours[`nt.${chosenName}`];
    const best = Math.max(...Object.values(ours));
    const bestName = Object.keys(ours).find((k) => ours[k] === best) ?? '';
    rows.push([
      n,
      fmt(oursNn),
      fmt(oursNt),
      fmt(ours[`tn.${chosenName}`]),
      `${fmt(best)} (${bestName})`,
      fmt(tfjs),
      fmt(cpu),
      `${fmt(oursNn / tfjs, 1)}x`,
      `${fmt(oursNn / cpu, 1)}x`,
    ]);
    console.log(
      `  n=${n}: ${Object.entries(ours)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
    );
  }
  table(
    `matmul, GFLOP/s (ours = probe choice '${chosenName}'; tf.matMul computes A·B like our nn)`,
    [
      'n',
      'ours A·B',
      'ours A·Bᵀ',
      'ours Aᵀ·B',
      'ours best',
      'tfjs-webgpu',
      'CPU engine (wasm SIMD)',
      'ours/tfjs',
      'ours/CPU',
    ],
    rows,
  );
}

function randomBatch(config: ModelConfig, B: number, T: number, seed: number): TokenBatch {
  const rng = new Random(seed);
  return {
    B,
    T,
    tokens: Int32Array.from({ length: B * T }, () => rng.int(3, config.vocab_size - 1)),
    lengths: new Int32Array(B).fill(T),
    lossMask: Float32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 0 : 1)),
  };
}

/** The optimizer settings of every timed and profiled training step. */
const BENCH_ADAMW: AdamWConfig = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  maxGradNorm: 1,
};

async function timeSteps(model: EngineModel, batch: TokenBatch, steps: number): Promise<number> {
  const once = async () => {
    model.zeroGradients();
    await model.nllStep(batch);
    await model.optimizerStep(BENCH_ADAMW);
  };
  await once(); // warm-up: pipelines, buffers, JIT
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) await once();
  return (performance.now() - t0) / steps;
}

/**
 * Model FLOPs of one training step: forward = 2 FLOPs per weight of every projection and the LM head
 * per token, plus the attention products QKᵀ and AV over all T² positions; backward = 2x forward.
 */
function trainingStepFlops(config: ModelConfig, B: number, T: number): number {
  const C = config.hidden_size;
  const H = config.num_attention_heads;
  const D = C / H;
  const KV = config.num_key_value_heads * D;
  const perLayer = C * (C + 2 * KV) + C * C + 3 * C * config.intermediate_size;
  const weights = config.num_hidden_layers * perLayer + config.vocab_size * C;
  const attention = config.num_hidden_layers * 2 * 2 * B * H * T * T * D;
  return 3 * (2 * B * T * weights + attention);
}

function countParams(config: ModelConfig): number {
  return initParameters(config, 0).length;
}

/** Models of the training-step table: [key for BENCH_MODELS, label, config, B, T]. */
function trainingModels(isSoftware: boolean): [string, string, ModelConfig, number, number][] {
  const [B, T] = QUICK ? [2, 16] : [8, 64];
  const wide: ModelConfig = { ...ZOO_MODEL_CONFIG, hidden_size: 96, intermediate_size: 258 };
  const all: [string, string, ModelConfig, number, number][] = [
    ['zoo', 'zoo model', ZOO_MODEL_CONFIG, B, T],
    ['wide', 'zoo, width 96', wide, B, T],
    ['large', 'width 256, 4 layers', LARGE_BENCH_CONFIG, QUICK ? 2 : 16, QUICK ? 16 : 128],
  ];
  const chosen = modelsFor(isSoftware);
  return all.filter(([key]) => chosen.has(key));
}

/** GPU time per kernel of one nllStep + optimizerStep, slowest first (timestamp-query only). */
async function profileStep(model: WebGpuModel, batch: TokenBatch, label: string): Promise<void> {
  const runner = model.runner;
  if (!runner.hasTimestampQuery) {
    console.log(`\n(${label}: no per-kernel profile: the adapter has no timestamp-query)`);
    return;
  }
  runner.profiling = true;
  runner.timings(true);
  model.zeroGradients();
  await model.nllStep(batch);
  await model.optimizerStep(BENCH_ADAMW);
  runner.profiling = false;
  const timings = runner.timings(true);
  const total = timings.reduce((s, t) => s + t.ms, 0);
  const dispatches = timings.reduce((s, t) => s + t.count, 0);
  table(
    `GPU time per kernel, one step of the ${label} (${dispatches} dispatches, ${fmt(total, 2)} ms of GPU time)`,
    ['kernel', 'dispatches', 'GPU ms', 'share'],
    timings.map((t) => [t.label, t.count, fmt(t.ms, 3), `${fmt((100 * t.ms) / total, 1)}%`]),
  );
}

/**
 * `peakGflops` (the adapter ceiling) turns each step's FLOPs into a floor on the WebGPU step time, so
 * the table also says the best WebGPU/CPU ratio this adapter could reach with perfect kernels.
 */
async function benchTraining(gpu: WebGpuBackend, peakGflops: number, isSoftware: boolean): Promise<void> {
  const steps = QUICK ? 1 : 3;
  const rows: (string | number)[][] = [];
  for (const [, name, config, B, T] of trainingModels(isSoftware)) {
    const params = initParameters(config, 1);
    const batch = randomBatch(config, B, T, 2);
    const g = (await gpu.createModel(config, params)) as WebGpuModel;
    const gpuMs = await timeSteps(g, batch, steps);
    if (PROFILE) await profileStep(g, batch, name);
    g.dispose();
    const c = await new CpuBackend().createModel(config, params);
    const cpuMs = await timeSteps(c, batch, steps);
    const tokens = B * T;
    const gflop = trainingStepFlops(config, B, T) / 1e9;
    rows.push([
      `${name} (${(countParams(config) / 1000).toFixed(0)}K params)`,
      `${B}x${T}`,
      fmt(gflop, 2),
      fmt(gpuMs, 0),
      fmt((tokens / gpuMs) * 1000, 0),
      fmt(gflop / (gpuMs / 1000), 1),
      fmt(cpuMs, 0),
      fmt((tokens / cpuMs) * 1000, 0),
      fmt(gflop / (cpuMs / 1000), 1),
      `${fmt(cpuMs / gpuMs, 1)}x`,
      `${fmt(cpuMs / ((gflop / peakGflops) * 1000), 1)}x`,
    ]);
  }
  table(
    'training step (nllStep forward+backward, grad clip, AdamW)',
    [
      'model',
      'B x T',
      'GFLOP/step',
      'WebGPU ms',
      'WebGPU tok/s',
      'WebGPU GFLOP/s',
      'CPU ms',
      'CPU tok/s',
      'CPU GFLOP/s',
      'WebGPU/CPU',
      'at most (ceiling)',
    ],
    rows,
  );
}

/** One full forward of R rows padded to T tokens, returning the (R, T, V) logits. */
type FullForward = (
  tokens: Int32Array,
  lengths: Int32Array,
  R: number,
  T: number,
) => ArrayLike<number> | Promise<ArrayLike<number>>;

/** Greedy decoding without a cache: one full forward of the whole prefix per new token. */
async function decodeNoCache(
  forward: FullForward,
  V: number,
  prompts: Int32Array[],
  newTokens: number,
): Promise<void> {
  const R = prompts.length;
  const seqs = prompts.map((p) => [...p]);
  for (let i = 0; i < newTokens; i++) {
    const T = Math.max(...seqs.map((s) => s.length));
    const tokens = new Int32Array(R * T);
    seqs.forEach((s, r) => {
      tokens.set(s, r * T);
    });
    const logits = await forward(
      tokens,
      Int32Array.from(seqs, (s) => s.length),
      R,
      T,
    );
    seqs.forEach((s, r) => {
      s.push(argmax(logits, (r * T + s.length - 1) * V, V));
    });
  }
}

function gpuForward(model: WebGpuModel): FullForward {
  const net = model.net;
  return async (tokens, lengths, R, T) => {
    const a = net.uploadBatch(tokens, lengths, null, R, T);
    const step = model.runner.begin('no-cache decode');
    net.forward(step, a);
    const logits = step.read(a.logits);
    await step.submit();
    return logits;
  };
}

function cpuForward(config: ModelConfig, params: Float32Array): FullForward {
  const net = new CpuTransformer(config);
  return (tokens, lengths, R, T) => net.forward(params, tokens, lengths, R, T).logits;
}

function argmax(x: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[offset + i] > x[offset + best]) best = i;
  return best;
}

/** R prompts of random ids >= 3 (no pad, bos or eos), the same for a given (R, length). */
function randomPrompts(R: number, length: number, vocab: number): Int32Array[] {
  const rng = new Random(4);
  return Array.from({ length: R }, () => Int32Array.from({ length }, () => rng.int(3, vocab - 1)));
}

/**
 * A generate request whose rows all run the full newTokens, so rates compare like with like: eos = pad
 * id 0, which the random prompts never contain and decoding a fresh model rarely emits.
 */
function decodeRequest(prompts: Int32Array[], newTokens: number, temperature: number) {
  return { prompts, maxNewTokens: newTokens, temperature, topK: 0, topP: 1, seed: 1, stream: 0, eosId: 0 };
}

async function benchDecoding(gpu: WebGpuBackend): Promise<void> {
  const config = ZOO_MODEL_CONFIG;
  const params = initParameters(config, 3);
  const [R, promptLen, newTokens] = QUICK ? [2, 8, 4] : [16, 32, 48];
  const prompts = randomPrompts(R, promptLen, config.vocab_size);
  const request = decodeRequest(prompts, newTokens, 0);
  const g = (await gpu.createModel(config, params)) as WebGpuModel;
  const c = await new CpuBackend().createModel(config, params);
  const rate = async (fn: () => Promise<unknown> | unknown) => {
    await fn(); // warm-up
    const t0 = performance.now();
    await fn();
    return (R * newTokens) / ((performance.now() - t0) / 1000);
  };
  const chunk = g.decodeChunk;
  g.decodeChunk = 1;
  const gpuCacheOneStep = await rate(() => g.generate(request));
  // Longer chunks: fewer round trips, up to chunk - 1 steps computed past the last eos (none here).
  g.decodeChunk = 32;
  const gpuCacheChunk32 = await rate(() => g.generate(request));
  g.decodeChunk = chunk;
  const gpuCache = await rate(() => g.generate(request));
  const gpuNoCache = await rate(() => decodeNoCache(gpuForward(g), config.vocab_size, prompts, newTokens));
  const cpuCache = await rate(() => c.generate(request));
  const cpuNoCache = await rate(() =>
    decodeNoCache(cpuForward(config, params), config.vocab_size, prompts, newTokens),
  );
  g.dispose();
  table(
    `decoding, zoo model, ${R} sequences, prompt ${promptLen}, ${newTokens} new tokens each (new tokens/s)`,
    [
      'engine',
      `with KV cache (WebGPU: ${chunk} steps per submission, ${g.net.fusedDecode ? 'fused' : '12 kernels per'} layer)`,
      'KV cache, 1 step per submission',
      'KV cache, 32 steps per submission',
      'without (full forward per token)',
      'cache speed-up',
    ],
    [
      [
        'WebGPU',
        fmt(gpuCache, 0),
        fmt(gpuCacheOneStep, 0),
        fmt(gpuCacheChunk32, 0),
        fmt(gpuNoCache, 0),
        `${fmt(gpuCache / gpuNoCache, 1)}x`,
      ],
      ['CPU', fmt(cpuCache, 0), '-', '-', fmt(cpuNoCache, 0), `${fmt(cpuCache / cpuNoCache, 1)}x`],
    ],
  );
}

/**
 * Before/after the fused decode layer (decode_layer.wgsl) in one process: KV-cache decoding of the zoo
 * model with 12 kernels per layer and with one, at a preset's 16 rows and a GRPO rollout's 128 (8 prompts
 * x 16), the two timed in alternating order, three times each (median), dispatches counted.
 */
async function benchDecodeLayers(gpu: WebGpuBackend): Promise<void> {
  const config = ZOO_MODEL_CONFIG;
  const params = initParameters(config, 3);
  const [promptLen, newTokens] = QUICK ? [8, 4] : [32, 48];
  const g = (await gpu.createModel(config, params)) as WebGpuModel;
  const byDefault = g.net.fusedDecode;
  const rows: (string | number)[][] = [];
  if (g.net.fusedDecodeUnfit) {
    console.log(`\n(fused decode layer: ${g.net.fusedDecodeUnfit}; no table)`);
    g.dispose();
    return;
  }
  for (const R of QUICK ? [16] : [16, 128]) {
    const request = decodeRequest(randomPrompts(R, promptLen, config.vocab_size), newTokens, 1);
    const rates = { fused: [] as number[], unfused: [] as number[] };
    const dispatches = { fused: 0, unfused: 0 };
    for (let rep = 0; rep < (QUICK ? 1 : 3); rep++) {
      for (const fused of rep % 2 === 0 ? [false, true] : [true, false]) {
        g.net.fusedDecode = fused;
        if (rep === 0) await g.generate(request); // warm-up: pipelines compile on first use
        const d0 = gpuWorkTotals.dispatches;
        const t0 = performance.now();
        await g.generate(request);
        const key = fused ? 'fused' : 'unfused';
        rates[key].push((R * newTokens) / ((performance.now() - t0) / 1000));
        dispatches[key] = (gpuWorkTotals.dispatches - d0) / newTokens;
      }
    }
    const [unfused, fused] = [median(rates.unfused), median(rates.fused)];
    rows.push([
      R,
      `${fmt(unfused, 0)} (${rates.unfused.map((r) => fmt(r, 0)).join(', ')})`,
      `${fmt(fused, 0)} (${rates.fused.map((r) => fmt(r, 0)).join(', ')})`,
      `${fmt(fused / unfused, 2)}x`,
      `${fmt(dispatches.unfused, 1)} / ${fmt(dispatches.fused, 1)}`,
    ]);
  }
  g.net.fusedDecode = byDefault;
  g.dispose();
  table(
    `decode layers, zoo model, prompt ${promptLen}, ${newTokens} new tokens (new tokens/s: median (each of ${QUICK ? 1 : 3}, alternating order)); this adapter's default: ${byDefault ? 'fused' : '12 kernels'}`,
    [
      'rows',
      '12 kernels per layer',
      'fused layer (one dispatch)',
      'fused / 12 kernels',
      'dispatches per token: 12 kernels / fused',
    ],
    rows,
  );
}

async function main(): Promise<void> {
  // tfjs-backend-webgpu looks for navigator.gpu; in Node we hand it Dawn's GPU object and our device.
  const gpuObject = await nodeGpu();
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu: gpuObject }, configurable: true });
  const ctx = await acquireNodeGpu();
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(ctx.device, ctx.adapter.info));
  await tf.setBackend('webgpu');

  const runner = new KernelRunner(ctx);
  const probe = await probeMatmul(runner);
  console.log(`# WebGPU engine benchmark`);
  console.log(`adapter: ${ctx.info.label}${ctx.info.description ? ` — ${ctx.info.description}` : ''}`);
  console.log(
    `timestamp-query: ${ctx.hasTimestampQuery}; Node ${process.version}; ${new Date().toISOString()}`,
  );
  console.log(
    `matmul probe (${probe.problem ?? '256³'}, best of 3, ms per run): ${Object.entries(probe.msPerRun)
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ')} -> ${variantName(probe.variant)}`,
  );
  const peak = await adapterPeakGflops(ctx.device);
  console.log(
    `adapter ceiling (register-only vec4 multiply-adds, shaders/bench_peak.wgsl): ${fmt(peak, 1)} GFLOP/s`,
  );
  if (PARTS.has('matmul')) await benchMatmul(runner, probe.variant);
  const gpu = await WebGpuBackend.create(ctx);
  if (PARTS.has('training')) await benchTraining(gpu, peak, ctx.info.isSoftware);
  if (PARTS.has('decoding')) {
    await benchDecoding(gpu);
    await benchDecodeLayers(gpu);
  }
  if (PARTS.has('onnx')) {
    // Forward latency of a fixed batch: our engines vs onnxruntime-web (wasm) in this process.
    const { DEFAULT_ONNX_BENCH_OPTIONS, formatOnnxBench, runOnnxBench } = await import('./bench-onnx');
    const onnx = await runOnnxBench(DEFAULT_ONNX_BENCH_OPTIONS);
    console.log(`\n${formatOnnxBench(onnx, DEFAULT_ONNX_BENCH_OPTIONS.B, DEFAULT_ONNX_BENCH_OPTIONS.T)}`);
  }
  if (PARTS.has('cpustep')) {
    const { formatCpuStepBench, runCpuStepBench } = await import('./bench-sweep');
    console.log(`\n${formatCpuStepBench(await runCpuStepBench(QUICK))}`);
  }
  if (PARTS.has('sweep')) {
    const { formatSweepBench, runSweepBench } = await import('./bench-sweep');
    console.log(`\n${formatSweepBench(await runSweepBench(QUICK))}`);
  }
  // One WebGPU GRPO step both ways: on SwiftShader a step takes 10-20 s, so only on request there.
  if (PARTS.has('gpustep') && (!ctx.info.isSoftware || process.env.BENCH_PARTS)) {
    const { formatGpuStepBench, runGpuStepBench } = await import('./bench-sweep');
    console.log(`\n${formatGpuStepBench(await runGpuStepBench(ctx, QUICK), ctx.info.label)}`);
  }
  // GPU time per kernel of one GRPO step: on SwiftShader three steps take a minute, so only on request there.
  if (PARTS.has('gpuprofile') && (!ctx.info.isSoftware || process.env.BENCH_PARTS)) {
    const { formatGpuProfileBench, runGpuProfileBench } = await import('./bench-sweep');
    console.log(`\n${formatGpuProfileBench(await runGpuProfileBench(ctx), ctx.info.label)}`);
  }
  // Seeds on one shared device: on SwiftShader a step takes minutes, so only on request there.
  if (PARTS.has('gpusweep') && (!ctx.info.isSoftware || process.env.BENCH_PARTS)) {
    const { formatGpuSweepBench, runGpuSweepBench } = await import('./bench-sweep');
    console.log(`\n${formatGpuSweepBench(await runGpuSweepBench(ctx, QUICK), ctx.info.label)}`);
  }
  console.log('\n(Numbers from one run on a shared machine; compare ratios within this run.)');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
