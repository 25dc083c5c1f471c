// The sweep table of `npm run bench` (part `sweep`): S seeds x N GRPO steps of the zoo model on the CPU
// engine, run one after another in this process (what `lab run --jobs 1` does) and in parallel worker
// threads (the default), timed in the same process so the ratio is what counts on a noisy machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRunResources } from '../src/cli/nodeHost';
import { runInWorkers, runSeed } from '../src/cli/runCommand';
import { validateExperiment } from '../src/experiment/config/validate';

export interface SweepBenchRow {
  seeds: number;
  steps: number;
  sequentialSeconds: number;
  parallelSeconds: number;
  jobs: number;
}

/** A preset-sized step (B 8 x G 16, 8 updates) with a token eval, so the time is training time. */
function sweepExperiment(steps: number) {
  const { config, errors } = validateExperiment({
    model: 'qwen-math-tiny',
    reward: 'random',
    promptsPerStep: 8,
    groupSize: 16,
    miniBatchSize: 16,
    maxNewTokens: 128,
    lr: 1e-4,
    steps,
    evalEvery: 0,
    evalSize: 4,
    evalK: 1,
    backend: 'cpu',
  });
  if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.why}`).join('; '));
  return config;
}

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
      let t0 = performance.now();
      for (let seed = 1; seed <= seeds; seed++)
        await runSeed(config, seed, join(scratch, `seq-${seeds}-${seed}`), host, () => {}, {
          quiet: true,
          resume: false,
        });
      const sequentialSeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const tasks = Array.from({ length: seeds }, (_, i) => ({
        config,
        seed: i + 1,
        dir: join(scratch, `par-${seeds}-${i + 1}`),
      }));
      await runInWorkers(tasks, seeds, { log: () => {}, quiet: true });
      const parallelSeconds = (performance.now() - t0) / 1000;
      rows.push({ seeds, steps, sequentialSeconds, parallelSeconds, jobs: Math.min(seeds, cores) });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

export function formatSweepBench(rows: SweepBenchRow[]): string {
  const lines = [
    `## Seed sweeps (CPU engine, zoo model, B 8 x G 16, 8 updates per step; ${availableParallelism()} cores)`,
    '',
    '| seeds x steps | sequential (one process) | parallel worker threads | speed-up |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.seeds} x ${r.steps} | ${r.sequentialSeconds.toFixed(1)} s | ${r.parallelSeconds.toFixed(1)} s (${r.jobs} at a time) | ${(r.sequentialSeconds / r.parallelSeconds).toFixed(2)}x |`,
    ),
    '',
    'Target: at least 1.8x for 2 seeds on a 2-core machine (the most two cores can give, less start-up and memory traffic).',
    'WebGPU: seeds sharing one device in the same submissions is not built yet; on a GPU each worker opens its own device.',
  ];
  return lines.join('\n');
}
