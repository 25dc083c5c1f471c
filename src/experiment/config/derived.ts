// Settings derived from an experiment for the layers below it: the engine's loss and AdamW options,
// the trainer's learning-rate schedule, the updates per rollout batch the clip depends on, and the real
// model a family imitates (for the cluster export).
import type { AdamWConfig, PolicyLossConfig } from '../../engine/backend';
import { learningRate } from '../../rl/trainer';
import { type ExperimentConfig, ZOO_FAMILIES } from './schema';

/** Optimizer updates per rollout batch: what lets the policy leave pi_old and the clip act. */
export function updatesPerRolloutBatch(config: ExperimentConfig): number {
  return ((config.promptsPerStep * config.groupSize) / config.miniBatchSize) * config.ppoEpochs;
}

/** The engine's loss options for this experiment. */
export function policyLossConfig(config: ExperimentConfig): PolicyLossConfig {
  return {
    clipMode: config.clipMode,
    epsLow: config.epsLow,
    epsHigh: config.epsHigh,
    dualClip: config.dualClip > 1 ? config.dualClip : null,
    logRatioClamp: config.logRatioClamp,
    klCoef: config.klCoef,
    klEstimator: config.klEstimator,
    entropyCoef: config.entropyCoef,
    aggregation: config.aggregation,
    maxLengthNorm: config.maxNewTokens,
  };
}

/** The engine's AdamW options at a given learning rate (the schedule is the trainer's). */
export function adamWConfig(config: ExperimentConfig, lr = config.lr): AdamWConfig {
  return {
    lr,
    beta1: config.beta1,
    beta2: config.beta2,
    eps: config.adamEps,
    weightDecay: config.weightDecay,
    maxGradNorm: config.gradClip > 0 ? config.gradClip : Number.POSITIVE_INFINITY,
  };
}

/** Learning rate at a 0-based GRPO step: the trainer's schedule (linear warmup, then constant or cosine to 0). */
export function learningRateAt(config: ExperimentConfig, step: number): number {
  return learningRate(step, { ...config, totalSteps: config.steps });
}

/** The real model a family imitates, or null for user-built families. */
export function realModelFor(family: string): string | null {
  return (ZOO_FAMILIES as Record<string, string>)[family] ?? null;
}
