// Shared helpers of the ONNX tests (unit and kernel tiers): the shipped zoo families, the fixed MiniMath
// prompt set and greedy decoding on the CPU engine's own KV-cache path, the reference ORT's greedy
// output must equal.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CpuTransformer } from '../engine/cpu/model';
import type { ModelConfig } from '../model/config';
import { CharTokenizer } from '../model/tokenizer';
import { miniMath500, problemPrompt } from '../tasks/minimath';

/** The shipped zoo models' folder, public/models/ (a family per folder). */
export const ZOO_DIR = join(import.meta.dirname, '..', '..', 'public', 'models');

/** The families shipped in ZOO_DIR (those with a config.json), sorted; none when it is absent. */
export function shippedZooFamilies(): string[] {
  return existsSync(ZOO_DIR)
    ? readdirSync(ZOO_DIR, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(ZOO_DIR, d.name, 'config.json')))
        .map((d) => d.name)
        .sort()
    : [];
}

/** The first `count` MiniMath-500 prompts (chat-formatted), as lab token ids. */
export function miniMathPromptSet(count = 6): Int32Array[] {
  const tokenizer = CharTokenizer.lab();
  return miniMath500()
    .slice(0, count)
    .map((problem) => Int32Array.from(tokenizer.encode(problemPrompt(problem), { onUnknown: 'throw' })));
}

/** Greedy decoding (argmax, ties to the lowest id) with CpuTransformer.prefill + decodeStep. */
export function cpuGreedy(
  config: ModelConfig,
  params: Float32Array,
  prompt: Int32Array,
  maxNew: number,
): Int32Array {
  const model = new CpuTransformer(config, 'f32');
  const cache = model.createKvCache(1, prompt.length + maxNew);
  try {
    let logits = model.prefill(params, cache, prompt, Int32Array.of(prompt.length), 1, prompt.length);
    const out: number[] = [];
    for (let step = 0; step < maxNew; step++) {
      let next = 0;
      for (let v = 1; v < config.vocab_size; v++) if (logits[v] > logits[next]) next = v;
      out.push(next);
      if (next === config.eos_token_id) break;
      const position = Int32Array.of(prompt.length + step);
      logits = model.decodeStep(params, cache, Int32Array.of(next), Int32Array.of(0), position, 1);
    }
    return Int32Array.from(out);
  } finally {
    cache.release();
  }
}
