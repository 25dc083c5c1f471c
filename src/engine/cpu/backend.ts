// The CPU Backend: the reference engine behind the Backend interface of src/engine/backend.ts. Holds
// parameters, gradients and AdamW moments as flat Float32Arrays in the src/model/layout.ts order, and
// runs everything on the readable ops of ./ops.ts through ./model.ts. Single-threaded JavaScript.

import type { ModelConfig } from '../../model/config';
import type {
  AdamWConfig,
  Backend,
  EngineModel,
  GenerateRequest,
  GenerateResult,
  PolicyLossConfig,
  PolicyLossInputs,
  PolicyStepResult,
  TokenBatch,
} from '../backend';
import { checkGenerateRequest, checkTokenBatch } from '../validate';
import { adamwStep } from './adamw';
import { CpuTransformer } from './model';
import { policyLoss } from './policyLoss';
import { Sampler } from './sampling';
import { prepareExactKernels } from './wasmExact';

/** Prompts are prefilled this many at a time, bounding the (B, H, T, T) attention activations. */
const PREFILL_CHUNK = 32;

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description = 'CPU reference engine (JavaScript, single thread)';

  async createModel(config: ModelConfig, params: Float32Array): Promise<EngineModel> {
    await prepareExactKernels(); // compiled asynchronously: a page's main thread refuses large sync compiles
    return new CpuEngineModel(config, params);
  }

  /** Nothing beyond the models' arrays, which the garbage collector frees. */
  dispose(): void {}
}

export class CpuEngineModel implements EngineModel {
  readonly config: ModelConfig;
  readonly numParams: number;
  private readonly transformer: CpuTransformer;
  private params: Float32Array;
  private grads: Float32Array;
  private m: Float32Array;
  private v: Float32Array;
  private step = 0;
  private disposed = false;

  constructor(config: ModelConfig, params: Float32Array) {
    this.transformer = new CpuTransformer(config, 'f32');
    this.config = config;
    this.numParams = this.transformer.layout.total;
    this.checkLength('parameters', params.length);
    this.params = Float32Array.from(params);
    this.grads = new Float32Array(this.numParams);
    this.m = new Float32Array(this.numParams);
    this.v = new Float32Array(this.numParams);
  }

  private checkLength(what: string, length: number): void {
    if (length !== this.numParams) {
      throw new RangeError(`${what} has ${length} values, the model has ${this.numParams} parameters`);
    }
  }

  private alive(): void {
    if (this.disposed) throw new Error('this CPU model was disposed');
  }

  async readParameters(): Promise<Float32Array> {
    this.alive();
    return this.params.slice();
  }

  async writeParameters(params: Float32Array): Promise<void> {
    this.alive();
    this.checkLength('parameters', params.length);
    this.params.set(params);
  }

  async readGradients(): Promise<Float32Array> {
    this.alive();
    return this.grads.slice();
  }

  async scoreTokens(
    batch: TokenBatch,
    temperature: number,
  ): Promise<{ logprobs: Float32Array; entropy: Float32Array }> {
    this.alive();
    checkTokenBatch(batch);
    const acts = this.transformer.forward(this.params, batch.tokens, batch.lengths, batch.B, batch.T);
    const scores = this.transformer.tokenScores(acts, batch.lossMask, temperature);
    return { logprobs: Float32Array.from(scores.logprobs), entropy: Float32Array.from(scores.entropy) };
  }

  /**
   * Mean next-token NLL over masked tokens (lossMask values act as token weights); the gradient of
   * weight * meanNLL accumulates into the gradients. A batch with no masked token returns loss 0.
   */
  async nllStep(batch: TokenBatch, weight = 1): Promise<{ loss: number; tokens: number }> {
    this.alive();
    checkTokenBatch(batch);
    if (!Number.isFinite(weight)) throw new RangeError(`nllStep weight must be finite (got ${weight})`);
    let tokens = 0;
    for (let i = 0; i < batch.lossMask.length; i++) tokens += batch.lossMask[i];
    if (tokens === 0) return { loss: 0, tokens: 0 };
    const acts = this.transformer.forward(this.params, batch.tokens, batch.lengths, batch.B, batch.T);
    const { logprobs } = this.transformer.tokenScores(acts, batch.lossMask, 1);
    let nll = 0;
    const dlogprobs = new Float32Array(logprobs.length);
    for (let i = 0; i < logprobs.length; i++) {
      const mask = batch.lossMask[i];
      if (mask === 0) continue;
      nll -= mask * logprobs[i];
      dlogprobs[i] = (-weight * mask) / tokens;
    }
    this.transformer.tokenScoresBackward(this.params, this.grads, acts, dlogprobs, null, 1);
    return { loss: nll / tokens, tokens };
  }

