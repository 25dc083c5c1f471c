// CLI run command end to end on a tiny random model (CPU engine): the output files are written and
// consistent, bad experiments are refused with every problem listed, and `--resume --steps N` on a
// finished run continues with exactly the steps an uninterrupted longer run takes.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
import { CliError, metricsBefore, type RunArgs, runCommand, runSeed } from './runCommand';

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
    // Nothing runs, so no "— using <default>" as the page's banner says when it falls back.
    expect(lines.join('\n')).not.toMatch(/using/);
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

  it('a resume keeps everything written before the checkpoint (rollout samples too) and NaN as written', async () => {
    const straight = tempDir();
    await runCommand(args({ out: straight, steps: '4' }), quietLog, () => host);
    const resumed = tempDir();
    await runCommand(args({ out: resumed, steps: '2' }), quietLog, () => host);
    // A crash while writing a line leaves it cut off: the resume drops it and says so.
    const jsonl = join(resumed, 'metrics.jsonl');
    writeFileSync(jsonl, `${readFileSync(jsonl, 'utf8')}{"type":"samples","samp`);
    const lines: string[] = [];
    await runCommand(
      args({ resume: resumed, steps: '4', set: [] }),
      (l) => lines.push(l),
      () => host,
    );
    expect(lines.join('\n')).toMatch(/metrics\.jsonl: line \d+ was cut off .*dropped/);
    const events = (dir: string, type: string) =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith(`{"type":"${type}"`));
    // Every step's samples once, as the uninterrupted run wrote them (they hold no wall-clock times).
    expect(events(resumed, 'samples')).toHaveLength(4);
    expect(events(resumed, 'samples')).toEqual(events(straight, 'samples'));
    expect(stepLines(resumed)).toEqual(stepLines(straight));
    // The tiny run's evals have no code answers: accuracy-with-code is NaN, written "NaN" both times.
    const summary = JSON.parse(readFileSync(join(resumed, 'summary.json'), 'utf8'));
    const straightSummary = JSON.parse(readFileSync(join(straight, 'summary.json'), 'utf8'));
    expect(summary.result).toBe('finished');
    const { engine: _a, ...rest } = summary;
    const { engine: _b, ...straightRest } = straightSummary;
    expect(rest).toEqual(straightRest);
    // A damaged line that is not the last is an error naming the file and the line.
    writeFileSync(jsonl, `{"type":"step",\n${readFileSync(jsonl, 'utf8')}`);
    const failed: string[] = [];
    expect(
      await runCommand(
        args({ resume: resumed, steps: '5', set: [] }),
        (l) => failed.push(l),
        () => host,
      ),
    ).toBe(1);
    expect(failed.join('\n')).toMatch(/seed 1: failed: .*metrics\.jsonl: line 1 is not valid JSON/);
    expect(failed.join('\n')).toMatch(/1 of 1 seed\(s\) failed: 1/);
  }, 240_000);

  it('metricsBefore keeps the lines before a checkpoint as written and reads NaN back as a number', () => {
    const file = join(tempDir(), 'metrics.jsonl');
    const lines = [
      '{"type":"status","state":"running","step":0}',
      '{"type":"eval","metrics":{"step":0,"accuracyWithCode":"NaN"}}',
      '{"type":"step","metrics":{"step":0,"ratioMax":"Infinity"}}',
      '{"type":"samples","samples":[{"step":0,"question":"NaN"}]}',
      '{"type":"step","metrics":{"step":1,"ratioMax":1}}',
      '{"type":"samples","samples":[{"step":1,"question":"q"}]}',
      '{"type":"eval","metrics":{"step":2,"accuracyWithCode":0.5}}',
      '{"type":"status","state":"finished","step":2}',
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const at1 = metricsBefore(file, 1, quietLog);
    expect(at1.lines).toEqual(lines.slice(0, 4));
    expect(at1.steps).toEqual([{ step: 0, ratioMax: Number.POSITIVE_INFINITY }]);
    expect(at1.evals).toEqual([{ step: 0, accuracyWithCode: Number.NaN }]);
    // At the end of the run everything but the final status is kept (the resumed run writes its own).
    expect(metricsBefore(file, 2, quietLog).lines).toEqual(lines.slice(0, 7));
  });

  it('a run stopped in the middle of swapping its checkpoint resumes from the new one', async () => {
    const straight = tempDir();
    await runCommand(args({ out: straight, steps: '3' }), quietLog, () => host);
    const out = tempDir();
    await runCommand(args({ out, steps: '2' }), quietLog, () => host);
    // The old checkpoint deleted, the new one (state.json written last) not yet renamed into place.
    renameSync(join(out, 'checkpoint'), join(out, 'checkpoint.tmp'));
    const lines: string[] = [];
    await runCommand(
      args({ resume: out, steps: '3', set: [] }),
      (l) => lines.push(l),
      () => host,
    );
    expect(lines.join('\n')).toMatch(/completed the checkpoint swap.*\n.*resuming at step 2/);
    expect(stepLines(out)).toEqual(stepLines(straight));
    // Without any checkpoint the seed starts again, and says what it replaces.
    rmSync(join(out, 'checkpoint'), { recursive: true });
    const again: string[] = [];
    await runCommand(
      args({ resume: out, steps: '3', set: [] }),
      (l) => again.push(l),
      () => host,
    );
    expect(again.join('\n')).toMatch(
      /no checkpoint in .*starts at step 0 \(the 3 step\(s\) metrics\.jsonl recorded/,
    );
    expect(stepLines(out)).toEqual(stepLines(straight));
  }, 180_000);

  it('refuses, changing nothing, what would lose or misstate a run', async () => {
    const out = tempDir();
    await runCommand(args({ out, steps: '3' }), quietLog, () => host);
    const saved = readFileSync(join(out, 'experiment.json'), 'utf8');
    const refused = async (over: Partial<RunArgs>, why: RegExp) => {
      await expect(runCommand(args(over), quietLog, () => host)).rejects.toThrow(why);
      expect(readFileSync(join(out, 'experiment.json'), 'utf8')).toBe(saved);
    };
    // Fewer steps than it has trained: nothing to resume, and the folder must keep saying 3.
    await refused(
      { resume: out, steps: '2', set: [] },
      /already trained 3 steps; --steps 2 cannot undo them/,
    );
    // A bad --jobs is refused before the folder is written.
    await refused({ resume: out, steps: '5', jobs: '0', set: [] }, /--jobs needs a whole number >= 1/);
    // The same command again, without --resume, would overwrite the finished run.
    await refused({ out, steps: '3' }, /already holds a run; continue it with --resume/);
    // --resume takes the experiment and the folder from the run itself.
    await refused({ resume: out, url: '#v=1&seed=9' }, /--url cannot be combined with it/);
    await refused({ resume: out, out: tempDir() }, /--out cannot be combined with it/);
    const fresh = tempDir();
    await expect(runCommand(args({ out: fresh, jobs: 'abc' }), quietLog, () => host)).rejects.toThrow(
      /--jobs/,
    );
    expect(existsSync(join(fresh, 'experiment.json'))).toBe(false);
  }, 120_000);

  it('a seed that cannot resume fails alone, with its reason, and the sweep goes on', async () => {
    const out = tempDir();
    await runCommand(args({ out, steps: '2', seeds: '2', jobs: '1' }), quietLog, () => host);
    const model = join(out, 'seed-2', 'checkpoint', 'model.safetensors');
    writeFileSync(model, readFileSync(model).subarray(0, 100));
    const lines: string[] = [];
    expect(
      await runCommand(
        args({ resume: out, steps: '3', jobs: '1', set: [] }),
        (l) => lines.push(l),
        () => host,
      ),
    ).toBe(1);
    const log = lines.join('\n');
    expect(log).toMatch(/seed 2: failed: .*model\.safetensors/);
    expect(log).toMatch(/\(1 seed\(s\) with data\).*1 of 2 seed\(s\) failed: 2/);
    const summary = JSON.parse(readFileSync(join(out, 'sweep-summary.json'), 'utf8'));
    expect(summary.seeds.map((x: { result: string }) => x.result)).toEqual(['finished', 'error']);
    expect(summary.seeds[1].error).toMatch(/model\.safetensors/);
    expect(stepLines(join(out, 'seed-1'))).toHaveLength(3);
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
