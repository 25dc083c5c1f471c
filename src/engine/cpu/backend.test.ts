// Tests of the CPU Backend end to end: a tiny model memorises sequences with nllStep + AdamW; policyStep
// and nllStep agree where the GRPO loss reduces to NLL; generate is deterministic, its sampled log-probs
// and greedy tokens agree with full forward passes, and it stops at eos; optimizer state round-trips.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../../model/config';
import { initParameters } from '../../model/layout';
import { Random } from '../../util/random';
import type { AdamWConfig, GenerateRequest, PolicyLossConfig, TokenBatch } from '../backend';
import { CpuBackend } from './backend';

const config: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 32 };
const adam: AdamWConfig = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };

/** Right-padded batch of given sequences; every token after the first is a target. */
function batchOf(seqs: number[][]): TokenBatch {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.length));
  const tokens = new Int32Array(B * T);
  const lossMask = new Float32Array(B * T);
  seqs.forEach((s, b) => {
    tokens.set(s, b * T);
    for (let t = 1; t < s.length; t++) lossMask[b * T + t] = 1;
  });
  return { B, T, tokens, lengths: Int32Array.from(seqs, (s) => s.length), lossMask };
}

function randomSeqs(rng: Random, lengths: number[]): number[][] {
  return lengths.map((n) => [1, ...Array.from({ length: n - 1 }, () => rng.int(5, 99))]);
}

