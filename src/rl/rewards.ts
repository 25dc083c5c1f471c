// The paper's rewards, as pure functions of (response, example, group context, rng), and the registry
// that names them. A reward is added in ONE place — an entry of REWARD_REGISTRY — and then exists for
// the trainer, the experiment schema (names are validated against the registry), the UI's list and the
// cluster export (each entry carries its Python twin, used verbatim by src/export/).
//
// Names compose as in the paper's code: `a_AND_b` is 1 only when both are 1 (min for fractional
// rewards) and `inverse_a` is 1 - a, so `format_AND_inverse_python` pays for a boxed answer without
// code reasoning.
import { extractIntegerAnswer, gradeAnswer, hasBoxedAnswer, normaliseIntegerAnswer } from '../tasks/answer';
import { isCodeReasoning } from '../tasks/style';
import { Random } from '../util/random';

/** What a reward may know about the prompt a response answers. */
export interface RewardExample {
  /** Ground-truth answer. */
  answer: string | number;
  /**
   * Offline majority-vote label (normalised integer) the pre-RL model gave this prompt, or null when
   * it had none. Needed by majority_vote and incorrect; see buildOfflineMajorityLabels.
   */
  majorityLabel?: string | null;
}

export interface RewardParams {
  /** random(gamma): probability of reward 1. */
  gamma: number;
}

/** The group a response was sampled in: online majority vote (TTRL) compares with its siblings. */
export interface RewardContext {
  /** All G responses to this prompt, this one included. */
  group: readonly string[];
  /** Index of this response in `group`. */
  sampleIndex: number;
  params: RewardParams;
}

/** A reward: pure — the same inputs and the same rng state give the same number. */
export type RewardFn = (response: string, example: RewardExample, ctx: RewardContext, rng: Random) => number;

/** Which part of the training set a reward trains on (the runner builds it; see rewardTrainingSet). */
export type TrainingSetKind =
  /** the whole train stream */
  | 'all'
  /** one example (config.oneShotIndex), repeated */
  | 'one_shot'
  /** only prompts whose offline majority label exists */
  | 'majority_labels'
  /** only prompts whose offline majority label is WRONG */
  | 'incorrect_labels';

export interface RewardDefinition {
  /** Registry name: lowercase letters, digits and single underscores; never contains `_AND_`/`inverse_`. */
  name: string;
  /** One line for the UI and the export README. */
  description: string;
  trainingSet: TrainingSetKind;
  fn: RewardFn;
  /**
   * The same reward in Python for the cluster export: the body of
   * `def reward_<name>(response, example, ctx):` where example = {'answer', 'label'} and
   * ctx = {'group', 'sample_index', 'gamma', 'rng'} (rng.next() → uniform [0, 1), the lab's sfc32).
   * Helpers available: extract_integer_answer, grade_answer, has_boxed_answer, normalise_integer_answer.
   * Null when the reward cannot run on a cluster engine (the export then lists it as unmappable).
   */
  python: string | null;
}

/** Most common non-null answer, ties to the one seen first (as Python's Counter.most_common). */
export function majorityAnswer(answers: readonly (string | null)[]): {
  answer: string | null;
  votes: number;
} {
  const counts = new Map<string, number>();
  for (const answer of answers) if (answer !== null) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  let best: string | null = null;
  let votes = 0;
  for (const [answer, count] of counts) {
    if (count > votes) {
      best = answer;
      votes = count;
    }
  }
  return { answer: best, votes };
}

/** Reward 1 when the response's answer equals the offline label (0 without a label or an answer). */
const matchesOfflineLabel: RewardFn = (response, example) => {
  const label = normaliseIntegerAnswer(example.majorityLabel ?? null);
  if (label === null) return 0;
  return extractIntegerAnswer(response) === label ? 1 : 0;
};

const MATCHES_LABEL_PY = `label = normalise_integer_answer(example.get('label'))
    if label is None:
        return 0.0
    return 1.0 if extract_integer_answer(response) == label else 0.0`;

