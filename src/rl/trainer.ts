// The GRPO trainer: one `step()` = sample B prompts, G rollouts each, score them, compute group
// advantages and old (and reference) log-probs, then μ epochs over shuffled mini-batches, each mini-batch
// one optimizer update. Several updates per rollout batch are what make the policy drift from the
// rollout policy (R != 1), and only then does the clip term act — the mechanism the paper identifies.
//
// Every random choice is keyed by (seed, step, ...), never by hidden mutable state, so a run resumed
// from a checkpoint at step s continues exactly as the uninterrupted run would.
import type {
  EngineModel,
  GenerateResult,
  PolicyLossConfig,
  PolicyLossStats,
  TokenBatch,
} from '../engine/backend';
import { extractBoxedAnswer, gradeAnswer } from '../tasks/answer';
import { STYLE_OPENINGS } from '../tasks/minimath';
import { responseStyle } from '../tasks/style';
import { fdCos } from '../util/fdlibm';
import { Random } from '../util/random';
import { groupAdvantages, type StdScaling } from './advantages';
import {
  type ClipTally,
  emptyClipTally,
  meanAbsChange,
  P_OLD_BIN_KEYS,
  sigmoid,
  styleLogOdds,
  tallyClipEvents,
} from './instruments';
import type { RolloutSample, StepMetrics, StyleStepMetrics } from './metrics';

/** What the trainer needs of a tokenizer. */
export interface TextCodec {
  encode(text: string): ArrayLike<number>;
  decode(ids: ArrayLike<number>): string;
}

/** One training prompt: the question text (not yet chat-formatted) and its gold integer answer. */
export interface PromptExample {
  id: number;
  question: string;
  answer: string;
}

export interface GroupToScore {
  step: number;
  promptIndex: number;
  example: PromptExample;
  /** Response bodies (eos removed), G of them. */
  responses: string[];
}

/** Returns one reward per response of the group. */
export type GroupScorer = (group: GroupToScore) => number[];

export interface GrpoSettings {
  seed: number;
  /** B: prompts per rollout batch. */
  promptsPerStep: number;
  /** G: rollouts per prompt. */
  groupSize: number;
  /** Sequences per optimizer update; B*G / miniBatchSize updates per epoch. */
  miniBatchSize: number;
  /** Sequences per forward/backward pass inside a mini-batch (memory bound only, same gradient). */
  microBatchSize: number;
  /** μ: passes over the rollout batch. */
  ppoEpochs: number;
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  loss: PolicyLossConfig;
  stdScaling: StdScaling;
  /** Drop truncated completions (no eos) from the loss. */
  maskTruncated: boolean;
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  lrSchedule: 'constant' | 'cosine';
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
  maxGradNorm: number;
}

export interface TrainerParts {
  policy: EngineModel;
  /** Frozen reference policy; required when loss.klCoef > 0. */
  reference?: EngineModel;
  codec: TextCodec;
  /** The chat-formatted prompt text for a question. */
  formatPrompt: (question: string) => string;
  /** The B examples of a step: must be a pure function of the step (for resume). */
  promptsForStep: (step: number) => PromptExample[];
  score: GroupScorer;
  /** How many rollout groups to keep for the inspector. */
  sampleGroups?: number;
  now?: () => number;
}

export interface StepResult {
  metrics: StepMetrics;
  samples: RolloutSample[];
}

/** Linear warmup to lr over warmupSteps, then constant (the paper) or cosine decay to 0 at totalSteps. */
export function learningRate(
  step: number,
  s: Pick<GrpoSettings, 'lr' | 'warmupSteps' | 'totalSteps' | 'lrSchedule'>,
): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (s.lrSchedule === 'constant') return s.lr;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
  return 0.5 * s.lr * (1 + fdCos(Math.PI * progress)); // fdlibm's cos: the same lr in every engine
}

