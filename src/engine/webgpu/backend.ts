// WebGpuBackend: the Backend interface (src/engine/backend.ts) on WGSL kernels. A training call is one
// Step (one command buffer, one submission): upload the batch, forward, loss, backward; only per-token
// scores or the loss statistics come back. The optimizer step is a second Step (grad norm, clip, AdamW)
// that reads back one number; generate() decodes with the KV cache and samples on the GPU, reading
// back only token ids and log-probs. The matmul variant per adapter comes from the start-up probe.
//
//   const backend = await WebGpuBackend.create(await acquireNodeGpu());   // or acquireGpu(navigator.gpu)
//   const model = await backend.createModel(config, initParameters(config, seed));
//   await model.nllStep(batch); await model.optimizerStep(adamw);

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
import { checkGenerateRequest, checkTokenBatch, validateAdamWConfig } from '../validate';
import { decodeLayerKernel } from './decodeLayer';
import type { GpuContext } from './device';
import { encodePolicyLoss, POLICY_STATS, packPolicyTokenInputs, policyLossStats } from './grpoLoss';
import { type GpuTensor, KernelRunner, kernelsIn } from './kernel';
import { MatmulOps, type MatmulProbe, probeMatmul, variantName } from './matmul';
import { checkTemperature, GpuTransformer, padFlat, type SampledTokens, unpadFlat } from './model';
import * as ops from './ops';
import { sampleKernel } from './sampling';

export interface WebGpuBackendOptions {
  /** Skip the probe and use this matmul variant (tests, benchmarks). */
  matmul?: MatmulProbe['variant'];
  /** Decode steps per GPU submission during generation (default DEFAULT_DECODE_CHUNK). */
  decodeChunk?: number;
  /**
   * Decode each layer in one dispatch (decode_layer.wgsl) where the model fits it. Default: on hardware
   * adapters, off on software ones, where the 12 separate kernels measured faster (SwiftShader, zoo
   * model, 128 rows: about 0.5x; README "Performance").
   */
  fusedDecode?: boolean;
  /**
   * Invocations per row of the rollout sampler (sampling.wgsl; tokens and log-probs are bit-identical
   * for every size). Default: 64 on hardware adapters, 4 on software ones, where 128 rows of 100 ids
   * sampled about 7x faster with 4 than with 64 (docs/measurements/cpu-2026-12-07).
   */
  samplerWorkgroupSize?: number;
}

/**
 * Decode steps recorded into one submission. On a real GPU a decode step of the zoo model is a few
 * hundred microseconds of work, while a submit + readback round trip costs milliseconds, so one round
 * trip per token capped decoding at a few hundred steps/s; 8 steps per trip amortises it and wastes at
 * most 7 steps past the last eos. Tokens are identical for every chunk size (same kernels, same RNG keys).
 */
