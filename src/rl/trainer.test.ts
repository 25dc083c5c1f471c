// GRPO trainer tests on the CPU engine with a tiny model: the ground-truth reward must raise accuracy
// (the learning signal is real), a response-independent reward must give a zero expected update when
// clipping cannot act, runs are deterministic, and a non-finite loss stops the step with a clear error.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import { initParameters } from '../model/layout';
import { Random } from '../util/random';
import { GrpoTrainer, NonFiniteError } from './trainer';
import { config, deterministicPart, formatOnlyModel, LOSS, parts, settings } from './trainerFixtures';

describe('GrpoTrainer', () => {
  it('ground-truth reward raises rollout accuracy within a bounded number of steps', async () => {
    const policy = await formatOnlyModel();
    const trainer = new GrpoTrainer(
      settings({ ppoEpochs: 2, miniBatchSize: 8, lr: 3e-3 }),
      parts(policy, 'ground_truth'),
    );
    const accuracy: number[] = [];
    for (let step = 0; step < 25; step++) accuracy.push((await trainer.step(step)).metrics.rolloutAccuracy);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Format-only start: about 1 in 9 right by chance. A real learning signal takes it far above that
    // (measured: 0 -> ~0.5 over 25 steps; with the sign of the gradient flipped it falls to 0).
    expect(mean(accuracy.slice(0, 3))).toBeLessThan(0.2);
    expect(mean(accuracy.slice(-5))).toBeGreaterThan(0.3);
  }, 120_000);

  it('metrics are complete and consistent for one step', async () => {
    const policy = await formatOnlyModel();
    const trainer = new GrpoTrainer(settings({ ppoEpochs: 2 }), parts(policy, 'format'));
    const { metrics, samples } = await trainer.step(0);
    expect(metrics.updates).toBe(4); // 16 rollouts / 8 per mini-batch * 2 epochs
    expect(metrics.formatRate).toBeGreaterThan(0.5);
    expect(metrics.rewardMean).toBeCloseTo(metrics.formatRate, 6); // format reward == boxed share
    expect(metrics.ratioMin).toBeLessThanOrEqual(1 + 1e-6);
    expect(metrics.clipFracRegion).toBeCloseTo(metrics.clipFracLow + metrics.clipFracHigh, 9);
    for (const [key, value] of Object.entries(metrics)) expect(Number.isFinite(value), key).toBe(true);
    expect(samples).toHaveLength(2);
    expect(samples[0].completions).toHaveLength(8);
  }, 60_000);

  it('is deterministic: the same seed gives the same metrics and parameters', async () => {
    const run = async () => {
      const policy = await new CpuBackend().createModel(config, initParameters(config, 11));
      const trainer = new GrpoTrainer(settings({ ppoEpochs: 2 }), parts(policy, 'random'));
      const metrics = [];
      for (let step = 0; step < 2; step++) metrics.push((await trainer.step(step)).metrics);
      return {
        metrics: metrics.map(deterministicPart),
        params: await policy.readParameters(),
      };
    };
    const a = await run();
    const b = await run();
    expect(b.metrics).toEqual(a.metrics);
    expect(b.params).toEqual(a.params);
  }, 60_000);

  it('random reward without clipping and one update per rollout has zero expected update', async () => {
    // With one update per rollout batch (pi = pi_old, R = 1) and no clip, the gradient is
    // -sum_i A_i grad log pi(y_i) / n; a reward independent of the response makes E[A_i] = 0 for fixed
    // rollouts, so the mean gradient over reward draws shrinks like 1/sqrt(draws). A reward that is
    // just as noisy but depends on the response keeps a non-zero mean: the test can tell them apart.
    const policy = await formatOnlyModel();
    const base = await policy.readParameters();
    const prefersHighDigits = (text: string) => /\{[5-9]\}/.test(text);
    const consistency = async (score: (text: string, rng: Random) => number, draws: number) => {
      const sum = new Float64Array(policy.numParams);
      let normSum = 0;
      for (let d = 0; d < draws; d++) {
        await policy.writeParameters(base);
        const rng = new Random(1000 + d);
        const trainer = new GrpoTrainer(
          // Same rollouts every draw (generation seed fixed); only the reward draws change.
          settings({
            loss: { ...LOSS, clipMode: 'none' },
            miniBatchSize: 16,
            ppoEpochs: 1,
            maxGradNorm: Number.POSITIVE_INFINITY,
          }),
          { ...parts(policy, 'random'), score: ({ responses }) => responses.map((t) => score(t, rng)) },
        );
        await trainer.step(0);
        const grad = await policy.readGradients();
        let norm = 0;
        for (let i = 0; i < grad.length; i++) {
          sum[i] += grad[i];
          norm += grad[i] * grad[i];
        }
        normSum += Math.sqrt(norm);
      }
      let meanNorm = 0;
      for (const s of sum) meanNorm += (s / draws) ** 2;
      return Math.sqrt(meanNorm) / (normSum / draws);
    };
    const draws = 24;
    const independent = await consistency((_t, rng) => (rng.bernoulli(0.5) ? 1 : 0), draws);
    const dependent = await consistency(
      (t, rng) => (rng.bernoulli(prefersHighDigits(t) ? 0.8 : 0.2) ? 1 : 0),
      draws,
    );
    // Independent zero-mean directions: about 1/sqrt(24) = 0.2 of a single gradient's norm.
    expect(independent).toBeLessThan(0.35);
    expect(dependent).toBeGreaterThan(0.5);
  }, 120_000);

  it('stops with a NonFiniteError naming the step and quantity when the loss is not finite', async () => {
    const policy = await new CpuBackend().createModel(config, initParameters(config, 5));
    const poisoned = await policy.readParameters();
    poisoned.fill(Number.NaN, 0, 50);
    await policy.writeParameters(poisoned);
    const trainer = new GrpoTrainer(settings(), parts(policy, 'random'));
    await expect(trainer.step(3)).rejects.toBeInstanceOf(NonFiniteError);
    await expect(trainer.step(3)).rejects.toThrow(/step 3/);
  }, 60_000);
});