/**
 * New tokens a generate call may ask for: the configured maximum, cut so the longest prompt plus its
 * completion still fits the model's positions (a long word problem then just has a shorter budget).
 */
export function newTokenBudget(
  prompts: readonly ArrayLike<number>[],
  maxNewTokens: number,
  maxPositions: number,
): number {
  const longest = Math.max(0, ...prompts.map((p) => p.length));
  const budget = Math.min(maxNewTokens, maxPositions - longest);
  if (budget < 1) {
    throw new Error(
      `a prompt of ${longest} tokens leaves no room to answer within ${maxPositions} positions`,
    );
  }
  return budget;
}

/** Non-finite loss or gradient: the runner stops and keeps the last good checkpoint. */
export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly quantity: string,
    readonly value: number,
  ) {
    super(`Training stopped at step ${step}: ${quantity} became ${value} (not finite).`);
    this.name = 'NonFiniteError';
  }
}

interface Rollout {
  promptIndex: number;
  promptIds: Int32Array;
  completionIds: Int32Array;
  text: string;
  truncated: boolean;
  reward: number;
  advantage: number;
  /** (promptLen + completionLen) log-probs under the rollout policy, row-aligned. */
  oldLogprobs?: Float32Array;
  refLogprobs?: Float32Array;
}

/** Phase 1's output: the step's prompts, once per prompt and once per rollout, and what was sampled. */
interface SampledBatch {
  examples: PromptExample[];
  /** One row per prompt (the style instruments read p(code) once per prompt). */
  promptIds: Int32Array[];
  /** One row per rollout: each prompt repeated G times. */
  requestPrompts: Int32Array[];
  generated: GenerateResult;
}

/** What the mini-batch updates of one step add up, for the step's metrics. */
interface UpdateRun {
  lr: number;
  totals: PolicyLossStats;
  tally: ClipTally;
  gradNormSum: number;
  updates: number;
  trainTokens: number;
  /** Style log-odds per prompt before the first update, and after the latest one. */
  styleBefore: Float64Array;
  styleNow: Float64Array;
  styleMoveSum: number;
}

export class GrpoTrainer {
  private readonly now: () => number;
  /** Token that opens a code answer: its probability at the first response position is p(code). */
  private readonly codeOpeningId: number;

  constructor(
    private readonly settings: GrpoSettings,
    private readonly parts: TrainerParts,
  ) {
    this.now = parts.now ?? (() => performance.now());
    this.codeOpeningId = Array.from(parts.codec.encode(STYLE_OPENINGS.code))[0];
    if (settings.loss.klCoef > 0 && !parts.reference) {
      throw new Error('loss.klCoef > 0 needs a reference model');
    }
    const rollouts = settings.promptsPerStep * settings.groupSize;
    if (settings.miniBatchSize < 1 || settings.miniBatchSize > rollouts) {
      throw new Error(`miniBatchSize ${settings.miniBatchSize} must be in [1, B*G = ${rollouts}]`);
    }
  }

