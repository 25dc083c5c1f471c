// Pretraining batches: loss mask on response tokens only, padding and shapes, deterministic and
// resumable batch order, and the learning-rate schedule.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import { CorpusStream, FAMILY_PRESETS } from './corpus';
import {
  encodeExample,
  makeTokenBatch,
  PretrainBatches,
  pretrainLearningRate,
  pretrainLoop,
  pretrainStep,
} from './pretrain';

const tokenizer = CharTokenizer.lab();
const knobs = FAMILY_PRESETS['qwen-math-tiny'].knobs;

describe('makeTokenBatch', () => {
  it('masks exactly the response tokens and pads to a multiple of 16', () => {
    const stream = new CorpusStream(knobs, 3);
    const examples = [stream.next(), stream.next(), stream.next()];
    const rows = examples.map((e) => encodeExample(tokenizer, e));
    const batch = makeTokenBatch(rows, 0);
    expect(batch.T % 16).toBe(0);
    expect(batch.T).toBeGreaterThanOrEqual(Math.max(...rows.map((r) => r.ids.length)));
    rows.forEach((row, b) => {
      expect(batch.lengths[b]).toBe(row.ids.length);
      const mask = batch.lossMask.subarray(b * batch.T, (b + 1) * batch.T);
      const masked = [...mask].reduce((s, x) => s + x, 0);
      const responseIds = tokenizer.encode(examples[b].response);
      expect(masked).toBe(responseIds.length);
      // The masked targets decode to the response, ending with the end-of-turn token.
      const targets = [...batch.tokens.subarray(b * batch.T, (b + 1) * batch.T)].filter(
        (_, t) => mask[t] === 1,
      );
      expect(tokenizer.decode(targets)).toBe(examples[b].response);
      expect(batch.tokens[b * batch.T + batch.T - 1]).toBe(row.ids.length === batch.T ? row.ids.at(-1) : 0);
    });
    expect(batch.lossMask[0]).toBe(0);
  });
});

describe('PretrainBatches', () => {
  it('is deterministic and skip() resumes at the same batch', () => {
    const a = new PretrainBatches(knobs, 9, tokenizer, 8, 4);
    const b = new PretrainBatches(knobs, 9, tokenizer, 8, 4);
    const first = Array.from({ length: 7 }, () => a.next());
    b.skip(5);
    expect(b.next()).toEqual(first[5]);
    expect(b.served).toBe(6);
    const other = new PretrainBatches(knobs, 10, tokenizer, 8, 4).next();
    expect(other.tokens).not.toEqual(first[0].tokens);
  });

  it('buckets by length so batches waste little padding', () => {
    const batches = new PretrainBatches(knobs, 1, tokenizer, 16, 16);
    let real = 0;
    let padded = 0;
    for (let i = 0; i < 32; i++) {
      const batch = batches.next();
      padded += batch.B * batch.T;
      for (const length of batch.lengths) real += length;
    }
    expect(real / padded).toBeGreaterThan(0.85);
  });
});

describe('pretrainLearningRate', () => {
  const schedule = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 };
  it('warms up linearly, peaks, then decays by cosine to the floor', () => {
    expect(pretrainLearningRate(0, schedule)).toBeCloseTo(1e-4, 12);
    expect(pretrainLearningRate(9, schedule)).toBeCloseTo(1e-3, 12);
    expect(pretrainLearningRate(10, schedule)).toBeCloseTo(1e-3, 12);
    expect(pretrainLearningRate(60, schedule)).toBeCloseTo(0.55e-3, 12);
    expect(pretrainLearningRate(110, schedule)).toBeCloseTo(1e-4, 12);
    expect(pretrainLearningRate(500, schedule)).toBeCloseTo(1e-4, 12);
  });
});

describe('pretrainLoop on the CPU engine', () => {
  it('lowers the response loss of a tiny model and stops when asked', async () => {
    const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 256, hidden_size: 16 };
    const model = await new CpuBackend().createModel(config, initParameters(config, 1));
    const batches = new PretrainBatches(FAMILY_PRESETS['llama-tiny'].knobs, 2, tokenizer, 4, 2);
    const losses: number[] = [];
    const steps = await pretrainLoop(model, batches, {
      schedule: { peakLr: 1e-2, warmupSteps: 5, totalSteps: 40, minLrRatio: 0.1 },
      optimizer: { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 },
      fromStep: 0,
      totalSteps: 40,
      onStep: (_step, result) => {
        losses.push(result.loss);
      },
    });
    expect(steps).toBe(40);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Uniform guessing over 100 tokens is ln(100) = 4.6; the format tokens alone are learned in 40 steps.
    expect(mean(losses.slice(0, 5))).toBeGreaterThan(4);
    expect(mean(losses.slice(-5))).toBeLessThan(3.2);
    let polled = 0;
    const stopped = await pretrainLoop(model, batches, {
      schedule: { peakLr: 1e-3, warmupSteps: 1, totalSteps: 100, minLrRatio: 0.1 },
      optimizer: { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 },
      fromStep: 40,
      totalSteps: 100,
      shouldStop: () => ++polled > 3,
    });
    expect(stopped).toBe(43);
    model.dispose();
  });
});

describe('pretrainStep token weighting', () => {
  it('scales the batch gradient by masked tokens / referenceTokens', async () => {
    const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 256, hidden_size: 16 };
    const model = await new CpuBackend().createModel(config, initParameters(config, 3));
    const batch = new PretrainBatches(FAMILY_PRESETS['qwen-math-tiny'].knobs, 4, tokenizer, 2, 1).next();
    const masked = batch.lossMask.reduce((s, x) => s + x, 0);
    const optimizer = { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0, maxGradNorm: Infinity };
    // lr 0: parameters stay put, so both steps see the same model.
    await pretrainStep(model, batch, optimizer, 0);
    const perBatchMean = await model.readGradients();
    await pretrainStep(model, batch, optimizer, 0, masked * 2);
    const tokenWeighted = await model.readGradients();
    let maxError = 0;
    for (let i = 0; i < perBatchMean.length; i++)
      maxError = Math.max(maxError, Math.abs(tokenWeighted[i] - perBatchMean[i] / 2));
    expect(maxError).toBeLessThan(1e-6);
    expect(perBatchMean.some((g) => Math.abs(g) > 1e-4)).toBe(true);
    model.dispose();
  });
});
