// JSONL import: good lines kept, every bad line reported with its number and a specific reason, and no
// input (binary garbage, wrong types, huge lines) ever throws.
import { describe, expect, it } from 'vitest';
import { Random } from '../util/random';
import { formatImportReport, importJsonl } from './dataset';

describe('importJsonl', () => {
  it('imports good lines, skips blank lines and normalises answers', () => {
    const text = '{"prompt": "What is 2+2?", "answer": 4}\n\n{"prompt":"3-5?","answer":"-2","extra":1}\r\n';
    const result = importJsonl(text);
    expect(result.errors).toEqual([]);
    expect(result.linesRead).toBe(2);
    expect(result.problems.map((p) => [p.line, p.question, p.answer])).toEqual([
      [1, 'What is 2+2?', '4'],
      [3, '3-5?', '-2'],
    ]);
    expect(result.problems[0].prompt).toBe(
      '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('reports each bad line with its number and reason', () => {
    const lines = [
      '{"prompt": "ok", "answer": 1}',
      '{"prompt": "ok", "answer": 1',
      '{"answer": 3}',
      '{"prompt": "q"}',
      '{"prompt": "q", "answer": 2.5}',
      '{"prompt": "q", "answer": "seven"}',
      '{"prompt": "caf\u00e9", "answer": 1}',
      `{"prompt": "${'x'.repeat(161)}", "answer": 1}`,
      '[1, 2]',
      'null',
      '{"prompt": 5, "answer": 1}',
      '{"prompt": "  ", "answer": 1}',
      '{"prompt": "q", "answer": null}',
    ];
    const result = importJsonl(lines.join('\n'));
    expect(result.problems).toHaveLength(1);
    const reasons = Object.fromEntries(result.errors.map((e) => [e.line, e.reason]));
    expect(reasons[2]).toMatch(/^bad JSON/);
    expect(reasons[3]).toBe('missing field "prompt"');
    expect(reasons[4]).toBe('missing field "answer"');
    expect(reasons[5]).toBe('"answer" 2.5 is not an integer');
    expect(reasons[6]).toBe('"answer" "seven" is not an integer');
    expect(reasons[7]).toMatch(/position 3 \(U\+00E9\)/);
    expect(reasons[8]).toBe('"prompt" is too long: 161 characters, at most 160');
    expect(reasons[9]).toMatch(/got an array/);
    expect(reasons[10]).toMatch(/got null/);
    expect(reasons[11]).toBe('"prompt" must be a string, got a number');
    expect(reasons[12]).toBe('"prompt" is empty');
    expect(reasons[13]).toMatch(/"answer" must be an integer/);
    expect(formatImportReport(result, 2)).toBe(
      `1 problems imported, 12 lines rejected\nline 2: ${reasons[2]}\nline 3: ${reasons[3]}\n... and 10 more`,
    );
  });

  it('never throws on garbage', () => {
    const rng = new Random(99);
    for (let trial = 0; trial < 200; trial++) {
      const length = rng.int(0, 400);
      let text = '';
      for (let i = 0; i < length; i++) {
        text += rng.bernoulli(0.3)
          ? rng.pick(['{', '}', '"', ':', ',', '\n', 'prompt', 'answer', '\\'])
          : String.fromCharCode(rng.int(0, 0xffff));
      }
      const result = importJsonl(text);
      expect(result.problems.length + result.errors.length).toBe(result.linesRead);
    }
    for (const odd of [undefined, null, 42, {}, ['a'], new Uint8Array(3)]) {
      const result = importJsonl(odd);
      expect(result.problems).toEqual([]);
      expect(result.errors[0].line).toBe(0);
    }
    expect(importJsonl('\uFEFF{"prompt":"a","answer":1}').problems).toHaveLength(1);
  });
});
