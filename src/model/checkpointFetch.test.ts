// Tests of the browser checkpoint loader against a fake fetch: URLs relative to the page, and a
// specific error for a 404, an HTML fallback page, a truncated download, a network failure, a bad name.
import { describe, expect, it } from 'vitest';
import { CheckpointError, saveCheckpoint } from './checkpoint';
import { CheckpointFetchError, fetchCheckpoint } from './checkpointFetch';
import { DEFAULT_TINY_CONFIG } from './config';
import { initParameters } from './layout';

const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100 };
const params = initParameters(config, 5);
const files = saveCheckpoint(config, params);
const base = 'https://lab.example/sub/index.html';

type Served = Record<
  string,
  { body: string | Uint8Array; headers?: Record<string, string>; status?: number }
>;

function servedCheckpoint(name: string, card = true): Served {
  const dir = `https://lab.example/sub/models/${name}/`;
  const served: Served = {
    [`${dir}config.json`]: { body: files.configJson, headers: { 'content-type': 'application/json' } },
    [`${dir}model.safetensors`]: { body: files.safetensorsBytes },
    [`${dir}tokenizer.json`]: { body: files.tokenizerJson },
  };
  if (card) served[`${dir}card.json`] = { body: '{"family":"llama-like"}' };
  return served;
}

/** A fetch over a URL -> response table, recording the URLs asked for; anything else is a 404. */
function fakeFetch(served: Served, requested: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    requested.push(url);
    const entry = served[url];
    if (!entry) return new Response('not found', { status: 404, statusText: 'Not Found' });
    const body = entry.body;
    const length = typeof body === 'string' ? new TextEncoder().encode(body).byteLength : body.byteLength;
    return new Response(body as BodyInit, {
      status: entry.status ?? 200,
      headers: { 'content-length': String(length), ...entry.headers },
    });
  }) as typeof fetch;
}

describe('fetchCheckpoint', () => {
  it('fetches models/<name>/ relative to the page and loads it', async () => {
    const requested: string[] = [];
    const loaded = await fetchCheckpoint('tiny-a', {
      baseUrl: base,
      fetch: fakeFetch(servedCheckpoint('tiny-a'), requested),
    });
    expect(loaded.params).toEqual(params);
    expect(loaded.card).toEqual({ family: 'llama-like' });
    expect(requested.sort()).toEqual([
      'https://lab.example/sub/models/tiny-a/card.json',
      'https://lab.example/sub/models/tiny-a/config.json',
      'https://lab.example/sub/models/tiny-a/model.safetensors',
      'https://lab.example/sub/models/tiny-a/tokenizer.json',
    ]);
  });

  it('treats a missing card.json as no card', async () => {
    const loaded = await fetchCheckpoint('tiny-a', {
      baseUrl: base,
      fetch: fakeFetch(servedCheckpoint('tiny-a', false)),
    });
    expect(loaded.card).toBeNull();
  });

  it('reports a 404 with the file and URL', async () => {
    const served = servedCheckpoint('tiny-a');
    delete served['https://lab.example/sub/models/tiny-a/model.safetensors'];
    await expect(fetchCheckpoint('tiny-a', { baseUrl: base, fetch: fakeFetch(served) })).rejects.toThrow(
      'checkpoint "tiny-a": model.safetensors not found (HTTP 404 at https://lab.example/sub/models/tiny-a/model.safetensors)',
    );
  });

  it('names config.json for a missing model even when its 404 arrives last', async () => {
    const slowConfig = (async (url: string) => {
      if (url.endsWith('/config.json')) await new Promise((resolve) => setTimeout(resolve, 20));
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }) as typeof fetch;
    await expect(fetchCheckpoint('no-such-model', { baseUrl: base, fetch: slowConfig })).rejects.toThrow(
      'checkpoint "no-such-model": config.json not found',
    );
  });

  it('reports other HTTP failures', async () => {
    const served = servedCheckpoint('tiny-a');
    served['https://lab.example/sub/models/tiny-a/config.json'] = { body: 'oops', status: 503 };
    await expect(fetchCheckpoint('tiny-a', { baseUrl: base, fetch: fakeFetch(served) })).rejects.toThrow(
      /config.json failed: HTTP 503/,
    );
  });

  it('recognises a dev-server HTML fallback instead of the file', async () => {
    const served = servedCheckpoint('tiny-a');
    served['https://lab.example/sub/models/tiny-a/tokenizer.json'] = {
      body: '<!doctype html><html></html>',
      headers: { 'content-type': 'text/html; charset=utf-8' },
    };
    await expect(fetchCheckpoint('tiny-a', { baseUrl: base, fetch: fakeFetch(served) })).rejects.toThrow(
      /tokenizer.json came back as an HTML page .* the file is probably missing/,
    );
  });

  it('detects a truncated download against Content-Length', async () => {
    const served = servedCheckpoint('tiny-a');
    served['https://lab.example/sub/models/tiny-a/model.safetensors'] = {
      body: files.safetensorsBytes.subarray(0, 1000),
      headers: { 'content-length': String(files.safetensorsBytes.byteLength) },
    };
    await expect(fetchCheckpoint('tiny-a', { baseUrl: base, fetch: fakeFetch(served) })).rejects.toThrow(
      new RegExp(
        `model.safetensors truncated download: got 1000 of ${files.safetensorsBytes.byteLength} bytes`,
      ),
    );
  });

  it('a truncated file without Content-Length still fails in the safetensors check, naming the model', async () => {
    const served = servedCheckpoint('tiny-a');
    served['https://lab.example/sub/models/tiny-a/model.safetensors'] = {
      body: files.safetensorsBytes.subarray(0, files.safetensorsBytes.byteLength - 100),
      headers: { 'content-length': '' },
    };
    const error = await fetchCheckpoint('tiny-a', { baseUrl: base, fetch: fakeFetch(served) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(
      /models\/tiny-a: model.safetensors: safetensors: tensor .* out of range/,
    );
  });

  it('wraps network failures and refuses names that could leave models/', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(fetchCheckpoint('tiny-a', { baseUrl: base, fetch: failing })).rejects.toThrow(
      /config.json could not be fetched from https:\/\/lab.example\/sub\/models\/tiny-a\/config.json: Failed to fetch/,
    );
    for (const bad of ['../secret', 'a/b', '', '.hidden']) {
      await expect(fetchCheckpoint(bad, { baseUrl: base, fetch: failing })).rejects.toThrow(
        CheckpointFetchError,
      );
    }
  });

  it('needs a base URL outside a page', async () => {
    await expect(fetchCheckpoint('tiny-a', { fetch: fakeFetch({}) })).rejects.toThrow(/pass options.baseUrl/);
  });
});