export const REWARD_REGISTRY: readonly RewardDefinition[] = [
  {
    name: 'ground_truth',
    description: 'Correct answer: 1 when the last non-empty \\boxed{} holds the ground-truth integer.',
    trainingSet: 'all',
    fn: (response, example) => (gradeAnswer(response, example.answer) ? 1 : 0),
    python: `return 1.0 if grade_answer(response, example.get('answer')) else 0.0`,
  },
  {
    name: 'format',
    description: 'Format: 1 when the response contains a non-empty \\boxed{}, right or wrong.',
    trainingSet: 'all',
    fn: (response) => (hasBoxedAnswer(response) ? 1 : 0),
    python: `return 1.0 if has_boxed_answer(response) else 0.0`,
  },
  {
    name: 'random',
    description: 'Random: 1 with probability gamma, independent of the response.',
    trainingSet: 'all',
    fn: (_response, _example, ctx, rng) => (rng.bernoulli(ctx.params.gamma) ? 1 : 0),
    python: `return 1.0 if ctx['rng'].next() < ctx['gamma'] else 0.0`,
  },
  {
    name: 'majority_vote',
    description:
      'Majority vote (offline, the paper): 1 when the answer equals the label the pre-RL model gave most often over k samples.',
    trainingSet: 'majority_labels',
    fn: matchesOfflineLabel,
    python: MATCHES_LABEL_PY,
  },
  {
    name: 'majority_vote_online',
    description:
      "Majority vote (online, TTRL): 1 when the answer equals the group's most common answer this step.",
    trainingSet: 'all',
    fn: (response, _example, ctx) => {
      const own = extractIntegerAnswer(response);
      if (own === null) return 0;
      return majorityAnswer(ctx.group.map(extractIntegerAnswer)).answer === own ? 1 : 0;
    },
    python: `own = extract_integer_answer(response)
    if own is None:
        return 0.0
    return 1.0 if majority_answer([extract_integer_answer(r) for r in ctx['group']]) == own else 0.0`,
  },
  {
    name: 'incorrect',
    description:
      'Incorrect: trains only on prompts whose offline majority label is wrong, paying for matching that wrong label.',
    trainingSet: 'incorrect_labels',
    fn: matchesOfflineLabel,
    python: MATCHES_LABEL_PY,
  },
  {
    name: 'one_shot',
    description: 'One-shot RLVR: ground-truth reward on a single training example, repeated.',
    trainingSet: 'one_shot',
    fn: (response, example) => (gradeAnswer(response, example.answer) ? 1 : 0),
    python: `return 1.0 if grade_answer(response, example.get('answer')) else 0.0`,
  },
  {
    name: 'python',
    description: 'Python: 1 when the lowercased response contains "python" (code reasoning).',
    trainingSet: 'all',
    fn: (response) => (isCodeReasoning(response) ? 1 : 0),
    python: `return 1.0 if 'python' in response.lower() else 0.0`,
  },
];

export const BASE_REWARD_NAMES: readonly string[] = REWARD_REGISTRY.map((r) => r.name);
const REWARD_BY_NAME = new Map(REWARD_REGISTRY.map((r) => [r.name, r]));

export function rewardDefinition(name: string): RewardDefinition | undefined {
  return REWARD_BY_NAME.get(name);
}

/** A parsed reward name. */
export type RewardExpr =
  | { kind: 'base'; name: string }
  | { kind: 'inverse'; of: RewardExpr }
  | { kind: 'and'; parts: RewardExpr[] };

const AND = '_AND_';
const INVERSE = 'inverse_';

export type RewardParse = { ok: true; expr: RewardExpr } | { ok: false; why: string };

/** Parse `a_AND_inverse_b` style names against the registry. Never throws. */
export function parseRewardName(name: string): RewardParse {
  if (typeof name !== 'string' || name.trim() === '') return { ok: false, why: 'empty reward name' };
  const parts = name.trim().split(AND);
  const exprs: RewardExpr[] = [];
  for (const part of parts) {
    let rest = part;
    let inversions = 0;
    while (rest.startsWith(INVERSE)) {
      rest = rest.slice(INVERSE.length);
      inversions++;
    }
    if (!REWARD_BY_NAME.has(rest)) {
      const shown = rest === '' ? '(empty)' : rest.length > 40 ? `${rest.slice(0, 40)}…` : rest;
      return {
        ok: false,
        why: `unknown reward "${shown.replace(/[^A-Za-z0-9_.-]/g, '?')}"; valid names: ${BASE_REWARD_NAMES.join(', ')}, combined as a_AND_b or inverse_a`,
      };
    }
    let expr: RewardExpr = { kind: 'base', name: rest };
    for (let i = 0; i < inversions; i++) expr = { kind: 'inverse', of: expr };
    exprs.push(expr);
  }
  return { ok: true, expr: exprs.length === 1 ? exprs[0] : { kind: 'and', parts: exprs } };
}

/** Why a reward name is invalid, or null (the experiment schema's check). */
export function rewardNameProblem(name: string): string | null {
  const parsed = parseRewardName(name);
  return parsed.ok ? null : parsed.why;
}

/** Base rewards a name refers to, in order (empty for an invalid name). */
export function rewardUses(name: string): string[] {
  const parsed = parseRewardName(name);
  if (!parsed.ok) return [];
  const names: string[] = [];
  const walk = (expr: RewardExpr): void => {
    if (expr.kind === 'base') names.push(expr.name);
    else if (expr.kind === 'inverse') walk(expr.of);
    else expr.parts.forEach(walk);
  };
  walk(parsed.expr);
  return names;
}

