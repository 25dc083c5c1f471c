// ONNX export of the zoo: every model shipped in public/models/<family>/ (read with the Node checkpoint
// reader) and, always, the zoo architecture (ZOO_MODEL_CONFIG) with random weights, so this file tests
// the shipped shapes even before any family is built. ORT (wasm, graph optimisation 'all') logits must
// match the CPU engine within 1e-4 abs + rel, and greedy completions of MiniMath-500 prompts must be
// identical.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config';
import { initParameters } from '../model/layout';
import { readCheckpointDir } from '../model/nodeCheckpointDir';
import { ZOO_MODEL_CONFIG } from '../tasks/zoo';
import { cpuEngineLogits } from './cpu-logits';
import { exportOnnx } from './export';
import { cpuGreedy, miniMathPromptSet, shippedZooFamilies, ZOO_DIR } from './onnxFixtures';
import { configureOrtWasm, OrtCausalLM } from './ort-runner';
import { compareLogits, describeMismatches, fixedVerifyBatch } from './verify';

beforeAll(() => configureOrtWasm({ numThreads: 1 }));

const shippedFamilies = shippedZooFamilies();

interface ZooCase {
  config: ModelConfig;
  params: Float32Array;
}

type Loader = () => Promise<ZooCase>;

const cases: [string, Loader][] = [
  [
    // Init scaled up from 0.02 so random logits are spread out and greedy argmax is not a coin toss.
    'zoo architecture, random weights',
    async () => {
      const config = { ...ZOO_MODEL_CONFIG, initializer_range: 0.2 };
      return { config, params: initParameters(config, 2025) };
    },
  ],
  ...shippedFamilies.map((family): [string, Loader] => [
    `shipped ${family}`,
    async () => {
      const { config, params } = await readCheckpointDir(join(ZOO_DIR, family));
      return { config, params };
    },
  ]),
];

describe.each(cases)('ONNX export of %s', (_label, load) => {
  let model: ZooCase;
  let lm: OrtCausalLM;

  beforeAll(async () => {
    model = await load();
    lm = await OrtCausalLM.create(model.config, exportOnnx(model.config, model.params, { kvCache: true }), {
      graphOptimizationLevel: 'all',
    });
  });
  afterAll(async () => {
    await lm?.release();
  });

  it('ORT logits match the CPU engine within 1e-4 abs + rel', async () => {
    const batch = fixedVerifyBatch(model.config, 4, 64, 77);
    const engine = await cpuEngineLogits(model.config, model.params)(batch);
    const ortLogits = await lm.logits(batch.tokens, batch.lengths, batch.B, batch.T);
    const c = compareLogits(ortLogits, engine, batch, model.config.vocab_size);
    expect(c.withinTolerance, describeMismatches(c)).toBe(true);
    expect(c.top1Agreement).toBe(1);
  });

  it('greedy completions of MiniMath-500 prompts are identical to the CPU engine', async () => {
    const maxNew = 96; // room for a whole code-style answer and its <|im_end|>
    const prompts = miniMathPromptSet(6);
    const ortCompletions = await lm.greedy(prompts, maxNew, model.config.eos_token_id);
    prompts.forEach((prompt, i) => {
      const cpu = cpuGreedy(model.config, model.params, prompt, maxNew);
      expect(Array.from(ortCompletions[i]), `prompt ${i}`).toEqual(Array.from(cpu));
    });
    expect(ortCompletions.reduce((n, c) => n + c.length, 0)).toBeGreaterThan(prompts.length);
  });
});
