// Builds one zoo family end to end: pretrains a tiny Qwen2 model with the lab's own engine on the
// family's MiniMath corpus (next-token loss on responses only), resumable from a work directory, then
// measures it on MiniMath-500 and writes public/models/<family>/ with a card.json of the measured figures.
//
//   npx tsx scripts/build-zoo.ts --family qwen-math-tiny [--steps N] [--resume] [--eval-only]
//       [--backend auto|cpu|webgpu]
//
// The engine is the CPU one unless --backend is given (so the shipped cards' commands rebuild exactly):
// `auto` takes a hardware WebGPU adapter when there is one and the CPU engine otherwise (SwiftShader is
// slower than the CPU engine), `webgpu` insists on WebGPU. The card records the engine that trained.
//
// Progress (bar, loss, tokens/s, ETA) goes to stderr. The work directory (default runs/zoo/<family>)
// holds the latest checkpoint, the AdamW moments and state.json; --resume continues from it with the
// same batches a single uninterrupted run would have seen. Ctrl-C (or SIGTERM) saves before exiting.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeBackend } from '../src/cli/nodeHost';
import type { Backend, EngineModel } from '../src/engine/backend';
import type { BackendChoice } from '../src/experiment/config';
import { saveCheckpoint } from '../src/model/checkpoint';
import { initParameters } from '../src/model/layout';
import { readCheckpointDir, writeCheckpointDir } from '../src/model/nodeCheckpointDir';
import { CharTokenizer } from '../src/model/tokenizer';
import { miniMath500 } from '../src/tasks/minimath';
import { type LrSchedule, PretrainBatches, pretrainLoop } from '../src/tasks/pretrain';
import {
  checkTargets,
  familyPreset,
  measureCorpus,
  type TrainingSession,
  ZOO_MODEL_CONFIG,
  zooCard,
} from '../src/tasks/zoo';
import { DEFAULT_ZOO_EVAL_OPTIONS, evaluateZooModel, measureCodeFrequency } from '../src/tasks/zooEval';

interface Args {
  family: string;
  steps: number;
  resume: boolean;
  evalOnly: boolean;
  seed: number | null;
  batchSize: number;
  peakLr: number;
  checkpointEvery: number;
  workDir: string | null;
  outDir: string | null;
  evalProblems: number;
  samples: number;
  /** null: the CPU engine, and no --backend in the card's build command. */
  backend: BackendChoice | null;
}

const USAGE = `usage: npx tsx scripts/build-zoo.ts --family <qwen-math-tiny|llama-tiny|olmo-sft-tiny>
  [--steps N=1800] [--resume] [--eval-only] [--seed S] [--batch-size 8] [--lr 3e-3]
  [--checkpoint-every 100] [--work-dir runs/zoo/<family>] [--out public/models/<family>]
  [--eval-problems 500] [--samples 4] [--backend auto|cpu|webgpu (default cpu)]`;

