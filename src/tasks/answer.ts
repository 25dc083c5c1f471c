// Answer extraction and grading for MiniMath, mirroring the paper's grader: the answer is the content of
// the LAST non-empty `\boxed{...}` (brace-matched, so `\boxed{{7}}` and nested groups survive), compared
// as a normalised integer. Rewards (src/rl/rewards.ts) and every eval go through these functions, so the
// lab grades exactly one way.

const BOX_OPEN = '\\boxed{';

/**
 * Contents of every brace-matched `\boxed{...}` in order of appearance (empty ones included).
 * An opening `\boxed{` whose brace never closes is not a box (the model ran out of tokens mid-answer).
 */
export function allBoxedContents(text: string): string[] {
  const contents: string[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(BOX_OPEN, from);
    if (start < 0) break;
    const contentStart = start + BOX_OPEN.length;
    let depth = 1;
    let i = contentStart;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (depth === 0) break;
      }
    }
    // An unclosed box is skipped, but a complete box written inside it still counts.
    if (depth === 0) contents.push(text.slice(contentStart, i));
    // Continue after this `\boxed{` rather than after its close, so a box nested inside a box counts
    // too: like the reference grader's rfind, the innermost-last box wins.
    from = contentStart;
  }
  return contents;
}

/** The last non-empty (after trimming) boxed content, or null when the text has none. */
export function extractBoxedAnswer(text: string): string | null {
  const contents = allBoxedContents(text);
  for (let i = contents.length - 1; i >= 0; i--) {
    if (contents[i].trim() !== '') return contents[i];
  }
  return null;
}

/** True when the text holds a non-empty `\boxed{}` (the paper's format reward). */
export function hasBoxedAnswer(text: string): boolean {
  return extractBoxedAnswer(text) !== null;
}

/**
 * Canonical decimal string of an integer answer, or null when the text is not one integer.
 * Accepts surrounding spaces and `$`, a leading `+`/`-` (also the Unicode minus), leading zeros,
 * thousands commas (`1,234`), an all-zero fraction (`7.0`) and one wrapping brace group (`{7}`),
 * because graders treat those as the same number. `-0` becomes `0`.
 */
export function normaliseIntegerAnswer(raw: string | number | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? String(raw === 0 ? 0 : raw) : null;
  let text = raw.trim();
  while (text.startsWith('$') && text.endsWith('$') && text.length >= 2) text = text.slice(1, -1).trim();
  while (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  text = text.replace(/\u2212/g, '-');
  const match = /^([+-]?)\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$/.exec(text);
  if (!match) return null;
  const digits = match[2].replace(/,/g, '').replace(/^0+(?=\d)/, '');
  if (digits === '0') return '0';
  return (match[1] === '-' ? '-' : '') + digits;
}

/** The normalised integer in the response's last non-empty box, or null. */
export function extractIntegerAnswer(response: string): string | null {
  const boxed = extractBoxedAnswer(response);
  return boxed === null ? null : normaliseIntegerAnswer(boxed);
}

/** True when the response's last non-empty box holds the gold integer. */
export function gradeAnswer(response: string, gold: string | number): boolean {
  const expected = normaliseIntegerAnswer(gold);
  if (expected === null) return false;
  return extractIntegerAnswer(response) === expected;
}
