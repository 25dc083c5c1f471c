// MiniMath: the lab's verifiable arithmetic world. Problems are small integer expressions (+ - *,
// optional parentheses, short word-problem wording) with an exact answer and an evaluation trace of
// single operations, sized so a ~100K-parameter character model can learn them: operands are 1..9 and
// every intermediate value stays in 0..MAX_STEP_VALUE, so each step is a one- or two-digit table fact.
//
// Streams are seeded; MiniMath-500 is a fixed held-out eval set whose expressions never appear in any
// training stream (streams reject a problem whose canonical expression is in the eval set).
import { Random } from '../util/random';
import { formatPrompt } from './format';

export type Operator = '+' | '-' | '*';
/** 1: two operands (+ -); 2: three operands (+ -); 3: four operands, or one product, maybe parenthesised. */
export type Level = 1 | 2 | 3;
export const LEVELS: readonly Level[] = [1, 2, 3];

/** Largest value any step may produce, so every step is a small table fact. */
export const MAX_STEP_VALUE = 10;

/** One evaluated operation, in evaluation order: `left op right = value`. */
export interface Step {
  left: number;
  op: Operator;
  right: number;
  value: number;
}

export interface MiniMathProblem {
  /** Canonical text: the expression with `*` for times and no spaces, e.g. `(3+4)*2`. The identity used for held-out checks. */
  expression: string;
  /** What the user sees: the expression in a question template or a short word problem. */
  question: string;
  answer: number;
  level: Level;
  /** The correct evaluation trace; its last value is the answer. */
  steps: Step[];
}

// ---------------------------------------------------------------------------------------------------
// Expressions: a tiny parser and evaluator so every trace comes from one place (precedence: * first,
// then + - left to right; parentheses first).

type Expr = { kind: 'num'; value: number } | { kind: 'bin'; op: Operator; left: Expr; right: Expr };

/** Parses an expression of non-negative integers, + - * and parentheses; throws on anything else. */
export function parseExpression(text: string): Expr {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`cannot parse expression '${text}' at ${pos}: ${why}`);
  };
  const parseAtom = (): Expr => {
    if (text[pos] === '(') {
      pos++;
      const inner = parseSum();
      if (text[pos] !== ')') fail("expected ')'");
      pos++;
      return inner;
    }
    const start = pos;
    while (pos < text.length && text[pos] >= '0' && text[pos] <= '9') pos++;
    if (pos === start) fail('expected a number');
    return { kind: 'num', value: Number(text.slice(start, pos)) };
  };
  const parseProduct = (): Expr => {
    let left = parseAtom();
    while (text[pos] === '*') {
      pos++;
      left = { kind: 'bin', op: '*', left, right: parseAtom() };
    }
    return left;
  };
  const parseSum = (): Expr => {
    let left = parseProduct();
    while (text[pos] === '+' || text[pos] === '-') {
      const op = text[pos] as Operator;
      pos++;
      left = { kind: 'bin', op, left, right: parseProduct() };
    }
    return left;
  };
  const expr = parseSum();
  if (pos !== text.length) fail('unexpected character');
  return expr;
}

export function applyOperator(left: number, op: Operator, right: number): number {
  if (op === '+') return left + right;
  if (op === '-') return left - right;
  return left * right;
}

/**
 * The evaluation steps of an expression. `firstStepOffset` is added to the FIRST step's value and the
 * rest is computed honestly from it: the systematic slip of a style with errors (see corpus.ts).
 */
export function evaluationSteps(expression: string, firstStepOffset = 0): Step[] {
  const steps: Step[] = [];
  const visit = (node: Expr): number => {
    if (node.kind === 'num') return node.value;
    const left = visit(node.left);
    const right = visit(node.right);
    let value = applyOperator(left, node.op, right);
    if (steps.length === 0) value += firstStepOffset;
    steps.push({ left, op: node.op, right, value });
    return value;
  };
  const result = visit(parseExpression(expression));
  if (steps.length === 0) steps.push({ left: result, op: '+', right: 0, value: result });
  return steps;
}

// ---------------------------------------------------------------------------------------------------
// Generation

/** Expression shapes per level; letters are operands drawn from 1..9, `o` is + or -. */
const SHAPES: Record<Level, readonly string[]> = {
  1: ['aob'],
  2: ['aoboc'],
  3: ['aobocod', 'a*bOc', 'aOb*c', '(aob)*c', 'a*(boc)'],
};

export interface GeneratorOptions {
  /** Relative weight of each level (index 0 = level 1). */
  levelWeights: readonly [number, number, number];
  /** Share of +/- chain problems worded as a short story instead of a bare expression. */
  wordProblemShare: number;
}

export const DEFAULT_GENERATOR_OPTIONS: GeneratorOptions = {
  levelWeights: [0.25, 0.45, 0.3],
  wordProblemShare: 0.2,
};

