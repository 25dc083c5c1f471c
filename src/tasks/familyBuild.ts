// The one build core of a zoo family, for the CLI (scripts/build-zoo.ts, the shipped zoo) and the page's
// "Build a family" (a Web Worker, src/ui/zoo/zooWorker.ts): the spec (name, corpus knobs, steps, seed)
// and its validation, pretraining resumable from a progress checkpoint, then the measurement on
// MiniMath-500 that becomes the family's card. Where it runs only changes the hooks (where checkpoints
// go, how progress is shown) and the card's wording.
import type { Backend, EngineModel } from '../engine/backend';
import { type CheckpointFiles, saveCheckpoint } from '../model/checkpoint';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import { type CorpusKnobs, corpusKnobProblems, FAMILY_NAMES, type FamilyName } from './corpus';
import { miniMath500 } from './minimath';
import { PretrainBatches, type PretrainSchedule, pretrainLoop } from './pretrain';
import {
  checkTargets,
  measureCorpus,
  type TrainingSession,
  ZOO_MODEL_CONFIG,
  type ZooCard,
  zooCard,
} from './zoo';
import { DEFAULT_ZOO_EVAL_OPTIONS, evaluateZooModel, measureZooCheck } from './zooEval';

export interface FamilySpec {
  /** The family's id: also its name in the experiment's model field and its download folder. */
  name: string;
  /** The shipped family whose knobs the user started from ('' when none). */
  basedOn: string;
  knobs: CorpusKnobs;
  steps: number;
  seed: number;
  batchSize: number;
  peakLr: number;
  /** MiniMath-500 problems (from the first) and samples per problem of the card's measurement. */
  evalProblems: number;
  evalSamples: number;
}

/** What a card says about where and how the family was built (the CLI and the page word it differently). */
export interface CardText {
  like: string;
  description: string;
  buildCommand: string;
  notes: string[];
  /** For a shipped family: its bands are checked, llama-tiny's against qwen-math-tiny's greedy accuracy. */
  targetsOf?: FamilyName;
  qwenGreedyAccuracy?: number | null;
}

/** The card text of a family built in the page. */
export function pageCardText(spec: FamilySpec): CardText {
  return {
    like: spec.basedOn ? `user family started from ${spec.basedOn}` : 'user family',
    description:
      'Tiny Qwen2-architecture model pretrained in the lab page (Build a family) on a MiniMath corpus with this style rule and per-style correctness (systematic first-step slips).',
    buildCommand: `built in the lab UI (Build a family): seed ${spec.seed}, ${spec.steps} steps, batch ${spec.batchSize}, lr ${spec.peakLr}; corpus knobs below`,
    notes: [
      `Measured in the browser on ${spec.evalProblems} problems x ${spec.evalSamples} samples (the shipped cards use 500 x 4): expect a few points of sampling noise.`,
    ],
  };
}

/** Problems of the card's check slice (the shipped-card test re-measures them). */
export const CHECK_PROBLEMS = 100;

export const FAMILY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;
export const MAX_BUILD_STEPS = 20_000;

/** Every problem with a spec, empty when it can be built. */
/** `shipped`: the CLI rebuilding a shipped family (the page may not reuse those names). */
export function familySpecProblems(spec: FamilySpec, shipped = false): string[] {
  const problems: string[] = [];
  if (!FAMILY_ID_PATTERN.test(spec.name))
    problems.push(
      'name must be 3-40 characters of lowercase letters, digits and dashes, starting and ending with a letter or digit',
    );
  else if (!shipped && (FAMILY_NAMES as readonly string[]).includes(spec.name))
    problems.push(`name '${spec.name}' is a shipped family; pick another`);
  const integerIn = (label: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${label} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  };
  integerIn('steps', spec.steps, 1, MAX_BUILD_STEPS);
  integerIn('seed', spec.seed, 0, 2 ** 31 - 1);
  integerIn('batch size', spec.batchSize, 1, 64);
  integerIn('eval problems', spec.evalProblems, 1, 500);
  integerIn('eval samples', spec.evalSamples, 1, 16);
  if (!(spec.peakLr > 0 && spec.peakLr <= 0.1))
    problems.push(`learning rate must be in (0, 0.1] (got ${String(spec.peakLr)})`);
  problems.push(...corpusKnobProblems(spec.knobs));
  return problems;
}

/** What a build needs to continue exactly where it left off (the batches are re-derived from the seed). */
export interface BuildProgress {
  step: number;
  params: Float32Array;
  optimizer: { step: number; m: Float32Array; v: Float32Array };
  processedTokens: number;
  responseTokens: number;
  lossEma: number | null;
  sessions: TrainingSession[];
  engine: string;
}

