// Browser entry to the ONNX tools for the UI: export a checkpoint, verify it with onnxruntime-web on the
// WebGPU execution provider when the browser has one (wasm otherwise), and a greedy playground.
//
// Serving ORT's wasm binary under Vite: the `onnxruntime-web` import resolves (browser condition) to
// ort.bundle.min.mjs, which embeds its JS glue but fetches ort-wasm-simd-threaded.jsep.wasm at run time
// relative to its own URL — a path that Vite's dependency pre-bundling breaks in dev. Importing the
// binary with `?url` makes Vite serve it in dev and emit it as a hashed asset in the production build,
// and we hand that URL to ORT, so no vite.config.ts change is needed.
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import type { ModelConfig } from '../model/config';
import { CharTokenizer } from '../model/tokenizer';
import { exportOnnx } from './export';
import { configureOrtWasm, OrtCausalLM, OrtError, type OrtExecutionProvider, ort } from './ort-runner';
import {
  compareForwardLatency,
  type EngineLogits,
  type LatencyRow,
  type VerifyOptions,
  type VerifyReport,
  verifyAgainstOrt,
} from './verify';

export { cpuEngineLogits } from './cpu-logits';
export { engineLogits } from './engine-logits';
export { exportOnnx } from './export';
export { OrtError } from './ort-runner';
export type { EngineLogits, LatencyRow, LogitsBatch, VerifyReport } from './verify';
export { fixedVerifyBatch } from './verify';
export { webgpuEngineLogits } from './webgpu-logits';

/** 'auto': WebGPU when the browser exposes an adapter, else wasm. */
export type ProviderChoice = 'auto' | OrtExecutionProvider;

let configured = false;
function ensureConfigured(): void {
  if (configured) return;
  // Threads need cross-origin isolation (SharedArrayBuffer); ORT falls back to one thread without it,
  // so ask for what the page can actually give.
  const threads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  configureOrtWasm({ numThreads: threads, wasmPaths: { wasm: jsepWasmUrl } });
  ort.env.logLevel = 'error'; // see the session's logSeverityLevel in ort-runner.ts
  configured = true;
}

/** Resolves 'auto' by asking for a WebGPU adapter (the same test the lab's device badge uses). */
export async function resolveProvider(choice: ProviderChoice = 'auto'): Promise<OrtExecutionProvider> {
  if (choice !== 'auto') return choice;
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return 'wasm';
  try {
    return (await gpu.requestAdapter()) ? 'webgpu' : 'wasm';
  } catch {
    // requestAdapter rejecting means "no WebGPU here", which is exactly the wasm case.
    return 'wasm';
  }
}

export interface BrowserVerifyReport extends VerifyReport {
  /** Set when WebGPU was tried first ('auto') and failed: ORT's error, and the run fell back to wasm. */
  webgpuError?: string;
}

/**
 * "Verify with ONNX Runtime": exports the checkpoint (or uses `onnx`), runs the fixed batch through ORT
 * and through `engine`, and reports max |Δ logit|, top-1 agreement and both timings. With 'auto', a
 * WebGPU-EP failure is reported in `webgpuError` and the check reruns on wasm; with an explicit
 * provider the OrtError is thrown.
 */
export async function verifyWithOrt(
  options: Omit<VerifyOptions, 'executionProvider'> & { executionProvider?: ProviderChoice },
): Promise<BrowserVerifyReport> {
  ensureConfigured();
  const choice = options.executionProvider ?? 'auto';
  const provider = await resolveProvider(choice);
  const onnx = options.onnx ?? exportOnnx(options.config, options.params);
  try {
    return await verifyAgainstOrt({ ...options, onnx, executionProvider: provider });
  } catch (error) {
    if (choice !== 'auto' || provider !== 'webgpu' || !(error instanceof OrtError)) throw error;
    const report = await verifyAgainstOrt({ ...options, onnx, executionProvider: 'wasm' });
    return { ...report, webgpuError: error.message };
  }
}

export interface Completion {
  /** The generated text (specials rendered, e.g. the closing <|im_end|>). */
  text: string;
  ids: Int32Array;
  /** Characters of the prompt the tokenizer did not know (they became <unk>). */
  unknownCharacters: string[];
  executionProvider: OrtExecutionProvider;
  ms: number;
}

