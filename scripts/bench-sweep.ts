// The sweep tables of `npm run bench`. Part `sweep`: S seeds x N GRPO steps of the zoo model on the CPU
// engine, run one after another in this process (what `lab run --jobs 1` does) and in parallel worker
// threads (the default). Part `gpusweep` (hardware adapters by default): the same on WebGPU, one seed
// after another vs all seeds at once on one shared device (what `lab run --jobs N` does on WebGPU) vs a
// device (and queue) per seed in this thread vs one worker thread and device per seed (which also
// spreads the seeds' host work over the cores). Part
// `cpustep`: one seed's GRPO step on the CPU engine before/after the exact WebAssembly kernels; part
// `gpustep` (hardware adapters by default): the same on WebGPU before/after the fused decode layer.
// Each table is timed in one process, so the ratios are what counts on a noisy machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRunResources, onSharedGpu } from '../src/cli/nodeHost';
import {
  runInWorkers,
  runOnSharedGpu,
  runSeed,
  type SeedOutcome,
  type SeedTask,
} from '../src/cli/runCommand';
import { setExactKernelsEnabled } from '../src/engine/cpu/wasmExact';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import type { GpuContext } from '../src/engine/webgpu/device';
import { gpuWorkOptions, gpuWorkTotals } from '../src/engine/webgpu/kernel';
import { acquireNodeGpu } from '../src/engine/webgpu/node-gpu';
import type { RunResources } from '../src/experiment/assemble';
import type { ExperimentConfig } from '../src/experiment/config/schema';
import { validateExperiment } from '../src/experiment/config/validate';
import { median } from '../src/experiment/paired';
import { deterministicPart } from '../src/rl/trainerFixtures';

export interface SweepBenchRow {
  seeds: number;
  steps: number;
  sequentialSeconds: number;
  parallelSeconds: number;
  jobs: number;
}

/** Prompts per step of the sweep benches' default experiment. */
const SWEEP_PROMPTS = 8;