export const DEFAULT_DECODE_CHUNK = 8;

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly description: string;

  private constructor(
    readonly runner: KernelRunner,
    readonly probe: MatmulProbe,
    readonly ctx: Pick<GpuContext, 'info'>,
    private readonly decodeChunk: number,
    private readonly fusedDecode: boolean,
    private readonly samplerWorkgroupSize: number,
  ) {
    const decode = fusedDecode ? ', fused decode layers where they fit' : '';
    this.description = `WebGPU on ${ctx.info.label} (matmul ${variantName(probe.variant)}${decode})`;
  }

  /** Builds the runner and picks the matmul variant for this adapter (probe cached per adapter). */
  static async create(ctx: GpuContext, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const runner = new KernelRunner(ctx);
    const probe = options.matmul
      ? { variant: options.matmul, msPerRun: {}, adapter: runner.adapterLabel }
      : await probeMatmul(runner);
    const decodeChunk = options.decodeChunk ?? DEFAULT_DECODE_CHUNK;
    if (!(Number.isInteger(decodeChunk) && decodeChunk >= 1)) {
      throw new RangeError(`decodeChunk must be an integer >= 1 (got ${decodeChunk})`);
    }
    await runner.prepare(kernelsIn(ops));
    const fusedDecode = options.fusedDecode ?? !ctx.info.isSoftware;
    const samplerWorkgroupSize = options.samplerWorkgroupSize ?? (ctx.info.isSoftware ? 4 : 64);
    // Checked and compiled now: a bad size fails here with sampleKernel's message, not mid-rollout.
    await runner.prepare([sampleKernel(samplerWorkgroupSize)]);
    return new WebGpuBackend(runner, probe, ctx, decodeChunk, fusedDecode, samplerWorkgroupSize);
  }

  async createModel(config: ModelConfig, params: Float32Array): Promise<EngineModel> {
    const model = new WebGpuModel(this.runner, new MatmulOps(this.runner, this.probe.variant), config);
    model.decodeChunk = this.decodeChunk;
    model.net.samplerWorkgroupSize = this.samplerWorkgroupSize;
    model.net.fusedDecode &&= this.fusedDecode; // it starts as whether the model fits the kernel
    if (model.net.fusedDecode) {
      // Compiled now, asynchronously, so an adapter whose compiler refuses it falls back to the 12
      // kernels with the reason kept (a synchronous compile at the first decode would only raise a
      // device error). The choice is per adapter, so a run still replays the same way there.
      try {
        await this.runner.prepare([decodeLayerKernel(model.net.decodeLayerShape)]);
      } catch (err) {
        model.net.refuseFusedDecode(err instanceof Error ? err.message : String(err));
        console.warn(`WebGPU: decoding with 12 kernels per layer: ${model.net.fusedDecodeUnfit}`);
      }
    }
    await model.writeParameters(params);
    return model;
  }

  dispose(): void {
    this.runner.destroy();
  }
}

export class WebGpuModel implements EngineModel {
  readonly config: ModelConfig;
  readonly numParams: number;
  readonly net: GpuTransformer;
  /** Decode steps per submission in generate(); any value >= 1 gives the same tokens. */
  decodeChunk = DEFAULT_DECODE_CHUNK;
  private optimizerSteps = 0;
  private disposed = false;
  private readonly clip: GpuTensor;
  private readonly partials: GpuTensor;

  constructor(
    readonly runner: KernelRunner,
    mm: MatmulOps,
    config: ModelConfig,
  ) {
    this.net = new GpuTransformer(runner, mm, config);
    this.config = config;
    this.numParams = this.net.g.layout.total;
    this.clip = this.net.pool.tensor('clip', 4);
    this.partials = this.net.pool.tensor('gradnorm.partials', ops.gradNormParts(this.net.g.total).parts);
  }

  private alive(): void {
    if (this.disposed) throw new Error('this WebGPU model was disposed');
  }

  async readParameters(): Promise<Float32Array> {
    this.alive();
    return unpadFlat(this.net.g, await this.runner.read(this.net.params));
  }

  async writeParameters(params: Float32Array): Promise<void> {
    this.alive();
    this.runner.write(this.net.params, padFlat(this.net.g, params));
    await this.runner.sync();
  }

  async readGradients(): Promise<Float32Array> {
    this.alive();
    return unpadFlat(this.net.g, await this.runner.read(this.net.grads));
  }

  async scoreTokens(
    batch: TokenBatch,
    temperature: number,
  ): Promise<{ logprobs: Float32Array; entropy: Float32Array }> {
    this.alive();
    checkTokenBatch(batch);
    checkTemperature(temperature);
    const a = this.net.uploadBatch(batch.tokens, batch.lengths, batch.lossMask, batch.B, batch.T);
    const step = this.runner.begin('scoreTokens');
    this.net.forward(step, a);
    this.net.scores(step, a, temperature);
    const logprobs = step.read(a.logprobs);
    const entropy = step.read(a.entropy);
    await step.submit();
    return { logprobs: await logprobs, entropy: await entropy };
  }

