// A checkpoint written to disk the way the lab writes them, exported to an .onnx file by the Node
// helper, then loaded from that file by ORT: the round trip a user takes to move a trained policy out.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../model/checkpoint';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../model/config';
import { initParameters } from '../model/layout';
import { writeCheckpointDir } from '../model/nodeCheckpointDir';
import { cpuEngineLogits } from './cpu-logits';
import { exportCheckpointDirToOnnx } from './nodeExport';
import { configureOrtWasm, OrtCausalLM } from './ort-runner';
import { compareLogits, describeMismatches, fixedVerifyBatch } from './verify';

const config: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, tie_word_embeddings: false };
let dir: string;

beforeAll(async () => {
  configureOrtWasm({ numThreads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'onnx-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exportCheckpointDirToOnnx', () => {
  it('exports a checkpoint directory to a file ORT loads and agrees with', async () => {
    const params = initParameters(config, 31);
    await writeCheckpointDir(join(dir, 'ckpt'), saveCheckpoint(config, params));
    const out = join(dir, 'model.onnx');
    const { bytes, kvCache } = await exportCheckpointDirToOnnx(join(dir, 'ckpt'), out);
    expect(kvCache).toBe(true);
    const file = new Uint8Array(await readFile(out));
    expect(file.length).toBe(bytes);
    // Weights dominate the file: it must hold every float of the checkpoint.
    expect(bytes).toBeGreaterThan(params.length * 4);
    const lm = await OrtCausalLM.create(config, file);
    try {
      expect(lm.hasKvCache).toBe(true);
      const batch = fixedVerifyBatch(config, 2, 16, 3);
      const c = compareLogits(
        await lm.logits(batch.tokens, batch.lengths, batch.B, batch.T),
        await cpuEngineLogits(config, params)(batch),
        batch,
        config.vocab_size,
      );
      expect(c.withinTolerance, describeMismatches(c)).toBe(true);
    } finally {
      await lm.release();
    }
  });

  it('says so when the directory is missing, and names the missing files when it is not a checkpoint', async () => {
    await expect(exportCheckpointDirToOnnx(join(dir, 'nothing'), join(dir, 'x.onnx'))).rejects.toThrow(
      `checkpoint directory ${join(dir, 'nothing')} does not exist`,
    );
    await mkdir(join(dir, 'empty'));
    await expect(exportCheckpointDirToOnnx(join(dir, 'empty'), join(dir, 'x.onnx'))).rejects.toThrow(
      'has no config.json, model.safetensors, tokenizer.json',
    );
  });
});
