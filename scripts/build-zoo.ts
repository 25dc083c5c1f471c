// Builds one zoo family end to end with the build core the page uses too (src/tasks/familyBuild.ts):
// pretrains a tiny Qwen2 model with the lab's own engine on the family's MiniMath corpus (next-token loss
// on responses only), resumable from a work directory, then measures it on MiniMath-500 and writes
// public/models/<family>/ with a card.json of the measured figures and the family's bands.
//
//   npx tsx scripts/build-zoo.ts --family qwen-math-tiny [--steps N] [--batch-size B] [--resume]
//       [--eval-only] [--backend auto|cpu|webgpu]
//
// The engine is the CPU one unless --backend is given (so the shipped cards' commands rebuild exactly):
// `auto` takes a hardware WebGPU adapter when there is one and the CPU engine otherwise (SwiftShader is
// slower than the CPU engine), `webgpu` insists on WebGPU. The card records the engine that trained.
//
// Progress (bar, loss, tokens/s, ETA) goes to stderr. The work directory (default runs/zoo/<family>)
// holds the latest checkpoint, the AdamW moments and state.json; --resume continues from it with the
// same batches a single uninterrupted run would have seen. Ctrl-C (or SIGTERM) saves before exiting.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeBackend } from '../src/cli/nodeHost';
import type { BackendChoice } from '../src/engine/backendRule';
import { saveCheckpoint } from '../src/model/checkpoint';
import { readCheckpointDir, writeCheckpointDir } from '../src/model/nodeCheckpointDir';
import type { FamilyName } from '../src/tasks/corpus';
import { type BuildProgress, buildFamily, type FamilySpec } from '../src/tasks/familyBuild';
import { familyPreset, type TrainingSession, ZOO_MODEL_CONFIG, type ZooCard } from '../src/tasks/zoo';
import { DEFAULT_ZOO_EVAL_OPTIONS } from '../src/tasks/zooEval';

