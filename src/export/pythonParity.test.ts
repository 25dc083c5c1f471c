// The exported Python against the TypeScript it was written from, under a real python3: the reward
// module compiles, returns the shared fixture file's hand-written rewards, agrees with the TypeScript
// rewards on thousands of generated responses, reproduces the lab's random-reward draws bit for bit
// through the shared seed scheme, and its engine entry points (verl, OpenRLHF) behave; prepare_data.py
// compiles and builds the files each engine reads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateExperiment } from '../experiment/config/validate';
import { REWARD_CASES } from '../rl/rewardFixtures';
import { BASE_REWARD_NAMES, compileReward, rewardRng } from '../rl/rewards';
import { extractIntegerAnswer } from '../tasks/answer';
import { Random } from '../util/random';
import { exportExperiment } from './cluster';

let dir = '';

function python(script: string, input: unknown): unknown {
  const out = execFileSync('python3', ['-c', script], {
    cwd: dir,
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: dir },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

function tsReward(
  name: string,
  response: string,
  answer: string | number,
  label: string | null,
  group: string[],
  sampleIndex: number,
  gamma: number,
  rng: Random,
): number {
  const compiled = compileReward(name);
  if (!compiled.ok) throw new Error(compiled.why);
  return compiled.fn(
    response,
    { answer, majorityLabel: label },
    { group, sampleIndex, params: { gamma } },
    rng,
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-export-'));
  const config = validateExperiment({ reward: 'format_AND_inverse_python', gamma: 0.3, seed: 7 }).config;
  const { files } = exportExperiment(config, { engine: 'verl' });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exported Python', () => {
  it('compiles (py_compile) and imports with the configured reward', () => {
    execFileSync('python3', ['-m', 'py_compile', 'lab_reward.py', 'prepare_data.py'], { cwd: dir });
    const info = python(
      'import json, lab_reward as m; print(json.dumps([m.REWARD, m.GAMMA, m.SEED, sorted(m.REWARDS)]))',
      null,
    );
    expect(info).toEqual(['format_AND_inverse_python', 0.3, 7, [...BASE_REWARD_NAMES].sort()]);
  });

  it('returns the fixture file’s expected rewards', () => {
    const cases = REWARD_CASES;
    const got = python(
      `import json, sys, lab_reward as m
cases = json.load(sys.stdin)
out = {}
for c in cases:
    group = c.get("group") or [c["response"]]
    for name in c["expected"]:
        out[c["id"] + "|" + name] = m.lab_reward(name, c["response"], c["answer"], c.get("label"), group, c.get("sampleIndex", 0), 0.5, m.LabRandom(0))
print(json.dumps(out))`,
      cases,
    ) as Record<string, number>;
    let checked = 0;
    for (const c of cases) {
      for (const [name, expected] of Object.entries(c.expected)) {
        expect(got[`${c.id}|${name}`], `${c.id}: ${name}`).toBe(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('agrees with the TypeScript rewards on generated responses', () => {
    // Responses built from the pieces the graders care about: boxes (nested, empty, unclosed), signs,
    // commas, zeros, $, Unicode minus and spaces, and the word python in several cases.
    const rng = new Random(123);
    const pieces = [
      '\\boxed{',
      '}',
      '{',
      '7',
      '07',
      '-',
      '\u2212',
      '1,234',
      '12',
      '0',
      '.0',
      '$',
      ' ',
      '\u00a0',
      '\u2003',
      '\ufeff',
      'Python',
      'pyTHON',
      'x=3+4',
      '\n',
      'answer',
      '\\boxed{}',
      'ä',
    ];
    const cases = Array.from({ length: 1500 }, () => {
      const make = () => Array.from({ length: rng.int(0, 10) }, () => rng.pick(pieces)).join('');
      const group = Array.from({ length: rng.int(1, 5) }, make);
      const sampleIndex = rng.int(0, group.length - 1);
      const answer = rng.bernoulli(0.5)
        ? String(rng.int(-3, 20))
        : rng.pick(['7', ' 07 ', '{12}', '1,234', '-0', 'x', '$7$']);
      const label = rng.bernoulli(0.3) ? null : rng.pick(['7', '12', '-1', '1234', '0', 'abc']);
      return { response: group[sampleIndex], group, sampleIndex, answer, label };
    });
    const names = BASE_REWARD_NAMES.filter((n) => n !== 'random').concat([
      'format_AND_inverse_python',
      'inverse_majority_vote_online',
    ]);
    const got = python(
      `import json, sys, lab_reward as m
cases, names = json.load(sys.stdin)
out = []
for c in cases:
    row = [m.extract_integer_answer(c["response"])]
    for name in names:
        row.append(m.lab_reward(name, c["response"], c["answer"], c["label"], c["group"], c["sampleIndex"], 0.5, m.LabRandom(0)))
    out.append(row)
print(json.dumps(out))`,
      [cases, names],
    ) as (string | number | null)[][];
    cases.forEach((c, i) => {
      const expected = [
        extractIntegerAnswer(c.response),
        ...names.map((name) =>
          tsReward(name, c.response, c.answer, c.label, c.group, c.sampleIndex, 0.5, new Random(0)),
        ),
      ];
      expect(got[i], JSON.stringify(c)).toEqual(expected);
    });
  });

  it('reproduces the lab generator and random-reward draws bit for bit', () => {
    const streams = [[], [1], [0x7e3a4d01, 3, 2, 1], [4294967295, 2147483648]] as number[][];
    const seeds = [0, 1, 7, 123456789, 4294967295];
    const keys = seeds.flatMap((seed) => streams.map((s) => [seed, ...s]));
    const pyDraws = python(
      `import json, sys, lab_reward as m
out = []
for key in json.load(sys.stdin):
    r = m.LabRandom(*key)
    out.append([r.next_u32() for _ in range(20)])
print(json.dumps(out))`,
      keys,
    );
    const tsDraws = keys.map(([seed, ...s]) => {
      const r = new Random(seed, ...s);
      return Array.from({ length: 20 }, () => r.nextU32());
    });
    expect(pyDraws).toEqual(tsDraws);

    // Rewards of random and of a compound with random, per (seed, step, prompt, sample).
    const draws = Array.from({ length: 400 }, (_, i) => ({
      seed: i % 5,
      step: i % 13,
      prompt: i % 7,
      sample: i % 16,
      gamma: [0.001, 0.3, 0.5, 0.7][i % 4],
    }));
    const pyRewards = python(
      `import json, sys, lab_reward as m
out = []
for d in json.load(sys.stdin):
    for name in ("random", "inverse_random_AND_format"):
        out.append(m.lab_reward(name, "\\\\boxed{1}", "1", None, None, 0, d["gamma"], m.reward_rng(d["seed"], d["step"], d["prompt"], d["sample"])))
print(json.dumps(out))`,
      draws,
    );
    const tsRewards = draws.flatMap((d) =>
      ['random', 'inverse_random_AND_format'].map((name) =>
        tsReward(
          name,
          '\\boxed{1}',
          '1',
          null,
          ['\\boxed{1}'],
          0,
          d.gamma,
          rewardRng(d.seed, d.step, d.prompt, d.sample),
        ),
      ),
    );
    expect(pyRewards).toEqual(tsRewards);
  });

  it('entry points: verl compute_score / compute_score_batch and OpenRLHF reward_func', () => {
    const got = python(
      `import json, os, sys, lab_reward as m
out = {}
m.REWARD = "ground_truth"
out["gt"] = [m.compute_score("lab", "\\\\boxed{12}", "12", {})["score"], m.compute_score("lab", "\\\\boxed{11}", "12", None)["score"]]
m.REWARD = "random"
m.GAMMA = 0.5
info = {"lab_seed": 7, "lab_step": 3, "lab_prompt_index": 2, "lab_sample_index": 5}
out["random"] = m.compute_score("lab", "anything", "1", info)["score"]
out["val"] = [m.compute_score("lab", "python \\\\boxed{%d}" % v, "1", {"split": "val"}) for v in (1, 2)]
m.REWARD = "incorrect"
out["incorrect"] = m.compute_score("lab", "\\\\boxed{9}", "7", {"majority_label": "9"})["score"]
m.REWARD = "majority_vote_online"
try:
    m.compute_score("lab", "\\\\boxed{1}", "1", {})
    out["naive_online"] = "no error"
except ValueError as e:
    out["naive_online"] = str(e)
sols = ["\\\\boxed{4}", "\\\\boxed{4}", "\\\\boxed{5}", "\\\\boxed{5}", "\\\\boxed{5}", "\\\\boxed{1}"]
gts = ["4", "4", "4", "9", "9", "9"]
infos = [{"index": 0}] * 3 + [{"index": 1}] * 3
out["batch"] = [d["score"] for d in m.compute_score_batch(["lab"] * 6, sols, gts, infos)]
m.REWARD = "format_AND_inverse_python"
prompts = ["P1"] * 2 + ["P2"] * 2
queries = [p + r for p, r in zip(prompts, ["\\\\boxed{1}", "python \\\\boxed{1}", "no box", "\\\\boxed{2}"])]
res = m.reward_func(queries, prompts, ["1", '{"answer": "2", "majority_label": "3"}', "1", "2"])
out["openrlhf"] = list(res["rewards"])
out["openrlhf_logs"] = res["extra_logs"]
m.REWARD = "majority_vote"
res = m.reward_func(["Q\\\\boxed{3}", "Q\\\\boxed{2}"], ["Q", "Q"], ['{"answer": "2", "majority_label": "3"}'] * 2)
out["openrlhf_labels"] = list(res["rewards"])
res = m.reward_func(["Q\\\\boxed{2}", "Q\\\\boxed{3}"], ["Q", "Q"], ['{"answer": "2", "majority_label": "3", "split": "val"}'] * 2)
out["openrlhf_val"] = list(res["rewards"])
print(json.dumps(out))`,
      null,
    ) as Record<string, unknown>;
    expect(got.gt).toEqual([1, 0]);
    expect(got.random).toBe(
      tsReward('random', 'anything', '1', null, ['anything'], 0, 0.5, rewardRng(7, 3, 2, 5)),
    );
    expect(got.incorrect).toBe(1);
    expect(got.naive_online).toMatch(/reward_manager=batch/);
    // Groups are consecutive runs of the same prompt: [4,4,5] → majority 4; [5,5,1] → majority 5.
    expect(got.batch).toEqual([1, 1, 0, 1, 1, 0]);
    expect(got.openrlhf).toEqual([1, 0, 0, 1]);
    expect(got.openrlhf_labels).toEqual([1, 0]);
    // Validation rows are scored by ground truth whatever the training reward, with acc and code logged.
    expect(got.val).toEqual([
      { score: 1, acc: 1, code_reasoning: 1 },
      { score: 0, acc: 0, code_reasoning: 1 },
    ]);
    expect(got.openrlhf_val).toEqual([1, 0]);
    expect(got.openrlhf_logs).toEqual({ acc: [1, 0, 0, 1], code_reasoning: [0, 1, 0, 0] });
  });

  it('rejects an unknown reward name at import, naming the valid ones', () => {
    let message = '';
    try {
      execFileSync('python3', ['-c', 'import lab_reward'], {
        cwd: dir,
        env: { ...process.env, LAB_REWARD: 'vibes', PYTHONDONTWRITEBYTECODE: '1' },
        stdio: 'pipe',
      });
    } catch (error) {
      message = String((error as { stderr?: Buffer }).stderr);
    }
    expect(message).toMatch(/unknown reward 'vibes'; valid names: ground_truth, format, random/);
  });
});

describe('exported prepare_data.py', () => {
  function prepare(engine: 'verl' | 'openrlhf', changes: Record<string, unknown>, extraArgs: string[]) {
    const work = mkdtempSync(join(tmpdir(), 'lab-prepare-'));
    try {
      const { files } = exportExperiment(validateExperiment(changes).config, { engine });
      for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
      const rows = [
        { problem: 'What is 3+4?', answer: '7' },
        { problem: 'Half of 3?', answer: '\\frac{3}{2}' },
        { problem: 'What is 10*10?', answer: '100' },
      ];
      writeFileSync(join(work, 'train.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
      writeFileSync(join(work, 'val.jsonl'), JSON.stringify(rows[0]));
      execFileSync(
        'python3',
        [
          'prepare_data.py',
          '--train',
          'train.jsonl',
          '--val',
          'val.jsonl',
          '--out',
          'data',
          '--format',
          'jsonl',
          ...extraArgs,
        ],
        {
          cwd: work,
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
          stdio: 'pipe',
        },
      );
      const read = (name: string) =>
        readFileSync(join(work, 'data', name), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
      return { train: read('train.jsonl'), val: read('val.jsonl') };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  it('writes verl rows (prompt messages, reward_model.ground_truth, extra_info) and drops non-integer answers', () => {
    const { train, val } = prepare('verl', { reward: 'random' }, []);
    expect(train.map((r) => r.reward_model.ground_truth)).toEqual(['7', '100']);
    expect(train[0].prompt[1]).toEqual({ role: 'user', content: 'What is 3+4?' });
    expect(train[0].extra_info).toMatchObject({ index: 0, majority_label: null });
    expect(val).toHaveLength(1);
  });

  it('writes OpenRLHF rows with JSON labels, and repeats the one-shot example', () => {
    const { train } = prepare('openrlhf', { reward: 'one_shot', oneShotIndex: 1 }, [
      '--one-shot-repeat',
      '5',
    ]);
    expect(train).toHaveLength(5);
    for (const row of train) {
      expect(JSON.parse(row.label)).toEqual({ answer: '100', majority_label: null, split: 'train' });
      expect(row.prompt[1].content).toBe('What is 10*10?');
    }
  });
});
