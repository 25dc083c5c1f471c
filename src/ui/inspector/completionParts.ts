// Splits a completion into plain text and fenced code blocks (```python, ```output) so the inspector
// can highlight the code the model "wrote" without running it. Pure; tested in completionParts.test.ts.

export type CompletionPart =
  | { kind: 'text'; text: string }
  | { kind: 'code'; language: string; text: string; closed: boolean };

const FENCE = '```';

export function splitCompletion(text: string): CompletionPart[] {
  const parts: CompletionPart[] = [];
  let rest = text;
  while (rest.length > 0) {
    const open = rest.indexOf(FENCE);
    if (open < 0) {
      parts.push({ kind: 'text', text: rest });
      break;
    }
    if (open > 0) parts.push({ kind: 'text', text: rest.slice(0, open) });
    const afterFence = rest.slice(open + FENCE.length);
    const lineEnd = afterFence.indexOf('\n');
    const language = (lineEnd < 0 ? afterFence : afterFence.slice(0, lineEnd)).trim();
    const body = lineEnd < 0 ? '' : afterFence.slice(lineEnd + 1);
    const close = body.indexOf(FENCE);
    if (close < 0) {
      // A completion cut off inside a block (max tokens reached) still shows as code.
      parts.push({ kind: 'code', language, text: body, closed: false });
      break;
    }
    parts.push({ kind: 'code', language, text: body.slice(0, close).replace(/\n$/, ''), closed: true });
    rest = body.slice(close + FENCE.length);
  }
  return parts;
}

/** Splits text around every \boxed{...} (brace-matched) so the answer can be emphasised. */
export function splitBoxed(text: string): { text: string; boxed: boolean }[] {
  const out: { text: string; boxed: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('\\boxed{', i);
    if (at < 0) break;
    let depth = 0;
    let end = -1;
    for (let j = at + 6; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end < 0) break;
    if (at > i) out.push({ text: text.slice(i, at), boxed: false });
    out.push({ text: text.slice(at, end + 1), boxed: true });
    i = end + 1;
  }
  if (i < text.length) out.push({ text: text.slice(i), boxed: false });
  return out;
}
