// User datasets: JSONL with one `{"prompt": "...", "answer": ...}` object per line. Import never throws:
// every bad line is reported with its 1-based line number and a specific reason, and the good lines
// are kept, so a user can fix a file from the report alone.
import { normaliseIntegerAnswer } from './answer';
import { firstUntokenizableChar, formatPrompt } from './format';

/** Longest question accepted: the chat prompt plus a response must fit the zoo's 256 positions. */
export const DEFAULT_MAX_QUESTION_CHARS = 160;

export interface DatasetProblem {
  /** 1-based line number in the file. */
  line: number;
  /** The question as given in the file's `prompt` field. */
  question: string;
  /** The chat prompt the model sees. */
  prompt: string;
  /** The gold answer as a normalised integer string. */
  answer: string;
}

export interface DatasetLineError {
  line: number;
  reason: string;
}

export interface DatasetImport {
  problems: DatasetProblem[];
  errors: DatasetLineError[];
  /** Non-blank lines seen (problems + errors). */
  linesRead: number;
}

export interface ImportOptions {
  maxQuestionChars?: number;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** One line's problem or the reason it is rejected. */
function parseLine(text: string, line: number, maxChars: number): DatasetProblem | DatasetLineError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { line, reason: `bad JSON: ${detail}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { line, reason: `expected a JSON object with "prompt" and "answer", got ${describeValue(value)}` };
  const record = value as Record<string, unknown>;
  if (!('prompt' in record)) return { line, reason: 'missing field "prompt"' };
  if (!('answer' in record)) return { line, reason: 'missing field "answer"' };
  const question = record.prompt;
  if (typeof question !== 'string')
    return { line, reason: `"prompt" must be a string, got ${describeValue(question)}` };
  if (question.trim() === '') return { line, reason: '"prompt" is empty' };
  const bad = firstUntokenizableChar(question);
  if (bad) {
    const hex = bad.code.toString(16).toUpperCase().padStart(4, '0');
    return {
      line,
      reason: `"prompt" has a character the model cannot read at position ${bad.index} (U+${hex}); only printable ASCII and newline are allowed`,
    };
  }
  if (question.length > maxChars)
    return { line, reason: `"prompt" is too long: ${question.length} characters, at most ${maxChars}` };
  const rawAnswer = record.answer;
  if (typeof rawAnswer !== 'string' && typeof rawAnswer !== 'number')
    return {
      line,
      reason: `"answer" must be an integer or a string holding one, got ${describeValue(rawAnswer)}`,
    };
  const answer = normaliseIntegerAnswer(rawAnswer);
  if (answer === null) return { line, reason: `"answer" ${JSON.stringify(rawAnswer)} is not an integer` };
  return { line, question, prompt: formatPrompt(question), answer };
}

/** Parses JSONL text; blank lines are skipped, every other bad line lands in `errors`. */
export function importJsonl(text: unknown, options: ImportOptions = {}): DatasetImport {
  const result: DatasetImport = { problems: [], errors: [], linesRead: 0 };
  if (typeof text !== 'string') {
    result.errors.push({ line: 0, reason: `expected the file's text, got ${describeValue(text)}` });
    return result;
  }
  const maxChars = options.maxQuestionChars ?? DEFAULT_MAX_QUESTION_CHARS;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    result.linesRead++;
    const parsed = parseLine(raw, index + 1, maxChars);
    if ('reason' in parsed) result.errors.push(parsed);
    else result.problems.push(parsed);
  });
  return result;
}

/** A human-readable report: counts, then one line per error (at most `limit`). */
export function formatImportReport(imported: DatasetImport, limit = 20): string {
  const head = `${imported.problems.length} problems imported, ${imported.errors.length} lines rejected`;
  const shown = imported.errors.slice(0, limit).map((e) => `line ${e.line}: ${e.reason}`);
  const more = imported.errors.length > limit ? [`... and ${imported.errors.length - limit} more`] : [];
  return [head, ...shown, ...more].join('\n');
}
