// The experiment as a URL hash, in the TensorFlow Playground style: readable keys from the field-spec
// table (`#v=1&model=qwen-math-tiny&reward=random&gamma=0.5&clip=none&seed=3`), only non-default
// values written (so links stay short and old links keep working when a default is added), the seed
// always, a version key, and `hide=key1,key2` to hide controls in classroom embeds.
//
// Parsing never throws: whatever is in the hash, the result is a runnable config plus a list of field
// errors (name, display-safe value, why, default used). Values are only ever data: they go through the
// schema's coercion, and errors carry displayValue() renderings, never the raw text.
import { displayValue, formatFieldValue } from './config/display';
import { FIELD_BY_URL_KEY, FIELD_SPECS } from './config/fields';
import type { ExperimentConfig, ExperimentKey } from './config/schema';
import { type FieldError, validateExperiment } from './config/validate';

/** Bump when a key changes meaning; parseExperimentHash must then translate older versions. */
export const URL_VERSION = 1;
const VERSION_KEY = 'v';
const HIDE_KEY = 'hide';
/** Written even when default, so a shared link always says which run it replays. */
const ALWAYS_WRITTEN: readonly ExperimentKey[] = ['seed'];
/** Hashes longer than this are not read (a real experiment hash is a few hundred characters). */
const MAX_HASH_LENGTH = 8192;

export interface UrlFieldError extends FieldError {
  /** The URL key the problem came from, as written (display-safe). */
  urlKey: string;
}

export interface ParsedExperimentHash {
  config: ExperimentConfig;
  errors: UrlFieldError[];
  /** Fields whose controls a classroom embed hides (from `hide=`), in the order given. */
  hidden: ExperimentKey[];
  /** The version the link declared (URL_VERSION when it declared none). */
  version: number;
}

export interface SerializeOptions {
  /** Controls to hide in an embed, written as `hide=` with their URL keys. */
  hidden?: readonly ExperimentKey[];
}

const URL_KEY_OF = new Map(FIELD_SPECS.map((s) => [s.key, s.urlKey]));

/** `key=value&...` of the experiment: version first, then non-defaults and the seed in schema order. */
export function serializeExperiment(config: ExperimentConfig, options: SerializeOptions = {}): string {
  const pairs: string[] = [`${VERSION_KEY}=${URL_VERSION}`];
  for (const spec of FIELD_SPECS) {
    const value = config[spec.key];
    if (value === spec.default && !ALWAYS_WRITTEN.includes(spec.key)) continue;
    pairs.push(`${spec.urlKey}=${encodeURIComponent(formatFieldValue(spec, value))}`);
  }
  const hidden = (options.hidden ?? []).map((key) => URL_KEY_OF.get(key)).filter((k) => k !== undefined);
  if (hidden.length > 0) pairs.push(`${HIDE_KEY}=${hidden.join(',')}`);
  return pairs.join('&');
}

/** Full shareable link: base (page URL, any old hash dropped) + `#` + the experiment. */
export function experimentUrl(
  base: string,
  config: ExperimentConfig,
  options: SerializeOptions = {},
): string {
  const hashAt = base.indexOf('#');
  return `${hashAt < 0 ? base : base.slice(0, hashAt)}#${serializeExperiment(config, options)}`;
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * Read an experiment from a hash (`#v=1&...`, the same without `#`, or a whole URL with a hash).
 * Never throws.
 */
export function parseExperimentHash(hash: unknown): ParsedExperimentHash {
  const errors: UrlFieldError[] = [];
  const hidden: ExperimentKey[] = [];
  let version = URL_VERSION;
  const partial: Record<string, string> = {};
  const urlKeyOfField = new Map<string, string>();

  let text = typeof hash === 'string' ? hash : '';
  if (typeof hash !== 'string' && hash !== undefined && hash !== null) {
    errors.push({
      field: '(hash)',
      urlKey: '',
      value: displayValue(hash),
      why: 'not text',
      defaultUsed: null,
    });
  }
  const hashAt = text.indexOf('#');
  if (hashAt >= 0) text = text.slice(hashAt + 1);
  // A page address without a hash carries no experiment: all defaults, not an "unknown key" error.
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = '';
  if (text.length > MAX_HASH_LENGTH) {
    errors.push({
      field: '(hash)',
      urlKey: '',
      value: displayValue(text),
      why: `longer than ${MAX_HASH_LENGTH} characters; ignored`,
      defaultUsed: 'all defaults',
    });
    text = '';
  }

  const seen = new Set<string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? null : pair.slice(eq + 1);
    const key = decode(rawKey);
    const value = rawValue === null ? null : decode(rawValue);
    const shownKey = displayValue(key ?? rawKey);
    const fail = (field: string, why: string, defaultUsed: string | null, shown = value ?? rawValue ?? '') =>
      errors.push({ field, urlKey: shownKey, value: displayValue(shown), why, defaultUsed });

    if (key === null || value === null) {
      fail(
        shownKey,
        key === null
          ? 'key is not valid URL encoding'
          : rawValue === null
            ? 'no value (expected key=value)'
            : 'value is not valid URL encoding',
        null,
      );
      continue;
    }
    if (seen.has(key)) fail(shownKey, 'given more than once; the last one counts', null);
    seen.add(key);

    if (key === VERSION_KEY) {
      if (!/^\d{1,6}$/.test(value)) fail('(version)', 'version must be a whole number', String(URL_VERSION));
      else if (Number(value) !== URL_VERSION) {
        fail(
          '(version)',
          `link made for version ${Number(value)}; this lab reads version ${URL_VERSION}`,
          String(URL_VERSION),
        );
        version = Number(value);
      } else version = URL_VERSION;
      continue;
    }
    if (key === HIDE_KEY) {
      hidden.length = 0;
      for (const item of value.split(',')) {
        const name = item.trim();
        if (name === '') continue;
        const spec = FIELD_BY_URL_KEY.get(name);
        if (spec) {
          if (!hidden.includes(spec.key)) hidden.push(spec.key);
        } else fail('(hide)', 'unknown key in hide list (ignored)', null, name);
      }
      continue;
    }
    const spec = FIELD_BY_URL_KEY.get(key);
    if (!spec) {
      fail(shownKey, 'unknown key (ignored)', null);
      continue;
    }
    partial[spec.key] = value;
    urlKeyOfField.set(spec.key, shownKey);
  }

  const validated = validateExperiment(partial);
  for (const error of validated.errors) {
    errors.push({
      ...error,
      urlKey: urlKeyOfField.get(error.field) ?? URL_KEY_OF.get(error.field as ExperimentKey) ?? '',
    });
  }
  return { config: validated.config, errors, hidden, version };
}
