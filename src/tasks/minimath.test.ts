// MiniMath generator: determinism, exact answers checked against an independent evaluator, traces of
// every correct style evaluating to their boxed answer, step ranges, and held-out disjointness.
import { describe, expect, it } from 'vitest';
import { Random } from '../util/random';
import { extractIntegerAnswer, gradeAnswer } from './answer';
import { isTokenizableText } from './format';
import {
  evaluationSteps,
  isHeldOut,
  MAX_STEP_VALUE,
  MiniMathStream,
  miniMath500,
  parseExpression,
  problemPrompt,
  randomProblem,
  STYLE_OPENINGS,
  TRACE_STYLES,
  writeResponse,
} from './minimath';
import { responseStyle } from './style';

/** Independent oracle: JavaScript's own arithmetic on the canonical expression (digits, + - * and parens only). */
function jsEvaluate(expression: string): number {
  expect(expression).toMatch(/^[0-9+\-*()]+$/);
  return Function(`"use strict"; return (${expression});`)() as number;
}

/**
 * Checks every `left op right = value` step of a trace (the first one off by `firstStepOffset`), checks
 * each step uses the previous value, and returns the values in order.
 */
function traceValues(body: string, firstStepOffset = 0): number[] {
  const values: number[] = [];
  // Values may be negative in slipped traces (e.g. 4-4*1 with the product slipped to 5 gives 4-5=-1).
  const stepPattern = /(-?\d+)([+\-*])(\d+)(?: # |=)(-?\d+)/g;
  let previous: number | null = null;
  for (const m of body.matchAll(stepPattern)) {
    const [left, op, right, value] = [Number(m[1]), m[2], Number(m[3]), Number(m[4])];
    expect(jsEvaluate(`${left}${op}${right}`) + (values.length === 0 ? firstStepOffset : 0)).toBe(value);
    if (previous !== null) expect([left, right]).toContain(previous);
    values.push(value);
    previous = value;
  }
  return values;
}

describe('MiniMath generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new MiniMathStream(7).take(50);
    const b = new MiniMathStream(7).take(50);
    const c = new MiniMathStream(8).take(50);
    expect(a).toEqual(b);
    expect(a.map((p) => p.question)).not.toEqual(c.map((p) => p.question));
  });

  it('gives exact answers and small step values', () => {
    const rng = new Random(3);
    for (let i = 0; i < 2000; i++) {
      const p = randomProblem(rng);
      expect(p.answer).toBe(jsEvaluate(p.expression));
      expect(p.steps[p.steps.length - 1].value).toBe(p.answer);
      for (const s of p.steps) {
        expect(s.value).toBeGreaterThanOrEqual(0);
        expect(s.value).toBeLessThanOrEqual(MAX_STEP_VALUE);
      }
      expect(isTokenizableText(problemPrompt(p))).toBe(true);
    }
  });

  it('covers every level, operator, parentheses and word problems', () => {
    const problems = new MiniMathStream(11).take(3000);
    expect(new Set(problems.map((p) => p.level))).toEqual(new Set([1, 2, 3]));
    expect(problems.some((p) => p.expression.includes('*'))).toBe(true);
    expect(problems.some((p) => p.expression.includes('('))).toBe(true);
    expect(problems.some((p) => p.expression.includes('-'))).toBe(true);
    expect(problems.some((p) => p.question.includes('How many'))).toBe(true);
    const steps = new Set(problems.map((p) => p.steps.length));
    expect([...steps].sort()).toEqual([1, 2, 3]);
  });

  it('writes correct traces in every style that evaluate to the boxed (or stated) answer', () => {
    const stream = new MiniMathStream(5);
    for (let i = 0; i < 500; i++) {
      const p = stream.next();
      for (const style of TRACE_STYLES) {
        const body = writeResponse(p, style);
        expect(isTokenizableText(body)).toBe(true);
        if (style === 'unboxed') {
          expect(extractIntegerAnswer(body)).toBeNull();
          expect(body.endsWith(`The answer is ${p.answer}.`)).toBe(true);
        } else {
          expect(gradeAnswer(body, p.answer)).toBe(true);
        }
        if (style === 'code' || style === 'language' || style === 'unboxed') {
          const values = traceValues(body);
          expect(values).toHaveLength(p.steps.length);
          expect(values[values.length - 1]).toBe(p.answer);
        }
        if (style === 'code') expect(body).toContain(`\`\`\`output\n${p.answer}\n\`\`\``);
        expect(body.startsWith(STYLE_OPENINGS[style === 'unboxed' ? 'language' : style])).toBe(true);
        expect(responseStyle(body)).toBe(style === 'unboxed' ? 'language' : style);
      }
    }
  });

  it('slipped traces are consistent traces of a wrong answer', () => {
    const stream = new MiniMathStream(6);
    for (let i = 0; i < 300; i++) {
      const p = stream.next();
      const body = writeResponse(p, 'code', true);
      const values = traceValues(body, 1);
      expect(values).toHaveLength(p.steps.length);
      expect(gradeAnswer(body, p.answer)).toBe(false);
      expect(extractIntegerAnswer(body)).toBe(String(evaluationSteps(p.expression, 1).at(-1)!.value));
    }
  });

  it('parses precedence and parentheses like JavaScript and rejects garbage', () => {
    for (const e of ['2+3*4', '(2+3)*4', '9-2-3', '2*3-4', '8-(3+2)', '7']) {
      expect(evaluationSteps(e).at(-1)!.value).toBe(jsEvaluate(e));
    }
    expect(evaluationSteps('2+3*4').map((s) => `${s.left}${s.op}${s.right}`)).toEqual(['3*4', '2+12']);
    expect(() => parseExpression('2+')).toThrow(/expected a number/);
    expect(() => parseExpression('(2+3')).toThrow(/expected '\)'/);
    expect(() => parseExpression('2/3')).toThrow(/unexpected character/);
  });
});

describe('MiniMath-500', () => {
  it('has 500 distinct problems with the level mix and is stable', () => {
    const problems = miniMath500();
    expect(problems).toHaveLength(500);
    expect(new Set(problems.map((p) => p.expression)).size).toBe(500);
    const byLevel = [1, 2, 3].map((l) => problems.filter((p) => p.level === l).length);
    expect(byLevel).toEqual([30, 300, 170]);
    for (const p of problems) expect(p.answer).toBe(jsEvaluate(p.expression));
    // A fingerprint of the set: changing the generator changes the benchmark, which must be deliberate.
    expect(problems.slice(0, 3).map((p) => p.expression)).toEqual(['5-1+2', '4+4-1', '4+3-5']);
  });

  it('never appears in training streams', () => {
    const stream = new MiniMathStream(123);
    for (let i = 0; i < 20000; i++) expect(isHeldOut(stream.next().expression)).toBe(false);
    expect(stream.rejected).toBeGreaterThan(0);
    expect(isHeldOut(miniMath500()[0].expression)).toBe(true);
  });
});