export interface StepReport {
  step: number;
  totalSteps: number;
  lossEma: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface BuildHooks {
  onStep?: (report: StepReport) => void;
  /** A progress checkpoint to keep (every `checkpointEvery` steps and when stopping). */
  onCheckpoint?: (progress: BuildProgress) => void | Promise<void>;
  onEvalProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
  /** Awaited between steps: a paused build waits here. */
  waitWhilePaused?: () => Promise<void>;
  checkpointEvery?: number;
}

export type BuildResult =
  | { kind: 'stopped'; progress: BuildProgress }
  | { kind: 'built'; files: CheckpointFiles; card: ZooCard };

/** Same optimizer as scripts/build-zoo.ts, so a family built here is comparable with the shipped ones. */
export const BUILD_OPTIMIZER = { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

export function buildSchedule(spec: FamilySpec): PretrainSchedule {
  return {
    peakLr: spec.peakLr,
    warmupSteps: Math.min(200, Math.floor(spec.steps / 10)),
    totalSteps: spec.steps,
    minLrRatio: 0.1,
  };
}

async function snapshot(
  model: EngineModel,
  state: Omit<BuildProgress, 'params' | 'optimizer'>,
): Promise<BuildProgress> {
  return {
    ...state,
    sessions: state.sessions.map((s) => ({ ...s })),
    params: await model.readParameters(),
    optimizer: await model.readOptimizerState(),
  };
}

/** Pretrains (from `resume` when given) and, unless stopped, measures the model and writes its card. */
export async function buildFamily(
  spec: FamilySpec,
  backend: Backend,
  resume: BuildProgress | null,
  hooks: BuildHooks = {},
  text: CardText = pageCardText(spec),
): Promise<BuildResult> {
  const problems = familySpecProblems(spec, text.targetsOf !== undefined);
  if (problems.length) throw new Error(`Cannot build: ${problems.join('; ')}`);
  const tokenizer = CharTokenizer.lab();
  const model = await backend.createModel(
    ZOO_MODEL_CONFIG,
    resume ? resume.params : initParameters(ZOO_MODEL_CONFIG, spec.seed),
  );
  try {
    if (resume) await model.writeOptimizerState(resume.optimizer);
    const state = {
      step: resume?.step ?? 0,
      processedTokens: resume?.processedTokens ?? 0,
      responseTokens: resume?.responseTokens ?? 0,
      lossEma: resume?.lossEma ?? null,
      sessions: resume ? resume.sessions.map((s) => ({ ...s })) : [],
      engine: resume && resume.engine !== backend.kind ? `${resume.engine}+${backend.kind}` : backend.kind,
    };
    const batches = new PretrainBatches(spec.knobs, spec.seed, tokenizer, spec.batchSize);
    batches.skip(state.step);
    const session: TrainingSession = {
      startedAt: new Date().toISOString(),
      fromStep: state.step,
      toStep: state.step,
      totalSteps: spec.steps,
      seconds: 0,
    };
    // An evaluation of a finished build (the CLI's --eval-only) adds no training session to the card.
    if (state.step < spec.steps) state.sessions.push(session);
    const started = performance.now();
    // Time spent paused is not training time.
    let pausedMs = 0;
    let sessionTokens = 0;
    const every = hooks.checkpointEvery ?? 50;
    let stopped = false;
    await pretrainLoop(model, batches, {
      schedule: buildSchedule(spec),
      optimizer: BUILD_OPTIMIZER,
      fromStep: state.step,
      totalSteps: spec.steps,
      shouldStop: () => {
        stopped = hooks.shouldStop?.() ?? false;
        return stopped;
      },
      // Every response token weighs the same whatever its batch, as in the CLI build (see pretrainStep).
      referenceTokens: spec.batchSize * 50,
      onStep: async (step, result) => {
        state.step = step;
        state.processedTokens += result.processedTokens;
        state.responseTokens += result.tokens;
        sessionTokens += result.processedTokens;
        state.lossEma = state.lossEma === null ? result.loss : 0.98 * state.lossEma + 0.02 * result.loss;
        session.toStep = step;
        session.seconds = (performance.now() - started - pausedMs) / 1000;
        const perStep = session.seconds / (step - session.fromStep);
        hooks.onStep?.({
          step,
          totalSteps: spec.steps,
          lossEma: state.lossEma,
          tokensPerSecond: sessionTokens / Math.max(1e-9, session.seconds),
          etaSeconds: perStep * (spec.steps - step),
        });
        if (step % every === 0 && step < spec.steps) await hooks.onCheckpoint?.(await snapshot(model, state));
        if (hooks.waitWhilePaused) {
          const before = performance.now();
          await hooks.waitWhilePaused();
          pausedMs += performance.now() - before;
        }
      },
    });
    if (stopped && state.step < spec.steps) {
      const progress = await snapshot(model, state);
      await hooks.onCheckpoint?.(progress);
      return { kind: 'stopped', progress };
    }
    const evalStart = performance.now();
    const evalSet = miniMath500().slice(0, spec.evalProblems);
    const report = await evaluateZooModel(model, tokenizer, evalSet, {
      ...DEFAULT_ZOO_EVAL_OPTIONS,
      samples: spec.evalSamples,
      onProgress: hooks.onEvalProgress,
    });
    const checkOptions = { samples: 4, seed: DEFAULT_ZOO_EVAL_OPTIONS.seed, maxNewTokens: 12 };
    const check = await measureZooCheck(model, tokenizer, evalSet.slice(0, CHECK_PROBLEMS), checkOptions);
    const evalSeconds = (performance.now() - evalStart) / 1000;
    const params = await model.readParameters();
    const card = zooCard({
      name: spec.name,
      like: text.like,
      description: text.description,
      buildCommand: text.buildCommand,
      seed: spec.seed,
      knobs: spec.knobs,
      corpusMeasured: measureCorpus(spec.knobs, spec.seed, 5000),
      training: {
        engine: state.engine,
        steps: state.step,
        batchSize: spec.batchSize,
        schedule: buildSchedule(spec),
        optimizer: BUILD_OPTIMIZER,
        processedTokens: state.processedTokens,
        responseTokens: state.responseTokens,
        lossEma: state.lossEma,
        sessions: state.sessions,
      },
      evalProblems: evalSet.length,
      evalSeconds,
      report,
      check,
      targets: text.targetsOf ? checkTargets(text.targetsOf, report, text.qwenGreedyAccuracy ?? null) : [],
      notes: text.notes,
    });
    return { kind: 'built', files: saveCheckpoint(ZOO_MODEL_CONFIG, params, tokenizer), card };
  } finally {
    model.dispose();
  }
}