function parseArgs(argv: string[]): Args {
  const args: Args = {
    family: '',
    steps: 1800,
    resume: false,
    evalOnly: false,
    seed: null,
    batchSize: 8,
    peakLr: 3e-3,
    checkpointEvery: 100,
    workDir: null,
    outDir: null,
    evalProblems: 500,
    samples: DEFAULT_ZOO_EVAL_OPTIONS.samples,
    backend: null,
  };
  const numberFlag = (flag: string, value: string | undefined, integer: boolean): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new Error(
        `${flag} needs a positive ${integer ? 'integer' : 'number'} (got ${value ?? 'nothing'})`,
      );
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const take = () => {
      i++;
      return value;
    };
    if (flag === '--family') args.family = take() ?? '';
    else if (flag === '--steps') args.steps = numberFlag(flag, take(), true);
    else if (flag === '--resume') args.resume = true;
    else if (flag === '--eval-only') args.evalOnly = true;
    else if (flag === '--seed') args.seed = numberFlag(flag, take(), true);
    else if (flag === '--batch-size') args.batchSize = numberFlag(flag, take(), true);
    else if (flag === '--lr') args.peakLr = numberFlag(flag, take(), false);
    else if (flag === '--checkpoint-every') args.checkpointEvery = numberFlag(flag, take(), true);
    else if (flag === '--work-dir') args.workDir = take() ?? null;
    else if (flag === '--out') args.outDir = take() ?? null;
    else if (flag === '--eval-problems') args.evalProblems = Math.min(500, numberFlag(flag, take(), true));
    else if (flag === '--samples') args.samples = numberFlag(flag, take(), true);
    else if (flag === '--backend') {
      const choice = take();
      if (choice !== 'auto' && choice !== 'cpu' && choice !== 'webgpu')
        throw new Error(`--backend needs auto, cpu or webgpu (got ${choice ?? 'nothing'})`);
      args.backend = choice;
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${flag}'\n${USAGE}`);
  }
  if (!args.family) throw new Error(`--family is required\n${USAGE}`);
  return args;
}

/** Fixed per family so a rebuild is reproducible without remembering flags. */
const FAMILY_SEEDS: Record<string, number> = {
  'qwen-math-tiny': 1101,
  'llama-tiny': 2202,
  'olmo-sft-tiny': 3303,
};

interface TrainState {
  family: string;
  seed: number;
  step: number;
  totalSteps: number;
  batchSize: number;
  peakLr: number;
  processedTokens: number;
  responseTokens: number;
  lossEma: number | null;
  sessions: TrainingSession[];
  optimizerStep: number;
}