function evaluate(
  expr: RewardExpr,
  response: string,
  example: RewardExample,
  ctx: RewardContext,
  rng: Random,
): number {
  switch (expr.kind) {
    case 'base':
      return REWARD_BY_NAME.get(expr.name)!.fn(response, example, ctx, rng);
    case 'inverse':
      return 1 - evaluate(expr.of, response, example, ctx, rng);
    case 'and': {
      // Every part is evaluated (no short-circuit) so a random part always consumes its draw and the
      // rng stream does not depend on the other parts' values.
      let value = 1;
      for (const part of expr.parts) value = Math.min(value, evaluate(part, response, example, ctx, rng));
      return value;
    }
  }
}

/** The reward function of a (possibly compound) name, or the parse error. */
export function compileReward(name: string): { ok: true; fn: RewardFn } | { ok: false; why: string } {
  const parsed = parseRewardName(name);
  if (!parsed.ok) return parsed;
  const expr = parsed.expr;
  return { ok: true, fn: (response, example, ctx, rng) => evaluate(expr, response, example, ctx, rng) };
}

/**
 * The training set a reward needs. Compounds take the most restrictive of their parts (one_shot over
 * incorrect_labels over majority_labels over all).
 */
export function rewardTrainingSet(name: string): TrainingSetKind {
  const order: TrainingSetKind[] = ['all', 'majority_labels', 'incorrect_labels', 'one_shot'];
  let best: TrainingSetKind = 'all';
  for (const base of rewardUses(name)) {
    const kind = REWARD_BY_NAME.get(base)!.trainingSet;
    if (order.indexOf(kind) > order.indexOf(best)) best = kind;
  }
  return best;
}

/** True when the reward needs offline majority labels (the label pipeline must run before training). */
export function rewardNeedsOfflineLabels(name: string): boolean {
  const kind = rewardTrainingSet(name);
  return kind === 'majority_labels' || kind === 'incorrect_labels';
}

/** Stream id of reward randomness, kept apart from sampling and data-order streams. */
export const REWARD_RNG_STREAM = 0x7e3a_4d01;

/**
 * The rng of one response's reward: seeded by (seed, step, prompt, sample) alone, so a random reward
 * does not depend on batch composition, evaluation order or backend, and the Python export can
 * reproduce it bit for bit (src/export/ carries a Python sfc32 of src/util/random.ts).
 */
export function rewardRng(seed: number, step: number, promptIndex: number, sampleIndex: number): Random {
  return new Random(seed, REWARD_RNG_STREAM, step, promptIndex, sampleIndex);
}

export interface GroupScoreOptions {
  seed: number;
  step: number;
  /** Index of this prompt within the step's batch. */
  promptIndex: number;
  params: RewardParams;
}

/** Rewards of one prompt's G responses. */
export function scoreGroup(
  fn: RewardFn,
  responses: readonly string[],
  example: RewardExample,
  options: GroupScoreOptions,
): number[] {
  return responses.map((response, sampleIndex) =>
    fn(
      response,
      example,
      { group: responses, sampleIndex, params: options.params },
      rewardRng(options.seed, options.step, options.promptIndex, sampleIndex),
    ),
  );
}

export interface OfflineLabel {
  /** The most common normalised answer among the k samples, or null when none had an answer. */
  label: string | null;
  /** How many of the k samples gave the label. */
  votes: number;
  samples: number;
  /** Whether the label equals the ground truth (false when there is no label). */
  correct: boolean;
}

/**
 * The paper's offline majority-vote labels: before RL, the initial model answers each training prompt
 * k times (`sampleAnswers` returns the k extracted answers — raw text is normalised here — or null for
 * responses without one); the most common answer becomes that prompt's fixed label. The same labels,
 * kept only where wrong, make the `incorrect` reward's training set (incorrectLabelIndices).
 */
export async function buildOfflineMajorityLabels<E extends { prompt: string; answer: string | number }>(
  examples: readonly E[],
  sampleAnswers: (prompt: string, k: number, index: number) => Promise<readonly (string | null)[]>,
  k: number,
): Promise<OfflineLabel[]> {
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`label samples k must be a whole number ≥ 1, got ${k}`);
  const labels: OfflineLabel[] = [];
  for (let i = 0; i < examples.length; i++) {
    const answers = await sampleAnswers(examples[i].prompt, k, i);
    const normalised = answers.map((a) => normaliseIntegerAnswer(a));
    const { answer, votes } = majorityAnswer(normalised);
    const truth = normaliseIntegerAnswer(examples[i].answer);
    labels.push({
      label: answer,
      votes,
      samples: answers.length,
      correct: answer !== null && answer === truth,
    });
  }
  return labels;
}

/** Prompts whose offline label exists and is wrong: the `incorrect` reward trains on these only. */
export function incorrectLabelIndices(labels: readonly OfflineLabel[]): number[] {
  const indices: number[] = [];
  labels.forEach((l, i) => {
    if (l.label !== null && !l.correct) indices.push(i);
  });
  return indices;
}

/** Prompts with any offline label: offline majority vote trains on these. */
export function labelledIndices(labels: readonly OfflineLabel[]): number[] {
  const indices: number[] = [];
  labels.forEach((l, i) => {
    if (l.label !== null) indices.push(i);
  });
  return indices;
}
