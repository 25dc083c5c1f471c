// One 2-seed sweep of 10 steps (the sweep bench's experiment), one after another ("seq") or in two worker threads
// ("par"): the wall time and each seed's time inside its steps (ms per step).
// Run: npx tsx docs/measurements/cpu-2026-12-06-night/pair-timeline.mts seq|par
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRunResources } from '../../../src/cli/nodeHost';
import { runInWorkers, runSeed } from '../../../src/cli/runCommand';
import { validateExperiment } from '../../../src/experiment/config/validate';

const { config } = validateExperiment({
  model: 'qwen-math-tiny',
  reward: 'random',
  promptsPerStep: 8,
  groupSize: 16,
  miniBatchSize: 16,
  maxNewTokens: 128,
  lr: 1e-4,
  steps: 10,
  evalEvery: 0,
  evalSize: 4,
  evalK: 1,
  backend: 'cpu',
});
const stepsSum = (dir: string) => {
  let s = 0;
  const per: number[] = [];
  for (const l of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(l);
    if (e.type === 'step') {
      const m = e.metrics;
      const t = m.timeRolloutMs + m.timeScoringMs + m.timeLogprobsMs + m.timeUpdateMs;
      s += t;
      per.push(Math.round(t));
    }
  }
  return `${(s / 1000).toFixed(1)}s [${per.join(' ')}]`;
};
const mode = process.argv[2];
const scratch = mkdtempSync(join(tmpdir(), 'pt-'));
const t0 = performance.now();
if (mode === 'par') {
  await runInWorkers(
    [1, 2].map((seed) => ({ config, seed, dir: join(scratch, `s${seed}`) })),
    2,
    { log: () => {}, quiet: true },
  );
} else {
  const host = nodeRunResources({ log: () => {} });
  for (const seed of [1, 2])
    await runSeed(config, seed, join(scratch, `s${seed}`), host, () => {}, { quiet: true, resume: false });
}
console.log(
  mode,
  'wall',
  ((performance.now() - t0) / 1000).toFixed(1),
  's; seed1 steps',
  stepsSum(join(scratch, 's1')),
  'seed2 steps',
  stepsSum(join(scratch, 's2')),
);
