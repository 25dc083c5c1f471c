// The browser host loads a family the user built from the files the page handed over, without fetching,
// and still fetches shipped zoo families from the page's models/ folder.
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../model/checkpoint';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import { browserRunResources, createBrowserBackend } from './browserHost';

describe('browserRunResources.loadModel', () => {
  const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100 };
  const params = initParameters(config, 3);
  const files = saveCheckpoint(config, params, CharTokenizer.lab());

  it('uses a user-built family from the start message', async () => {
    const host = browserRunResources({
      baseUrl: 'http://127.0.0.1:1/',
      userModels: { 'my-family': files },
    });
    const loaded = await host.loadModel('my-family');
    expect(loaded.config.hidden_size).toBe(config.hidden_size);
    expect(loaded.params).toEqual(params);
  });

  it('fetches other names from the zoo (and says which file failed)', async () => {
    const host = browserRunResources({ baseUrl: 'http://127.0.0.1:1/', userModels: { 'my-family': files } });
    await expect(host.loadModel('qwen-math-tiny')).rejects.toThrow(/config\.json|qwen-math-tiny/);
  });

  it('says a name is neither shipped nor built here when the zoo has no such folder', async () => {
    const notFound = (async () => new Response('not found', { status: 404 })) as unknown as typeof fetch;
    const host = browserRunResources({ baseUrl: 'http://lab.example/', fetch: notFound });
    await expect(host.loadModel('built-elsewhere')).rejects.toThrow(
      'model family "built-elsewhere" is not in the shipped zoo and was not built in this browser',
    );
    // A zoo folder that exists but lacks its weights is a broken download, not an unknown name.
    const noWeights = (async (url: string) =>
      url.endsWith('config.json')
        ? new Response(files.configJson, { headers: { 'content-type': 'application/json' } })
        : new Response('not found', { status: 404 })) as unknown as typeof fetch;
    const partial = browserRunResources({ baseUrl: 'http://lab.example/', fetch: noWeights });
    await expect(partial.loadModel('qwen-math-tiny')).rejects.toThrow(
      'checkpoint "qwen-math-tiny": model.safetensors not found',
    );
  });
});

describe('createBrowserBackend', () => {
  /** A fake navigator.gpu whose adapter reports `info`; counts destroyed devices. */
  function fakeGpu(info: Partial<GPUAdapterInfo>) {
    const state = { destroyed: 0 };
    const device = {
      limits: {},
      lost: new Promise(() => {}),
      destroy: () => {
        state.destroyed++;
      },
    };
    const adapter = { info, features: new Set(), limits: {}, requestDevice: async () => device };
    return { gpu: { requestAdapter: async () => adapter } as unknown as GPU, state };
  }

  it("'auto' on a software adapter (SwiftShader) runs the CPU engine and says why", async () => {
    const { gpu, state } = fakeGpu({ vendor: 'google', architecture: 'swiftshader' });
    const { backend, notice, context } = await createBrowserBackend('auto', gpu);
    expect(backend.kind).toBe('cpu');
    expect(notice).toMatch(/google swiftshader \(software\).*Set Backend to webgpu/);
    expect(context).toBeNull();
    expect(state.destroyed).toBe(1);
  });

  it("'cpu' never touches the GPU, and a missing WebGPU falls back with a notice", async () => {
    const { gpu, state } = fakeGpu({ vendor: 'google', architecture: 'swiftshader' });
    expect((await createBrowserBackend('cpu', gpu)).backend.kind).toBe('cpu');
    expect(state.destroyed).toBe(0);
    const missing = await createBrowserBackend('auto', undefined);
    expect(missing.backend.kind).toBe('cpu');
    expect(missing.notice).toMatch(/WebGPU is not available/);
    await expect(createBrowserBackend('webgpu', undefined)).rejects.toThrow(/asks for WebGPU/);
  });
});
