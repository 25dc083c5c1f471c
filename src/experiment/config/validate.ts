// Coercion and validation of a partial experiment (a JSON file, a form, the URL codec). It never
// throws: bad values fall back to their default and come back as field errors the UI and CLI can show,
// so the config handed on is always runnable.
import { displayValue, formatFieldValue } from './display';
import { defaultExperiment, FIELD_BY_KEY } from './fields';
import type {
  EnumFieldSpec,
  ExperimentConfig,
  ExperimentKey,
  FieldSpec,
  IdFieldSpec,
  NumberFieldSpec,
} from './schema';

/** Identifiers: letters, digits and - _ . (keeps URLs readable and ids safe to show as text). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** One problem with one field; `value` is a display-safe rendering of what was given (never raw). */
export interface FieldError {
  /** Config key when the field is known, else the key as given (for unknown keys). */
  field: string;
  value: string;
  why: string;
  /** What was used instead (rendered), or null when nothing was (an unknown key is ignored). */
  defaultUsed: string | null;
}

export interface ValidationResult {
  config: ExperimentConfig;
  errors: FieldError[];
}

/** Strict decimal number syntax: no hex, no '', no 'Infinity', no '1e', no trailing junk. */
const NUMBER_SYNTAX = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

type Coerced<T> = { ok: true; value: T } | { ok: false; why: string };

function coerceNumber(spec: NumberFieldSpec, raw: unknown): Coerced<number> {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string') {
    const text = raw.trim();
    if (!NUMBER_SYNTAX.test(text)) return { ok: false, why: `not a number (${spec.label} expects one)` };
    value = Number(text);
  } else return { ok: false, why: `expected a number, got ${raw === null ? 'null' : typeof raw}` };
  if (!Number.isFinite(value)) return { ok: false, why: 'not a finite number' };
  if (spec.type === 'int' && !Number.isInteger(value)) return { ok: false, why: 'must be a whole number' };
  const tooLow = spec.minExclusive ? value <= spec.min : value < spec.min;
  if (tooLow || value > spec.max) {
    const lower = spec.minExclusive ? `> ${spec.min}` : `≥ ${spec.min}`;
    return { ok: false, why: `out of range: must be ${lower} and ≤ ${spec.max}` };
  }
  return { ok: true, value };
}

function coerceEnum(spec: EnumFieldSpec, raw: unknown): Coerced<string> {
  if (typeof raw !== 'string') return { ok: false, why: `expected one of ${spec.values.join(', ')}` };
  const text = raw.trim();
  if (!spec.values.includes(text))
    return { ok: false, why: `unknown value; valid: ${spec.values.join(', ')}` };
  return { ok: true, value: text };
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

function coerceBool(raw: unknown): Coerced<boolean> {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (typeof raw === 'number' && (raw === 0 || raw === 1)) return { ok: true, value: raw === 1 };
  if (typeof raw === 'string') {
    const text = raw.trim().toLowerCase();
    if (TRUE_WORDS.includes(text)) return { ok: true, value: true };
    if (FALSE_WORDS.includes(text)) return { ok: true, value: false };
  }
  return { ok: false, why: 'expected true or false (1 or 0)' };
}

function coerceId(spec: IdFieldSpec, raw: unknown): Coerced<string> {
  if (typeof raw !== 'string') return { ok: false, why: 'expected a name' };
  const text = raw.trim();
  if (!ID_PATTERN.test(text))
    return { ok: false, why: 'not a valid name (letters, digits, - _ . only, at most 80 characters)' };
  const problem = spec.check?.(text) ?? null;
  return problem === null ? { ok: true, value: text } : { ok: false, why: problem };
}

/** Parse one field's value (a typed value, or text from a URL or form). Never throws. */
export function coerceField(spec: FieldSpec, raw: unknown): Coerced<number | string | boolean> {
  switch (spec.type) {
    case 'int':
    case 'float':
      return coerceNumber(spec, raw);
    case 'enum':
      return coerceEnum(spec, raw);
    case 'bool':
      return coerceBool(raw);
    case 'id':
      return coerceId(spec, raw);
  }
}

/** Rules between fields; each fixes the config in place to something runnable and reports why. */
function crossFieldErrors(config: ExperimentConfig): FieldError[] {
  const errors: FieldError[] = [];
  const rollouts = config.promptsPerStep * config.groupSize;
  if (config.miniBatchSize > rollouts || rollouts % config.miniBatchSize !== 0) {
    // Largest divisor of the rollout batch not above the request keeps the updates-per-batch intent.
    let fixed = Math.min(config.miniBatchSize, rollouts);
    while (rollouts % fixed !== 0) fixed--;
    errors.push({
      field: 'miniBatchSize',
      value: displayValue(config.miniBatchSize),
      why: `must divide the rollout batch B×G = ${config.promptsPerStep}×${config.groupSize} = ${rollouts}`,
      defaultUsed: String(fixed),
    });
    config.miniBatchSize = fixed;
  }
  if (config.dualClip !== 0 && config.dualClip <= 1) {
    errors.push({
      field: 'dualClip',
      value: displayValue(config.dualClip),
      why: 'dual clip needs c > 1 (or 0 to disable it)',
      defaultUsed: '0',
    });
    config.dualClip = 0;
  }
  if (config.warmupSteps > config.steps) {
    errors.push({
      field: 'warmupSteps',
      value: displayValue(config.warmupSteps),
      why: `warmup longer than the run (${config.steps} steps)`,
      defaultUsed: String(config.steps),
    });
    config.warmupSteps = config.steps;
  }
  const maxSeed = 4_294_967_295;
  if (config.seed + config.seeds - 1 > maxSeed) {
    errors.push({
      field: 'seeds',
      value: displayValue(config.seeds),
      why: `seed + seeds - 1 must stay ≤ ${maxSeed}`,
      defaultUsed: String(maxSeed - config.seed + 1),
    });
    config.seeds = maxSeed - config.seed + 1;
  }
  return errors;
}

/**
 * Validate a partial experiment (from a JSON file, a form, the URL codec): every given field is
 * coerced and range-checked, bad ones fall back to their default, unknown keys are reported and
 * ignored, then cross-field rules apply. Never throws; `config` is always runnable.
 */
export function validateExperiment(partial: unknown): ValidationResult {
  const config = defaultExperiment();
  const errors: FieldError[] = [];
  if (partial === null || partial === undefined) return { config, errors };
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    errors.push({
      field: '(config)',
      value: displayValue(partial),
      why: 'an experiment config must be an object of fields',
      defaultUsed: 'all defaults',
    });
    return { config, errors };
  }
  const record = config as unknown as Record<string, unknown>;
  for (const [key, raw] of Object.entries(partial as Record<string, unknown>)) {
    const spec = FIELD_BY_KEY.get(key as ExperimentKey);
    if (!spec) {
      errors.push({
        field: displayValue(key),
        value: displayValue(raw),
        why: 'unknown field (ignored)',
        defaultUsed: null,
      });
      continue;
    }
    if (raw === undefined) continue;
    const result = coerceField(spec, raw);
    if (result.ok) record[key] = result.value;
    else
      errors.push({
        field: key,
        value: displayValue(raw),
        why: result.why,
        defaultUsed: formatFieldValue(spec, spec.default),
      });
  }
  errors.push(...crossFieldErrors(config));
  return { config, errors };
}
