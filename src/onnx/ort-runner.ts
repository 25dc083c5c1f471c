// Running an exported model with onnxruntime-web, the same code in Node (tests, benchmarks: the package's
// `node` export, wasm backend) and in the browser (WebGPU execution provider or wasm; see
// ort-browser.ts for serving the wasm binary). Every ORT failure is rethrown as an OrtError whose
// message says what we were doing and carries ORT's own message and the original error as `cause`.
import * as ort from 'onnxruntime-web';
import type { ModelConfig } from '../model/config';

export type OrtExecutionProvider = 'wasm' | 'webgpu';
export type OrtOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export class OrtError extends Error {
  constructor(
    readonly stage: 'session' | 'run' | 'input',
    what: string,
    cause?: unknown,
  ) {
    const detail = cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : String(cause)}`;
    // Input problems are ours, found before ORT ran; the others quote ORT.
    super(
      stage === 'input' ? what : `ONNX Runtime ${what}${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'OrtError';
  }
}

/** The onnxruntime-web module in use (the `node` build in Node, the bundled build in a browser). */
export { ort };

/**
 * Single-threaded wasm by default: multi-threading needs SharedArrayBuffer (cross-origin isolation in
 * browsers) and, in Node tests, only competes with other test files for the same cores.
 */
export function configureOrtWasm(
  options: { numThreads?: number; wasmPaths?: ort.Env.WasmPrefixOrFilePaths } = {},
) {
  ort.env.wasm.numThreads = options.numThreads ?? 1;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
}

export interface OrtSessionOptions {
  executionProvider?: OrtExecutionProvider;
  /** 'all' (default) also proves the file survives ORT's graph rewrites (constant folding, fusions). */
  graphOptimizationLevel?: OrtOptimizationLevel;
}

/**
 * A causal LM session over an exported Qwen2 graph: logits of a right-padded batch, and greedy decoding
 * (with the KV cache when the file has one, else by re-running the whole prefix each step).
 */