  /** Mean NLL over masked tokens (mask values weight tokens), as CpuEngineModel.nllStep. */
  async nllStep(batch: TokenBatch, weight = 1): Promise<{ loss: number; tokens: number }> {
    this.alive();
    checkTokenBatch(batch);
    if (!Number.isFinite(weight)) throw new RangeError(`nllStep weight must be finite (got ${weight})`);
    const { B, T, lossMask } = batch;
    let tokens = 0;
    for (let i = 0; i < B * T; i++) tokens += lossMask[i];
    if (tokens === 0) return { loss: 0, tokens: 0 };
    const a = this.net.uploadBatch(batch.tokens, batch.lengths, lossMask, B, T);
    // d(weight * mean NLL)/d logprob is known before the forward: -weight * mask / tokens.
    const dlogprobs = this.net.pool.tensor('nll.dlogprobs', B * T);
    const dentropy = this.net.pool.tensor('nll.dentropy', B * T);
    this.runner.write(
      dlogprobs,
      lossMask.map((mask) => (-weight * mask) / tokens),
    );
    this.runner.write(dentropy, new Float32Array(B * T));
    const step = this.runner.begin('nllStep');
    this.net.forward(step, a);
    this.net.scores(step, a, 1);
    this.net.backward(step, a, dlogprobs, dentropy, 1);
    const logprobs = step.read(a.logprobs);
    await step.submit();
    const lp = await logprobs;
    let sum = 0;
    for (let i = 0; i < B * T; i++) sum += lossMask[i] * lp[i];
    return { loss: -sum / tokens, tokens };
  }

  async policyStep(
    batch: TokenBatch,
    inputs: PolicyLossInputs,
    config: PolicyLossConfig,
    temperature: number,
  ): Promise<PolicyStepResult> {
    this.alive();
    checkTokenBatch(batch);
    checkTemperature(temperature);
    const { B, T } = batch;
    const N = B * T;
    if (inputs.advantages.length !== B) {
      throw new RangeError(
        `policy loss: advantages has ${inputs.advantages.length} entries, expected B = ${B}`,
      );
    }
    const packed = packPolicyTokenInputs(inputs.oldLogprobs, inputs.refLogprobs, batch.lossMask);
    const a = this.net.uploadBatch(batch.tokens, batch.lengths, batch.lossMask, B, T);
    const t = (name: string, n: number) => this.net.pool.tensor(`policy.${name}`, n);
    const tensors = {
      newLogprobs: a.logprobs,
      entropy: a.entropy,
      tokenInputs: t('tokenInputs', N * 4),
      advantages: t('advantages', B),
      dNewLogprobs: t('dNewLogprobs', N),
      dEntropy: t('dEntropy', N),
      tokenOut: t('tokenOut', N * 4),
      seqStats: t('seqStats', B * POLICY_STATS),
      stats: t('stats', POLICY_STATS),
    };
    this.runner.write(tensors.tokenInputs, packed);
    this.runner.write(tensors.advantages, inputs.advantages);
    const step = this.runner.begin('policyStep');
    this.net.forward(step, a);
    this.net.scores(step, a, temperature);
    encodePolicyLoss(step, tensors, config, inputs, B, T);
    this.net.backward(step, a, tensors.dNewLogprobs, tensors.dEntropy, temperature);
    const stats = step.read(tensors.stats);
    // The backward pass reads the logits, never the log-probs' buffer, so reading it after is safe.
    const newLogprobs = step.read(tensors.newLogprobs, N);
    await step.submit();
    return { ...policyLossStats(await stats), newLogprobs: await newLogprobs };
  }

  zeroGradients(): void {
    this.alive();
    const step = this.runner.begin('zeroGradients');
    step.clear(this.net.grads);
    // Queue order makes every later step see zeros; nothing needs to wait for this one.
    void step.submit();
  }

