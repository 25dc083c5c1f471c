// The chat shape of every MiniMath prompt and response, mirroring Qwen-Math's template in the lab's
// character vocabulary: `<|im_start|>` / `<|im_end|>` are single special tokens of the tokenizer, so a
// prompt ends right where the assistant's first token is predicted.

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/** Everything before the question in a prompt. */
export const PROMPT_PREFIX = `${IM_START}user\n`;
/** Everything after the question in a prompt: the assistant turn is opened, the model writes next. */
export const PROMPT_SUFFIX = `${IM_END}\n${IM_START}assistant\n`;

/** Full prompt text for a question. */
export function formatPrompt(question: string): string {
  return PROMPT_PREFIX + question + PROMPT_SUFFIX;
}

/** The question inside a prompt built by formatPrompt, or null when the text has another shape. */
export function questionFromPrompt(prompt: string): string | null {
  if (!prompt.startsWith(PROMPT_PREFIX) || !prompt.endsWith(PROMPT_SUFFIX)) return null;
  if (prompt.length < PROMPT_PREFIX.length + PROMPT_SUFFIX.length) return null;
  return prompt.slice(PROMPT_PREFIX.length, prompt.length - PROMPT_SUFFIX.length);
}

/** A response as trained on and as generated: the body closed by the end-of-turn token. */
export function formatResponse(body: string): string {
  return body + IM_END;
}

/** The response body without its end-of-turn token and anything after it (generation stops there). */
export function responseBody(response: string): string {
  const end = response.indexOf(IM_END);
  return end < 0 ? response : response.slice(0, end);
}

/** True when every character is printable ASCII (32..126) or a newline: what the char tokenizer holds. */
export function isTokenizableText(text: string): boolean {
  return firstUntokenizableChar(text) === null;
}

/** Index and code of the first character the tokenizer cannot hold, or null. */
export function firstUntokenizableChar(text: string): { index: number; code: number } | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 10 && (code < 32 || code > 126)) return { index: i, code };
  }
  return null;
}
