// The browser host loads a family the user built from the files the page handed over, without fetching,
// and still fetches shipped zoo families from the page's models/ folder.
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../model/checkpoint';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { initParameters } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import { browserRunHost } from './browserHost';

describe('browserRunHost.loadModel', () => {
  const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100 };
  const params = initParameters(config, 3);
  const files = saveCheckpoint(config, params, CharTokenizer.lab());

  it('uses a user-built family from the start message', async () => {
    const host = browserRunHost({
      baseUrl: 'http://127.0.0.1:1/',
      userModels: { 'my-family': files },
    });
    const loaded = await host.loadModel('my-family');
    expect(loaded.config.hidden_size).toBe(config.hidden_size);
    expect(loaded.params).toEqual(params);
  });

  it('fetches other names from the zoo (and says which file failed)', async () => {
    const host = browserRunHost({ baseUrl: 'http://127.0.0.1:1/', userModels: { 'my-family': files } });
    await expect(host.loadModel('qwen-math-tiny')).rejects.toThrow(/config\.json|qwen-math-tiny/);
  });
});