/**
 * A greedy playground on one checkpoint: the session is created once (with the KV-cache export) and
 * reused for every prompt. Call release() when the checkpoint changes.
 */
export class OrtPlayground {
  private constructor(
    private readonly lm: OrtCausalLM,
    private readonly tokenizer: CharTokenizer,
  ) {}

  static async create(
    config: ModelConfig,
    params: Float32Array,
    options: { executionProvider?: ProviderChoice; tokenizer?: CharTokenizer } = {},
  ): Promise<OrtPlayground> {
    ensureConfigured();
    const provider = await resolveProvider(options.executionProvider);
    const lm = await OrtCausalLM.create(config, exportOnnx(config, params, { kvCache: true }), {
      executionProvider: provider,
    });
    return new OrtPlayground(lm, options.tokenizer ?? CharTokenizer.lab());
  }

  get executionProvider(): OrtExecutionProvider {
    return this.lm.executionProvider;
  }

  /** Greedy completion of `prompt` (text as the tokenizer reads it, special-token strings included). */
  async complete(prompt: string, maxNewTokens = 64): Promise<Completion> {
    const { ids, unknown } = this.tokenizer.encodeWithReport(prompt);
    if (ids.length === 0) throw new OrtError('input', 'the prompt is empty');
    // Clamp to the model's context: the RoPE table has max_position_embeddings rows.
    const room = this.lm.config.max_position_embeddings - ids.length;
    if (room <= 0) {
      throw new OrtError(
        'input',
        `the prompt has ${ids.length} tokens; this model's context is ${this.lm.config.max_position_embeddings}`,
      );
    }
    const start = performance.now();
    const [completion] = await this.lm.greedy(
      [Int32Array.from(ids)],
      Math.min(maxNewTokens, room),
      this.lm.config.eos_token_id,
    );
    return {
      text: this.tokenizer.decode(completion),
      ids: completion,
      unknownCharacters: unknown.map((u) => u.char),
      executionProvider: this.lm.executionProvider,
      ms: performance.now() - start,
    };
  }

  release(): Promise<void> {
    return this.lm.release();
  }
}

let lastPlayground: {
  params: Float32Array;
  choice: ProviderChoice;
  playground: Promise<OrtPlayground>;
} | null = null;

/**
 * One-call playground helper: greedy completion of `prompt` by ORT. The session for the last
 * (params, provider) is kept, so repeated prompts on the same checkpoint do not re-export.
 */
export async function completeWithOrt(
  config: ModelConfig,
  params: Float32Array,
  prompt: string,
  options: { maxNewTokens?: number; executionProvider?: ProviderChoice } = {},
): Promise<Completion> {
  const choice = options.executionProvider ?? 'auto';
  if (!lastPlayground || lastPlayground.params !== params || lastPlayground.choice !== choice) {
    const previous = lastPlayground;
    lastPlayground = {
      params,
      choice,
      playground: OrtPlayground.create(config, params, { executionProvider: choice }),
    };
    previous?.playground.then((p) => p.release()).catch(() => undefined); // the old session's errors were already reported
  }
  let playground: OrtPlayground;
  try {
    playground = await lastPlayground.playground;
  } catch (error) {
    lastPlayground = null; // a session that failed to load is not kept; the caller sees why
    throw error;
  }
  return playground.complete(prompt, options.maxNewTokens);
}

/** The .onnx file for download (KV-cache variant by default: it also serves plain forward passes). */
export function onnxDownload(config: ModelConfig, params: Float32Array, kvCache = true): Blob {
  return new Blob([exportOnnx(config, params, { kvCache }) as Uint8Array<ArrayBuffer>], {
    type: 'application/octet-stream',
  });
}

/**
 * For the benchmark page: forward latency of the fixed batch (B=8, T=64) for our engine, ORT's WebGPU
 * execution provider (when the browser has WebGPU: the same adapter our engine uses) and ORT wasm,
 * each the median of `iterations` warm runs, with ratios to our engine.
 */
export async function benchAgainstOrt(
  config: ModelConfig,
  params: Float32Array,
  engine: EngineLogits,
  iterations = 5,
): Promise<LatencyRow[]> {
  ensureConfigured();
  const providers: OrtExecutionProvider[] =
    (await resolveProvider('auto')) === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
  return compareForwardLatency({ config, params, engine, providers, iterations });
}
