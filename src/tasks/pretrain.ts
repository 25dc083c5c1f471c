// Pretraining batches and schedule for zoo families: corpus examples become right-padded TokenBatches
// whose loss mask covers the response tokens only (the model learns to answer, not to ask), with
// length bucketing so little compute goes to padding. Backend-agnostic: it drives any EngineModel, so the
// same loop runs in the CLI (CPU engine) and in the browser (WebGPU).
import type { AdamWConfig, EngineModel, TokenBatch } from '../engine/backend';
import type { CharTokenizer } from '../model/tokenizer';
import { fdCos } from '../util/fdlibm';
import { Random } from '../util/random';
import { type CorpusExample, type CorpusKnobs, CorpusStream } from './corpus';

export interface EncodedExample {
  /** Prompt then response ids. */
  ids: Int32Array;
  /** Number of prompt ids: targets from this index on count in the loss. */
  promptLength: number;
}

export function encodeExample(tokenizer: CharTokenizer, example: CorpusExample): EncodedExample {
  const prompt = tokenizer.encode(example.prompt, { onUnknown: 'throw' });
  const response = tokenizer.encode(example.response, { onUnknown: 'throw' });
  const ids = new Int32Array(prompt.length + response.length);
  ids.set(prompt, 0);
  ids.set(response, prompt.length);
  return { ids, promptLength: prompt.length };
}

/** Rows padded with `padId` to the longest row rounded up to `lengthMultiple` (few distinct shapes). */
export function makeTokenBatch(
  rows: readonly EncodedExample[],
  padId: number,
  lengthMultiple = 16,
): TokenBatch {
  const B = rows.length;
  const longest = Math.max(...rows.map((r) => r.ids.length));
  const T = Math.ceil(longest / lengthMultiple) * lengthMultiple;
  const tokens = new Int32Array(B * T).fill(padId);
  const lengths = new Int32Array(B);
  const lossMask = new Float32Array(B * T);
  rows.forEach((row, b) => {
    tokens.set(row.ids, b * T);
    lengths[b] = row.ids.length;
    // lossMask[b, t] = 1 when token t is a response token, i.e. predicted from the prefix before it.
    for (let t = Math.max(1, row.promptLength); t < row.ids.length; t++) lossMask[b * T + t] = 1;
  });
  return { B, T, tokens, lengths, lossMask };
}

/**
 * Deterministic batches of a family corpus: a pool of `poolBatches` batches is drawn, sorted by length
 * and cut into batches of similar lengths, whose order is then shuffled. Batch k is the same on every
 * run of a seed, so a resumed build skips exactly the batches it had seen.
 */
export class PretrainBatches {
  private readonly corpus: CorpusStream;
  private readonly order: Random;
  private pending: TokenBatch[] = [];
  /** Batches handed out so far. */
  served = 0;

  constructor(
    knobs: CorpusKnobs,
    readonly seed: number,
    private readonly tokenizer: CharTokenizer,
    readonly batchSize: number,
    readonly poolBatches = 16,
  ) {
    this.corpus = new CorpusStream(knobs, seed);
    this.order = new Random(seed, 0x62617463);
  }

  next(): TokenBatch {
    if (this.pending.length === 0) this.refill();
    this.served++;
    return this.pending.pop()!;
  }

  /** Advances past `count` batches without handing them out (for resuming). */
  skip(count: number): void {
    for (let i = 0; i < count; i++) this.next();
  }

  private refill(): void {
    const pool: EncodedExample[] = [];
    for (let i = 0; i < this.batchSize * this.poolBatches; i++)
      pool.push(encodeExample(this.tokenizer, this.corpus.next()));
    pool.sort((a, b) => a.ids.length - b.ids.length);
    const batches: TokenBatch[] = [];
    for (let i = 0; i < this.poolBatches; i++) {
      const rows = pool.slice(i * this.batchSize, (i + 1) * this.batchSize);
      batches.push(makeTokenBatch(rows, this.tokenizer.idOf('<|endoftext|>') ?? 0));
    }
    this.pending = this.order.shuffle(batches);
  }
}

