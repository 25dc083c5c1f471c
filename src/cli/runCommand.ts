// `npm run lab -- run`: runs an experiment (a preset, an experiment URL or a JSON config) headless, over
// one or several seeds, writing per seed metrics.jsonl, metrics.csv, summary.json and a resumable
// checkpoint directory, plus a sweep summary with mean ± standard error. Seeds of a sweep run in
// parallel worker threads (`--jobs N`, default one per core; src/cli/seedWorker.ts), or, when the
// experiment runs on WebGPU, at once in this process on one shared GPU device; each seed's metrics are
// identical to a sequential run's. `--resume DIR` continues an interrupted run from its last
// checkpoint with the identical trajectory.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MatmulVariant } from '../engine/webgpu/matmul';
import { prepareVulkanEnv } from '../engine/webgpu/node-gpu';
import { assembleRun, type RunResources, releaseRun } from '../experiment/assemble';
import { updatesPerRolloutBatch } from '../experiment/config/derived';
import { formatFieldError } from '../experiment/config/display';
import type { ExperimentConfig } from '../experiment/config/schema';
import { type FieldError, validateExperiment } from '../experiment/config/validate';
import { meanAndStandardError, metricsToCsv, summariseRun } from '../experiment/metricsFiles';
import { presetById, presetExperiment, presetIds } from '../experiment/presets';
import { ExperimentRunner, type RunCheckpoint, type RunEvent } from '../experiment/runner';
import { parseExperimentHash, serializeExperiment } from '../experiment/url';
import { saveCheckpoint } from '../model/checkpoint';
import { writeCheckpointDirSync } from '../model/nodeCheckpointDir';
import { parseSafetensors, serializeSafetensors, tensorToFloat32 } from '../model/safetensors';
import type { EvalMetrics, StepMetrics } from '../rl/metrics';
import { nodeRunResources, onSharedGpu, openSharedNodeGpu, probeNodeGpuVariant } from './nodeHost';
import { ProgressBar, SweepProgress } from './progress';

export interface RunArgs {
  preset?: string;
  url?: string;
  config?: string;
  out?: string;
  resume?: string;
  backend?: string;
  seeds?: string;
  steps?: string;
  set: string[];
  datasetFiles: Record<string, string>;
  quiet: boolean;
  /** Seeds run at once in worker threads (default: one per core, at most the number of seeds). */
  jobs?: string;
}

export class CliError extends Error {}