const OPTIMIZER = { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

function progressLine(label: string, done: number, total: number, extra: string, etaSeconds: number): string {
  const width = 24;
  const filled = Math.round((done / total) * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `${label} [${bar}] ${done}/${total} ${((100 * done) / total).toFixed(1)}% ${extra} ETA ${formatDuration(etaSeconds)}`;
}

async function writeAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

async function saveWork(workDir: string, model: EngineModel, state: TrainState): Promise<void> {
  const params = await model.readParameters();
  await writeCheckpointDir(join(workDir, 'checkpoint'), saveCheckpoint(ZOO_MODEL_CONFIG, params));
  const optimizer = await model.readOptimizerState();
  await writeAtomic(join(workDir, 'adam-m.f32'), new Uint8Array(optimizer.m.buffer.slice(0)));
  await writeAtomic(join(workDir, 'adam-v.f32'), new Uint8Array(optimizer.v.buffer.slice(0)));
  state.optimizerStep = optimizer.step;
  await writeAtomic(join(workDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

async function loadWork(
  workDir: string,
): Promise<{ state: TrainState; params: Float32Array; m: Float32Array; v: Float32Array }> {
  const state = JSON.parse(await readFile(join(workDir, 'state.json'), 'utf8')) as TrainState;
  const { params } = await readCheckpointDir(join(workDir, 'checkpoint'));
  const asFloats = (buffer: Buffer) =>
    new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  const m = asFloats(await readFile(join(workDir, 'adam-m.f32')));
  const v = asFloats(await readFile(join(workDir, 'adam-v.f32')));
  if (m.length !== params.length || v.length !== params.length)
    throw new Error(
      `${workDir}: optimizer moments do not match the checkpoint (${m.length} vs ${params.length})`,
    );
  return { state, params, m, v };
}

function scheduleOf(state: TrainState): LrSchedule {
  return {
    peakLr: state.peakLr,
    warmupSteps: Math.min(200, Math.floor(state.totalSteps / 10)),
    totalSteps: state.totalSteps,
    minLrRatio: 0.1,
  };
}

async function train(
  args: Args,
  backend: Backend,
  workDir: string,
): Promise<{ model: EngineModel; state: TrainState }> {
  const preset = familyPreset(args.family);
  const tokenizer = CharTokenizer.lab();
  let state: TrainState;
  let model: EngineModel;
  if (args.resume || args.evalOnly) {
    const loaded = await loadWork(workDir);
    state = loaded.state;
    if (state.family !== args.family)
      throw new Error(`${workDir} holds family '${state.family}', not '${args.family}'`);
    if (!args.evalOnly && args.steps !== state.totalSteps) {
      console.error(
        `note: total steps changed from ${state.totalSteps} to ${args.steps} (the schedule stretches)`,
      );
      state.totalSteps = args.steps;
    }
    model = await backend.createModel(ZOO_MODEL_CONFIG, loaded.params);
    await model.writeOptimizerState({ step: state.optimizerStep, m: loaded.m, v: loaded.v });
    console.error(`resumed ${args.family} at step ${state.step}/${state.totalSteps} from ${workDir}`);
  } else {
    const seed = args.seed ?? FAMILY_SEEDS[args.family];
    state = {
      family: args.family,
      seed,
      step: 0,
      totalSteps: args.steps,
      batchSize: args.batchSize,
      peakLr: args.peakLr,
      processedTokens: 0,
      responseTokens: 0,
      lossEma: null,
      sessions: [],
      optimizerStep: 0,
    };
    model = await backend.createModel(ZOO_MODEL_CONFIG, initParameters(ZOO_MODEL_CONFIG, seed));
    await mkdir(workDir, { recursive: true });
  }
  if (args.evalOnly || state.step >= state.totalSteps) return { model, state };

  const batches = new PretrainBatches(preset.knobs, state.seed, tokenizer, state.batchSize);
  batches.skip(state.step);
  const schedule = scheduleOf(state);
  const session: TrainingSession = {
    startedAt: new Date().toISOString(),
    fromStep: state.step,
    toStep: state.step,
    totalSteps: state.totalSteps,
    seconds: 0,
  };
  state.sessions.push(session);
  const sessionStart = performance.now();
  let stopRequested = false;
  // SIGTERM too: background jobs of a non-interactive shell ignore SIGINT, and `kill` sends SIGTERM.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopRequested = true;
      console.error(`\n${signal}: stopping after this step (saving a checkpoint) ...`);
    });
  }
  let lastPrint = 0;
  let sessionTokens = 0;
  await pretrainLoop(model, batches, {
    schedule,
    optimizer: OPTIMIZER,
    fromStep: state.step,
    totalSteps: state.totalSteps,
    shouldStop: () => stopRequested,
    // Every response token weighs the same whatever its batch (see pretrainStep): ~50 per response.
    referenceTokens: state.batchSize * 50,
    onStep: async (step, result) => {
      state.step = step;
      state.processedTokens += result.processedTokens;
      state.responseTokens += result.tokens;
      sessionTokens += result.processedTokens;
      state.lossEma = state.lossEma === null ? result.loss : 0.98 * state.lossEma + 0.02 * result.loss;
      session.toStep = step;
      session.seconds = (performance.now() - sessionStart) / 1000;
      const now = performance.now();
      if (now - lastPrint > 2000 || step === state.totalSteps) {
        lastPrint = now;
        const perStep = session.seconds / (step - session.fromStep);
        const rate = sessionTokens / session.seconds;
        const extra = `loss ${state.lossEma.toFixed(4)} lr ${result.lr.toExponential(2)} ${(rate / 1000).toFixed(2)}k tok/s`;
        process.stderr.write(
          `\r${progressLine(args.family, step, state.totalSteps, extra, perStep * (state.totalSteps - step))}   `,
        );
      }
      if (step % args.checkpointEvery === 0) await saveWork(workDir, model, state);
    },
  });
  process.stderr.write('\n');
  await saveWork(workDir, model, state);
  if (stopRequested) {
    console.error(`saved at step ${state.step}; continue with --resume`);
    process.exit(130);
  }
  return { model, state };
}

async function evaluateAndShip(
  args: Args,
  model: EngineModel,
  state: TrainState,
  outDir: string,
  engine: string,
): Promise<void> {
  const preset = familyPreset(args.family);
  const tokenizer = CharTokenizer.lab();
  const problems = miniMath500().slice(0, args.evalProblems);
  const evalStart = performance.now();
  const options = {
    ...DEFAULT_ZOO_EVAL_OPTIONS,
    samples: args.samples,
    onProgress: (done: number, total: number) => {
      const elapsed = (performance.now() - evalStart) / 1000;
      process.stderr.write(
        `\r${progressLine('eval', done, total, '', (elapsed / done) * (total - done))}   `,
      );
    },
  };
  const report = await evaluateZooModel(model, tokenizer, problems, options);
  process.stderr.write('\n');
  const checkOptions = { samples: 4, seed: DEFAULT_ZOO_EVAL_OPTIONS.seed, maxNewTokens: 12 };
  const checkProblems = miniMath500().slice(0, 100);
  const check = {
    problems: checkProblems.length,
    ...checkOptions,
    codeFrequency: await measureCodeFrequency(model, tokenizer, checkProblems, checkOptions),
  };
  const evalSeconds = (performance.now() - evalStart) / 1000;
  const params = await model.readParameters();
  const targets = checkTargets(preset.name, report);
  const card = zooCard({
    name: preset.name,
    like: preset.like,
    description:
      'Tiny Qwen2-architecture model pretrained by the lab on a MiniMath corpus with this style prior and per-style correctness (systematic first-step slips).',
    buildCommand: `npx tsx scripts/build-zoo.ts --family ${preset.name} --steps ${state.totalSteps}${args.seed !== null ? ` --seed ${state.seed}` : ''}${state.batchSize !== 8 ? ` --batch-size ${state.batchSize}` : ''}${state.peakLr !== 3e-3 ? ` --lr ${state.peakLr}` : ''}${args.backend !== null ? ` --backend ${args.backend}` : ''}`,
    seed: state.seed,
    knobs: preset.knobs,
    corpusMeasured: measureCorpus(preset.knobs, state.seed),
    training: {
      engine,
      steps: state.step,
      batchSize: state.batchSize,
      schedule: scheduleOf(state),
      optimizer: OPTIMIZER,
      processedTokens: state.processedTokens,
      responseTokens: state.responseTokens,
      lossEma: state.lossEma,
      sessions: state.sessions,
    },
    evalProblems: problems.length,
    evalSeconds,
    report,
    check,
    targets,
    notes: [],
  });
  await writeCheckpointDir(outDir, saveCheckpoint(ZOO_MODEL_CONFIG, params), card);
  const s = report.sampled;
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  console.log(
    `${preset.name}: sampled code ${pct(s.codeFrequency)}, accuracy ${pct(s.accuracy)} (code ${pct(s.codeAccuracy)} vs language-only ${pct(s.languageOnlyAccuracy)}); greedy accuracy ${pct(report.greedy.accuracy)}, code ${pct(report.greedy.codeFrequency)}; forced greedy code ${pct(report.greedyForcedStyle.code)} vs language ${pct(report.greedyForcedStyle.language)}; check slice code ${pct(check.codeFrequency)}`,
  );
  for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.target}`);
  console.log(`wrote ${outDir}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  familyPreset(args.family);
  const workDir = args.workDir ?? join('runs', 'zoo', args.family);
  const outDir = args.outDir ?? join('public', 'models', args.family);
  // Without --backend: the CPU engine, which every machine has and the shipped cards were built with.
  const backend = await createNodeBackend(args.backend ?? 'cpu', (line) => console.error(line));
  console.error(`${args.family}: engine ${backend.description}, work dir ${workDir}`);
  const { model, state } = await train(args, backend, workDir);
  await evaluateAndShip(args, model, state, outDir, backend.kind);
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(`build-zoo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
