// Tests of the rewards: every reward and compound against the shared hand-written fixture file (the
// exported Python module is checked against the same file), the seeded random reward's distribution
// and determinism, name parsing errors, training-set kinds and the offline majority-label pipeline.
import { describe, expect, it } from 'vitest';
import { Random } from '../util/random';
import { REWARD_CASES } from './rewardFixtures';
import {
  BASE_REWARD_NAMES,
  buildOfflineMajorityLabels,
  compileReward,
  incorrectLabelIndices,
  labelledIndices,
  majorityAnswer,
  parseRewardName,
  REWARD_REGISTRY,
  type RewardFn,
  rewardNeedsOfflineLabels,
  rewardRng,
  rewardTrainingSet,
  rewardUses,
  scoreGroup,
} from './rewards';

function fn(name: string): RewardFn {
  const compiled = compileReward(name);
  if (!compiled.ok) throw new Error(compiled.why);
  return compiled.fn;
}

describe('fixture rewards', () => {
  const cases = REWARD_CASES;
  it('cover every base reward except random (compared draw for draw in the export test)', () => {
    const covered = new Set(cases.flatMap((c) => Object.keys(c.expected).flatMap(rewardUses)));
    for (const name of BASE_REWARD_NAMES) if (name !== 'random') expect(covered, name).toContain(name);
  });

  for (const c of cases) {
    it(c.id, () => {
      const group = c.group ?? [c.response];
      const sampleIndex = c.sampleIndex ?? 0;
      expect(group[sampleIndex]).toBe(c.response);
      for (const [name, expected] of Object.entries(c.expected)) {
        const got = fn(name)(
          c.response,
          { answer: c.answer, majorityLabel: c.label ?? null },
          { group, sampleIndex, params: { gamma: 0.5 } },
          new Random(0),
        );
        expect(got, `${c.id}: ${name}`).toBe(expected);
      }
    });
  }
});

describe('random reward', () => {
  const random = fn('random');
  const example = { answer: '1' };

  it('is Bernoulli(gamma), whatever the response', () => {
    for (const gamma of [0.001, 0.3, 0.5, 0.7]) {
      const n = 20_000;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += random(
          i % 2 ? 'python \\boxed{1}' : '',
          example,
          { group: [], sampleIndex: 0, params: { gamma } },
          rewardRng(5, i, 0, 0),
        );
      }
      // 5 standard errors: fails for a wrong gamma, passes by chance with probability ~1 - 6e-7.
      expect(Math.abs(sum / n - gamma)).toBeLessThan(5 * Math.sqrt((gamma * (1 - gamma)) / n));
    }
  });

  it('gamma 0 never pays and gamma 1 always does', () => {
    for (let i = 0; i < 200; i++) {
      const ctx = (gamma: number) => ({ group: [], sampleIndex: 0, params: { gamma } });
      expect(random('x', example, ctx(0), rewardRng(1, i, 2, 3))).toBe(0);
      expect(random('x', example, ctx(1), rewardRng(1, i, 2, 3))).toBe(1);
    }
  });

  it('depends only on (seed, step, prompt, sample): replays exactly, differs across samples', () => {
    const options = { seed: 11, step: 4, promptIndex: 2, params: { gamma: 0.5 } };
    const responses = Array.from({ length: 64 }, (_, i) => `r${i}`);
    const a = scoreGroup(random, responses, example, options);
    expect(scoreGroup(random, responses.slice().reverse(), example, options)).toEqual(a);
    expect(a.some((r) => r === 1) && a.some((r) => r === 0)).toBe(true);
    const otherStep = scoreGroup(random, responses, example, { ...options, step: 5 });
    expect(otherStep).not.toEqual(a);
    const otherSeed = scoreGroup(random, responses, example, { ...options, seed: 12 });
    expect(otherSeed).not.toEqual(a);
  });

  it('inside a compound still draws, so format_AND_random pays only boxed responses, about gamma of them', () => {
    const compound = fn('format_AND_random');
    let boxedPaid = 0;
    for (let i = 0; i < 4000; i++) {
      const ctx = { group: [], sampleIndex: 0, params: { gamma: 0.5 } };
      expect(compound('no box', example, ctx, rewardRng(3, i, 0, 0))).toBe(0);
      boxedPaid += compound('\\boxed{2}', example, ctx, rewardRng(3, i, 0, 0));
    }
    expect(boxedPaid / 4000).toBeGreaterThan(0.45);
    expect(boxedPaid / 4000).toBeLessThan(0.55);
  });
});

