// SYNTHETIC run events for unit tests and the dev-only demo. These numbers are made up by a formula:
// they are not a training run and the UI must never present them as one (runs made from them carry
// `synthetic: true` and a visible "synthetic demo" label).
import type { EvalMetrics, RolloutSample, StepMetrics } from '../rl/metrics';
import type { RunEvent } from './runner';

type SampleGroup = RolloutSample;
/** The events a synthetic run emits: never a checkpoint, so the page's and the runner's unions both hold them. */
export type SyntheticRunEvent = Extract<RunEvent, { type: 'status' | 'step' | 'eval' | 'samples' }>;

/** A small seeded generator (mulberry32) so synthetic curves are the same on every call. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Step metrics with every field set; `overrides` pins the ones a test cares about. */
export function syntheticStepMetrics(step: number, overrides: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step,
    lr: 5e-7,
    rewardMean: 0.5,
    rewardStd: 0.5,
    zeroStdGroupShare: 0.1,
    advantageMean: 0,
    advantageAbsMean: 0.8,
    clipFracLow: 0.01,
    clipFracHigh: 0.02,
    clipFracRegion: 0.03,
    ratioMean: 1,
    ratioMin: 0.8,
    ratioMax: 1.2,
    approxKl: 0.001,
    refKl: 0,
    entropy: 1,
    policyLoss: 0,
    gradNorm: 0.5,
    updates: 8,
    responseLengthMean: 60,
    responseLengthMax: 120,
    truncatedShare: 0,
    codeFrequency: 0.65,
    rolloutAccuracy: 0.4,
    formatRate: 0.9,
    timeRolloutMs: 100,
    timeScoringMs: 5,
    timeLogprobsMs: 20,
    timeUpdateMs: 80,
    rolloutTokensPerSec: 1000,
    trainTokensPerSec: 3000,
    ...overrides,
  };
}

export function syntheticEvalMetrics(step: number, overrides: Partial<EvalMetrics> = {}): EvalMetrics {
  return {
    step,
    problems: 500,
    greedyAccuracy: 0.4,
    sampledAccuracy: 0.35,
    k: 4,
    codeFrequency: 0.65,
    sampledCodeFrequency: 0.64,
    accuracyWithCode: 0.5,
    accuracyLanguageOnly: 0.3,
    formatRate: 0.9,
    ...overrides,
  };
}

const CODE_COMPLETION =
  'Let me compute it.\n```python\nx = 3 + 4\nprint(x * 2)\n```\n```output\n14\n```\nThe answer is \\boxed{14}.';
const LANGUAGE_COMPLETION = '3 + 4 = 7. 7 * 2 = 14. So the answer is \\boxed{14}.';
const WRONG_LANGUAGE_COMPLETION = '3 + 4 = 7. 7 * 2 = 15. So the answer is \\boxed{15}.';
const DIRECT_UNBOXED_COMPLETION = 'The answer is 14';

export function syntheticSampleGroups(step: number, uniform: () => number = Math.random): SampleGroup[] {
  const texts = [CODE_COMPLETION, LANGUAGE_COMPLETION, WRONG_LANGUAGE_COMPLETION, DIRECT_UNBOXED_COMPLETION];
  return [0, 1].map((g) => {
    const rewards: number[] = texts.map(() => (uniform() < 0.5 ? 1 : 0));
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length);
    return {
      step,
      promptIndex: g,
      question: `What is (3 + 4) * 2? (synthetic example ${g + 1})`,
      gold: '14',
      completions: texts.map((text, i) => ({
        text,
        reward: rewards[i],
        advantage: (rewards[i] - mean) / (std + 1e-6),
        extracted: i === 3 ? null : i === 2 ? '15' : '14',
        correct: i < 2,
        style: i === 0 ? 'code' : i === 3 ? 'direct' : 'language',
        truncated: false,
      })),
    };
  });
}

/**
 * The whole event stream of a synthetic run: code frequency drifts up (faster with `drift`), reward
 * noise is Bernoulli-like, an eval every `evalEvery` steps. Deterministic in `seed`.
 */
export function syntheticRunEvents(
  totalSteps: number,
  seed: number,
  { drift = 0.004, evalEvery = 5 }: { drift?: number; evalEvery?: number } = {},
): SyntheticRunEvent[] {
  const uniform = seededUniform(seed);
  const events: SyntheticRunEvent[] = [{ type: 'status', state: 'running', step: 0 }];
  events.push({ type: 'eval', metrics: syntheticEvalMetrics(0) });
  let code = 0.65;
  // Steps are numbered from 0 as the trainer does; an eval after step s is labelled s + 1 (steps done).
  for (let step = 0; step < totalSteps; step++) {
    code = Math.min(0.99, Math.max(0.01, code + drift + (uniform() - 0.5) * 0.03));
    events.push({
      type: 'step',
      metrics: syntheticStepMetrics(step, {
        rewardMean: 0.5 + (uniform() - 0.5) * 0.2,
        codeFrequency: code,
        entropy: 1.2 - step * 0.004,
        approxKl: 0.0005 + uniform() * 0.001,
        clipFracHigh: 0.01 + uniform() * 0.01,
        clipFracLow: 0.02 + uniform() * 0.01,
        rolloutAccuracy: 0.3 + code * 0.2,
        rolloutTokensPerSec: 900 + uniform() * 200,
      }),
    });
    events.push({ type: 'samples', samples: syntheticSampleGroups(step, uniform) });
    const done = step + 1;
    if (done % evalEvery === 0 || done === totalSteps) {
      events.push({
        type: 'eval',
        metrics: syntheticEvalMetrics(done, {
          codeFrequency: code,
          greedyAccuracy: 0.3 + code * 0.2,
          sampledAccuracy: 0.28 + code * 0.2,
        }),
      });
    }
  }
  events.push({ type: 'status', state: 'finished', step: totalSteps });
  return events;
}