describe('CpuBackend training', () => {
  it('memorises a handful of sequences with nllStep and AdamW', async () => {
    const backend = new CpuBackend();
    const model = await backend.createModel(config, initParameters(config, 1));
    const batch = batchOf(randomSeqs(new Random(2), [16, 12, 16, 9]));
    // The token after bos cannot be memorised (four sequences share the context [bos]): not a target.
    for (let b = 0; b < batch.B; b++) batch.lossMask[b * batch.T + 1] = 0;
    let first = 0;
    let last = 0;
    for (let step = 0; step < 150; step++) {
      model.zeroGradients();
      const { loss, tokens } = await model.nllStep(batch);
      expect(tokens).toBe(14 + 10 + 14 + 7);
      if (step === 0) first = loss;
      last = loss;
      await model.optimizerStep(adam);
    }
    // Random tokens from 95 ids start near ln(100) = 4.6; memorised sequences end near 0.
    expect(first).toBeGreaterThan(4);
    expect(last).toBeLessThan(0.1);
  });

  it('policyStep with no clip, A = 1 and old = new gives the nllStep gradient (token-mean)', async () => {
    const backend = new CpuBackend();
    const params = initParameters({ ...config, initializer_range: 0.2 }, 3);
    const a = await backend.createModel(config, params);
    const b = await backend.createModel(config, params);
    const batch = batchOf(randomSeqs(new Random(4), [10, 7, 9]));
    const { tokens } = await a.nllStep(batch);
    const { logprobs } = await b.scoreTokens(batch, 1);
    const lossConfig: PolicyLossConfig = {
      clipMode: 'none',
      epsLow: 0.2,
      epsHigh: 0.2,
      dualClip: null,
      logRatioClamp: 20,
      klCoef: 0,
      klEstimator: 'k1',
      entropyCoef: 0,
      aggregation: 'token-mean',
      maxLengthNorm: 1,
    };
    const stats = await b.policyStep(
      batch,
      {
        oldLogprobs: logprobs,
        advantages: Float32Array.from([1, 1, 1]),
        miniBatchSequences: 3,
        miniBatchTokens: tokens,
      },
      lossConfig,
      1,
    );
    expect(stats.tokens).toBe(tokens);
    expect(stats.ratioSum).toBeCloseTo(tokens, 4);
    const ga = await a.readGradients();
    const gb = await b.readGradients();
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < ga.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(ga[i]));
      maxDiff = Math.max(maxDiff, Math.abs(ga[i] - gb[i]));
    }
    expect(maxAbs).toBeGreaterThan(1e-3);
    // Same float32 computation except R = exp(new - old) = 1 exactly; allow f32 rounding only.
    expect(maxDiff).toBeLessThan(1e-6 * Math.max(1, maxAbs));
  });

  it('nllStep returns the mean NLL of scoreTokens, and gradients accumulate until zeroed', async () => {
    const model = await new CpuBackend().createModel(config, initParameters(config, 5));
    const batch = batchOf(randomSeqs(new Random(6), [8, 5]));
    const { logprobs } = await model.scoreTokens(batch, 1);
    let sum = 0;
    for (const x of logprobs) sum += x;
    const { loss, tokens } = await model.nllStep(batch);
    expect(tokens).toBe(11);
    expect(loss).toBeCloseTo(-sum / tokens, 5);
    const once = await model.readGradients();
    await model.nllStep(batch, 2);
    const thrice = await model.readGradients();
    for (let i = 0; i < once.length; i += 101) expect(thrice[i]).toBeCloseTo(3 * once[i], 6);
    model.zeroGradients();
    expect((await model.readGradients()).every((x) => x === 0)).toBe(true);
  });

  it('two weighted micro-batches give the gradient of the whole batch', async () => {
    const backend = new CpuBackend();
    const params = initParameters({ ...config, initializer_range: 0.2 }, 14);
    const seqs = randomSeqs(new Random(15), [9, 4, 7, 11, 6]);
    const whole = await backend.createModel(config, params);
    const { tokens: total } = await whole.nllStep(batchOf(seqs));
    const split = await backend.createModel(config, params);
    for (const part of [seqs.slice(0, 2), seqs.slice(2)]) {
      const partTokens = part.reduce((s, q) => s + q.length - 1, 0);
      // Mean over the part, weighted by its share of tokens, sums to the mean over the whole.
      await split.nllStep(batchOf(part), partTokens / total);
    }
    const a = await whole.readGradients();
    const b = await split.readGradients();
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i]));
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    expect(maxAbs).toBeGreaterThan(1e-3);
    expect(maxDiff).toBeLessThan(1e-5 * maxAbs); // float32 sums in a different order
  });

  it('optimizer state round-trips: a restored model takes the same next step', async () => {
    const backend = new CpuBackend();
    const batch = batchOf(randomSeqs(new Random(7), [6, 6]));
    const a = await backend.createModel(config, initParameters(config, 8));
    for (let i = 0; i < 3; i++) {
      a.zeroGradients();
      await a.nllStep(batch);
      await a.optimizerStep(adam);
    }
    const b = await backend.createModel(config, await a.readParameters());
    await b.writeOptimizerState(await a.readOptimizerState());
    expect((await b.readOptimizerState()).step).toBe(3);
    for (const m of [a, b]) {
      m.zeroGradients();
      await m.nllStep(batch);
      await m.optimizerStep(adam);
    }
    expect(Array.from(await b.readParameters())).toEqual(Array.from(await a.readParameters()));
  });
});