/** A preset-sized step (B 8 x G 16, 8 updates) with a token eval, so the time is training time. */
function sweepExperiment(steps: number, backend: 'cpu' | 'webgpu' = 'cpu', promptsPerStep = SWEEP_PROMPTS) {
  const { config, errors } = validateExperiment({
    model: 'qwen-math-tiny',
    reward: 'random',
    promptsPerStep,
    groupSize: 16,
    // Always 8 updates per rollout batch, as in the studies (A10 at 64 prompts: mini-batches of 128).
    miniBatchSize: 2 * promptsPerStep,
    maxNewTokens: 128,
    lr: 1e-4,
    steps,
    evalEvery: 0,
    evalSize: 4,
    evalK: 1,
    backend,
  });
  if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.why}`).join('; '));
  return config;
}

/** Seeds 1..S of `config`, each in `dir`-<seed>. */
function seedTasks(config: ExperimentConfig, seeds: number, dir: string): SeedTask[] {
  return Array.from({ length: seeds }, (_, i) => ({ config, seed: i + 1, dir: `${dir}-${i + 1}` }));
}

/** Seconds to run seeds 1..S one after another in this process (what `lab run --jobs 1` does). */
async function oneAfterAnother(
  config: ExperimentConfig,
  seeds: number,
  host: RunResources,
  dir: string,
  options: { onStep?: (stepsDone: number) => void } = {},
): Promise<number> {
  const t0 = performance.now();
  for (const task of seedTasks(config, seeds, dir))
    await runSeed(task.config, task.seed, task.dir, host, () => {}, {
      quiet: true,
      resume: false,
      onStep: options.onStep,
    });
  return (performance.now() - t0) / 1000;
}

/** How many times the sweep table times each size, in alternating order (sequential first, then parallel). */
const SWEEP_REPEATS = 3;

export async function runSweepBench(quick: boolean): Promise<SweepBenchRow[]> {
  // 10 steps: a short sweep, yet long enough that each worker's start-up (loading the TypeScript
  // sources and the model, about a second) is not most of what is timed.
  const steps = quick ? 1 : 10;
  const cores = availableParallelism();
  const sizes = [...new Set([2, cores])].filter((s) => s >= 2);
  const rows: SweepBenchRow[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'lab-bench-sweep-'));
  try {
    for (const seeds of sizes) {
      const config = sweepExperiment(steps);
      const host = nodeRunResources({ log: () => {} });
      const sequential = async (rep: number) =>
        oneAfterAnother(config, seeds, host, join(scratch, `seq-${seeds}-${rep}`));
      const parallel = async (rep: number) => {
        const t0 = performance.now();
        await runInWorkers(seedTasks(config, seeds, join(scratch, `par-${seeds}-${rep}`)), seeds, {
          log: () => {},
          quiet: true,
        });
        return (performance.now() - t0) / 1000;
      };
      // One timing of each on a shared machine swung from 1.55x to 1.82x between runs (2026-12-06): the
      // pair is timed SWEEP_REPEATS times, the order alternating, and every pair is printed.
      for (let rep = 0; rep < (quick ? 1 : SWEEP_REPEATS); rep++) {
        let sequentialSeconds: number;
        let parallelSeconds: number;
        if (rep % 2 === 0) {
          sequentialSeconds = await sequential(rep);
          parallelSeconds = await parallel(rep);
        } else {
          parallelSeconds = await parallel(rep);
          sequentialSeconds = await sequential(rep);
        }
        rows.push({ seeds, steps, sequentialSeconds, parallelSeconds, jobs: Math.min(seeds, cores) });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

export function formatSweepBench(rows: SweepBenchRow[]): string {
  const ratio = (r: SweepBenchRow) => r.sequentialSeconds / r.parallelSeconds;
  const sizes = [...new Set(rows.map((r) => r.seeds))];
  const lines = [
    `## Seed sweeps (CPU engine, zoo model, B 8 x G 16, 8 updates per step; ${availableParallelism()} cores)`,
    '',
    '| seeds x steps | sequential (one process) | parallel worker threads | speed-up |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.seeds} x ${r.steps} | ${r.sequentialSeconds.toFixed(1)} s | ${r.parallelSeconds.toFixed(1)} s (${r.jobs} at a time) | ${ratio(r).toFixed(2)}x |`,
    ),
    '',
    ...sizes.map((seeds) => {
      const of = rows.filter((r) => r.seeds === seeds);
      return `${seeds} seeds: median speed-up ${median(of.map(ratio)).toFixed(2)}x over ${of.length} timing(s) (sequential and parallel in alternating order).`;
    }),
    'Target: at least 1.8x for 2 seeds on a 2-core machine (the most two cores can give, less start-up and memory traffic).',
    "A parallel sweep lasts as long as its slowest seed (seeds decode different lengths) plus the workers' start-up.",
  ];
  return lines.join('\n');
}

/** One way of running a gpusweep size: its wall-clock time and what was busy during it. */
export interface GpuSweepArm {
  seconds: number;
  /**
   * GPU time inside compute passes (gpuWorkOptions.measure: kernels and the barriers between them) over
   * wall-clock time, summed over every device of this thread; null without timestamp-query or when the
   * work ran in other threads (the workers).
   */
  gpuBusy: number | null;
  /**
   * Host time recording and uploading the GPU's work in this thread (Step.dispatch, Step.submit,
   * KernelRunner.write) over wall-clock time; null when the seeds ran in workers. The trainer's own work
   * (rewards, tokenizing, bookkeeping) comes on top: Dawn's event-loop polling keeps Node's
   * event-loop utilization near 100% while it waits for the GPU, so that is no measure of it.
   */
  recording: number | null;
}

