// Reasoning-style detection. "Code reasoning" follows the paper exactly: the lowercased response
// contains "python". Among the rest we tell natural-language step-by-step answers from bare direct
// answers so cards and charts can report all three shares.
import { allBoxedContents, hasBoxedAnswer } from './answer';

export type ResponseStyle = 'code' | 'language' | 'direct';

export const RESPONSE_STYLES: readonly ResponseStyle[] = ['code', 'language', 'direct'];

/** The paper's definition of code reasoning: the lowercased text contains "python". */
export function isCodeReasoning(text: string): boolean {
  return text.toLowerCase().includes('python');
}

/**
 * 'code' when code reasoning; otherwise 'language' when the response shows at least one worked step
 * (an `=` outside the boxes: every step format of MiniMath writes one), else 'direct'.
 */
export function responseStyle(text: string): ResponseStyle {
  if (isCodeReasoning(text)) return 'code';
  let outside = text;
  for (const content of allBoxedContents(text)) outside = outside.replace(`\\boxed{${content}}`, '');
  return outside.includes('=') ? 'language' : 'direct';
}

export interface StyleShares {
  /** Number of responses counted. */
  count: number;
  code: number;
  language: number;
  direct: number;
  /** Share with a non-empty box (what the format reward pays for). */
  boxed: number;
}

/** Shares in [0, 1] of each style among the responses (all zero for an empty list). */
export function styleShares(responses: readonly string[]): StyleShares {
  const shares: StyleShares = { count: responses.length, code: 0, language: 0, direct: 0, boxed: 0 };
  if (responses.length === 0) return shares;
  for (const response of responses) {
    shares[responseStyle(response)] += 1;
    if (hasBoxedAnswer(response)) shares.boxed += 1;
  }
  shares.code /= responses.length;
  shares.language /= responses.length;
  shares.direct /= responses.length;
  shares.boxed /= responses.length;
  return shares;
}