describe('reward names', () => {
  it('parse compounds and nested inverses', () => {
    expect(parseRewardName('format_AND_inverse_python')).toEqual({
      ok: true,
      expr: {
        kind: 'and',
        parts: [
          { kind: 'base', name: 'format' },
          { kind: 'inverse', of: { kind: 'base', name: 'python' } },
        ],
      },
    });
    expect(rewardUses('inverse_inverse_random_AND_format')).toEqual(['random', 'format']);
  });

  it('reject unknown names listing the valid ones', () => {
    for (const bad of [
      '',
      'vibes',
      'format_AND_',
      '_AND_python',
      'inverse_',
      'format_and_python',
      'Format',
    ]) {
      const parsed = parseRewardName(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok && bad !== '') expect(parsed.why).toContain(BASE_REWARD_NAMES.join(', '));
    }
    const injected = parseRewardName('<script>');
    expect(!injected.ok && injected.why).not.toMatch(/[<>]/);
  });

  it('registry entries are well formed and unique', () => {
    expect(new Set(BASE_REWARD_NAMES).size).toBe(BASE_REWARD_NAMES.length);
    for (const def of REWARD_REGISTRY) {
      expect(def.name).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(def.name.includes('_AND_') || def.name.startsWith('inverse_')).toBe(false);
      expect(def.description.length).toBeGreaterThan(10);
    }
  });

  it('give each reward its training set and label needs', () => {
    expect(rewardTrainingSet('random')).toBe('all');
    expect(rewardTrainingSet('one_shot')).toBe('one_shot');
    expect(rewardTrainingSet('incorrect')).toBe('incorrect_labels');
    expect(rewardTrainingSet('majority_vote_AND_format')).toBe('majority_labels');
    expect(rewardTrainingSet('majority_vote_AND_incorrect')).toBe('incorrect_labels');
    expect(rewardNeedsOfflineLabels('inverse_majority_vote')).toBe(true);
    expect(rewardNeedsOfflineLabels('majority_vote_online')).toBe(false);
  });
});

describe('offline majority labels', () => {
  it('majorityAnswer counts votes and breaks ties by first appearance', () => {
    expect(majorityAnswer(['3', null, '8', '8', '3'])).toEqual({ answer: '3', votes: 2 });
    expect(majorityAnswer([null, null])).toEqual({ answer: null, votes: 0 });
  });

  it('labels each prompt with its most common sampled answer and finds the wrong ones', async () => {
    const examples = [
      { prompt: 'p0', answer: 5 },
      { prompt: 'p1', answer: '7' },
      { prompt: 'p2', answer: 1 },
      { prompt: 'p3', answer: 2 },
    ];
    // A stand-in for the pre-RL model: p0 mostly right, p1 mostly one wrong answer, p2 never answers,
    // p3 right but written with leading zeros and a box, which the pipeline normalises.
    const answersFor: Record<string, (string | null)[]> = {
      p0: ['5', '5', '4', null, '5', '6'],
      p1: ['9', '7', '9', '9', null, '7'],
      p2: [null, null, null, null, null, null],
      p3: ['02', '{2}', '3', '2', '3', '2'],
    };
    const calls: [string, number, number][] = [];
    const labels = await buildOfflineMajorityLabels(
      examples,
      async (prompt, k, index) => {
        calls.push([prompt, k, index]);
        return answersFor[prompt].slice(0, k);
      },
      6,
    );
    expect(calls).toEqual([
      ['p0', 6, 0],
      ['p1', 6, 1],
      ['p2', 6, 2],
      ['p3', 6, 3],
    ]);
    expect(labels).toEqual([
      { label: '5', votes: 3, samples: 6, correct: true },
      { label: '9', votes: 3, samples: 6, correct: false },
      { label: null, votes: 0, samples: 6, correct: false },
      { label: '2', votes: 4, samples: 6, correct: true },
    ]);
    expect(incorrectLabelIndices(labels)).toEqual([1]);
    expect(labelledIndices(labels)).toEqual([0, 1, 3]);

    // The labels then drive the rewards: incorrect pays for the WRONG label, never for the truth.
    const incorrect = fn('incorrect');
    const ctx = { group: [], sampleIndex: 0, params: { gamma: 0.5 } };
    const example = { answer: examples[1].answer, majorityLabel: labels[1].label };
    expect(incorrect('\\boxed{9}', example, ctx, new Random(0))).toBe(1);
    expect(incorrect('\\boxed{7}', example, ctx, new Random(0))).toBe(0);
  });

  it('with a seeded sampler: label accuracy follows the sampler accuracy', async () => {
    const rng = new Random(99);
    const examples = Array.from({ length: 400 }, (_, i) => ({ prompt: `q${i}`, answer: i % 10 }));
    // Right with p = 0.4, otherwise one of 3 wrong answers: the mode of 16 is the truth with probability
    // 0.707 (Monte Carlo, 2e5 trials); 400 prompts give a standard error of 0.023.
    const labels = await buildOfflineMajorityLabels(
      examples,
      async (_prompt, k, index) =>
        Array.from({ length: k }, () =>
          rng.bernoulli(0.4) ? String(index % 10) : String(10 + rng.int(0, 2)),
        ),
      16,
    );
    const correct = labels.filter((l) => l.correct).length / labels.length;
    const modeIsTruth = 0.7074;
    expect(correct).toBeGreaterThan(modeIsTruth - 5 * 0.023);
    expect(correct).toBeLessThan(modeIsTruth + 5 * 0.023);
    expect(incorrectLabelIndices(labels).length).toBe(labels.length - labels.filter((l) => l.correct).length);
  });

  it('rejects a bad k', async () => {
    await expect(buildOfflineMajorityLabels([], async () => [], 0)).rejects.toThrow(/k must be/);
  });
});