/** The experiment the arguments describe, with every field problem listed (never a silent default). */
export function experimentFromArgs(args: RunArgs): { config: ExperimentConfig; errors: FieldError[] } {
  const sources = [args.preset, args.url, args.config].filter((s) => s !== undefined).length;
  if (sources > 1) throw new CliError('give only one of --preset, --url, --config');
  let config: ExperimentConfig;
  const errors: FieldError[] = [];
  if (args.preset !== undefined) {
    const preset = presetById(args.preset);
    if (!preset)
      throw new CliError(`unknown preset "${args.preset}"; known presets: ${presetIds().join(', ')}`);
    ({ config } = presetExperiment(preset));
  } else if (args.config !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(args.config, 'utf8'));
    } catch (err) {
      throw new CliError(
        `cannot read config ${args.config}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const result = validateExperiment(raw);
    config = result.config;
    errors.push(...result.errors);
  } else {
    const parsed = parseExperimentHash(args.url ?? '');
    config = parsed.config;
    errors.push(...parsed.errors);
  }
  // --set key=value (URL keys or field names), --backend, --seeds and --steps are applied through the
  // URL codec so they are validated exactly like a shared link.
  const overrides = [...args.set];
  if (args.backend) overrides.push(`backend=${args.backend}`);
  if (args.seeds) overrides.push(`seeds=${args.seeds}`);
  if (args.steps) overrides.push(`steps=${args.steps}`);
  if (overrides.length) {
    // Later keys replace earlier ones (the codec would flag a repeated key as an error).
    const pairs = new Map(
      serializeExperiment(config)
        .split('&')
        .map((p) => [p.slice(0, p.indexOf('=')), p] as const),
    );
    for (const o of overrides) {
      const eq = o.indexOf('=');
      if (eq <= 0) throw new CliError(`--set takes key=value, got "${o}"`);
      pairs.set(o.slice(0, eq), `${o.slice(0, eq)}=${encodeURIComponent(o.slice(eq + 1))}`);
    }
    const parsed = parseExperimentHash([...pairs.values()].join('&'));
    config = parsed.config;
    errors.push(...parsed.errors);
  }
  return { config, errors };
}

export interface SeedOutcome {
  seed: number;
  result: 'finished' | 'stopped' | 'error';
  steps: StepMetrics[];
  evals: EvalMetrics[];
  error?: string;
  /** The engine that ran it (e.g. "WebGPU on nvidia (matmul tiled)"): GPU runs depend on the variant. */
  engine?: string;
}

export async function runCommand(
  args: RunArgs,
  log: (line: string) => void = (l) => console.error(l),
  makeHost: (log: (line: string) => void) => RunResources = (l) =>
    nodeRunResources({ datasetFiles: args.datasetFiles, log: l }),
): Promise<number> {
  const resumeDir = args.resume ? resolve(args.resume) : undefined;
  let config: ExperimentConfig;
  if (resumeDir) {
    const ignored = (['preset', 'url', 'config', 'out'] as const).filter((k) => args[k] !== undefined);
    if (ignored.length) {
      throw new CliError(
        `--resume continues the run saved in ${resumeDir} (its experiment.json, into the same folder); ` +
          `${ignored.map((k) => `--${k}`).join(', ')} cannot be combined with it (change fields with --steps or --set)`,
      );
    }
    const experimentFile = join(resumeDir, 'experiment.json');
    if (!existsSync(experimentFile))
      throw new CliError(`${resumeDir} is not a run folder (no experiment.json)`);
    const saved = JSON.parse(readFileSync(experimentFile, 'utf8')) as { hash: string };
    // --steps / --set may extend a finished or interrupted run (e.g. train 40 more steps).
    const { config: c, errors } = experimentFromArgs({ ...args, resume: undefined, url: saved.hash });
    if (errors.length) throw new CliError(errors.map(formatFieldError).join('; '));
    config = c;
  } else {
    const { config: c, errors } = experimentFromArgs(args);
    if (errors.length) {
      for (const e of errors) log(`config: ${formatFieldError(e)}`);
      throw new CliError(`the experiment has ${errors.length} invalid field(s); fix them or remove them`);
    }
    config = c;
  }
  const outDir =
    resumeDir ?? resolve(args.out ?? join('runs', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const seeds = Array.from({ length: config.seeds }, (_, i) => config.seed + i);
  const seedDir = (seed: number) => (config.seeds > 1 ? join(outDir, `seed-${seed}`) : outDir);
  // Every argument is checked before the folder is touched: a refused command changes nothing.
  const jobs = sweepJobs(args.jobs, seeds.length);
  const resume = resumeDir !== undefined;
  if (!resume && existsSync(join(outDir, 'experiment.json'))) {
    throw new CliError(
      `${outDir} already holds a run; continue it with --resume ${outDir}, or choose a new --out (nothing was changed)`,
    );
  }
  if (resume) {
    for (const seed of seeds) {
      const trained = checkpointStep(join(seedDir(seed), 'checkpoint'));
      if (trained > config.steps) {
        throw new CliError(
          `seed ${seed} in ${outDir} has already trained ${trained} steps; --steps ${config.steps} cannot undo them ` +
            '(give at least that many steps, or start a shorter run in a new --out; nothing was changed)',
        );
      }
    }
  }
  mkdirSync(outDir, { recursive: true });
  const hash = serializeExperiment(config);
  writeFileSync(join(outDir, 'experiment.json'), `${JSON.stringify({ hash, config }, null, 2)}\n`);
  log(`experiment: #${hash}`);
  log(`updates per rollout batch: ${updatesPerRolloutBatch(config)}; output: ${outDir}`);

  let outcomes: SeedOutcome[];
  const sharedGpu = jobs > 1 ? await openSharedNodeGpu(config.backend) : null;
  if (sharedGpu) {
    log(`running ${seeds.length} seeds, ${jobs} at a time on one GPU device (${sharedGpu.info.label})`);
    try {
      outcomes = await runOnSharedGpu(
        seeds.map((seed) => ({ config, seed, dir: seedDir(seed) })),
        jobs,
        onSharedGpu(makeHost(log), sharedGpu),
        { resume, quiet: args.quiet, log },
      );
    } finally {
      sharedGpu.device.destroy();
    }
  } else if (jobs > 1) {
    log(`running ${seeds.length} seeds, ${jobs} at a time in worker threads`);
    outcomes = await runInWorkers(
      seeds.map((seed) => ({ config, seed, dir: seedDir(seed) })),
      jobs,
      { datasetFiles: args.datasetFiles, resume, quiet: args.quiet, log },
    );
  } else {
    const host = makeHost(log);
    const sweep =
      config.seeds > 1 && !args.quiet
        ? new SweepProgress(seeds.map((seed) => ({ label: `seed ${seed}`, steps: config.steps })))
        : null;
    outcomes = [];
    for (const seed of seeds) {
      const label = `seed ${seed}`;
      sweep?.start(label);
      // A seed that cannot run (a damaged checkpoint, say) is that seed's error, as in the other two
      // ways of running a sweep: the other seeds still run, and the reason is said here.
      let outcome: SeedOutcome;
      try {
        outcome = await runSeed(config, seed, seedDir(seed), host, log, {
          quiet: args.quiet || sweep !== null,
          resume,
          onStep: (step) => sweep?.step(label, step),
          onResume: (step) => sweep?.resumed(label, step),
        });
      } catch (error) {
        outcome = seedFailure(label, seed, error, log);
      }
      outcomes.push(outcome);
      sweep?.finish(label, outcome.result === 'error');
    }
  }

  const summary = {
    hash,
    seeds: outcomes.map((o) => ({
      seed: o.seed,
      result: o.result,
      error: o.error,
      ...summariseRun(o.steps, o.evals),
    })),
    mean: {
      greedyAccuracyChange: meanAndStandardError(
        outcomes.map((o) => summariseRun(o.steps, o.evals).greedyAccuracyChange ?? Number.NaN),
      ),
      sampledAccuracyChange: meanAndStandardError(
        outcomes.map((o) => summariseRun(o.steps, o.evals).sampledAccuracyChange ?? Number.NaN),
      ),
      codeFrequencyChange: meanAndStandardError(
        outcomes.map((o) => summariseRun(o.steps, o.evals).codeFrequencyChange ?? Number.NaN),
      ),
    },
  };
  // With one seed, the run's own summary.json (written by runSeed) is the summary.
  // NaN (a seed with no data) is written as in summary.json, whether the metrics were computed now or
  // read back on a resume.
  if (config.seeds > 1)
    writeFileSync(join(outDir, 'sweep-summary.json'), `${JSON.stringify(summary, replacer, 2)}\n`);
  const m = summary.mean;
  const failed = outcomes.filter((o) => o.result === 'error');
  const change = (name: string, c: { mean: number; se: number; n: number }) =>
    c.n
      ? `${name} ${c.mean.toFixed(1)} ± ${c.se.toFixed(1)} points (${c.n} seed(s) with data)`
      : `no ${name}`;
  log(
    `done: ${change('greedy accuracy change', m.greedyAccuracyChange)}, ${change('code frequency change', m.codeFrequencyChange)}` +
      (failed.length
        ? `; ${failed.length} of ${outcomes.length} seed(s) failed: ${failed.map((o) => o.seed).join(', ')} (reasons above${config.seeds > 1 ? ' and in sweep-summary.json' : ''})`
        : ''),
  );
  return failed.length ? 1 : 0;
}

/** --jobs as a number of parallel seeds: default one per core, never more than the seeds. */
export function sweepJobs(jobs: string | undefined, seeds: number): number {
  if (jobs === undefined) return Math.max(1, Math.min(seeds, availableParallelism()));
  const n = Number(jobs);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--jobs needs a whole number >= 1 (got "${jobs}")`);
  return Math.min(n, seeds);
}

/** What one seed's run needs besides the experiment: how to report and whether to resume. */
export interface SeedRunOptions {
  quiet: boolean;
  resume: boolean;
  /** Called after every training step with the number of steps done. */
  onStep?: (stepsDone: number) => void;
  /** Called once when the seed resumes from a checkpoint, with the steps it had already trained. */
  onResume?: (stepsDone: number) => void;
}

/** Messages from a seed worker (src/cli/seedWorker.ts) to the sweep. */
export type SeedWorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'step'; stepsDone: number }
  | { type: 'resumed'; stepsDone: number }
  | { type: 'done'; outcome: SeedOutcome }
  | { type: 'failed'; message: string };

export interface SeedWorkerData {
  config: ExperimentConfig;
  seed: number;
  dir: string;
  datasetFiles: Record<string, string>;
  resume: boolean;
  /** WebGPU: the matmul variant the sweep probed once for every seed. */
  matmul?: MatmulVariant;
}

/** One run of a sweep: an experiment at one seed, written to its own folder. */
export interface SeedTask {
  config: ExperimentConfig;
  seed: number;
  dir: string;
  /** How progress lines name it (default `seed N`). */
  label?: string;
  /** Continue from the checkpoint in `dir`, if any (default: the pool's `resume` option). */
  resume?: boolean;
}

/**
 * Runs the tasks `jobs` at a time, each in its own worker thread with its own engine and model (the
 * CPU engine is single-threaded, so this is what uses the other cores), in task order. A worker that
 * dies is that task's error; the others go on. Used by `lab run`, `npm run reproduce` and the study.
 */
export async function runInWorkers(
  tasks: readonly SeedTask[],
  jobs: number,
  options: {
    datasetFiles?: Record<string, string>;
    resume?: boolean;
    quiet?: boolean;
    log: (line: string) => void;
    /** Called as each task ends (in the order they end), e.g. to record it before the sweep is over. */
    onOutcome?: (index: number, outcome: SeedOutcome) => void;
  },
): Promise<SeedOutcome[]> {
  // Workers that open a GPU need the Vulkan loader's variables in the real environment, set from here,
  // and one matmul variant for all of them.
  const gpuChoice = tasks.find((t) => t.config.backend !== 'cpu')?.config.backend;
  if (gpuChoice) prepareVulkanEnv();
  const matmul = gpuChoice ? await probeNodeGpuVariant(gpuChoice) : undefined;
  const runOne = (i: number, report: LaneReport) =>
    new Promise<SeedOutcome>((done) => {
      const { config, seed, dir } = tasks[i];
      const data: SeedWorkerData = {
        config,
        seed,
        dir,
        datasetFiles: options.datasetFiles ?? {},
        resume: tasks[i].resume ?? options.resume ?? false,
        matmul,
      };
      // A JavaScript entry that loads the TypeScript worker through tsx (under `npm run lab` and vitest).
      const worker = new Worker(new URL('./seedWorker.mjs', import.meta.url), { workerData: data });
      let outcome: SeedOutcome | null = null;
      const fail = (message: string) =>
        (outcome ??= { seed, result: 'error', steps: [], evals: [], error: message });
      worker.on('message', (message: SeedWorkerMessage) => {
        if (message.type === 'log') options.log(message.line);
        else if (message.type === 'step') report.step(message.stepsDone);
        else if (message.type === 'resumed') report.resumed(message.stepsDone);
        else if (message.type === 'done') outcome = message.outcome;
        else {
          options.log(`${labelOf(tasks[i])}: failed: ${message.message}`);
          fail(message.message);
        }
      });
      worker.on('error', (error: Error) => {
        options.log(`${labelOf(tasks[i])}: worker failed: ${error.message}`);
        fail(error.message);
      });
      worker.on('exit', (code) => {
        if (!outcome) fail(`the worker exited with code ${code} before finishing`);
        done(outcome as SeedOutcome);
      });
    });
  return runInLanes(tasks, jobs, runOne, options);
}

/** A seed that could not run: its reason logged, and its outcome an error carrying that reason. */
function seedFailure(label: string, seed: number, error: unknown, log: (line: string) => void): SeedOutcome {
  const message = error instanceof Error ? error.message : String(error);
  log(`${label}: failed: ${message}`);
  return { seed, result: 'error', steps: [], evals: [], error: message };
}

/** How progress lines and logs name a task. */
const labelOf = (task: SeedTask) => task.label ?? `seed ${task.seed}`;

/**
 * The sweep's scheduler, whatever computes a seed: `jobs` lanes take the tasks in order, each reports
 * its steps to one progress line (unless quiet) and its outcome as it ends.
 */
/** What a running seed tells its lane: each step trained, and the step it resumed at. */
interface LaneReport {
  step(stepsDone: number): void;
  resumed(stepsDone: number): void;
}

async function runInLanes(
  tasks: readonly SeedTask[],
  jobs: number,
  runOne: (index: number, report: LaneReport) => Promise<SeedOutcome>,
  options: { quiet?: boolean; onOutcome?: (index: number, outcome: SeedOutcome) => void },
): Promise<SeedOutcome[]> {
  const progress = options.quiet
    ? null
    : new SweepProgress(tasks.map((t) => ({ label: labelOf(t), steps: t.config.steps })));
  const outcomes: SeedOutcome[] = new Array(tasks.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, async () => {
    for (let i = next++; i < tasks.length; i = next++) {
      const label = labelOf(tasks[i]);
      progress?.start(label);
      outcomes[i] = await runOne(i, {
        step: (stepsDone) => progress?.step(label, stepsDone),
        resumed: (stepsDone) => progress?.resumed(label, stepsDone),
      });
      progress?.finish(label, outcomes[i].result === 'error');
      options.onOutcome?.(i, outcomes[i]);
    }
  });
  await Promise.all(lanes);
  return outcomes;
}

/**
 * Runs the tasks `jobs` at a time in this process, every engine on the one GPU device `host` creates
 * them on (nodeHost's onSharedGpu): while one seed waits for a readback, the others record and submit,
 * so the per-step latency of the queue is overlapped instead of paid seed after seed. Each seed has its
 * own runner, buffers and random streams, so its metrics are those of a sequential run.
 */
export async function runOnSharedGpu(
  tasks: readonly SeedTask[],
  jobs: number,
  host: RunResources,
  options: { resume?: boolean; quiet?: boolean; log: (line: string) => void },
): Promise<SeedOutcome[]> {
  const runOne = async (i: number, report: LaneReport): Promise<SeedOutcome> => {
    const { config, seed, dir } = tasks[i];
    try {
      return await runSeed(config, seed, dir, host, options.log, {
        quiet: true,
        resume: tasks[i].resume ?? options.resume ?? false,
        onStep: report.step,
        onResume: report.resumed,
      });
    } catch (error) {
      return seedFailure(labelOf(tasks[i]), seed, error, options.log);
    }
  };
  return runInLanes(tasks, jobs, runOne, options);
}

export async function runSeed(
  config: ExperimentConfig,
  seed: number,
  dir: string,
  host: RunResources,
  log: (line: string) => void,
  options: SeedRunOptions,
): Promise<SeedOutcome> {
  const { quiet, resume } = options;
  mkdirSync(dir, { recursive: true });
  const assembled = await assembleRun(config, host, seed);
  // Released however the run ends: on a shared GPU device the other seeds go on using it.
  try {
    const steps: StepMetrics[] = [];
    const evals: EvalMetrics[] = [];
    const jsonl = join(dir, 'metrics.jsonl');
    const checkpointDir = join(dir, 'checkpoint');
    let checkpoint: RunCheckpoint | null = null;
    // writeRunCheckpoint writes the new checkpoint beside the old one (state.json last), then swaps
    // them: a run stopped between the two steps of the swap left a complete checkpoint.tmp and none.
    const pending = `${checkpointDir}.tmp`;
    if (resume && !existsSync(join(checkpointDir, 'state.json')) && existsSync(join(pending, 'state.json'))) {
      rmSync(checkpointDir, { recursive: true, force: true });
      renameSync(pending, checkpointDir);
      log(`seed ${seed}: completed the checkpoint swap the run was stopped in`);
    }
    if (resume && existsSync(join(checkpointDir, 'state.json'))) {
      checkpoint = await readRunCheckpoint(checkpointDir, assembled.policy.numParams);
      const kept = metricsBefore(jsonl, checkpoint.step, log);
      steps.push(...kept.steps);
      evals.push(...kept.evals);
      writeFileSync(jsonl, kept.lines.map((l) => `${l}\n`).join(''));
      log(`seed ${seed}: resuming at step ${checkpoint.step}`);
      options.onResume?.(checkpoint.step);
    } else {
      if (resume) {
        let recorded = 0;
        try {
          recorded = metricsBefore(jsonl, Number.POSITIVE_INFINITY, () => {}).steps.length;
        } catch {
          // A damaged file: it is replaced all the same, and the note below says so without a count.
        }
        log(
          `seed ${seed}: no checkpoint in ${checkpointDir}, so it starts at step 0` +
            (recorded ? ` (the ${recorded} step(s) metrics.jsonl recorded without one are replaced)` : ''),
        );
      }
      writeFileSync(jsonl, '');
    }
    const bar = quiet ? null : new ProgressBar(`seed ${seed}`, config.steps);
    let errorMessage: string | undefined;
    const runner = new ExperimentRunner(assembled.plan, assembled.parts, (event) => {
      if (event.type !== 'checkpoint') appendFileSync(jsonl, `${JSON.stringify(event, replacer)}\n`);
      if (event.type === 'step') {
        steps.push(event.metrics);
        options.onStep?.(event.metrics.step + 1);
        bar?.update(
          event.metrics.step + 1,
          `reward ${event.metrics.rewardMean.toFixed(2)} · code ${(100 * event.metrics.codeFrequency).toFixed(0)}% · ${event.metrics.trainTokensPerSec.toFixed(0)} tok/s`,
        );
      } else if (event.type === 'eval') {
        evals.push(event.metrics);
        bar?.breakLine();
        log(
          `seed ${seed} eval @${event.metrics.step}: greedy ${(100 * event.metrics.greedyAccuracy).toFixed(1)}%, avg@${event.metrics.k} ${(100 * event.metrics.sampledAccuracy).toFixed(1)}%, code ${(100 * event.metrics.codeFrequency).toFixed(1)}%`,
        );
      } else if (event.type === 'checkpoint') {
        // Written here, synchronously, before the next step starts: a CPU-engine run hands the event
        // loop one turn per step, so queued asynchronous writes fell dozens of steps behind.
        writeRunCheckpoint(checkpointDir, event.checkpoint, assembled);
      } else if (event.type === 'error') {
        errorMessage = event.message;
        bar?.breakLine();
        log(
          `seed ${seed}: ${event.message} The last good checkpoint and all metrics so far are kept in ${dir}.`,
        );
      }
    });
    if (checkpoint) await runner.restore(checkpoint);
    const result = await runner.run();
    writeFileSync(join(dir, 'metrics.csv'), metricsToCsv(steps, evals));
    writeFileSync(
      join(dir, 'summary.json'),
      `${JSON.stringify({ seed, result, error: errorMessage, engine: assembled.backend.description, trainingSetSize: assembled.trainingSetSize, labels: assembled.labels ? summariseLabels(assembled.labels) : null, ...summariseRun(steps, evals) }, replacer, 2)}\n`,
    );
    return { seed, result, steps, evals, error: errorMessage, engine: assembled.backend.description };
  } finally {
    releaseRun(assembled);
  }
}

/** Steps trained by the run whose checkpoint folder this is (0 when it has none). */
function checkpointStep(dir: string): number {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return 0;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { step: number }).step;
  } catch (err) {
    throw new CliError(`${file} is damaged: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Metrics files write NaN and Infinity as strings (replacer); read them back as the numbers they were. */
function reviveNumbers(_key: string, value: unknown): unknown {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value;
}

/**
 * What a run's metrics.jsonl recorded before its checkpoint at `step`: the lines to keep, as written
 * (rollout samples and status events included), and the step and eval metrics among them. What came
 * after the checkpoint is trained again on resume, so it is dropped. A cut-off last line (a crash while
 * writing it) is dropped with a note; a damaged line elsewhere is an error naming the file and line.
 */
export function metricsBefore(
  file: string,
  step: number,
  log: (line: string) => void,
): { lines: string[]; steps: StepMetrics[]; evals: EvalMetrics[] } {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const kept: string[] = [];
  const steps: StepMetrics[] = [];
  const evals: EvalMetrics[] = [];
  lines.forEach((line, i) => {
    let event: RunEvent;
    try {
      // The reviver also turns a sample's text "NaN" into a number, harmlessly: lines are kept as
      // written, and only the metrics and the steps of events are read from the parsed objects.
      event = JSON.parse(line, reviveNumbers) as RunEvent;
    } catch (err) {
      if (i === lines.length - 1) {
        log(`${file}: line ${i + 1} was cut off (the run stopped while writing it); dropped`);
        return;
      }
      throw new CliError(
        `${file}: line ${i + 1} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    let before: boolean;
    if (event.type === 'step') {
      before = event.metrics.step < step;
      if (before) steps.push(event.metrics);
    } else if (event.type === 'eval') {
      before = event.metrics.step <= step;
      if (before) evals.push(event.metrics);
    } else if (event.type === 'samples') before = (event.samples[0]?.step ?? 0) < step;
    else if (event.type === 'status' || event.type === 'error') before = event.step < step;
    else before = true;
    if (before) kept.push(line);
  });
  return { lines: kept, steps, evals };
}

function summariseLabels(labels: { label: string | null; correct: boolean }[]) {
  return {
    prompts: labels.length,
    labelled: labels.filter((l) => l.label !== null).length,
    correct: labels.filter((l) => l.correct).length,
  };
}

/** JSON has no NaN/Infinity: write them as strings so metrics files stay valid JSON. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function writeRunCheckpoint(
  dir: string,
  checkpoint: RunCheckpoint,
  assembled: Awaited<ReturnType<typeof assembleRun>>,
): void {
  // Write into a sibling folder, then swap, so a crash mid-write never leaves a half checkpoint.
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const files = saveCheckpoint(assembled.policy.config, checkpoint.params, assembled.tokenizer, {
    metadata: { step: String(checkpoint.step) },
  });
  writeCheckpointDirSync(tmp, files);
  const n = checkpoint.optimizer.m.length;
  writeFileSync(
    join(tmp, 'optimizer.safetensors'),
    serializeSafetensors(
      [
        { name: 'adam.m', shape: [n], data: checkpoint.optimizer.m },
        { name: 'adam.v', shape: [n], data: checkpoint.optimizer.v },
      ],
      { step: String(checkpoint.optimizer.step) },
    ),
  );
  writeFileSync(
    join(tmp, 'state.json'),
    `${JSON.stringify({ step: checkpoint.step, initialGreedy: checkpoint.initialGreedy })}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

async function readRunCheckpoint(dir: string, numParams: number): Promise<RunCheckpoint> {
  const { readCheckpointDir } = await import('../model/nodeCheckpointDir');
  const model = await readCheckpointDir(dir);
  if (model.params.length !== numParams)
    throw new CliError(`checkpoint in ${dir} does not match the experiment's model`);
  const optimizer = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'optimizer.safetensors'))));
  const tensor = (name: string) => {
    const t = optimizer.tensors.get(name);
    if (!t) throw new CliError(`${dir}/optimizer.safetensors has no ${name}`);
    return tensorToFloat32(t);
  };
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunCheckpoint;
  return {
    step: state.step,
    params: model.params,
    optimizer: { step: Number(optimizer.metadata?.step ?? 0), m: tensor('adam.m'), v: tensor('adam.v') },
    initialGreedy: state.initialGreedy,
  };
}
