// Benchmark hook for issue 8: forward latency of a fixed batch through our engines and through
// onnxruntime-web's wasm backend (Node), printed as a table with ratios. Never fails on time.
//
//   npx tsx scripts/bench-onnx.ts [--iterations N] [--ort-threads N] [--no-webgpu] [--B 8] [--T 64]
//
// What is timed (median of N warm runs, after one warm-up run each):
//   cpu engine    CpuTransformer.forward: (B, T, V) logits in a Float32Array
//   webgpu engine the engine's own forward on the GPU, (B, T, V) logits read back (webgpu-logits.ts)
//   ort wasm      the exported ONNX model (graph optimisation 'all'), logits read back
// The in-browser comparison against ORT's WebGPU execution provider (same adapter as our engine) belongs
// on the lab's benchmark page: verifyWithOrt in src/onnx/ort-browser.ts reports both timings.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, EngineModel } from '../src/engine/backend';
import { CpuTransformer } from '../src/engine/cpu/model';
import type { ModelConfig } from '../src/model/config';
import { initParameters, parameterLayout } from '../src/model/layout';
import { readCheckpointDir } from '../src/model/nodeCheckpointDir';
import { exportOnnx } from '../src/onnx/export';
import { configureOrtWasm, OrtCausalLM } from '../src/onnx/ort-runner';
import { type EngineLogits, fixedVerifyBatch, medianMs } from '../src/onnx/verify';
import { ZOO_MODEL_CONFIG } from '../src/tasks/zoo';
import { LARGE_BENCH_CONFIG } from './benchModels';

export interface OnnxBenchOptions {
  iterations: number;
  ortThreads: number;
  webgpu: boolean;
  B: number;
  T: number;
}

export const DEFAULT_ONNX_BENCH_OPTIONS: OnnxBenchOptions = {
  iterations: 5,
  ortThreads: 1,
  webgpu: true,
  B: 8,
  T: 64,
};

export interface OnnxBenchRow {
  model: string;
  params: number;
  runtime: 'cpu engine' | 'webgpu engine' | 'ort wasm';
  ms: number;
  /** ms / ORT wasm ms: below 1 means faster than ORT. */
  ratioVsOrt: number;
  note?: string;
}

/** A model to time: the zoo architecture (a shipped family's weights when present) and a wider one. */
async function benchModels(): Promise<{ name: string; config: ModelConfig; params: Float32Array }[]> {
  const models: { name: string; config: ModelConfig; params: Float32Array }[] = [];
  const zooDir = join(import.meta.dirname, '..', 'public', 'models');
  const family = existsSync(zooDir)
    ? readdirSync(zooDir).find((d) => existsSync(join(zooDir, d, 'model.safetensors')))
    : undefined;
  if (family) {
    const { config, params } = await readCheckpointDir(join(zooDir, family));
    models.push({ name: `zoo ${family}`, config, params });
  } else {
    models.push({
      name: 'zoo config (random)',
      config: ZOO_MODEL_CONFIG,
      params: initParameters(ZOO_MODEL_CONFIG, 1),
    });
  }
  models.push({
    name: 'wide (C256, L4)',
    config: LARGE_BENCH_CONFIG,
    params: initParameters(LARGE_BENCH_CONFIG, 1),
  });
  return models;
}

let webgpuEngineLogits: (model: EngineModel) => EngineLogits = () => {
  throw new Error('WebGPU engine not loaded');
};

/** The WebGPU backend when its module and a device are available, else the reason it is not. */
async function webgpuBackend(): Promise<Backend | string> {
  try {
    // Non-literal specifiers: this hook must keep working while the WebGPU engine is being written.
    const nodeGpuPath = '../src/engine/webgpu/node-gpu';
    const backendPath = '../src/engine/webgpu/backend';
    const logitsPath = '../src/onnx/webgpu-logits';
    const { acquireNodeGpu } = await import(nodeGpuPath);
    const { WebGpuBackend } = await import(backendPath);
    webgpuEngineLogits = (await import(logitsPath)).webgpuEngineLogits;
    return (await WebGpuBackend.create(await acquireNodeGpu())) as Backend;
  } catch (error) {
    return `WebGPU engine unavailable: ${(error as Error).message}`;
  }
}