  async policyStep(
    batch: TokenBatch,
    inputs: PolicyLossInputs,
    config: PolicyLossConfig,
    temperature: number,
  ): Promise<PolicyStepResult> {
    this.alive();
    checkTokenBatch(batch);
    const acts = this.transformer.forward(this.params, batch.tokens, batch.lengths, batch.B, batch.T);
    const scores = this.transformer.tokenScores(acts, batch.lossMask, temperature);
    const result = policyLoss(
      scores.logprobs,
      scores.entropy,
      batch.lossMask,
      inputs,
      config,
      batch.B,
      batch.T,
    );
    const dEntropy = config.entropyCoef !== 0 ? result.dEntropy : null;
    this.transformer.tokenScoresBackward(
      this.params,
      this.grads,
      acts,
      result.dNewLogprobs,
      dEntropy,
      temperature,
    );
    return { ...result.stats, newLogprobs: Float32Array.from(scores.logprobs) };
  }

  zeroGradients(): void {
    this.alive();
    this.grads.fill(0);
  }

  /** Non-finite gradients leave parameters, moments and the step count unchanged (see adamwStep). */
  async optimizerStep(config: AdamWConfig): Promise<{ gradNorm: number }> {
    this.alive();
    const result = adamwStep(this.params, this.grads, this.m, this.v, this.step + 1, config);
    if (Number.isFinite(result.gradNorm)) this.step++;
    return result;
  }

  /**
   * Batched sampling with a KV cache. Prompts are prefilled (in chunks), then every unfinished
   * sequence advances one token per decode step. The token placed at absolute position p of sequence s
   * (prompt tokens occupy 0..promptLength-1) is drawn with counterUniform(seed, stream, s, p).
   */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.alive();
    checkGenerateRequest(request, this.config);
    const { prompts, maxNewTokens, eosId } = request;
    const V = this.config.vocab_size;
    const sampler = new Sampler(V, request);
    const B = prompts.length;
    const promptLengths = prompts.map((p) => p.length);
    const completions: number[][] = prompts.map(() => []);
    const logprobs: number[][] = prompts.map(() => []);
    const truncated = prompts.map(() => maxNewTokens > 0);
    if (B === 0 || maxNewTokens === 0) return pack(completions, logprobs, truncated);

    const maxPrompt = Math.max(...promptLengths);
    const cache = this.transformer.createKvCache(B, maxPrompt + maxNewTokens - 1);
    // The cache is released however decoding ends: a float32 cache holds the decode kernel's memory.
    try {
      // (B, V) next-token logits of every sequence, refreshed row by row as sequences advance.
      const logits = new Float32Array(B * V);
      for (let start = 0; start < B; start += PREFILL_CHUNK) {
        const chunk = prompts.slice(start, start + PREFILL_CHUNK);
        const T = Math.max(...chunk.map((p) => p.length));
        const tokens = new Int32Array(chunk.length * T).fill(this.config.pad_token_id);
        chunk.forEach((p, i) => {
          tokens.set(p, i * T);
        });
        const lengths = Int32Array.from(chunk, (p) => p.length);
        logits.set(
          this.transformer.prefill(this.params, cache, tokens, lengths, chunk.length, T, start),
          start * V,
        );
      }

      let active = Array.from({ length: B }, (_, b) => b);
      for (let step = 0; step < maxNewTokens && active.length > 0; step++) {
        const next: number[] = [];
        for (const b of active) {
          const position = promptLengths[b] + step;
          const { token, logprob } = sampler.sampleAt(
            logits,
            b * V,
            request.seed,
            request.stream,
            b,
            position,
          );
          completions[b].push(token);
          logprobs[b].push(logprob);
          if (token === eosId) truncated[b] = false;
          else if (step + 1 < maxNewTokens) next.push(b);
        }
        active = next;
        if (active.length === 0) break;
        const R = active.length;
        const slots = Int32Array.from(active);
        const tokens = Int32Array.from(active, (b) => completions[b][step]);
        const positions = Int32Array.from(active, (b) => promptLengths[b] + step);
        const rowLogits = this.transformer.decodeStep(this.params, cache, tokens, slots, positions, R);
        active.forEach((b, r) => {
          logits.set(rowLogits.subarray(r * V, (r + 1) * V), b * V);
        });
      }
      return pack(completions, logprobs, truncated);
    } finally {
      cache.release();
    }
  }

  async readOptimizerState(): Promise<{ step: number; m: Float32Array; v: Float32Array }> {
    this.alive();
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  async writeOptimizerState(state: { step: number; m: Float32Array; v: Float32Array }): Promise<void> {
    this.alive();
    if (!(Number.isInteger(state.step) && state.step >= 0)) {
      throw new RangeError(`optimizer step must be an integer >= 0 (got ${state.step})`);
    }
    this.checkLength('optimizer m', state.m.length);
    this.checkLength('optimizer v', state.v.length);
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }

  dispose(): void {
    this.disposed = true;
    const empty = new Float32Array(0);
    this.params = empty;
    this.grads = empty;
    this.m = empty;
    this.v = empty;
  }
}

function pack(completions: number[][], logprobs: number[][], truncated: boolean[]): GenerateResult {
  return {
    completions: completions.map((c) => Int32Array.from(c)),
    logprobs: logprobs.map((l) => Float32Array.from(l)),
    truncated,
  };
}