const QUESTION_TEMPLATES: readonly ((e: string) => string)[] = [
  (e) => `What is ${e}?`,
  (e) => `Compute ${e}.`,
  (e) => `Calculate ${e}.`,
  (e) => `${e} = ?`,
];
const NAMES = ['Sam', 'Ann', 'Bo', 'Mia', 'Tom', 'Eva'];
const ITEMS = ['apples', 'pens', 'cards', 'eggs', 'coins', 'books'];

/** True when every step value lies in 0..MAX_STEP_VALUE. */
function stepsInRange(steps: readonly Step[]): boolean {
  return steps.every((s) => s.value >= 0 && s.value <= MAX_STEP_VALUE);
}

/** A random expression of the level whose steps all stay in range (rejection sampling). */
export function randomExpression(rng: Random, level: Level): string {
  for (;;) {
    const shape = rng.pick(SHAPES[level]);
    let text = '';
    for (const ch of shape) {
      if (ch >= 'a' && ch <= 'd') text += String(rng.int(1, 9));
      else if (ch === 'o' || ch === 'O') text += rng.bernoulli(0.5) ? '+' : '-';
      else text += ch;
    }
    if (stepsInRange(evaluationSteps(text))) return text;
  }
}

/** A story for a +/- chain such as `3+4-2`, or null for other shapes. */
function wordProblem(rng: Random, expression: string): string | null {
  if (!/^\d+([+-]\d+)+$/.test(expression)) return null;
  const numbers = expression.split(/[+-]/);
  const ops = expression.replace(/\d+/g, '');
  const name = rng.pick(NAMES);
  const item = rng.pick(ITEMS);
  const events = [...ops].map((op, i) =>
    op === '+' ? `gets ${numbers[i + 1]} more` : `gives away ${numbers[i + 1]}`,
  );
  return `${name} has ${numbers[0]} ${item}, ${events.join(', then ')}. How many ${item} now?`;
}

/** A problem from an expression, worded by the given Random. */
export function problemFromExpression(
  expression: string,
  level: Level,
  rng: Random,
  wordProblemShare = DEFAULT_GENERATOR_OPTIONS.wordProblemShare,
): MiniMathProblem {
  const steps = evaluationSteps(expression);
  const story = rng.bernoulli(wordProblemShare) ? wordProblem(rng, expression) : null;
  const question = story ?? rng.pick(QUESTION_TEMPLATES)(expression);
  return { expression, question, answer: steps[steps.length - 1].value, level, steps };
}

/** One random problem (not checked against the held-out set; use MiniMathStream for training). */
export function randomProblem(
  rng: Random,
  options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS,
): MiniMathProblem {
  const level = LEVELS[rng.weighted(options.levelWeights)];
  return problemFromExpression(randomExpression(rng, level), level, rng, options.wordProblemShare);
}

// ---------------------------------------------------------------------------------------------------
// MiniMath-500: fixed seed, fixed level mix, distinct expressions.

export const MINIMATH_500_SEED = 500_2025;
/** Problems per level in MiniMath-500: few level-1 ones, because there are only ~90 distinct of them. */
export const MINIMATH_500_LEVEL_COUNTS: Record<Level, number> = { 1: 30, 2: 300, 3: 170 };

let cachedEval: { problems: MiniMathProblem[]; expressions: Set<string> } | null = null;

function buildMiniMath500(): { problems: MiniMathProblem[]; expressions: Set<string> } {
  const rng = new Random(MINIMATH_500_SEED);
  const problems: MiniMathProblem[] = [];
  const expressions = new Set<string>();
  for (const level of LEVELS) {
    let made = 0;
    while (made < MINIMATH_500_LEVEL_COUNTS[level]) {
      const expression = randomExpression(rng, level);
      if (expressions.has(expression)) continue;
      expressions.add(expression);
      problems.push(problemFromExpression(expression, level, rng));
      made++;
    }
  }
  // Interleave levels so any prefix slice (e.g. the first 100) has the full mix.
  new Random(MINIMATH_500_SEED, 1).shuffle(problems);
  return { problems, expressions };
}

/** The held-out eval set: 500 problems, identical on every machine. */
export function miniMath500(): readonly MiniMathProblem[] {
  cachedEval ??= buildMiniMath500();
  return cachedEval.problems;
}

/** True when the expression (the canonical text) belongs to MiniMath-500. */
export function isHeldOut(expression: string): boolean {
  cachedEval ??= buildMiniMath500();
  return cachedEval.expressions.has(expression);
}

/** A seeded, endless stream of training problems, never one of MiniMath-500. */
export class MiniMathStream {
  private readonly rng: Random;
  /** Problems skipped because they were held out (for reports). */
  rejected = 0;

  constructor(
    readonly seed: number,
    readonly options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS,
  ) {
    this.rng = new Random(seed, 0x6d696e69);
  }

  next(): MiniMathProblem {
    for (;;) {
      const problem = randomProblem(this.rng, this.options);
      if (!isHeldOut(problem.expression)) return problem;
      this.rejected++;
    }
  }