  async optimizerStep(config: AdamWConfig): Promise<{ gradNorm: number }> {
    this.alive();
    validateAdamWConfig(config);
    const n = this.net.g.total;
    const stepIndex = this.optimizerSteps + 1;
    const step = this.runner.begin('optimizerStep');
    ops.gradNormClip(step, this.clip, this.partials, this.net.grads, n, config.maxGradNorm);
    ops.adamwUpdate(step, this.net.params, this.net.grads, this.net.m, this.net.v, this.clip, n, {
      ...config,
      step: stepIndex,
    });
    const clip = step.read(this.clip);
    await step.submit();
    const [norm, , finite] = await clip;
    if (finite === 0) return { gradNorm: Number.isNaN(norm) ? Number.NaN : Number.POSITIVE_INFINITY };
    this.optimizerSteps = stepIndex;
    return { gradNorm: norm };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.alive();
    return generateOnGpu(this, request);
  }

  async readOptimizerState(): Promise<{ step: number; m: Float32Array; v: Float32Array }> {
    this.alive();
    const [m, v] = await Promise.all([this.runner.read(this.net.m), this.runner.read(this.net.v)]);
    return { step: this.optimizerSteps, m: unpadFlat(this.net.g, m), v: unpadFlat(this.net.g, v) };
  }

  async writeOptimizerState(state: { step: number; m: Float32Array; v: Float32Array }): Promise<void> {
    this.alive();
    if (!(Number.isInteger(state.step) && state.step >= 0)) {
      throw new RangeError(`optimizer step must be an integer >= 0 (got ${state.step})`);
    }
    this.runner.write(this.net.m, padFlat(this.net.g, state.m));
    this.runner.write(this.net.v, padFlat(this.net.g, state.v));
    this.optimizerSteps = state.step;
    await this.runner.sync();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.destroy();
  }
}

/**
 * Batched decoding with the GPU KV cache and the GPU sampler; only sampled ids and log-probs come back
 * each step. Same contract as CpuEngineModel.generate: the token at absolute position p of sequence s
 * is drawn with counterUniform(seed, stream, s, p).
 */
async function generateOnGpu(model: WebGpuModel, request: GenerateRequest): Promise<GenerateResult> {
  const net = model.net;
  checkGenerateRequest(request, net.config);
  const { prompts, maxNewTokens, eosId } = request;
  const R = prompts.length;
  const completions: number[][] = prompts.map(() => []);
  const logprobs: number[][] = prompts.map(() => []);
  const truncated = prompts.map(() => maxNewTokens > 0);
  const done = prompts.map(() => false);
  if (R > 0 && maxNewTokens > 0) {
    // Decode in chunks of `decodeChunk` steps per submission; steps past every row's eos are computed
    // and ignored (at most decodeChunk - 1 of them), which costs less than a GPU round trip per token.
    const chunk = model.decodeChunk;
    if (!(Number.isInteger(chunk) && chunk >= 1)) {
      throw new RangeError(`decodeChunk must be an integer >= 1 (got ${chunk})`);
    }
    const { temperature, topK, topP, seed, stream } = request;
    const decoder = await net.startDecoding(prompts, maxNewTokens, { temperature, topK, topP, seed, stream });
    let pending: SampledTokens[] = [decoder.first];
    let fed = 0; // tokens consumed from the decoder so far
    while (pending.length > 0) {
      for (const sampled of pending) {
        for (let r = 0; r < R; r++) {
          if (done[r]) continue;
          const token = sampled.tokens[r];
          completions[r].push(token);
          logprobs[r].push(sampled.logprobs[r]);
          if (token === eosId) {
            done[r] = true;
            truncated[r] = false;
          }
        }
        fed++;
        if (done.every(Boolean) || fed === maxNewTokens) break;
      }
      if (done.every(Boolean) || fed === maxNewTokens) break;
      pending = await decoder.advance(Math.min(chunk, maxNewTokens - fed));
    }
    decoder.release();
  }
  return {
    completions: completions.map((c) => Int32Array.from(c)),
    logprobs: logprobs.map((l) => Float32Array.from(l)),
    truncated,
  };
}
