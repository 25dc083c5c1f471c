// The chat shape: prompts round-trip to their question, responses end with the end-of-turn token, and
// the tokenizable-text check matches the char vocabulary (printable ASCII plus newline).
import { describe, expect, it } from 'vitest';
import {
  firstUntokenizableChar,
  formatPrompt,
  formatResponse,
  isTokenizableText,
  questionFromPrompt,
  responseBody,
} from './format';

describe('chat format', () => {
  it('builds the Qwen-Math chat prompt', () => {
    expect(formatPrompt('What is 3+4?')).toBe(
      '<|im_start|>user\nWhat is 3+4?<|im_end|>\n<|im_start|>assistant\n',
    );
  });
  it('recovers the question from a prompt and rejects other shapes', () => {
    expect(questionFromPrompt(formatPrompt('2*3?'))).toBe('2*3?');
    expect(questionFromPrompt(formatPrompt(''))).toBe('');
    expect(questionFromPrompt('What is 3+4?')).toBeNull();
  });
  it('closes responses with <|im_end|> and cuts generated text there', () => {
    expect(formatResponse('\\boxed{7}')).toBe('\\boxed{7}<|im_end|>');
    expect(responseBody('\\boxed{7}<|im_end|>junk')).toBe('\\boxed{7}');
    expect(responseBody('no end')).toBe('no end');
  });
  it('accepts printable ASCII and newline only', () => {
    expect(isTokenizableText('a+b = 7\n~')).toBe(true);
    expect(isTokenizableText('tab\there')).toBe(false);
    expect(isTokenizableText('caf\u00e9')).toBe(false);
    expect(firstUntokenizableChar('ok\u00d7')).toEqual({ index: 2, code: 0xd7 });
    expect(firstUntokenizableChar('fine')).toBeNull();
  });
});
