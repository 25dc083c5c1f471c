// Tests of the Node-only checkpoint directory helper: write then read back, the files transformers
// expects on disk, and clear errors for a missing file or a broken card.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, saveCheckpoint } from './checkpoint';
import { DEFAULT_TINY_CONFIG } from './config';
import { initParameters } from './layout';
import { readCheckpointDir, writeCheckpointDir } from './nodeCheckpointDir';

const config = { ...DEFAULT_TINY_CONFIG, vocab_size: 100 };
const params = initParameters(config, 11);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-checkpoint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkpoint directories', () => {
  it('writes the files from_pretrained reads and reads them back exactly, card included', async () => {
    const target = join(dir, 'nested', 'qwen-math-like');
    const card = { family: 'qwen-math-like', codeShare: 0.65 };
    await writeCheckpointDir(target, saveCheckpoint(config, params), card);
    expect((await readdir(target)).sort()).toEqual([
      'card.json',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const loaded = await readCheckpointDir(target);
    expect(loaded.config).toEqual(config);
    expect(loaded.params).toEqual(params);
    expect(loaded.card).toEqual(card);
  });

  it('reads a directory without card.json (card null)', async () => {
    await writeCheckpointDir(dir, saveCheckpoint(config, params));
    expect((await readCheckpointDir(dir)).card).toBeNull();
  });

  it('names the missing file, the broken card, and the directory of an invalid checkpoint', async () => {
    await expect(readCheckpointDir(join(dir, 'absent'))).rejects.toThrow(
      `checkpoint directory ${join(dir, 'absent')} does not exist`,
    );
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(readCheckpointDir(join(dir, 'config.json'))).rejects.toThrow(
      /config.json is not a directory/,
    );
    // Every missing file, in a fixed order (the reads run in parallel; the message must not race).
    await expect(readCheckpointDir(dir)).rejects.toThrow(
      `checkpoint directory ${dir} has no model.safetensors, tokenizer.json`,
    );
    await writeCheckpointDir(dir, saveCheckpoint(config, params));
    await writeFile(join(dir, 'card.json'), '{"family":');
    await expect(readCheckpointDir(dir)).rejects.toThrow(/card.json is not valid JSON/);
    await rm(join(dir, 'card.json'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    const error = await readCheckpointDir(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).message).toContain(`${dir}: config.json: model_type must be "qwen2"`);
    await rm(join(dir, 'tokenizer.json'));
    await expect(readCheckpointDir(dir)).rejects.toThrow(/has no tokenizer.json/);
  });
});