  /** One GRPO step, its phases in order; the clock readings between them are the step's timings. */
  async step(step: number): Promise<StepResult> {
    const t0 = this.now();
    const sampled = await this.sampleRollouts(step);
    const t1 = this.now();
    const rollouts = this.scoreRollouts(step, sampled);
    const zeroStdGroupShare = this.assignAdvantages(rollouts);
    const t2 = this.now();
    await this.recordRolloutLogprobs(rollouts);
    const t3 = this.now();
    const update = await this.updatePolicy(step, rollouts, sampled.promptIds);
    const t4 = this.now();
    const metrics = stepMetrics(step, sampled.examples, rollouts, zeroStdGroupShare, update, [
      t0,
      t1,
      t2,
      t3,
      t4,
    ]);
    return { metrics, samples: this.samples(step, sampled.examples, rollouts) };
  }
  /** 1. Rollouts: each prompt G times, drawn by the RNG keyed by (seed, step) so a resume redraws them. */
  private async sampleRollouts(step: number): Promise<SampledBatch> {
    const s = this.settings;
    const { policy, codec } = this.parts;
    const examples = this.parts.promptsForStep(step);
    const promptIds = examples.map((e) => Int32Array.from(codec.encode(this.parts.formatPrompt(e.question))));
    const requestPrompts: Int32Array[] = [];
    for (const ids of promptIds) for (let g = 0; g < s.groupSize; g++) requestPrompts.push(ids);
    const generated = await policy.generate({
      prompts: requestPrompts,
      maxNewTokens: newTokenBudget(requestPrompts, s.maxNewTokens, policy.config.max_position_embeddings),
      temperature: s.temperature,
      topK: s.topK,
      topP: s.topP,
      seed: s.seed,
      stream: step,
      eosId: policy.config.eos_token_id,
    });
    return { examples, promptIds, requestPrompts, generated };
  }
  /** 2a. Rewards, scored a group at a time because some rewards (majority vote, random) are per group. */
  private scoreRollouts(step: number, sampled: SampledBatch): Rollout[] {
    const s = this.settings;
    const { codec } = this.parts;
    const eosId = this.parts.policy.config.eos_token_id;
    const { examples, requestPrompts, generated } = sampled;
    const rollouts: Rollout[] = generated.completions.map((completion, i) => {
      const promptIndex = Math.floor(i / s.groupSize);
      const body =
        completion.length && completion[completion.length - 1] === eosId
          ? completion.subarray(0, -1)
          : completion;
      return {
        promptIndex,
        promptIds: requestPrompts[i],
        completionIds: completion,
        text: codec.decode(body),
        truncated: generated.truncated[i],
        reward: 0,
        advantage: 0,
      };
    });
    for (let p = 0; p < examples.length; p++) {
      const group = rollouts.slice(p * s.groupSize, (p + 1) * s.groupSize);
      const rewards = this.parts.score({
        step,
        promptIndex: p,
        example: examples[p],
        responses: group.map((r) => r.text),
      });
      if (rewards.length !== group.length)
        throw new Error(`reward function returned ${rewards.length} rewards for ${group.length} responses`);
      group.forEach((r, i) => {
        r.reward = rewards[i];
      });
    }
    return rollouts;
  }
  /** 2b. Advantages; returns the share of all-equal groups, which carry no learning signal. */
  private assignAdvantages(rollouts: Rollout[]): number {
    const { advantages, zeroStdGroupShare } = groupAdvantages(
      rollouts.map((r) => r.reward),
      this.settings.groupSize,
      this.settings.stdScaling,
    );
    rollouts.forEach((r, i) => {
      r.advantage = advantages[i];
    });
    return zeroStdGroupShare;
  }
  /** 3. Rollout-policy log-probs by teacher forcing (as verl) so the first update has R = 1 exactly. */
  private async recordRolloutLogprobs(rollouts: Rollout[]): Promise<void> {
    const s = this.settings;
    const { policy, reference } = this.parts;
    const padId = policy.config.pad_token_id;
    for (let start = 0; start < rollouts.length; start += s.microBatchSize) {
      const chunk = rollouts.slice(start, start + s.microBatchSize);
      const batch = buildBatch(chunk, padId, false);
      const old = await policy.scoreTokens(batch, s.temperature);
      chunk.forEach((r, b) => {
        r.oldLogprobs = rowSlice(old.logprobs, b, batch.T, r.promptIds.length + r.completionIds.length);
      });
      if (reference && s.loss.klCoef > 0) {
        const ref = await reference.scoreTokens(batch, s.temperature);
        chunk.forEach((r, b) => {
          r.refLogprobs = rowSlice(ref.logprobs, b, batch.T, r.promptIds.length + r.completionIds.length);
        });
      }
    }
  }
  /** 4. μ epochs of shuffled mini-batches: several updates per rollout batch let the policy leave pi_old. */
  private async updatePolicy(step: number, rollouts: Rollout[], promptIds: Int32Array[]): Promise<UpdateRun> {
    const s = this.settings;
    const styleBefore = await styleLogOdds(this.parts.policy, promptIds, this.codeOpeningId);
    const run: UpdateRun = {
      lr: learningRate(step, s),
      totals: emptyTotals(),
      tally: emptyClipTally(),
      gradNormSum: 0,
      updates: 0,
      trainTokens: 0,
      styleBefore,
      styleNow: styleBefore,
      styleMoveSum: 0,
    };
    for (let epoch = 0; epoch < s.ppoEpochs; epoch++) {
      const order = new Random(s.seed, 0x5eed, step, epoch).shuffle(rollouts.map((_, i) => i));
      for (let mbStart = 0; mbStart < order.length; mbStart += s.miniBatchSize) {
        const mini = order.slice(mbStart, mbStart + s.miniBatchSize).map((i) => rollouts[i]);
        await this.updateMiniBatch(step, mini, promptIds, run);
      }
    }
    return run;
  }
  /** 4a. One optimizer update; the style logit is re-read after it so the instruments see each move. */
  private async updateMiniBatch(
    step: number,
    mini: Rollout[],
    promptIds: Int32Array[],
    run: UpdateRun,
  ): Promise<void> {
    const s = this.settings;
    const { policy } = this.parts;
    const counted = mini.filter((r) => !(s.maskTruncated && r.truncated));
    const miniTokens = counted.reduce((n, r) => n + r.completionIds.length, 0);
    if (miniTokens === 0) return;
    policy.zeroGradients();
    for (let mc = 0; mc < mini.length; mc += s.microBatchSize) {
      await this.accumulateMicroBatch(
        step,
        mini.slice(mc, mc + s.microBatchSize),
        counted.length,
        miniTokens,
        run,
      );
    }
    const { gradNorm } = await policy.optimizerStep({
      lr: run.lr,
      beta1: s.beta1,
      beta2: s.beta2,
      eps: s.adamEps,
      weightDecay: s.weightDecay,
      maxGradNorm: s.maxGradNorm,
    });
    if (!Number.isFinite(gradNorm)) throw new NonFiniteError(step, 'gradient norm', gradNorm);
    run.gradNormSum += gradNorm;
    run.updates++;
    const styleAfter = await styleLogOdds(policy, promptIds, this.codeOpeningId);
    run.styleMoveSum += meanAbsChange(styleAfter, run.styleNow);
    run.styleNow = styleAfter;
  }
  /** 4b. One forward/backward, normalised by the whole mini-batch so micro-batching keeps the gradient. */
  private async accumulateMicroBatch(
    step: number,
    micro: Rollout[],
    miniBatchSequences: number,
    miniBatchTokens: number,
    run: UpdateRun,
  ): Promise<void> {
    const s = this.settings;
    const batch = buildBatch(micro, this.parts.policy.config.pad_token_id, s.maskTruncated);
    const stats = await this.parts.policy.policyStep(
      batch,
      {
        oldLogprobs: padRows(
          micro.map((r) => r.oldLogprobs!),
          batch.T,
        ),
        refLogprobs:
          s.loss.klCoef > 0
            ? padRows(
                micro.map((r) => r.refLogprobs!),
                batch.T,
              )
            : undefined,
        advantages: Float32Array.from(micro.map((r) => r.advantage)),
        miniBatchSequences,
        miniBatchTokens,
      },
      s.loss,
      s.temperature,
    );
    if (!Number.isFinite(stats.loss)) throw new NonFiniteError(step, 'policy loss', stats.loss);
    addStats(run.totals, stats);
    tallyClipEvents(
      run.tally,
      batch,
      stats.newLogprobs,
      micro.map((r) => ({
        promptLength: r.promptIds.length,
        oldLogprobs: r.oldLogprobs!,
        advantage: r.advantage,
      })),
      s.loss,
    );
    run.trainTokens += batch.lengths.reduce((n, l) => n + l, 0);
  }

