// Turns a validated ExperimentConfig into a runnable plan on a host: loads the zoo model, creates the
// backend, builds the training prompt pool for the reward (all / one-shot / offline-majority / incorrect
// labels, the label pipeline sampling the pre-RL model), the MiniMath-500 eval slice, and the trainer's
// settings. The browser Worker and the Node CLI both call this, so they run the same experiment.
import type { Backend, EngineModel } from '../engine/backend';
import type { BackendChoice } from '../engine/backendRule';
import type { ModelConfig } from '../model/config';
import type { CharTokenizer } from '../model/tokenizer';
import {
  buildOfflineMajorityLabels,
  compileReward,
  incorrectLabelIndices,
  labelledIndices,
  type OfflineLabel,
  rewardTrainingSet,
  scoreGroup,
} from '../rl/rewards';
import { type GrpoSettings, newTokenBudget, type PromptExample } from '../rl/trainer';
import { extractIntegerAnswer } from '../tasks/answer';
import type { DatasetProblem } from '../tasks/dataset';
import { formatPrompt } from '../tasks/format';
import {
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  MiniMathStream,
  miniMath500,
} from '../tasks/minimath';
import { Random } from '../util/random';
import { policyLossConfig } from './config/derived';
import type { ExperimentConfig } from './config/schema';
import type { RunParts, RunPlan } from './runner';

/** The fixed MiniMath training pool: the same prompts for every seed (seeds vary order and sampling). */
export const TRAIN_POOL_SEED = 2025;
export const TRAIN_POOL_SIZE = 4096;
/** Prompts the offline label pipeline labels (k samples each from the pre-RL model). */
export const LABEL_POOL_SIZE = 128;
const PROMPT_ORDER_STREAM = 0x9e77;

export interface LoadedModel {
  config: ModelConfig;
  params: Float32Array;
  tokenizer: CharTokenizer;
}

/**
 * What a platform provides to assemble a run: backends, the zoo's models, imported datasets (the
 * browser Worker's in browserHost.ts, Node's in cli/nodeHost.ts). Not the UI's RunHost, which
 * computes runs for the page.
 */
export interface RunResources {
  createBackend(choice: BackendChoice): Promise<Backend>;
  loadModel(family: string): Promise<LoadedModel>;
  /** User datasets (imported JSONL) by id; absent hosts only know 'minimath'. */
  loadDataset?(id: string): Promise<DatasetProblem[]>;
  /** Progress of the set-up phases (label pipeline), for progress bars. */
  onSetupProgress?(phase: string, done: number, total: number): void;
}

export interface AssembledRun {
  plan: RunPlan;
  parts: RunParts;
  backend: Backend;
  policy: EngineModel;
  reference?: EngineModel;
  tokenizer: CharTokenizer;
  /** Offline labels when the reward needed them (reported in summaries). */
  labels: OfflineLabel[] | null;
  trainingSetSize: number;
}

/**
 * Frees a run's models and its backend's buffers once it has ended (a shared GPU device lives on for
 * the other runs on it; a Worker or process computing a sweep would otherwise keep every finished run).
 */
export function releaseRun(run: Pick<AssembledRun, 'policy' | 'reference' | 'backend'>): void {
  run.policy.dispose();
  run.reference?.dispose();
  run.backend.dispose();
}

export class ExperimentSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExperimentSetupError';
  }
}

function generatorOptions(difficulty: number): GeneratorOptions {
  if (difficulty >= 1 && difficulty <= 3) {
    const levelWeights: [number, number, number] = [0, 0, 0];
    levelWeights[difficulty - 1] = 1;
    return { ...DEFAULT_GENERATOR_OPTIONS, levelWeights };
  }
  return DEFAULT_GENERATOR_OPTIONS;
}

async function trainingPool(config: ExperimentConfig, host: RunResources): Promise<PromptExample[]> {
  if (config.dataset === 'minimath') {
    return new MiniMathStream(TRAIN_POOL_SEED, generatorOptions(config.difficulty))
      .take(TRAIN_POOL_SIZE)
      .map((p, id) => ({ id, question: p.question, answer: String(p.answer) }));
  }
  if (!host.loadDataset) throw new ExperimentSetupError(`dataset "${config.dataset}" is not available here`);
  const problems = await host.loadDataset(config.dataset);
  if (!problems.length) throw new ExperimentSetupError(`dataset "${config.dataset}" has no usable problems`);
  return problems.map((p, id) => ({ id, question: p.prompt, answer: String(p.answer) }));
}

/** The GRPO settings of an experiment (seed given separately so sweeps reuse one config). */
export function grpoSettings(config: ExperimentConfig, seed: number): GrpoSettings {
  return {
    seed,
    promptsPerStep: config.promptsPerStep,
    groupSize: config.groupSize,
    miniBatchSize: config.miniBatchSize,
    microBatchSize: Math.min(config.miniBatchSize, 32),
    ppoEpochs: config.ppoEpochs,
    temperature: config.temperature,
    topP: config.topP,
    topK: 0,
    maxNewTokens: config.maxNewTokens,
    loss: policyLossConfig(config),
    stdScaling: config.stdScaling,
    maskTruncated: config.maskTruncated,
    lr: config.lr,
    warmupSteps: config.warmupSteps,
    totalSteps: config.steps,
    lrSchedule: config.lrSchedule,
    beta1: config.beta1,
    beta2: config.beta2,
    adamEps: config.adamEps,
    weightDecay: config.weightDecay,
    maxGradNorm: config.gradClip > 0 ? config.gradClip : Number.POSITIVE_INFINITY,
  };
}