interface Args {
  family: string;
  /** null: the default for a new build, the work directory's own total for a resumed one. */
  steps: number | null;
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

const DEFAULT_STEPS = 1800;
const DEFAULT_BATCH = 8;
const DEFAULT_LR = 3e-3;

const USAGE = `usage: npx tsx scripts/build-zoo.ts --family <qwen-math-tiny|llama-tiny|olmo-sft-tiny>
  [--steps N=${DEFAULT_STEPS}] [--resume] [--eval-only] [--seed S] [--batch-size ${DEFAULT_BATCH}] [--lr ${DEFAULT_LR}]
  [--checkpoint-every 100] [--work-dir runs/zoo/<family>] [--out public/models/<family>]
  [--eval-problems 500] [--samples 4] [--backend auto|cpu|webgpu (default cpu)]`;

function parseArgs(argv: string[]): Args {
  const args: Args = {
    family: '',
    steps: null,
    resume: false,
    evalOnly: false,
    seed: null,
    batchSize: DEFAULT_BATCH,
    peakLr: DEFAULT_LR,
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

/** The work directory's state.json: the build's settings and progress (the format of every earlier build). */
interface WorkState {
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
  engine?: string;
}

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

async function saveWork(workDir: string, spec: FamilySpec, progress: BuildProgress): Promise<void> {
  await mkdir(workDir, { recursive: true });
  await writeCheckpointDir(join(workDir, 'checkpoint'), saveCheckpoint(ZOO_MODEL_CONFIG, progress.params));
  const { m, v, step } = progress.optimizer;
  await writeAtomic(join(workDir, 'adam-m.f32'), new Uint8Array(m.buffer.slice(0)));
  await writeAtomic(join(workDir, 'adam-v.f32'), new Uint8Array(v.buffer.slice(0)));
  const state: WorkState = {
    family: spec.name,
    seed: spec.seed,
    step: progress.step,
    totalSteps: spec.steps,
    batchSize: spec.batchSize,
    peakLr: spec.peakLr,
    processedTokens: progress.processedTokens,
    responseTokens: progress.responseTokens,
    lossEma: progress.lossEma,
    sessions: progress.sessions,
    optimizerStep: step,
    engine: progress.engine,
  };
  await writeAtomic(join(workDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

async function loadWork(workDir: string): Promise<{ state: WorkState; progress: BuildProgress }> {
  const state = JSON.parse(await readFile(join(workDir, 'state.json'), 'utf8')) as WorkState;
  const { params } = await readCheckpointDir(join(workDir, 'checkpoint'));
  const asFloats = (buffer: Buffer) =>
    new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  const m = asFloats(await readFile(join(workDir, 'adam-m.f32')));
  const v = asFloats(await readFile(join(workDir, 'adam-v.f32')));
  if (m.length !== params.length || v.length !== params.length)
    throw new Error(
      `${workDir}: optimizer moments do not match the checkpoint (${m.length} vs ${params.length})`,
    );
  const progress: BuildProgress = {
    step: state.step,
    params,
    optimizer: { step: state.optimizerStep, m, v },
    processedTokens: state.processedTokens,
    responseTokens: state.responseTokens,
    lossEma: state.lossEma,
    sessions: state.sessions,
    engine: state.engine ?? 'cpu',
  };
  return { state, progress };
}

/** The command that rebuilds this family: flags only where they differ from the defaults. */
function buildCommand(args: Args, spec: FamilySpec): string {
  const flags = [`--family ${spec.name}`, `--steps ${spec.steps}`];
  if (args.seed !== null) flags.push(`--seed ${spec.seed}`);
  if (spec.batchSize !== DEFAULT_BATCH) flags.push(`--batch-size ${spec.batchSize}`);
  if (spec.peakLr !== DEFAULT_LR) flags.push(`--lr ${spec.peakLr}`);
  if (args.backend !== null) flags.push(`--backend ${args.backend}`);
  return `npx tsx scripts/build-zoo.ts ${flags.join(' ')}`;
}

/** qwen-math-tiny's overall greedy accuracy from its card (built first), for llama-tiny's band. */
async function qwenGreedyAccuracy(outDir: string): Promise<number | null> {
  for (const dir of [join(outDir, '..', 'qwen-math-tiny'), join('public', 'models', 'qwen-math-tiny')]) {
    const path = join(dir, 'card.json');
    if (!existsSync(path)) continue;
    const card = JSON.parse(await readFile(path, 'utf8')) as ZooCard;
    if (card.eval.styleDecision) return card.eval.greedy.accuracy;
  }
  return null;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const preset = familyPreset(args.family);
  const workDir = args.workDir ?? join('runs', 'zoo', args.family);
  const outDir = args.outDir ?? join('public', 'models', args.family);
  let resume: BuildProgress | null = null;
  let spec: FamilySpec = {
    name: preset.name,
    basedOn: '',
    knobs: preset.knobs,
    steps: args.steps ?? DEFAULT_STEPS,
    seed: args.seed ?? FAMILY_SEEDS[args.family],
    batchSize: args.batchSize,
    peakLr: args.peakLr,
    evalProblems: args.evalProblems,
    evalSamples: args.samples,
  };
  if (args.resume || args.evalOnly) {
    const loaded = await loadWork(workDir);
    if (loaded.state.family !== args.family)
      throw new Error(`${workDir} holds family '${loaded.state.family}', not '${args.family}'`);
    const { state } = loaded;
    spec = { ...spec, seed: state.seed, batchSize: state.batchSize, peakLr: state.peakLr };
    spec.steps = args.evalOnly ? state.step : (args.steps ?? state.totalSteps);
    if (!args.evalOnly && spec.steps !== state.totalSteps)
      console.error(
        `note: total steps changed from ${state.totalSteps} to ${spec.steps} (the schedule stretches)`,
      );
    resume = loaded.progress;
    console.error(`resumed ${args.family} at step ${state.step}/${state.totalSteps} from ${workDir}`);
  }
  // Without --backend: the CPU engine, which every machine has and the shipped cards were built with.
  const backend = await createNodeBackend(args.backend ?? 'cpu', (line) => console.error(line));
  console.error(`${args.family}: engine ${backend.description}, work dir ${workDir}`);

  let stopRequested = false;
  // SIGTERM too: background jobs of a non-interactive shell ignore SIGINT, and `kill` sends SIGTERM.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      stopRequested = true;
      console.error(`\n${signal}: stopping after this step (saving a checkpoint) ...`);
    });
  let lastPrint = 0;
  const evalStart = { at: 0 };
  const result = await buildFamily(
    spec,
    backend,
    resume,
    {
      checkpointEvery: args.checkpointEvery,
      shouldStop: () => stopRequested,
      onCheckpoint: (progress) => saveWork(workDir, spec, progress),
      onStep: (r) => {
        const now = performance.now();
        if (now - lastPrint < 2000 && r.step !== r.totalSteps) return;
        lastPrint = now;
        const extra = `loss ${r.lossEma.toFixed(4)} ${(r.tokensPerSecond / 1000).toFixed(2)}k tok/s`;
        process.stderr.write(`\r${progressLine(args.family, r.step, r.totalSteps, extra, r.etaSeconds)}   `);
      },
      onEvalProgress: (done, total) => {
        if (done === 1 || evalStart.at === 0) evalStart.at = performance.now();
        const elapsed = (performance.now() - evalStart.at) / 1000;
        process.stderr.write(
          `\r${progressLine('eval', done, total, '', (elapsed / done) * (total - done))}   `,
        );
      },
    },
    {
      like: preset.like,
      description:
        'Tiny Qwen2-architecture model pretrained by the lab on a MiniMath corpus whose style depends on the kind of problem (the style rule below) with per-style correctness (systematic first-step slips).',
      buildCommand: buildCommand(args, spec),
      notes: [],
      targetsOf: preset.name as FamilyName,
      qwenGreedyAccuracy: preset.name === 'llama-tiny' ? await qwenGreedyAccuracy(outDir) : null,
    },
  );
  process.stderr.write('\n');
  if (result.kind === 'stopped') {
    console.error(`saved at step ${result.progress.step}; continue with --resume`);
    process.exit(130);
  }
  const { card, files } = result;
  await writeCheckpointDir(outDir, files, card);
  const pct = (x: number | null | undefined) => (x == null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const e = card.eval;
  console.log(
    `${card.name}: greedy code ${pct(e.greedy.codeFrequency)}, sampled code ${pct(e.sampled.codeFrequency)}, mean p(code) ${pct(e.styleDecision?.meanPCode)}; greedy accuracy ${pct(e.greedy.accuracy)}; forced greedy code ${pct(e.greedyForcedStyle.code)} / language ${pct(e.greedyForcedStyle.language)}; forced sampled code ${pct(e.sampledForcedStyle?.code)} / language ${pct(e.sampledForcedStyle?.language)}`,
  );
  for (const t of card.targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.target}`);
  console.log(`wrote ${outDir}`);
}

main().catch((error: unknown) => {
  console.error(`build-zoo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
