// Scoring of generated responses: accuracy overall, with code and language-only, and style shares.
import { describe, expect, it } from 'vitest';
import { scoreResponses } from './zooEval';

describe('scoreResponses', () => {
  it('splits accuracy by code vs language-only and counts styles', () => {
    const report = scoreResponses([
      { text: '```python\na=1+1 # 2\n```\n\\boxed{2}', answer: 2 },
      { text: '```python\na=1+1 # 3\n```\n\\boxed{3}', answer: 2 },
      { text: 'First, 1+1=2.\nThe answer is \\boxed{2}.', answer: 2 },
      { text: 'First, 1+1=2.\nThe answer is 2.', answer: 2 },
      { text: 'The answer is \\boxed{5}.', answer: 5 },
    ]);
    expect(report).toEqual({
      responses: 5,
      accuracy: 3 / 5,
      codeFrequency: 2 / 5,
      languageFrequency: 2 / 5,
      directFrequency: 1 / 5,
      boxedFrequency: 4 / 5,
      codeResponses: 2,
      codeAccuracy: 1 / 2,
      nonCodeResponses: 3,
      languageOnlyAccuracy: 2 / 3,
    });
  });

  it('reports null per-style accuracy when a style never occurs', () => {
    const report = scoreResponses([{ text: 'The answer is \\boxed{1}.', answer: 1 }]);
    expect(report.codeAccuracy).toBeNull();
    expect(report.languageOnlyAccuracy).toBe(1);
    expect(scoreResponses([]).accuracy).toBe(0);
  });
});