/**
 * Builds everything for one seed of an experiment. `seed` defaults to config.seed; sweeps pass
 * config.seed + i.
 */
export async function assembleRun(
  config: ExperimentConfig,
  host: RunResources,
  seed = config.seed,
): Promise<AssembledRun> {
  const reward = compileReward(config.reward);
  if (!reward.ok) throw new ExperimentSetupError(`reward "${config.reward}": ${reward.why}`);
  const model = await host.loadModel(config.model);
  const backend = await host.createBackend(config.backend);
  const policy = await backend.createModel(model.config, model.params);
  const reference = config.klCoef > 0 ? await backend.createModel(model.config, model.params) : undefined;
  const tokenizer = model.tokenizer;
  const codec = {
    encode: (text: string) => tokenizer.encode(text),
    decode: (ids: ArrayLike<number>) => tokenizer.decode(ids, { skipSpecialTokens: true }),
  };

  // Training set for the reward (the paper: one-shot trains on one example; incorrect on prompts whose
  // offline majority label is wrong, rewarding agreement with that wrong label).
  let pool = await trainingPool(config, host);
  let labels: OfflineLabel[] | null = null;
  const kind = rewardTrainingSet(config.reward);
  if (kind === 'one_shot') {
    const index = Math.min(config.oneShotIndex, pool.length - 1);
    pool = [pool[index]];
  } else if (kind === 'majority_labels' || kind === 'incorrect_labels') {
    const candidates = pool.slice(0, LABEL_POOL_SIZE);
    labels = await buildOfflineMajorityLabels(
      candidates.map((p) => ({ prompt: p.question, answer: p.answer })),
      async (question, k, index) => {
        host.onSetupProgress?.('offline majority labels', index, candidates.length);
        const prompt = Int32Array.from(codec.encode(formatPrompt(question)));
        const result = await policy.generate({
          prompts: Array.from({ length: k }, () => prompt),
          maxNewTokens: newTokenBudget([prompt], config.maxNewTokens, model.config.max_position_embeddings),
          temperature: config.temperature,
          topK: 0,
          topP: config.topP,
          seed,
          // Label sampling streams sit far above training steps so they never share draws.
          stream: 0x20000000 + index,
          eosId: model.config.eos_token_id,
        });
        return result.completions.map((ids) => extractIntegerAnswer(codec.decode(ids)));
      },
      config.labelSamples,
    );
    host.onSetupProgress?.('offline majority labels', candidates.length, candidates.length);
    const keep = kind === 'incorrect_labels' ? incorrectLabelIndices(labels) : labelledIndices(labels);
    if (!keep.length) {
      throw new ExperimentSetupError(
        kind === 'incorrect_labels'
          ? `the initial model's majority answer was never wrong on ${candidates.length} prompts: no training set for "incorrect"`
          : `the initial model gave no answer on ${candidates.length} prompts: no majority labels`,
      );
    }
    const labelled = labels;
    pool = keep.map(
      (i) => ({ ...candidates[i], label: labelled[i].label }) as PromptExample & { label: string | null },
    );
  }

  const promptsForStep = (step: number): PromptExample[] => {
    const rng = new Random(seed, PROMPT_ORDER_STREAM, step);
    if (pool.length >= config.promptsPerStep) {
      const picked = new Set<number>();
      while (picked.size < config.promptsPerStep) picked.add(rng.int(0, pool.length - 1));
      return [...picked].map((i) => pool[i]);
    }
    return Array.from({ length: config.promptsPerStep }, () => pool[rng.int(0, pool.length - 1)]);
  };

  const evalProblems = miniMath500()
    .slice(0, config.evalSize)
    .map((p, id) => ({ id, question: p.question, answer: String(p.answer) }));

  const plan: RunPlan = {
    steps: config.steps,
    evalEvery: config.evalEvery,
    checkpointEvery: config.checkpointEvery,
    grpo: grpoSettings(config, seed),
    eval: {
      k: config.evalK,
      temperature: config.evalTemperature,
      topP: 1,
      maxNewTokens: config.maxNewTokens,
      seed,
      batchSize: 64,
    },
  };
  const parts: RunParts = {
    policy,
    reference,
    codec,
    formatPrompt,
    promptsForStep,
    evalProblems,
    score: ({ step, promptIndex, example, responses }) =>
      scoreGroup(
        reward.fn,
        responses,
        { answer: example.answer, majorityLabel: (example as { label?: string | null }).label ?? null },
        { seed, step, promptIndex, params: { gamma: config.gamma } },
      ),
  };
  return { plan, parts, backend, policy, reference, tokenizer, labels, trainingSetSize: pool.length };
}