export interface GpuSweepRow {
  seeds: number;
  steps: number;
  promptsPerStep: number;
  sequential: GpuSweepArm;
  shared: GpuSweepArm;
  /** All at once in this thread, each seed on a device (and queue) of its own. */
  devicePerSeed: GpuSweepArm;
  workers: GpuSweepArm;
  /** Recorded by the first seed between its first and last step events, per step. */
  dispatchesPerStep: number;
  submissionsPerStep: number;
}

/** Times `run` with the GPU's busy time (pass timestamps, where the adapter has them) and the host's recording time. */
async function timedArm(
  ctx: GpuContext,
  run: () => Promise<unknown>,
  inThisThread = true,
): Promise<GpuSweepArm> {
  const gpu0 = gpuWorkTotals.gpuMs;
  const host0 = gpuWorkTotals.hostMs;
  const t0 = performance.now();
  gpuWorkOptions.measure = true;
  try {
    await run();
  } finally {
    gpuWorkOptions.measure = false;
  }
  const ms = performance.now() - t0;
  return {
    seconds: ms / 1000,
    gpuBusy: inThisThread && ctx.hasTimestampQuery ? (gpuWorkTotals.gpuMs - gpu0) / ms : null,
    recording: inThisThread ? (gpuWorkTotals.hostMs - host0) / ms : null,
  };
}

/**
 * S seeds x N steps on WebGPU: one seed after another and all at once (runOnSharedGpu), every engine on
 * `ctx`'s device, then a device per seed in this thread, then a worker thread and device per seed
 * (runInWorkers). Also one row at the paper's 64 prompts x 16 per step (mini-batches of 128: A10's
 * shape), 2 seeds. Every way is timed with its GPU busy share and this thread's busy share (timedArm),
 * which say what limits it.
 */
