// Style detection: the paper's code-reasoning test (lowercased "python") and the language/direct split.
import { describe, expect, it } from 'vitest';
import { isCodeReasoning, responseStyle, styleShares } from './style';

describe('isCodeReasoning', () => {
  it('is the case-insensitive "python" test', () => {
    expect(isCodeReasoning('```python\nx=1\n```')).toBe(true);
    expect(isCodeReasoning('I will use PYTHON here')).toBe(true);
    expect(isCodeReasoning('Pythonic')).toBe(true);
    expect(isCodeReasoning('```py\nx=1\n```')).toBe(false);
    expect(isCodeReasoning('')).toBe(false);
  });
});

describe('responseStyle', () => {
  it('classifies code, language and direct responses', () => {
    expect(responseStyle('```python\na=3+4 # 7\n```\n```output\n7\n```\n\\boxed{7}')).toBe('code');
    expect(responseStyle('First 3+4=7.\nThe answer is \\boxed{7}.')).toBe('language');
    expect(responseStyle('The answer is \\boxed{7}.')).toBe('direct');
    expect(responseStyle('7')).toBe('direct');
  });
  it('does not count an = inside the box as a step', () => {
    expect(responseStyle('\\boxed{x=7}')).toBe('direct');
    expect(responseStyle('3+4=7 \\boxed{x=7}')).toBe('language');
  });
});

describe('styleShares', () => {
  it('counts shares of each style and of boxed answers', () => {
    const shares = styleShares(['python \\boxed{1}', 'python', '1+1=2 \\boxed{2}', '\\boxed{3}']);
    expect(shares).toEqual({ count: 4, code: 0.5, language: 0.25, direct: 0.25, boxed: 0.75 });
  });
  it('is all zeros for no responses', () => {
    expect(styleShares([])).toEqual({ count: 0, code: 0, language: 0, direct: 0, boxed: 0 });
  });
});