export class OrtCausalLM {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly config: ModelConfig,
    readonly executionProvider: OrtExecutionProvider,
    readonly hasKvCache: boolean,
  ) {}

  static async create(
    config: ModelConfig,
    onnx: Uint8Array,
    options: OrtSessionOptions = {},
  ): Promise<OrtCausalLM> {
    const executionProvider = options.executionProvider ?? 'wasm';
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnx, {
        executionProviders: [executionProvider],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        // Errors only: ORT warns on every WebGPU session that shape ops stay on the CPU (by design).
        // Failures still reach the caller as OrtError with ORT's message.
        logSeverityLevel: 3,
      });
    } catch (error) {
      throw new OrtError('session', `could not load the model (${executionProvider})`, error);
    }
    const hasKvCache = session.inputNames.includes('past_key_values.0.key');
    for (const name of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(name)) {
        await session.release();
        throw new OrtError(
          'input',
          `model has no '${name}' input (inputs: ${session.inputNames.join(', ')})`,
        );
      }
    }
    return new OrtCausalLM(session, config, executionProvider, hasKvCache);
  }

  private async run(
    feeds: Record<string, ort.Tensor>,
    what: string,
  ): Promise<ort.InferenceSession.ReturnType> {
    try {
      return await this.session.run(feeds);
    } catch (error) {
      throw new OrtError('run', `failed to run ${what}`, error);
    }
  }

  /** Zero-length past for every layer, so the cached graph can also do a plain forward. */
  private emptyPast(B: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    if (!this.hasKvCache) return feeds;
    const D = this.config.hidden_size / this.config.num_attention_heads;
    const KVH = this.config.num_key_value_heads;
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
          B,
          KVH,
          0,
          D,
        ]);
      }
    }
    return feeds;
  }

  /**
   * Logits (B, T, V) of a right-padded batch: tokens (B, T), lengths (B). Positions >= lengths[b] are
   * masked as keys; their own logits are whatever the graph computes and should be ignored.
   */
  async logits(tokens: Int32Array, lengths: Int32Array, B: number, T: number): Promise<Float32Array> {
    if (tokens.length !== B * T)
      throw new OrtError('input', `tokens has ${tokens.length} ids, expected B*T = ${B * T}`);
    const ids = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      if (!(lengths[b] >= 0 && lengths[b] <= T))
        throw new OrtError('input', `lengths[${b}] = ${lengths[b]} not in [0, ${T}]`);
      for (let t = 0; t < T; t++) {
        ids[b * T + t] = BigInt(tokens[b * T + t]);
        mask[b * T + t] = t < lengths[b] ? 1n : 0n;
      }
    }
    const out = await this.run(
      {
        input_ids: new ort.Tensor('int64', ids, [B, T]),
        attention_mask: new ort.Tensor('int64', mask, [B, T]),
        ...this.emptyPast(B),
      },
      'a forward pass',
    );
    return (await out.logits.getData()) as Float32Array;
  }

  /**
   * Greedy completion of each prompt (argmax, ties to the lowest id, as the engines' temperature 0),
   * stopping after eosId (kept) or maxNewTokens. Prompts run one at a time: no padding to reason about.
   */
  async greedy(prompts: Int32Array[], maxNewTokens: number, eosId: number): Promise<Int32Array[]> {
    const completions: Int32Array[] = [];
    for (const prompt of prompts) {
      if (prompt.length === 0) throw new OrtError('input', 'greedy decoding needs a non-empty prompt');
      if (prompt.length + maxNewTokens > this.config.max_position_embeddings) {
        throw new OrtError(
          'input',
          `prompt (${prompt.length}) + maxNewTokens (${maxNewTokens}) exceeds max_position_embeddings (${this.config.max_position_embeddings})`,
        );
      }
      completions.push(
        this.hasKvCache
          ? await this.greedyCached(prompt, maxNewTokens, eosId)
          : await this.greedyFull(prompt, maxNewTokens, eosId),
      );
    }
    return completions;
  }

  private async greedyFull(prompt: Int32Array, maxNewTokens: number, eosId: number): Promise<Int32Array> {
    const V = this.config.vocab_size;
    const sequence = Array.from(prompt);
    const generated: number[] = [];
    for (let step = 0; step < maxNewTokens; step++) {
      const T = sequence.length;
      const logits = await this.logits(Int32Array.from(sequence), Int32Array.of(T), 1, T);
      const next = argmax(logits, (T - 1) * V, V);
      generated.push(next);
      sequence.push(next);
      if (next === eosId) break;
    }
    return Int32Array.from(generated);
  }

  private async greedyCached(prompt: Int32Array, maxNewTokens: number, eosId: number): Promise<Int32Array> {
    const V = this.config.vocab_size;
    const L = this.config.num_hidden_layers;
    const generated: number[] = [];
    let past = this.emptyPast(1);
    let input = Array.from(prompt);
    let total = 0;
    for (let step = 0; step < maxNewTokens; step++) {
      total += input.length;
      const out = await this.run(
        {
          input_ids: new ort.Tensor(
            'int64',
            BigInt64Array.from(input, (v) => BigInt(v)),
            [1, input.length],
          ),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
          ...past,
        },
        `decoding step ${step}`,
      );
      const logits = (await out.logits.getData()) as Float32Array;
      const next = argmax(logits, (input.length - 1) * V, V);
      generated.push(next);
      if (next === eosId) break;
      past = {};
      for (let l = 0; l < L; l++) {
        past[`past_key_values.${l}.key`] = out[`present.${l}.key`];
        past[`past_key_values.${l}.value`] = out[`present.${l}.value`];
      }
      input = [next];
    }
    return Int32Array.from(generated);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Index of the largest of values[offset .. offset+n), the lowest index on ties. */
export function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}
