// Edge cases of answer extraction and grading: nested braces, several boxes, empty and missing boxes,
// unclosed boxes, negative numbers and the integer normalisation the rewards depend on.
import { describe, expect, it } from 'vitest';
import {
  allBoxedContents,
  extractBoxedAnswer,
  extractIntegerAnswer,
  gradeAnswer,
  hasBoxedAnswer,
  normaliseIntegerAnswer,
} from './answer';

describe('extractBoxedAnswer', () => {
  it('returns the content of a single box', () => {
    expect(extractBoxedAnswer('so the answer is \\boxed{42}.')).toBe('42');
  });
  it('matches nested braces', () => {
    expect(extractBoxedAnswer('\\boxed{\\frac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(extractBoxedAnswer('x \\boxed{{7}} y')).toBe('{7}');
  });
  it('takes the last box when there are several', () => {
    expect(extractBoxedAnswer('\\boxed{3} then \\boxed{5} finally \\boxed{-8}')).toBe('-8');
  });
  it('ignores empty and blank boxes and falls back to the last non-empty one', () => {
    expect(extractBoxedAnswer('\\boxed{4} and \\boxed{}')).toBe('4');
    expect(extractBoxedAnswer('\\boxed{4} and \\boxed{   }')).toBe('4');
    expect(extractBoxedAnswer('\\boxed{}')).toBeNull();
  });
  it('returns null without a box', () => {
    expect(extractBoxedAnswer('The answer is 7.')).toBeNull();
    expect(extractBoxedAnswer('')).toBeNull();
    expect(extractBoxedAnswer('boxed{7}')).toBeNull();
  });
  it('skips an unclosed box but keeps complete boxes before and inside it', () => {
    expect(extractBoxedAnswer('\\boxed{6} then \\boxed{7')).toBe('6');
    expect(extractBoxedAnswer('\\boxed{ oops \\boxed{9}')).toBe('9');
    expect(extractBoxedAnswer('\\boxed{{{')).toBeNull();
  });
  it('lists every complete box in order, nested ones included', () => {
    expect(allBoxedContents('\\boxed{1} \\boxed{} \\boxed{a\\boxed{2}}')).toEqual([
      '1',
      '',
      'a\\boxed{2}',
      '2',
    ]);
  });
  it('keeps negative numbers intact', () => {
    expect(extractBoxedAnswer('\\boxed{-12}')).toBe('-12');
  });
  it('hasBoxedAnswer is the non-empty-box test', () => {
    expect(hasBoxedAnswer('\\boxed{0}')).toBe(true);
    expect(hasBoxedAnswer('\\boxed{}')).toBe(false);
    expect(hasBoxedAnswer('nothing')).toBe(false);
  });
});

describe('normaliseIntegerAnswer', () => {
  it.each([
    ['7', '7'],
    ['+07', '7'],
    ['-3', '-3'],
    [' 12 ', '12'],
    ['-0', '0'],
    ['000', '0'],
    ['1,234', '1234'],
    ['7.0', '7'],
    ['$-5$', '-5'],
    ['{8}', '8'],
    ['\u22124', '-4'],
    ['- 4', '-4'],
  ])('%j -> %j', (raw, expected) => {
    expect(normaliseIntegerAnswer(raw)).toBe(expected);
  });
  it.each(['3.5', '1/2', 'seven', '', '  ', '1,23', '7 8', '--3', '+-3', '0x10', '1e3', 'Infinity'])(
    'rejects %j',
    (raw) => {
      expect(normaliseIntegerAnswer(raw)).toBeNull();
    },
  );
  it('accepts safe integer numbers and rejects other numbers', () => {
    expect(normaliseIntegerAnswer(-7)).toBe('-7');
    expect(normaliseIntegerAnswer(-0)).toBe('0');
    expect(normaliseIntegerAnswer(2.5)).toBeNull();
    expect(normaliseIntegerAnswer(Number.NaN)).toBeNull();
    expect(normaliseIntegerAnswer(null)).toBeNull();
  });
});

describe('gradeAnswer', () => {
  it('is true only when the last non-empty box holds the gold integer', () => {
    expect(gradeAnswer('x=3+4 # 7\n\\boxed{7}', 7)).toBe(true);
    expect(gradeAnswer('\\boxed{007}', '7')).toBe(true);
    expect(gradeAnswer('\\boxed{7} no wait \\boxed{8}', 7)).toBe(false);
    expect(gradeAnswer('\\boxed{-3}', -3)).toBe(true);
    expect(gradeAnswer('\\boxed{3}', -3)).toBe(false);
  });
  it('is false without a box, with a non-integer box or a non-integer gold', () => {
    expect(gradeAnswer('the answer is 7', 7)).toBe(false);
    expect(gradeAnswer('\\boxed{7.5}', 7)).toBe(false);
    expect(gradeAnswer('\\boxed{7}', 'seven')).toBe(false);
  });
  it('extractIntegerAnswer normalises the boxed content', () => {
    expect(extractIntegerAnswer('\\boxed{ +010 }')).toBe('10');
    expect(extractIntegerAnswer('\\boxed{abc}')).toBeNull();
  });
});
