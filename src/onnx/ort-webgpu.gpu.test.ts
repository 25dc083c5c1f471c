// Kernel tier: onnxruntime-web (wasm, Node) running our exported file against the WebGPU engine (Dawn,
// SwiftShader unless a GPU driver is configured). Logits within 1e-4 abs + 1e-4 rel on a ragged padded
// batch, and greedy completions of MiniMath-500 prompts identical (ORT with KV cache vs the engine's
// generate at temperature 0). Shapes are small because SwiftShader runs on the CPU.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineModel } from '../engine/backend';
import { WebGpuBackend } from '../engine/webgpu/backend';
import { acquireNodeGpu } from '../engine/webgpu/node-gpu';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../model/config';
import { initParameters } from '../model/layout';
import { readCheckpointDir } from '../model/nodeCheckpointDir';
import { ZOO_MODEL_CONFIG } from '../tasks/zoo';
import { engineLogits } from './engine-logits';
import { exportOnnx } from './export';
import { miniMathPromptSet, shippedZooFamilies, ZOO_DIR } from './onnxFixtures';
import { configureOrtWasm, OrtCausalLM } from './ort-runner';
import { compareLogits, describeMismatches, fixedVerifyBatch } from './verify';

// Init scaled up from 0.02 so random logits are spread out and greedy argmax is not decided by rounding.
const cases: [string, ModelConfig, number][] = [
  ['tiny tied GQA', { ...DEFAULT_TINY_CONFIG, vocab_size: 100, initializer_range: 0.2 }, 21],
  [
    'tiny untied MQA',
    {
      ...DEFAULT_TINY_CONFIG,
      vocab_size: 100,
      num_key_value_heads: 1,
      tie_word_embeddings: false,
      initializer_range: 0.2,
    },
    22,
  ],
  ['zoo architecture', { ...ZOO_MODEL_CONFIG, initializer_range: 0.2 }, 23],
];

// Shipped zoo families too (public/models/<family>/), as in zoo.test.ts for the CPU engine.
const shippedFamilies = shippedZooFamilies();

let backend: WebGpuBackend;

beforeAll(async () => {
  configureOrtWasm({ numThreads: 1 });
  backend = await WebGpuBackend.create(await acquireNodeGpu());
});

interface Loaded {
  config: ModelConfig;
  params: Float32Array;
  /** Seed of the fixed verification batch. */
  seed: number;
}
type Case = [label: string, load: () => Promise<Loaded>];

const loaders: Case[] = [
  ...cases.map(
    ([label, config, seed]): Case => [
      label,
      async () => ({ config, params: initParameters(config, seed), seed }),
    ],
  ),
  ...shippedFamilies.map(
    (family): Case => [
      `shipped ${family}`,
      async () => {
        const { config, params } = await readCheckpointDir(join(ZOO_DIR, family));
        return { config, params, seed: 5 };
      },
    ],
  ),
];

describe.each(loaders)('ORT vs WebGPU engine, %s', (_label, load) => {
  let config: ModelConfig;
  let params: Float32Array;
  let seed: number;
  let lm: OrtCausalLM;
  let engine: EngineModel;

  beforeAll(async () => {
    ({ config, params, seed } = await load());
    lm = await OrtCausalLM.create(config, exportOnnx(config, params, { kvCache: true }), {
      graphOptimizationLevel: 'all',
    });
    engine = await backend.createModel(config, params);
  });
  afterAll(async () => {
    engine?.dispose();
    await lm?.release();
  });

  it('logits match within 1e-4 abs + rel on a ragged padded batch', async () => {
    const batch = fixedVerifyBatch(config, 3, 20, seed);
    const gpuLogits = await engineLogits(engine)(batch); // dispatches to webgpuEngineLogits
    const ortLogits = await lm.logits(batch.tokens, batch.lengths, batch.B, batch.T);
    const c = compareLogits(ortLogits, gpuLogits, batch, config.vocab_size);
    expect(c.withinTolerance, describeMismatches(c)).toBe(true);
    expect(c.top1Agreement).toBe(1);
  });

  it('greedy completions of MiniMath-500 prompts are identical', async () => {
    const prompts = miniMathPromptSet(3);
    const maxNewTokens = 16;
    const ortCompletions = await lm.greedy(prompts, maxNewTokens, config.eos_token_id);
    const gpu = await engine.generate({
      prompts,
      maxNewTokens,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 1,
      stream: 0,
      eosId: config.eos_token_id,
    });
    prompts.forEach((_, i) => {
      expect(Array.from(gpu.completions[i]), `prompt ${i}`).toEqual(Array.from(ortCompletions[i]));
    });
    // Not vacuous: the random models do not stop at once, so many argmax decisions were compared.
    expect(ortCompletions.reduce((n, c) => n + c.length, 0)).toBeGreaterThan(prompts.length * 4);
  });
});
