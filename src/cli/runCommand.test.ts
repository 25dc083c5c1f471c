// CLI run command end to end on a tiny random model (CPU engine): the output files are written and
// consistent, bad experiments are refused with every problem listed, and `--resume --steps N` on a
// finished run continues with exactly the steps an uninterrupted longer run takes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import type { RunResources } from '../experiment/assemble';
import { validateExperiment } from '../experiment/config/validate';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import type { StepMetrics } from '../rl/metrics';
import { deterministicPart } from '../rl/trainerFixtures';
import { CliError, type RunArgs, runCommand, runSeed } from './runCommand';

const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 128 };
const host: RunResources = {
  createBackend: async () => new CpuBackend(),
  loadModel: async () => ({ config, params: initParameters(config, 4), tokenizer: CharTokenizer.lab() }),
};
const tiny = [
  'prompts=2',
  'group=4',
  'minibatch=4',
  'maxtokens=8',
  'evalsize=4',
  'avgk=1',
  'evalevery=0',
  'ckpt=1',
  'reward=random',
  'lr=0.001',
];
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'lab-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const args = (over: Partial<RunArgs>): RunArgs => ({
  set: [...tiny],
  datasetFiles: {},
  quiet: true,
  ...over,
});
const quietLog = () => {};
const stepLines = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'step')
    .map((e) => deterministicPart(e.metrics as StepMetrics));

describe('lab run', () => {
  it('writes metrics.jsonl, metrics.csv, summary.json and a loadable checkpoint', async () => {
    const out = tempDir();
    expect(await runCommand(args({ out, steps: '2' }), quietLog, () => host)).toBe(0);
    for (const f of [
      'experiment.json',
      'metrics.jsonl',
      'metrics.csv',
      'summary.json',
      'checkpoint/model.safetensors',
      'checkpoint/config.json',
      'checkpoint/optimizer.safetensors',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(stepLines(out)).toHaveLength(2);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 1 + 2); // header, initial eval, two steps
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.result).toBe('finished');
    expect(summary.steps).toBe(2);
  }, 120_000);

  it('refuses an invalid experiment, listing each bad field', async () => {
    const lines: string[] = [];
    await expect(
      runCommand(
        args({ out: tempDir(), set: ['reward=nonsense', 'lr=-3'] }),
        (l) => lines.push(l),
        () => host,
      ),
    ).rejects.toBeInstanceOf(CliError);
    expect(lines.join('\n')).toMatch(/reward/);
    expect(lines.join('\n')).toMatch(/lr/);
  });

  it('--resume with more steps continues exactly like an uninterrupted run', async () => {
    const straight = tempDir();
    await runCommand(args({ out: straight, steps: '4' }), quietLog, () => host);
    const resumed = tempDir();
    await runCommand(args({ out: resumed, steps: '2' }), quietLog, () => host);
    await runCommand(args({ resume: resumed, steps: '4', set: [] }), quietLog, () => host);
    expect(stepLines(resumed)).toEqual(stepLines(straight));
    expect(readFileSync(join(resumed, 'checkpoint', 'model.safetensors'))).toEqual(
      readFileSync(join(straight, 'checkpoint', 'model.safetensors')),
    );
  }, 180_000);

  it('keeps the saved checkpoint within two steps of training, so a long run can stop at any time', async () => {
    // The CPU engine gives the event loop one turn per step: a checkpoint written with awaited file
    // operations fell one operation per step behind (50 steps, in a 100-step study run).
    const { config: experiment, errors } = validateExperiment({
      promptsPerStep: 2,
      groupSize: 4,
      miniBatchSize: 4,
      maxNewTokens: 8,
      evalSize: 4,
      evalK: 1,
      evalEvery: 0,
      checkpointEvery: 1,
      reward: 'random',
      lr: 0.001,
      steps: 12,
      backend: 'cpu',
    });
    expect(errors).toEqual([]);
    const dir = tempDir();
    const lags: number[] = [];
    const outcome = await runSeed(experiment, 1, dir, host, quietLog, {
      quiet: true,
      resume: false,
      onStep: (done) => {
        const state = join(dir, 'checkpoint', 'state.json');
        const saved = existsSync(state)
          ? (JSON.parse(readFileSync(state, 'utf8')) as { step: number }).step
          : 0;
        lags.push(done - saved);
      },
    });
    expect(outcome.result).toBe('finished');
    expect(lags).toHaveLength(12);
    expect(Math.max(...lags)).toBeLessThanOrEqual(2);
  }, 180_000);

  it('seeds in parallel worker threads give every seed the metrics of a sequential sweep', async () => {
    // Workers build their own host, so this runs on the shipped zoo model (tiny settings keep it short).
    const zoo = [...tiny.filter((kv) => !kv.startsWith('evalevery')), 'model=qwen-math-tiny', 'evalevery=2'];
    const sequential = tempDir();
    const parallel = tempDir();
    const lines: string[] = [];
    expect(
      await runCommand(args({ out: sequential, steps: '2', seeds: '2', jobs: '1', set: zoo }), quietLog),
    ).toBe(0);
    expect(
      await runCommand(args({ out: parallel, steps: '2', seeds: '2', jobs: '2', set: zoo }), (l) =>
        lines.push(l),
      ),
    ).toBe(0);
    expect(lines.join('\n')).toMatch(/2 seeds, 2 at a time in worker threads/);
    const evalLines = (dir: string) =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"eval"'));
    for (const seed of ['seed-1', 'seed-2']) {
      const [a, b] = [join(sequential, seed), join(parallel, seed)];
      expect(stepLines(b)).toHaveLength(2);
      expect(stepLines(b)).toEqual(stepLines(a));
      expect(evalLines(b)).toEqual(evalLines(a));
      expect(readFileSync(join(b, 'checkpoint', 'model.safetensors'))).toEqual(
        readFileSync(join(a, 'checkpoint', 'model.safetensors')),
      );
    }
    // The two seeds really differ (the comparison above is not between copies of one run).
    expect(stepLines(join(parallel, 'seed-2'))).not.toEqual(stepLines(join(parallel, 'seed-1')));
    const summary = JSON.parse(readFileSync(join(parallel, 'sweep-summary.json'), 'utf8'));
    expect(summary.seeds.map((s: { seed: number; result: string }) => [s.seed, s.result])).toEqual([
      [1, 'finished'],
      [2, 'finished'],
    ]);
  }, 300_000);

  it('--jobs must be a whole number >= 1', async () => {
    await expect(runCommand(args({ out: tempDir(), jobs: '0' }), quietLog, () => host)).rejects.toThrow(
      /--jobs needs a whole number >= 1/,
    );
  });
});