export interface PretrainSchedule {
  peakLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Final lr as a fraction of the peak (cosine decay ends there). */
  minLrRatio: number;
}

/** Linear warmup then cosine decay to peakLr * minLrRatio; `step` is 0-based. */
export function pretrainLearningRate(step: number, schedule: PretrainSchedule): number {
  const { peakLr, warmupSteps, totalSteps, minLrRatio } = schedule;
  if (step < warmupSteps) return (peakLr * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  const cosine = 0.5 * (1 + fdCos(Math.PI * progress));
  return peakLr * (minLrRatio + (1 - minLrRatio) * cosine);
}

export interface PretrainStepResult {
  loss: number;
  /** Masked (response) tokens in the batch. */
  tokens: number;
  /** All real tokens processed (prompt included): the throughput measure. */
  processedTokens: number;
  gradNorm: number;
  lr: number;
}

/**
 * One optimizer step on one batch: zero grads, next-token NLL on response tokens, AdamW.
 *
 * With `referenceTokens`, the batch's mean NLL is weighted by (masked tokens / referenceTokens), i.e.
 * every token counts the same whichever batch it lands in. Without it, each batch's mean weighs the
 * same, so tokens of batches of short responses count more; since length bucketing puts short
 * (language, direct) and long (code) responses in different batches, that tilts the learned style prior
 * away from code (measured: a 65% code corpus gave a model sampling 52% code).
 */
export async function pretrainStep(
  model: EngineModel,
  batch: TokenBatch,
  optimizer: Omit<AdamWConfig, 'lr'>,
  lr: number,
  referenceTokens: number | null = null,
): Promise<PretrainStepResult> {
  model.zeroGradients();
  let masked = 0;
  for (let i = 0; i < batch.lossMask.length; i++) masked += batch.lossMask[i];
  const weight = referenceTokens === null ? 1 : masked / referenceTokens;
  const { loss, tokens } = await model.nllStep(batch, weight);
  const { gradNorm } = await model.optimizerStep({ ...optimizer, lr });
  let processedTokens = 0;
  for (let b = 0; b < batch.B; b++) processedTokens += batch.lengths[b];
  return { loss, tokens, processedTokens, gradNorm, lr };
}

export interface PretrainLoopOptions {
  schedule: PretrainSchedule;
  optimizer: Omit<AdamWConfig, 'lr'>;
  /** Steps already done (batches must already be advanced past them). */
  fromStep: number;
  totalSteps: number;
  /** Called after every step with its 1-based index; awaited, so it may save checkpoints. */
  onStep?: (step: number, result: PretrainStepResult) => void | Promise<void>;
  /** Polled before every step; true ends the loop early (Ctrl-C in the CLI, a stop button in the UI). */
  shouldStop?: () => boolean;
  /** Token-sum loss normalisation (see pretrainStep); null keeps the per-batch mean. */
  referenceTokens?: number | null;
}

/** Runs steps fromStep+1..totalSteps; returns the number of steps done. Throws on a non-finite loss. */
export async function pretrainLoop(
  model: EngineModel,
  batches: PretrainBatches,
  options: PretrainLoopOptions,
): Promise<number> {
  let step = options.fromStep;
  while (step < options.totalSteps && !options.shouldStop?.()) {
    const lr = pretrainLearningRate(step, options.schedule);
    const result = await pretrainStep(
      model,
      batches.next(),
      options.optimizer,
      lr,
      options.referenceTokens ?? null,
    );
    if (!Number.isFinite(result.loss) || !Number.isFinite(result.gradNorm))
      throw new Error(
        `pretraining diverged at step ${step + 1}: loss ${result.loss}, grad norm ${result.gradNorm}`,
      );
    step++;
    await options.onStep?.(step, result);
  }
  return step;
}