  private samples(step: number, examples: PromptExample[], rollouts: Rollout[]): RolloutSample[] {
    const groups = Math.min(this.parts.sampleGroups ?? 4, examples.length);
    const out: RolloutSample[] = [];
    for (let p = 0; p < groups; p++) {
      const group = rollouts.slice(p * this.settings.groupSize, (p + 1) * this.settings.groupSize);
      out.push({
        step,
        promptIndex: p,
        question: examples[p].question,
        gold: examples[p].answer,
        completions: group.map((r) => ({
          text: r.text,
          reward: r.reward,
          advantage: r.advantage,
          extracted: extractBoxedAnswer(r.text),
          correct: gradeAnswer(r.text, examples[p].answer),
          style: responseStyle(r.text),
          truncated: r.truncated,
        })),
      });
    }
    return out;
  }
}
/** 5. Metrics: one flat StepMetrics record, so charts, exports and the CLI read the same numbers. */
function stepMetrics(
  step: number,
  examples: PromptExample[],
  rollouts: Rollout[],
  zeroStdGroupShare: number,
  run: UpdateRun,
  times: [number, number, number, number, number],
): StepMetrics {
  const [t0, t1, t2, t3, t4] = times;
  const { totals, updates } = run;
  const n = rollouts.length;
  const rewards = rollouts.map((r) => r.reward);
  const rewardMean = rewards.reduce((a, b) => a + b, 0) / n;
  const rewardStd = Math.sqrt(rewards.reduce((a, r) => a + (r - rewardMean) ** 2, 0) / n);
  const lengths = rollouts.map((r) => r.completionIds.length);
  let correct = 0;
  let code = 0;
  let boxed = 0;
  for (const r of rollouts) {
    const extracted = extractBoxedAnswer(r.text);
    if (extracted !== null) boxed++;
    if (gradeAnswer(r.text, examples[r.promptIndex].answer)) correct++;
    if (r.text.toLowerCase().includes('python')) code++;
  }
  const tokens = Math.max(1, totals.tokens);
  const rolloutTokens = lengths.reduce((a, b) => a + b, 0);
  return {
    step,
    lr: run.lr,
    rewardMean,
    rewardStd,
    zeroStdGroupShare,
    advantageMean: rollouts.reduce((a, r) => a + r.advantage, 0) / n,
    advantageAbsMean: rollouts.reduce((a, r) => a + Math.abs(r.advantage), 0) / n,
    clipFracLow: totals.clippedLow / tokens,
    clipFracHigh: totals.clippedHigh / tokens,
    clipFracRegion: (totals.clippedLow + totals.clippedHigh) / tokens,
    ratioMean: totals.ratioSum / tokens,
    ratioMin: totals.tokens ? totals.ratioMin : 1,
    ratioMax: totals.tokens ? totals.ratioMax : 1,
    approxKl: totals.approxKlSum / tokens,
    refKl: totals.refKlSum / tokens,
    entropy: totals.entropySum / tokens,
    policyLoss: updates ? totals.loss / updates : 0,
    gradNorm: updates ? run.gradNormSum / updates : 0,
    updates,
    responseLengthMean: rolloutTokens / n,
    responseLengthMax: Math.max(...lengths),
    truncatedShare: rollouts.filter((r) => r.truncated).length / n,
    codeFrequency: code / n,
    rolloutAccuracy: correct / n,
    formatRate: boxed / n,
    ...styleMetrics(run.tally, run.styleBefore, run.styleNow, run.styleMoveSum, updates),
    timeRolloutMs: t1 - t0,
    timeScoringMs: t2 - t1,
    timeLogprobsMs: t3 - t2,
    timeUpdateMs: t4 - t3,
    rolloutTokensPerSec: rolloutTokens / Math.max(1e-9, (t1 - t0) / 1000),
    trainTokensPerSec: run.trainTokens / Math.max(1e-9, (t4 - t3) / 1000),
  };
}