export async function runGpuSweepBench(ctx: GpuContext, quick: boolean): Promise<GpuSweepRow[]> {
  // Two steps even when quick: the GPU work per GRPO step is counted between them.
  const steps = quick ? 2 : 5;
  const shapes = quick
    ? [{ seeds: 2, prompts: 8 }]
    : [
        { seeds: 2, prompts: 8 },
        { seeds: 8, prompts: 8 },
        { seeds: 2, prompts: 64 },
      ];
  const rows: GpuSweepRow[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'lab-bench-gpusweep-'));
  const host = onSharedGpu(nodeRunResources({ log: () => {} }), ctx);
  // Each seed opens a device of its own in this thread (destroyed with the seed's backend): the seeds
  // no longer share a queue, but one thread still records every seed's work. Set beside the shared
  // device and the workers, this separates the queue from the host thread as the limit.
  const devicePerSeed: RunResources = {
    ...host,
    async createBackend() {
      const own = await acquireNodeGpu();
      const backend = await WebGpuBackend.create(own);
      const dispose = backend.dispose.bind(backend);
      backend.dispose = () => {
        dispose();
        own.device.destroy();
      };
      return backend;
    },
  };
  const mustFinish = (outcomes: SeedOutcome[]) => {
    const failed = outcomes.find((o) => o.result !== 'finished');
    if (failed) throw new Error(`seed ${failed.seed}: ${failed.error ?? failed.result}`);
  };
  try {
    // One untimed step first: pipelines compile on first use, and neither arm should pay for that.
    await runSeed(sweepExperiment(1, 'webgpu'), 99, join(scratch, 'warm'), host, () => {}, {
      quiet: true,
      resume: false,
    });
    for (const { seeds, prompts } of shapes) {
      const config = sweepExperiment(steps, 'webgpu', prompts);
      // GPU work of one GRPO step: the totals between the first seed's first and last step events (so
      // neither its evals nor its set-up count).
      const marks: (typeof gpuWorkTotals)[] = [];
      const sequential = await timedArm(ctx, () =>
        oneAfterAnother(config, seeds, host, join(scratch, `seq-${seeds}-${prompts}`), {
          onStep: (done) => done <= steps && marks.length < steps && marks.push({ ...gpuWorkTotals }),
        }),
      );
      const perStep = (key: keyof typeof gpuWorkTotals) =>
        (marks[steps - 1][key] - marks[0][key]) / (steps - 1);
      const tasks = seedTasks(config, seeds, join(scratch, `shared-${seeds}-${prompts}`));
      const shared = await timedArm(ctx, async () =>
        mustFinish(await runOnSharedGpu(tasks, seeds, host, { log: () => {}, quiet: true })),
      );
      const ownDevices = await timedArm(ctx, async () =>
        mustFinish(
          await runOnSharedGpu(
            tasks.map((t) => ({ ...t, dir: `${t.dir}-own-device` })),
            seeds,
            devicePerSeed,
            { log: () => {}, quiet: true },
          ),
        ),
      );
      const workers = await timedArm(
        ctx,
        async () =>
          mustFinish(
            await runInWorkers(
              tasks.map((t) => ({ ...t, dir: `${t.dir}-worker` })),
              seeds,
              { log: () => {}, quiet: true },
            ),
          ),
        false,
      );
      rows.push({
        seeds,
        steps,
        promptsPerStep: prompts,
        sequential,
        shared,
        devicePerSeed: ownDevices,
        workers,
        dispatchesPerStep: perStep('dispatches'),
        submissionsPerStep: perStep('submissions'),
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

export function formatGpuSweepBench(rows: GpuSweepRow[], adapter: string): string {
  const pct = (share: number | null) => (share === null ? '-' : `${Math.round(100 * share)}%`);
  const ways: [keyof Pick<GpuSweepRow, 'sequential' | 'shared' | 'devicePerSeed' | 'workers'>, string][] = [
    ['sequential', 'one after another'],
    ['shared', 'all at once, one device'],
    ['devicePerSeed', 'a device per seed, one thread'],
    ['workers', 'a worker and device per seed'],
  ];
  const lines = [
    `## Seed sweeps on WebGPU (${adapter}; zoo model, G 16, 8 updates per step, 128 new tokens)`,
    '',
    '| seeds x steps | prompts per step | way | wall | speed-up | GPU busy | host recording |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    for (const [key, name] of ways) {
      const arm = r[key];
      lines.push(
        `| ${r.seeds} x ${r.steps} | ${r.promptsPerStep} | ${name} | ${arm.seconds.toFixed(1)} s | ${(r.sequential.seconds / arm.seconds).toFixed(2)}x | ${pct(arm.gpuBusy)} | ${pct(arm.recording)} |`,
      );
    }
  }
  lines.push('');
  for (const r of rows) {
    const b = r.sequential.gpuBusy;
    lines.push(
      `${r.seeds} x ${r.steps} at ${r.promptsPerStep} prompts: one seed's GRPO step records ${Math.round(r.dispatchesPerStep)} dispatches in ${Math.round(r.submissionsPerStep)} submissions` +
        (b
          ? `; one seed alone kept the GPU busy ${pct(b)} of the time, so if sharing leaves the GPU's time per dispatch as it is, seeds on one queue (which runs their work one dispatch after another) can be at most ${(1 / b).toFixed(1)}x faster than one after another (on a software adapter the "GPU" is the host's cores, and sharing changes its speed).`
          : '.'),
    );
  }
  lines.push(
    '',
    'Target: 8 seeds at least 4x faster than 8 sequential runs on a hardware GPU. The seeds share the device',
    "and its queue but not their submissions: each seed's steps are its own kernels, interleaved with the others',",
    "and one JavaScript thread does every seed's host work (recording each dispatch, one round trip per",
    'submission). A device per seed in one thread gives each seed its own queue but keeps the one thread;',
    'workers give each seed both, and start by loading the sources and the model.',
    'GPU busy: time inside compute passes by GPU timestamps (kernels and the barriers between them) over',
    "wall-clock time, summed over this thread's devices (over 100% when queues overlap). Host recording: time",
    "this thread spent recording, submitting and uploading GPU work, over wall-clock time (the trainer's own",
    'work comes on top). With the GPU busy near 100%, the queue is the limit, and only more work per dispatch',
    '(seeds batched in the kernels) or fewer dispatches help; with the GPU idle much of the time, the host',
    "thread's work and the round trips are, and workers or fewer submissions help. Every way is timed with",
    'the measurement on (one extra readback per submission).',
  );
  return lines.join('\n');
}

export interface CpuStepRow {
  kernels: 'off (JS loops)' | 'on (exact wasm kernels)';
  rolloutMs: number;
  logprobsMs: number;
  updateMs: number;
  stepMs: number;
}

/** One arm's timed runs of the two-way step benches: every step's metrics, and dispatches per step. */
interface ArmRuns {
  steps: SeedOutcome['steps'];
  /** The first run's step metrics, wall-clock fields aside (JSON), to compare the arms' numbers. */
  firstRun: string;
  dispatchesPerStep: number[];
}

/**
 * One seed's GRPO step (the sweep's preset-sized step) two ways, 'before' and 'after': an untimed
 * one-step warm-up of each, then `rounds` runs of `steps` steps in alternating order (before-after, then
 * after-before) so neither arm gets the JIT's or the machine's better minutes. `hostFor(arm)` readies the
 * arm and returns the run's resources.
 */
async function twoWayStepRuns(
  backend: 'cpu' | 'webgpu',
  steps: number,
  rounds: number,
  hostFor: (arm: 'before' | 'after') => RunResources,
): Promise<Record<'before' | 'after', ArmRuns>> {
  const scratch = mkdtempSync(join(tmpdir(), `lab-bench-${backend}step-`));
  const runs: Record<'before' | 'after', ArmRuns> = {
    before: { steps: [], firstRun: '', dispatchesPerStep: [] },
    after: { steps: [], firstRun: '', dispatchesPerStep: [] },
  };
  try {
    for (const arm of ['before', 'after'] as const) {
      await runSeed(sweepExperiment(1, backend), 2, join(scratch, `warm-${arm}`), hostFor(arm), () => {}, {
        quiet: true,
        resume: false,
      });
    }
    const config = sweepExperiment(steps, backend);
    for (let round = 0; round < rounds; round++) {
      for (const arm of round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
        const marks: number[] = [];
        const outcome = await runSeed(config, 1, join(scratch, `${arm}-${round}`), hostFor(arm), () => {}, {
          quiet: true,
          resume: false,
          onStep: () => marks.push(gpuWorkTotals.dispatches),
        });
        if (outcome.result !== 'finished') throw new Error(`${arm}: ${outcome.error ?? outcome.result}`);
        const r = runs[arm];
        r.steps.push(...outcome.steps);
        r.firstRun ||= JSON.stringify(outcome.steps.map(deterministicPart));
        for (let i = 1; i < marks.length; i++) r.dispatchesPerStep.push(marks[i] - marks[i - 1]);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return runs;
}

/**
 * One seed's GRPO step on the CPU engine with the exact WebAssembly kernels off (their JS loops, the
 * matmul's JS epilogue and transpose) and on (wasmExact.ts), two ways as twoWayStepRuns times them. Also
 * checks that both produce the same step metrics (wall-clock fields aside).
 */
export async function runCpuStepBench(quick: boolean): Promise<{ rows: CpuStepRow[]; identical: boolean }> {
  const host = nodeRunResources({ log: () => {} });
  try {
    const runs = await twoWayStepRuns('cpu', quick ? 1 : 4, quick ? 1 : 2, (arm) => {
      setExactKernelsEnabled(arm === 'after');
      return host;
    });
    return {
      rows: [
        { kernels: 'off (JS loops)', ...stepPhases(runs.before.steps) },
        { kernels: 'on (exact wasm kernels)', ...stepPhases(runs.after.steps) },
      ],
      identical: runs.before.firstRun === runs.after.firstRun,
    };
  } finally {
    setExactKernelsEnabled(true);
  }
}

/** Median time of a GRPO step's phases over the given steps. */
function stepPhases(s: SeedOutcome['steps']) {
  return {
    rolloutMs: median(s.map((m) => m.timeRolloutMs)),
    logprobsMs: median(s.map((m) => m.timeLogprobsMs)),
    updateMs: median(s.map((m) => m.timeUpdateMs)),
    stepMs: median(s.map((m) => m.timeRolloutMs + m.timeScoringMs + m.timeLogprobsMs + m.timeUpdateMs)),
  };
}

export interface GpuStepRow {
  decode: '12 kernels per layer' | 'fused layer';
  rolloutMs: number;
  logprobsMs: number;
  updateMs: number;
  stepMs: number;
  dispatchesPerStep: number;
}

/**
 * One seed's GRPO step on WebGPU, rollout decoding with 12 kernels per layer and with the fused decode
 * layer (decode_layer.wgsl), two ways as twoWayStepRuns times them. The two round differently (the fused
 * projections sum in another order), so their metrics are not compared; the kernel tier checks both
 * against the CPU engine.
 */
export async function runGpuStepBench(ctx: GpuContext, quick: boolean): Promise<GpuStepRow[]> {
  const base = nodeRunResources({ log: () => {} });
  const runs = await twoWayStepRuns('webgpu', quick ? 2 : 4, quick ? 1 : 2, (arm) => ({
    ...base,
    createBackend: () => WebGpuBackend.create(ctx, { fusedDecode: arm === 'after' }),
  }));
  const row = (decode: GpuStepRow['decode'], r: ArmRuns): GpuStepRow => ({
    decode,
    ...stepPhases(r.steps),
    dispatchesPerStep: median(r.dispatchesPerStep),
  });
  return [row('12 kernels per layer', runs.before), row('fused layer', runs.after)];
}

export function formatGpuStepBench(rows: GpuStepRow[], adapter: string): string {
  const [before, after] = rows;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return [
    `## One GRPO step on WebGPU (${adapter}), rollout decoding with 12 kernels per layer and with the fused layer (zoo model, B ${SWEEP_PROMPTS} x G 16, 8 updates, 128 new tokens; medians of the steps)`,
    '',
    '| decode | rollout | old log-probs | 8 updates | whole step | dispatches per step (median) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.decode} | ${r.rolloutMs.toFixed(0)} ms | ${r.logprobsMs.toFixed(0)} ms | ${r.updateMs.toFixed(0)} ms | ${r.stepMs.toFixed(0)} ms | ${Math.round(r.dispatchesPerStep)} |`,
    ),
    `| speed-up | ${ratio(before.rolloutMs, after.rolloutMs)} | ${ratio(before.logprobsMs, after.logprobsMs)} | ${ratio(before.updateMs, after.updateMs)} | ${ratio(before.stepMs, after.stepMs)} | |`,
    '',
    'Only decoding differs between the rows; "12 kernels" is the same code with the fusedDecode option off, not an older commit.',
  ].join('\n');
}

export function formatCpuStepBench(result: { rows: CpuStepRow[]; identical: boolean }): string {
  const [before, after] = result.rows;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return [
    `## One GRPO step on the CPU engine, exact WebAssembly kernels off and on (zoo model, B ${SWEEP_PROMPTS} x G 16, 8 updates, 128 new tokens; medians of the steps)`,
    '',
    '| kernels | rollout | old log-probs | 8 updates | whole step |',
    '|---|---|---|---|---|',
    ...result.rows.map(
      (r) =>
        `| ${r.kernels} | ${r.rolloutMs.toFixed(0)} ms | ${r.logprobsMs.toFixed(0)} ms | ${r.updateMs.toFixed(0)} ms | ${r.stepMs.toFixed(0)} ms |`,
    ),
    `| speed-up | ${ratio(before.rolloutMs, after.rolloutMs)} | ${ratio(before.logprobsMs, after.logprobsMs)} | ${ratio(before.updateMs, after.updateMs)} | ${ratio(before.stepMs, after.stepMs)} |`,
    '',
    `Same step metrics both ways (wall-clock fields aside): ${result.identical ? 'yes, bit for bit' : 'NO (a bug: the kernels must be exact)'}. "Off" is the same code with the switch off (wasmExact.ts setExactKernelsEnabled), not an older commit.`,
  ].join('\n');
}

export interface GpuProfile {
  /** GPU time per kernel of one profiled GRPO step, slowest first. */
  kernels: { label: string; count: number; ms: number }[];
  /** Wall-clock time of the step before it, unprofiled. */
  unprofiledStepMs: number;
  dispatches: number;
}

/**
 * GPU time per kernel of one seed's GRPO step (the sweep's preset-sized step), every dispatch timed by
 * GPU timestamps (KernelRunner.profiling: a pass per dispatch). Three steps: the first compiles, the
 * second is timed unprofiled, the third profiled. Says which kernels a step's GPU time goes to at the
 * shapes the lab really runs (the training table's profile uses one nllStep).
 */
export async function runGpuProfileBench(ctx: GpuContext): Promise<GpuProfile | null> {
  if (!ctx.hasTimestampQuery) return null;
  const base = nodeRunResources({ log: () => {} });
  let runner: WebGpuBackend['runner'] | undefined;
  const host: RunResources = {
    ...base,
    async createBackend() {
      const backend = await WebGpuBackend.create(ctx);
      runner = backend.runner;
      return backend;
    },
  };
  const scratch = mkdtempSync(join(tmpdir(), 'lab-bench-gpuprofile-'));
  const marks: { t: number; dispatches: number }[] = [];
  let profile: GpuProfile['kernels'] = [];
  try {
    const outcome = await runSeed(sweepExperiment(3, 'webgpu'), 1, scratch, host, () => {}, {
      quiet: true,
      resume: false,
      onStep: (done) => {
        if (!runner) throw new Error('the run did not build its backend through this host');
        marks.push({ t: performance.now(), dispatches: gpuWorkTotals.dispatches });
        if (done === 2) {
          runner.timings(true);
          runner.profiling = true;
        } else if (done === 3) {
          runner.profiling = false;
          profile = runner.timings(true);
        }
      },
    });
    if (outcome.result !== 'finished') throw new Error(outcome.error ?? outcome.result);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    kernels: profile,
    unprofiledStepMs: marks[1].t - marks[0].t,
    dispatches: marks[2].dispatches - marks[1].dispatches,
  };
}

export function formatGpuProfileBench(profile: GpuProfile | null, adapter: string): string {
  const title = `## GPU time per kernel, one GRPO step on WebGPU (${adapter}; zoo model, B ${SWEEP_PROMPTS} x G 16, 8 updates, 128 new tokens)`;
  if (!profile) return `${title}\n\n(no profile: the adapter has no timestamp-query)`;
  const total = profile.kernels.reduce((sum, k) => sum + k.ms, 0);
  const timed = profile.kernels.reduce((sum, k) => sum + k.count, 0);
  return [
    title,
    '',
    '| kernel | dispatches | GPU ms | per dispatch | share |',
    '|---|---|---|---|---|',
    ...profile.kernels.map(
      (k) =>
        `| ${k.label} | ${k.count} | ${k.ms.toFixed(2)} | ${((1000 * k.ms) / k.count).toFixed(1)} us | ${((100 * k.ms) / total).toFixed(1)}% |`,
    ),
    '',
    `${timed} of the step's ${profile.dispatches} dispatches timed (at most 2048 per submission), ${total.toFixed(1)} ms of GPU time in kernels;`,
    `the step before, unprofiled, took ${profile.unprofiledStepMs.toFixed(0)} ms of wall-clock time, so the kernels alone would keep the GPU`,
    `busy about ${Math.round((100 * total) / profile.unprofiledStepMs)}% of a step (profiling puts each dispatch in a pass of its own, which adds time of its own).`,
  ].join('\n');
}
