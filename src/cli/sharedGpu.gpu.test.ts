// Seeds of a WebGPU sweep sharing one device (`lab run --jobs N` on WebGPU, runOnSharedGpu): every
// seed's steps, evals and final checkpoint equal those of the same seed run alone on its own device,
// although the seeds' submissions interleave on one queue. And seeds in worker threads with a device
// each (runInWorkers, the bench's third way) open their GPU and give the same metrics. Runs on
// SwiftShader, as every kernel test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResources } from '../experiment/assemble';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import type { StepMetrics } from '../rl/metrics';
import { deterministicPart } from '../rl/trainerFixtures';
import { createNodeBackend } from './nodeHost';
import { type RunArgs, runCommand, runInWorkers } from './runCommand';

const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, max_position_embeddings: 128 };
// Each call of createBackend opens its own device: the sequential sweep is the reference.
const host: RunResources = {
  createBackend: (choice) => createNodeBackend(choice),
  loadModel: async () => ({ config, params: initParameters(config, 4), tokenizer: CharTokenizer.lab() }),
};
const set = [
  'prompts=2',
  'group=4',
  'minibatch=4',
  'maxtokens=8',
  'evalsize=4',
  'avgk=1',
  'evalevery=1',
  'ckpt=1',
  'reward=random',
  'lr=0.003',
  'backend=webgpu',
];
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'lab-shared-gpu-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const args = (over: Partial<RunArgs>): RunArgs => ({ set, datasetFiles: {}, quiet: true, ...over });
const events = (dir: string, type: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === type)
    .map((e) => (type === 'step' ? deterministicPart(e.metrics as StepMetrics) : e.metrics));

describe('seeds sharing one GPU device', () => {
  it('give every seed the metrics of a sequential sweep', async () => {
    const sequential = tempDir();
    const shared = tempDir();
    const lines: string[] = [];
    expect(
      await runCommand(
        args({ out: sequential, steps: '2', seeds: '3', jobs: '1' }),
        () => {},
        () => host,
      ),
    ).toBe(0);
    expect(
      await runCommand(
        args({ out: shared, steps: '2', seeds: '3', jobs: '3' }),
        (l) => lines.push(l),
        () => host,
      ),
    ).toBe(0);
    expect(lines.join('\n')).toMatch(/3 seeds, 3 at a time on one GPU device/);
    for (const seed of ['seed-1', 'seed-2', 'seed-3']) {
      const [a, b] = [join(sequential, seed), join(shared, seed)];
      expect(events(b, 'step')).toHaveLength(2);
      expect(events(b, 'step')).toEqual(events(a, 'step'));
      expect(events(b, 'eval')).toEqual(events(a, 'eval'));
      expect(readFileSync(join(b, 'checkpoint', 'model.safetensors'))).toEqual(
        readFileSync(join(a, 'checkpoint', 'model.safetensors')),
      );
    }
    // The seeds really differ (the comparison above is not between copies of one run).
    expect(events(join(shared, 'seed-2'), 'step')).not.toEqual(events(join(shared, 'seed-1'), 'step'));
  }, 300_000);

  it('in worker threads, a device each, give every seed the metrics of a sequential sweep', async () => {
    // Workers build their own host, so this runs on the shipped zoo model.
    const zoo = [...set, 'model=qwen-math-tiny'];
    const sequential = tempDir();
    expect(
      await runCommand(args({ set: zoo, out: sequential, steps: '1', seeds: '2', jobs: '1' }), () => {}),
    ).toBe(0);
    const config = JSON.parse(readFileSync(join(sequential, 'experiment.json'), 'utf8')).config;
    // The Vulkan loader in a worker reads the real environment, which runInWorkers must prepare: with
    // the variable gone from it, a worker finds no adapter unless runInWorkers sets it again.
    const icd = process.env.VK_ICD_FILENAMES;
    delete process.env.VK_ICD_FILENAMES;
    const inWorkers = tempDir();
    let outcomes: Awaited<ReturnType<typeof runInWorkers>>;
    try {
      outcomes = await runInWorkers(
        [1, 2].map((seed) => ({ config, seed, dir: join(inWorkers, `seed-${seed}`) })),
        2,
        { log: () => {}, quiet: true },
      );
    } finally {
      if (icd !== undefined) process.env.VK_ICD_FILENAMES = icd;
    }
    expect(outcomes.map((o) => [o.seed, o.result, o.error])).toEqual([
      [1, 'finished', undefined],
      [2, 'finished', undefined],
    ]);
    for (const seed of ['seed-1', 'seed-2']) {
      expect(events(join(inWorkers, seed), 'step')).toEqual(events(join(sequential, seed), 'step'));
      expect(events(join(inWorkers, seed), 'eval')).toEqual(events(join(sequential, seed), 'eval'));
    }
  }, 300_000);
});