  take(count: number): MiniMathProblem[] {
    return Array.from({ length: count }, () => this.next());
  }
}

// ---------------------------------------------------------------------------------------------------
// Problem kinds: what a model can read off a question, and what a zoo family's style choice depends on
// (Qwen-Math reaches for code on computation-heavy problems and answers others in prose). Two-operation
// bare expressions are split by their wording, so a family can give each kind its own code share.

export const PROBLEM_KINDS = [
  'story',
  'one-step',
  'product',
  'long-chain',
  'compute',
  'calculate',
  'equals',
  'what-is',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

/** One line per kind, for cards, the builder form and docs. */
export const PROBLEM_KIND_LABELS: Record<ProblemKind, string> = {
  story: 'word problem (a story)',
  'one-step': 'one operation, e.g. What is 3+4?',
  product: 'a product, with or without brackets',
  'long-chain': 'three operations, e.g. 5-4+9-3',
  compute: 'two operations worded "Compute ..."',
  calculate: 'two operations worded "Calculate ..."',
  equals: 'two operations worded "... = ?"',
  'what-is': 'two operations worded "What is ...?"',
};

/** The kind of a problem, read from its question and expression. */
export function problemKind(problem: Pick<MiniMathProblem, 'question' | 'expression'>): ProblemKind {
  const { question, expression } = problem;
  const bare =
    question.startsWith('What is ') ||
    question.startsWith('Compute ') ||
    question.startsWith('Calculate ') ||
    question.endsWith(' = ?');
  if (!bare) return 'story';
  if (expression.includes('*')) return 'product';
  const operations = expression.replace(/[^+\-*]/g, '').length;
  if (operations <= 1) return 'one-step';
  if (operations >= 3) return 'long-chain';
  if (question.startsWith('Compute ')) return 'compute';
  if (question.startsWith('Calculate ')) return 'calculate';
  if (question.endsWith(' = ?')) return 'equals';
  return 'what-is';
}

/** The chat prompt of a problem. */
export function problemPrompt(problem: MiniMathProblem): string {
  return formatPrompt(problem.question);
}

// ---------------------------------------------------------------------------------------------------
// Response writers. Every style shows the same single-operation steps, so what the model must learn is
// the step table, not a new skill per style. Bodies come without `<|im_end|>` (formatResponse adds it).

/** code, language and direct are the reasoning styles; unboxed is language steps ending without a box. */
export type TraceStyle = 'code' | 'language' | 'direct' | 'unboxed';
export const TRACE_STYLES: readonly TraceStyle[] = ['code', 'language', 'direct', 'unboxed'];

const VARIABLE_NAMES = 'abcdefgh';

function stepText(step: Step): string {
  return `${step.left}${step.op}${step.right}`;
}

/** ```python with one assignment per step (value in a comment), a predicted ```output, then the box. */
export function codeTrace(steps: readonly Step[]): string {
  const lines = steps.map((s, i) => `${VARIABLE_NAMES[i]}=${stepText(s)} # ${s.value}`);
  const last = steps[steps.length - 1];
  return (
    '```python\n' +
    `${lines.join('\n')}\nprint(${VARIABLE_NAMES[steps.length - 1]})\n` +
    '```\n```output\n' +
    `${last.value}\n` +
    '```\n' +
    `\\boxed{${last.value}}`
  );
}

/** Natural-language steps: `First, 3+4=7.` then `Then 7-2=5.` lines, then the sentence with the answer. */
function languageSteps(steps: readonly Step[]): string {
  return steps.map((s, i) => `${i === 0 ? 'First,' : 'Then'} ${stepText(s)}=${s.value}.`).join('\n');
}

export function languageTrace(steps: readonly Step[]): string {
  return `${languageSteps(steps)}\nThe answer is \\boxed{${steps[steps.length - 1].value}}.`;
}

export function unboxedTrace(steps: readonly Step[]): string {
  return `${languageSteps(steps)}\nThe answer is ${steps[steps.length - 1].value}.`;
}

export function directTrace(steps: readonly Step[]): string {
  return `The answer is \\boxed{${steps[steps.length - 1].value}}.`;
}

/** The response body of a problem in a style; `slip` makes the first step off by one (see corpus.ts). */
export function writeResponse(problem: MiniMathProblem, style: TraceStyle, slip = false): string {
  const steps = slip ? evaluationSteps(problem.expression, 1) : problem.steps;
  switch (style) {
    case 'code':
      return codeTrace(steps);
    case 'language':
      return languageTrace(steps);
    case 'direct':
      return directTrace(steps);
    case 'unboxed':
      return unboxedTrace(steps);
  }
}

/** Opening text of each style: generation forced to start with it measures per-style greedy accuracy. */
export const STYLE_OPENINGS: Record<'code' | 'language' | 'direct', string> = {
  code: '```python\n',
  language: 'First,',
  direct: 'The answer is',
};