/** The instruments' step metrics (see instruments.ts and StepMetrics). */
function styleMetrics(
  tally: ClipTally,
  before: Float64Array,
  after: Float64Array,
  moveSum: number,
  updates: number,
): StyleStepMetrics {
  const byBin = (prefix: 'tokens' | 'clipHigh' | 'clipLow', counts: number[]) =>
    Object.fromEntries(P_OLD_BIN_KEYS.map((key, i) => [`${prefix}POld${key}`, counts[i]]));
  let pCode = 0;
  for (const x of before) pCode += sigmoid(x);
  return {
    stylePCodeOld: before.length ? pCode / before.length : 0,
    styleTokens: tally.styleTokens,
    styleRatioMean: tally.styleTokens ? tally.styleRatioSum / tally.styleTokens : 1,
    styleRatioMin: tally.styleTokens ? tally.styleRatioMin : 1,
    styleRatioMax: tally.styleTokens ? tally.styleRatioMax : 1,
    styleClipHigh: tally.styleClipHigh,
    styleClipLow: tally.styleClipLow,
    otherTokens: tally.otherTokens,
    otherClipHigh: tally.otherClipHigh,
    otherClipLow: tally.otherClipLow,
    ...byBin('tokens', tally.tokensByPOld),
    ...byBin('clipHigh', tally.clipHighByPOld),
    ...byBin('clipLow', tally.clipLowByPOld),
    styleLogitMovePerUpdate: updates ? moveSum / updates : 0,
    styleLogitMovePerBatch: meanAbsChange(after, before),
  } as StyleStepMetrics;
}

