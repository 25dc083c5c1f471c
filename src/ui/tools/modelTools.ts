// The work behind the "Model tools" tab: load a checkpoint (a zoo model, or a run's last checkpoint from
// IndexedDB) onto our engine, verify it against ONNX Runtime, complete a MiniMath question greedily with
// both runtimes, and build the .onnx download. The tab loads this module with a dynamic import(), so
// onnxruntime-web and the engine stay out of the first page load.

import type { EngineModel } from '../../engine/backend';
import { decideBackend } from '../../engine/backendRule';
import { CpuBackend } from '../../engine/cpu/backend';
import { WebGpuBackend } from '../../engine/webgpu/backend';
import type { GpuContext } from '../../engine/webgpu/device';
import { openRunStore } from '../../experiment/persistence';
import { fetchCheckpoint } from '../../model/checkpointFetch';
import type { ModelConfig } from '../../model/config';
import type { CharTokenizer } from '../../model/tokenizer';
import {
  type BrowserVerifyReport,
  benchAgainstOrt,
  type Completion,
  completeWithOrt,
  engineLogits,
  type LatencyRow,
  onnxDownload,
  verifyWithOrt,
} from '../../onnx/ort-browser';
import { formatPrompt } from '../../tasks/format';
import type { CheckpointChoice } from './checkpointChoice';

export interface ToolModel {
  /** What the user picked, in words ("zoo: qwen-math-tiny", "run: … at step 6"). */
  label: string;
  /** A short file-name stem for downloads. */
  fileStem: string;
  config: ModelConfig;
  params: Float32Array;
  tokenizer: CharTokenizer;
  engine: EngineModel;
  /** Which of our engines holds the model (WebGPU backend description, or the CPU engine). */
  engineName: string;
}

// One WebGPU backend per page: creating it probes matmul variants and compiles every kernel, which is
// slow on a software GPU, so models share it.
let webgpuBackend: Promise<WebGpuBackend> | null = null;

async function backendFor(gpu: GpuContext | null): Promise<WebGpuBackend | CpuBackend> {
  // The lab's one rule (src/engine/chooseBackend.ts): a software adapter is slower than the CPU engine.
  if (!gpu || decideBackend('auto', gpu.info).use === 'cpu') return new CpuBackend();
  webgpuBackend ??= WebGpuBackend.create(gpu);
  try {
    return await webgpuBackend;
  } catch (error) {
    webgpuBackend = null; // a failed start is retried on the next pick, not cached
    throw error;
  }
}

/** Loads the chosen checkpoint onto our engine (WebGPU when the page has a device, else the CPU engine). */
export async function openToolModel(choice: CheckpointChoice, gpu: GpuContext | null): Promise<ToolModel> {
  const baseUrl = document.baseURI;
  let label: string;
  let fileStem: string;
  let base: Awaited<ReturnType<typeof fetchCheckpoint>>;
  let params: Float32Array;
  if (choice.kind === 'zoo') {
    base = await fetchCheckpoint(choice.family, { baseUrl });
    params = base.params;
    label = `zoo model ${choice.family}`;
    fileStem = choice.family;
  } else {
    const db = await openRunStore();
    let saved: Awaited<ReturnType<typeof db.loadCheckpoint>>;
    try {
      saved = await db.loadCheckpoint(choice.runId);
    } finally {
      db.close();
    }
    const runParams = (saved?.data as { params?: unknown } | undefined)?.params;
    if (!saved || !(runParams instanceof Float32Array))
      throw new Error(`"${choice.runName}" has no saved checkpoint yet (one is saved at the end of a run).`);
    // Runs keep only parameters; architecture and tokenizer are those of the family they started from.
    base = await fetchCheckpoint(choice.family, { baseUrl });
    if (runParams.length !== base.params.length)
      throw new Error(
        `"${choice.runName}" has ${runParams.length} parameters but ${choice.family} has ${base.params.length}`,
      );
    params = runParams;
    label = `run "${choice.runName}" at step ${saved.step}`;
    fileStem = `${choice.family}-run-step${saved.step}`;
  }
  const backend = await backendFor(gpu);
  const engine = await backend.createModel(base.config, params);
  return {
    label,
    fileStem,
    config: base.config,
    params,
    tokenizer: base.tokenizer,
    engine,
    engineName: backend.description,
  };
}

/** "Verify with ONNX Runtime": the fixed batch through ORT and through the engine holding the model. */
export function verifyToolModel(model: ToolModel): Promise<BrowserVerifyReport> {
  return verifyWithOrt({ config: model.config, params: model.params, engine: engineLogits(model.engine) });
}

export interface EngineCompletion {
  text: string;
  ms: number;
}

/** Greedy completion of a MiniMath question by our engine (prompt as formatPrompt builds it). */
export async function completeWithEngine(
  model: ToolModel,
  question: string,
  maxNewTokens: number,
): Promise<EngineCompletion> {
  const ids = model.tokenizer.encode(formatPrompt(question));
  const room = model.config.max_position_embeddings - ids.length;
  if (room <= 0)
    throw new Error(
      `the prompt has ${ids.length} tokens; this model's context is ${model.config.max_position_embeddings}`,
    );
  const start = performance.now();
  const result = await model.engine.generate({
    prompts: [Int32Array.from(ids)],
    maxNewTokens: Math.min(maxNewTokens, room),
    temperature: 0, // greedy, as the ORT side: the two must agree token for token
    topK: 0,
    topP: 1,
    seed: 0,
    stream: 0,
    eosId: model.config.eos_token_id,
  });
  return { text: model.tokenizer.decode(result.completions[0]), ms: performance.now() - start };
}

/** The same question through ONNX Runtime (session kept per checkpoint by completeWithOrt). */
export function completeWithOrtRuntime(
  model: ToolModel,
  question: string,
  maxNewTokens: number,
): Promise<Completion> {
  return completeWithOrt(model.config, model.params, formatPrompt(question), { maxNewTokens });
}

/** The .onnx file (KV-cache variant: it also does plain forward passes with zero-length pasts). */
export function onnxFile(model: ToolModel): { blob: Blob; fileName: string } {
  return { blob: onnxDownload(model.config, model.params), fileName: `${model.fileStem}.onnx` };
}

export interface BenchResult {
  family: string;
  /** Our engine's description (WebGPU adapter and matmul variant, or the CPU engine). */
  engineName: string;
  iterations: number;
  /** Our engine first (ratio 1), then ORT on each provider the browser offers. */
  rows: LatencyRow[];
}

/**
 * The benchmark page's measurement: the zoo model on our engine (WebGPU when `gpu` is given) against
 * ORT's WebGPU execution provider (same adapter) and ORT wasm, median of `iterations` warm forwards of
 * benchAgainstOrt's fixed batch.
 */
export async function benchZooModel(
  family: string,
  iterations: number,
  gpu: GpuContext | null,
): Promise<BenchResult> {
  const checkpoint = await fetchCheckpoint(family, { baseUrl: document.baseURI });
  const backend = await backendFor(gpu);
  const engine = await backend.createModel(checkpoint.config, checkpoint.params);
  try {
    const rows = await benchAgainstOrt(
      checkpoint.config,
      checkpoint.params,
      engineLogits(engine),
      iterations,
    );
    return { family, engineName: backend.description, iterations, rows };
  } finally {
    engine.dispose();
  }
}
