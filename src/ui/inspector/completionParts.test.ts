// Unit tests of completion splitting: code fences with their language, unterminated blocks from
// truncated completions, and brace-matched \boxed{} spans.
import { describe, expect, it } from 'vitest';
import { splitBoxed, splitCompletion } from './completionParts';

describe('splitCompletion', () => {
  it('separates text, a python block and an output block', () => {
    const parts = splitCompletion('Think.\n```python\nx = 3 + 4\n```\n```output\n7\n```\nSo \\boxed{7}.');
    expect(parts).toEqual([
      { kind: 'text', text: 'Think.\n' },
      { kind: 'code', language: 'python', text: 'x = 3 + 4', closed: true },
      { kind: 'text', text: '\n' },
      { kind: 'code', language: 'output', text: '7', closed: true },
      { kind: 'text', text: '\nSo \\boxed{7}.' },
    ]);
  });

  it('keeps an unterminated block as code and plain text as one part', () => {
    expect(splitCompletion('```python\nprint(1')).toEqual([
      { kind: 'code', language: 'python', text: 'print(1', closed: false },
    ]);
    expect(splitCompletion('3 + 4 = 7')).toEqual([{ kind: 'text', text: '3 + 4 = 7' }]);
    expect(splitCompletion('')).toEqual([]);
  });
});

describe('splitBoxed', () => {
  it('matches nested braces and leaves an unclosed box as text', () => {
    expect(splitBoxed('a \\boxed{\\frac{1}{2}} b')).toEqual([
      { text: 'a ', boxed: false },
      { text: '\\boxed{\\frac{1}{2}}', boxed: true },
      { text: ' b', boxed: false },
    ]);
    expect(splitBoxed('x \\boxed{12')).toEqual([{ text: 'x \\boxed{12', boxed: false }]);
  });
});