/** Right-padded (B, T) batch of prompt+completion rows; the loss mask covers completion tokens. */
function buildBatch(rows: Rollout[], padId: number, maskTruncated: boolean): TokenBatch {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.promptIds.length + r.completionIds.length));
  const tokens = new Int32Array(B * T).fill(padId);
  const lengths = new Int32Array(B);
  const lossMask = new Float32Array(B * T);
  rows.forEach((r, b) => {
    const p = r.promptIds.length;
    tokens.set(r.promptIds, b * T);
    tokens.set(r.completionIds, b * T + p);
    lengths[b] = p + r.completionIds.length;
    if (!(maskTruncated && r.truncated)) lossMask.fill(1, b * T + p, b * T + lengths[b]);
  });
  return { B, T, tokens, lengths, lossMask };
}

function rowSlice(values: Float32Array, b: number, T: number, length: number): Float32Array {
  return values.slice(b * T, b * T + length);
}

function padRows(rows: Float32Array[], T: number): Float32Array {
  const out = new Float32Array(rows.length * T);
  rows.forEach((r, b) => {
    out.set(r.subarray(0, T), b * T);
  });
  return out;
}

function emptyTotals(): PolicyLossStats {
  return {
    loss: 0,
    tokens: 0,
    ratioSum: 0,
    ratioMin: Number.POSITIVE_INFINITY,
    ratioMax: Number.NEGATIVE_INFINITY,
    clippedLow: 0,
    clippedHigh: 0,
    approxKlSum: 0,
    refKlSum: 0,
    entropySum: 0,
  };
}

function addStats(total: PolicyLossStats, s: PolicyLossStats): void {
  total.loss += s.loss;
  total.tokens += s.tokens;
  total.ratioSum += s.ratioSum;
  total.ratioMin = Math.min(total.ratioMin, s.ratioMin);
  total.ratioMax = Math.max(total.ratioMax, s.ratioMax);
  total.clippedLow += s.clippedLow;
  total.clippedHigh += s.clippedHigh;
  total.approxKlSum += s.approxKlSum;
  total.refKlSum += s.refKlSum;
  total.entropySum += s.entropySum;
}
