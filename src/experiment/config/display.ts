// How config values and field errors are written as text: the URL's number format, and
// displayValue()'s inert rendering, so whatever was typed into a URL or file is shown as data, never markup.
import type { FieldSpec } from './schema';
import type { FieldError } from './validate';

const MAX_SHOWN_VALUE = 60;

/**
 * A value rendered as inert text: truncated, and every character outside plain printable ASCII — and
 * the HTML-significant < > & " ' ` — written as \uXXXX. Whatever the page does with it, `<script>`
 * typed into a URL comes back as \u003cscript\u003e: data, never markup.
 */
export function displayValue(raw: unknown): string {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' || typeof raw === 'boolean' || raw === null || raw === undefined)
    text = String(raw);
  else {
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = Object.prototype.toString.call(raw);
    }
  }
  const truncated = text.length > MAX_SHOWN_VALUE;
  if (truncated) text = text.slice(0, MAX_SHOWN_VALUE);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 32 && code < 127 && !'<>&"\'`\\'.includes(ch)) out += ch;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return truncated ? `${out}…` : out;
}

/** Render a config value the way the URL and error messages write it. */
export function formatFieldValue(spec: FieldSpec, value: unknown): string {
  if (spec.type === 'bool') return value ? '1' : '0';
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

/** Shortest text that reads back as the same double (5e-7 rather than 4.9999999999999998e-7). */
export function formatNumber(value: number): string {
  return String(value);
}

/**
 * One line per error, for the CLI and logs, where an invalid experiment is refused: the default the page
 * would fall back to (FieldError.defaultUsed, shown in its banner) is not mentioned, since nothing runs.
 */
export function formatFieldError(error: FieldError): string {
  return `${error.field} = "${error.value}": ${error.why}`;
}