describe('CpuBackend generate', () => {
  const request = (overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
    prompts: [Int32Array.from([1, 40, 41]), Int32Array.from([1]), Int32Array.from([1, 50, 60, 70, 80])],
    maxNewTokens: 8,
    temperature: 1,
    topK: 0,
    topP: 1,
    seed: 11,
    stream: 2,
    eosId: 2,
    ...overrides,
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const model = await new CpuBackend().createModel(
      config,
      initParameters({ ...config, initializer_range: 0.5 }, 9),
    );
    const a = await model.generate(request());
    const b = await model.generate(request());
    const c = await model.generate(request({ seed: 12 }));
    expect(a).toEqual(b);
    expect(a.completions.map((x) => Array.from(x))).not.toEqual(c.completions.map((x) => Array.from(x)));
  });

  it('sampled log-probs equal scoreTokens of the full sequences at the same temperature', async () => {
    const model = await new CpuBackend().createModel(
      config,
      initParameters({ ...config, initializer_range: 0.5 }, 10),
    );
    const req = request({ temperature: 0.7, topK: 20, eosId: 99 });
    const out = await model.generate(req);
    const seqs = req.prompts.map((p, b) => [...p, ...out.completions[b]]);
    const batch = batchOf(seqs);
    batch.lossMask.fill(0);
    req.prompts.forEach((p, b) => {
      for (let t = p.length; t < seqs[b].length; t++) batch.lossMask[b * batch.T + t] = 1;
    });
    const { logprobs } = await model.scoreTokens(batch, 0.7);
    req.prompts.forEach((p, b) => {
      out.completions[b].forEach((_, i) => {
        expect(out.logprobs[b][i]).toBeCloseTo(logprobs[b * batch.T + p.length + i], 4);
      });
    });
  });

  it('greedy decoding equals step-by-step argmax of full forwards, and stops at eos', async () => {
    const params = initParameters({ ...config, initializer_range: 0.5 }, 13);
    const model = await new CpuBackend().createModel(config, params);
    const greedy = await model.generate(request({ temperature: 0, eosId: 99 }));
    // Independent path: no KV cache; score every candidate next token with full forwards (one batch of V
    // sequences per step) and take the best, ties to the lowest id.
    for (const [b, prompt] of request().prompts.entries()) {
      const seq = [...prompt];
      for (let i = 0; i < 8; i++) {
        const batch = batchOf(Array.from({ length: config.vocab_size }, (_, v) => [...seq, v]));
        batch.lossMask.fill(0);
        for (let v = 0; v < config.vocab_size; v++) batch.lossMask[v * batch.T + seq.length] = 1;
        const { logprobs } = await model.scoreTokens(batch, 1);
        let best = 0;
        for (let v = 1; v < config.vocab_size; v++) {
          if (logprobs[v * batch.T + seq.length] > logprobs[best * batch.T + seq.length]) best = v;
        }
        expect(greedy.completions[b][i]).toBe(best);
        seq.push(best);
      }
      expect(greedy.truncated[b]).toBe(true);
      expect(Array.from(greedy.logprobs[b]).every((x) => x === 0)).toBe(true);
    }
    // Make the 3rd greedy token of sequence 0 the eos id: it stops there, eos kept, not truncated.
    const eos = greedy.completions[0][2];
    const stopped = await model.generate(request({ temperature: 0, eosId: eos }));
    const firstEos = Array.from(greedy.completions[0]).indexOf(eos);
    expect(Array.from(stopped.completions[0])).toEqual(
      Array.from(greedy.completions[0].subarray(0, firstEos + 1)),
    );
    expect(stopped.truncated[0]).toBe(false);
  });

  it('rejects prompts that do not fit and bad requests', async () => {
    const model = await new CpuBackend().createModel(config, initParameters(config, 1));
    await expect(model.generate(request({ maxNewTokens: 30 }))).rejects.toThrow(
      /exceeds max_position_embeddings/,
    );
    await expect(model.generate(request({ prompts: [new Int32Array(0)] }))).rejects.toThrow(
      /prompt 0 is empty/,
    );
    await expect(model.generate(request({ topP: 2 }))).rejects.toThrow(/topP/);
  });
});

describe('CpuBackend input errors', () => {
  it('names the problem', async () => {
    const backend = new CpuBackend();
    await expect(backend.createModel(config, new Float32Array(5))).rejects.toThrow(/parameters has 5 values/);
    const model = await backend.createModel(config, initParameters(config, 1));
    const batch = batchOf([[1, 5, 6]]);
    batch.lossMask[0] = 1;
    await expect(model.nllStep(batch)).rejects.toThrow(/lossMask\[0, 0\] is set but position 0/);
    await expect(
      model.writeOptimizerState({ step: 1, m: new Float32Array(3), v: new Float32Array(3) }),
    ).rejects.toThrow(/optimizer m has 3 values/);
    model.dispose();
    await expect(model.readParameters()).rejects.toThrow(/disposed/);
  });
});
