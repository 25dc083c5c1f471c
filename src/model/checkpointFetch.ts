// Browser loader for shipped checkpoints: fetches models/<name>/{config.json, model.safetensors,
// tokenizer.json, card.json} relative to the page and validates them with loadCheckpoint. Network
// failures, 404s, dev-server HTML fallbacks and truncated downloads each get an error that says which
// file and what went wrong, instead of a JSON or safetensors parse error further down.
import { CHECKPOINT_FILE_NAMES, CheckpointError, type LoadedCheckpoint, loadCheckpoint } from './checkpoint';

export interface FetchCheckpointOptions {
  /**
   * Base the `models/` folder is resolved against. Defaults to the page (document.baseURI); pass it
   * explicitly from a Worker, whose own location is its script URL, not the page.
   */
  baseUrl?: string | URL;
  /** Injected for tests and for Node; defaults to the global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface FetchedCheckpoint extends LoadedCheckpoint {
  /** card.json parsed, or null when the checkpoint has none (HTTP 404). */
  card: unknown;
}

export class CheckpointFetchError extends Error {
  /**
   * @param missingFile set when the server has no such file (HTTP 404, or an SPA fallback page), so a
   * caller can tell "no such model" from a broken download.
   */
  constructor(
    message: string,
    readonly missingFile: string | null = null,
  ) {
    super(message);
    this.name = 'CheckpointFetchError';
  }
}

/** Names are folder names under models/: no slashes or dot-dot, so a URL cannot escape the zoo. */
const CHECKPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function defaultBaseUrl(): string {
  const doc = (globalThis as { document?: { baseURI?: string } }).document;
  if (doc?.baseURI) return doc.baseURI;
  const location = (globalThis as { location?: { href?: string } }).location;
  if (location?.href) return location.href;
  throw new CheckpointFetchError('fetchCheckpoint: no page to resolve models/ against; pass options.baseUrl');
}

async function fetchFile(
  name: string,
  file: string,
  kind: 'json' | 'binary',
  options: FetchCheckpointOptions,
  optional: boolean,
): Promise<Uint8Array | null> {
  const url = new URL(`models/${name}/${file}`, options.baseUrl ?? defaultBaseUrl()).href;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const label = `checkpoint "${name}": ${file}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: options.signal });
  } catch (error) {
    throw new CheckpointFetchError(`${label} could not be fetched from ${url}: ${(error as Error).message}`);
  }
  if (response.status === 404) {
    if (optional) return null;
    throw new CheckpointFetchError(`${label} not found (HTTP 404 at ${url})`, file);
  }
  if (!response.ok) {
    throw new CheckpointFetchError(
      `${label} failed: HTTP ${response.status} ${response.statusText} at ${url}`,
    );
  }
  // Dev servers with an SPA fallback answer a missing file with index.html and status 200.
  const contentType = response.headers.get('content-type') ?? '';
  if (contentType.includes('text/html')) {
    throw new CheckpointFetchError(
      `${label} came back as an HTML page (${url}); the file is probably missing from the server`,
      file,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new CheckpointFetchError(`${label} download failed at ${url}: ${(error as Error).message}`);
  }
  // Content-Length counts encoded bytes; only comparable when the body was not compressed.
  const declared = Number(response.headers.get('content-length'));
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (!encoded && Number.isFinite(declared) && declared > 0 && bytes.byteLength !== declared) {
    throw new CheckpointFetchError(
      `${label} truncated download: got ${bytes.byteLength} of ${declared} bytes from ${url}`,
    );
  }
  if (kind === 'json' && bytes.byteLength === 0) throw new CheckpointFetchError(`${label} is empty (${url})`);
  return bytes;
}

const utf8 = new TextDecoder();

/** Fetches and validates models/<name>/ (see FetchCheckpointOptions.baseUrl). */
export async function fetchCheckpoint(
  name: string,
  options: FetchCheckpointOptions = {},
): Promise<FetchedCheckpoint> {
  if (!CHECKPOINT_NAME.test(name)) {
    throw new CheckpointFetchError(
      `invalid checkpoint name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-' (a folder under models/)`,
    );
  }
  const settled = await Promise.allSettled([
    fetchFile(name, CHECKPOINT_FILE_NAMES.config, 'json', options, false),
    fetchFile(name, CHECKPOINT_FILE_NAMES.weights, 'binary', options, false),
    fetchFile(name, CHECKPOINT_FILE_NAMES.tokenizer, 'json', options, false),
    fetchFile(name, CHECKPOINT_FILE_NAMES.card, 'json', options, true),
  ]);
  // The first failure in file order (config.json first), not whichever download failed first, so a
  // missing model says the same thing every time.
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  const [config, weights, tokenizer, card] = settled.map(
    (r) => (r as PromiseFulfilledResult<Uint8Array | null>).value,
  );
  let parsedCard: unknown = null;
  if (card) {
    try {
      parsedCard = JSON.parse(utf8.decode(card));
    } catch (error) {
      throw new CheckpointFetchError(
        `checkpoint "${name}": card.json is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
  try {
    const loaded = loadCheckpoint({
      configJson: utf8.decode(config!),
      safetensorsBytes: weights!,
      tokenizerJson: utf8.decode(tokenizer!),
    });
    return { ...loaded, card: parsedCard };
  } catch (error) {
    // Same error type, with the checkpoint named, so the UI can tell which zoo entry is broken.
    if (error instanceof CheckpointError)
      throw new CheckpointError(error.problems.map((p) => `models/${name}: ${p}`));
    throw error;
  }
}