export async function runOnnxBench(options: OnnxBenchOptions = DEFAULT_ONNX_BENCH_OPTIONS): Promise<{
  rows: OnnxBenchRow[];
  notes: string[];
}> {
  configureOrtWasm({ numThreads: options.ortThreads });
  const rows: OnnxBenchRow[] = [];
  const notes: string[] = [];
  const gpu = options.webgpu ? await webgpuBackend() : 'WebGPU engine skipped (--no-webgpu)';
  if (typeof gpu === 'string') notes.push(gpu);
  else notes.push(`webgpu engine: ${gpu.description}`);
  notes.push(`ort wasm: onnxruntime-web (Node build), ${options.ortThreads} thread(s)`);

  for (const { name, config, params } of await benchModels()) {
    const batch = fixedVerifyBatch(config, options.B, options.T, 99);
    const numParams = parameterLayout(config).total;
    const lm = await OrtCausalLM.create(config, exportOnnx(config, params), {
      graphOptimizationLevel: 'all',
    });
    const ortMs = await medianMs(options.iterations, () =>
      lm.logits(batch.tokens, batch.lengths, batch.B, batch.T),
    );
    await lm.release();
    const cpu = new CpuTransformer(config, 'f32');
    const cpuMs = await medianMs(options.iterations, async () =>
      cpu.forward(params, batch.tokens, batch.lengths, batch.B, batch.T),
    );
    const row = (runtime: OnnxBenchRow['runtime'], ms: number, note?: string): OnnxBenchRow => ({
      model: name,
      params: numParams,
      runtime,
      ms,
      ratioVsOrt: ms / ortMs,
      note,
    });
    rows.push(row('ort wasm', ortMs), row('cpu engine', cpuMs));
    if (typeof gpu !== 'string') {
      const model = await gpu.createModel(config, params);
      const logits = webgpuEngineLogits(model);
      const gpuMs = await medianMs(options.iterations, () => logits(batch));
      model.dispose();
      rows.push(row('webgpu engine', gpuMs));
    }
  }
  return { rows, notes };
}

export function formatOnnxBench(
  result: { rows: OnnxBenchRow[]; notes: string[] },
  B: number,
  T: number,
): string {
  const header = `ONNX Runtime comparison: forward of a fixed batch B=${B}, T=${T} (ragged, right-padded), median ms`;
  const lines = [header, ''];
  lines.push(
    `${'model'.padEnd(22)} ${'params'.padStart(9)} ${'runtime'.padEnd(14)} ${'ms'.padStart(9)} ${'x ORT wasm'.padStart(11)}`,
  );
  for (const r of result.rows) {
    lines.push(
      `${r.model.padEnd(22)} ${String(r.params).padStart(9)} ${r.runtime.padEnd(14)} ${r.ms.toFixed(2).padStart(9)} ${r.ratioVsOrt.toFixed(2).padStart(11)}${r.note ? `  ${r.note}` : ''}`,
    );
  }
  lines.push('', ...result.notes.map((n) => `note: ${n}`));
  lines.push(
    'note: ORT WebGPU EP vs our WebGPU engine on the same adapter is measured in the browser (benchmark page).',
  );
  return lines.join('\n');
}

function parseArgs(argv: string[]): OnnxBenchOptions {
  const options = { ...DEFAULT_ONNX_BENCH_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--iterations') options.iterations = value();
    else if (arg === '--ort-threads') options.ortThreads = value();
    else if (arg === '--B') options.B = value();
    else if (arg === '--T') options.T = value();
    else if (arg === '--no-webgpu') options.webgpu = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArgs(process.argv.slice(2));
  const result = await runOnnxBench(options);
  console.log(formatOnnxBench(result, options.B, options.T));
  // Dawn keeps the process alive; the table is printed, so leave explicitly.
  process.exit(0);
}
