// Shared fixtures for trainer and runner tests: a tiny Qwen-style model on the CPU engine that has
// learnt the answer format but not the answers, two one-line questions, and trainer settings/parts.
import type { PolicyLossConfig } from '../engine/backend';
import { CpuBackend } from '../engine/cpu/backend';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../model/config';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import { formatPrompt } from '../tasks/format';
import { Random } from '../util/random';
import type { StepMetrics } from './metrics';
import { compileReward, scoreGroup } from './rewards';
import type { GrpoSettings, PromptExample, TrainerParts } from './trainer';

export const tokenizer = CharTokenizer.lab();
export const codec = {
  encode: (t: string) => tokenizer.encode(t),
  decode: (ids: ArrayLike<number>) => tokenizer.decode(ids, { skipSpecialTokens: true }),
};
export const config: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 64 };
export const QUESTIONS: PromptExample[] = [
  { id: 0, question: '3+4', answer: '7' },
  { id: 1, question: '2+3', answer: '5' },
];

export const LOSS: PolicyLossConfig = {
  clipMode: 'clip',
  epsLow: 0.2,
  epsHigh: 0.2,
  dualClip: null,
  logRatioClamp: 20,
  klCoef: 0,
  klEstimator: 'k3',
  entropyCoef: 0,
  aggregation: 'seq-mean-token-mean',
  maxLengthNorm: 12,
};

export function settings(overrides: Partial<GrpoSettings> = {}): GrpoSettings {
  return {
    seed: 1,
    promptsPerStep: 2,
    groupSize: 8,
    miniBatchSize: 8,
    microBatchSize: 8,
    ppoEpochs: 1,
    temperature: 1,
    topP: 1,
    topK: 0,
    maxNewTokens: 12,
    loss: LOSS,
    stdScaling: 'group',
    maskTruncated: false,
    lr: 1e-2,
    warmupSteps: 0,
    totalSteps: 100,
    lrSchedule: 'constant',
    beta1: 0.9,
    beta2: 0.95,
    adamEps: 1e-8,
    weightDecay: 0,
    maxGradNorm: 1,
    ...overrides,
  };
}

/**
 * A tiny model that has learnt the answer FORMAT but not the answers: SFT on `\boxed{d}` with a random
 * digit d, so it answers each question right about 1 time in 9 — room for a reward to teach it.
 */
export async function formatOnlyModel() {
  const model = await new CpuBackend().createModel(config, initParameters(config, 7));
  const rng = new Random(3);
  for (let step = 0; step < 60; step++) {
    const rows = QUESTIONS.flatMap((q) =>
      Array.from({ length: 8 }, () => {
        const prompt = tokenizer.encode(formatPrompt(q.question));
        const response = tokenizer.encode(`\\boxed{${rng.int(1, 9)}}<|im_end|>`);
        return { prompt, response };
      }),
    );
    const T = Math.max(...rows.map((r) => r.prompt.length + r.response.length));
    const tokens = new Int32Array(rows.length * T);
    const lengths = new Int32Array(rows.length);
    const lossMask = new Float32Array(rows.length * T);
    rows.forEach((r, b) => {
      tokens.set([...r.prompt, ...r.response], b * T);
      lengths[b] = r.prompt.length + r.response.length;
      lossMask.fill(1, b * T + r.prompt.length, b * T + lengths[b]);
    });
    model.zeroGradients();
    await model.nllStep({ B: rows.length, T, tokens, lengths, lossMask });
    await model.optimizerStep({
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
    });
  }
  // Fresh optimizer state for RL, as a new training run would have.
  const n = model.numParams;
  await model.writeOptimizerState({ step: 0, m: new Float32Array(n), v: new Float32Array(n) });
  return model;
}

export function parts(policy: TrainerParts['policy'], rewardName: string, seed = 1): TrainerParts {
  const reward = compileReward(rewardName);
  if (!reward.ok) throw new Error(reward.why);
  return {
    policy,
    codec,
    formatPrompt,
    promptsForStep: () => QUESTIONS,
    score: ({ step, promptIndex, example, responses }) =>
      scoreGroup(
        reward.fn,
        responses,
        { answer: example.answer },
        { seed, step, promptIndex, params: { gamma: 0.5 } },
      ),
  };
}

/** The wall-clock fields of a step's metrics: they differ between any two runs of the same seed. */
type WallClockField =
  | 'timeRolloutMs'
  | 'timeScoringMs'
  | 'timeLogprobsMs'
  | 'timeUpdateMs'
  | 'rolloutTokensPerSec'
  | 'trainTokensPerSec';

/** A step's metrics without the wall-clock fields: what two runs of one seed must agree on exactly. */
export function deterministicPart(m: StepMetrics): Omit<StepMetrics, WallClockField> {
  const {
    timeRolloutMs,
    timeScoringMs,
    timeLogprobsMs,
    timeUpdateMs,
    rolloutTokensPerSec,
    trainTokensPerSec,
    ...rest
  } = m;
  return rest;
}
