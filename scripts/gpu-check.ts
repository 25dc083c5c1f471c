// `npm run gpu-check`: the WebGPU engine against the CPU engine on this machine's adapter, for every
// matmul variant — log-probs, entropies, NLL and GRPO losses and gradients, a 10-step AdamW
// trajectory and greedy KV-cache decoding. Prints one table and exits 1 on any mismatch.
// In Node the adapter is SwiftShader unless LAB_NATIVE_GPU=1 (then the system's Vulkan driver).
// GPU_CHECK_QUICK=1 checks the smallest model only.

import { type SelfCheckModel, selfCheckWebGpu } from '../src/engine/selfCheck';
import { acquireNodeGpu } from '../src/engine/webgpu/node-gpu';
import { DEFAULT_TINY_CONFIG } from '../src/model/config';
import { ZOO_MODEL_CONFIG } from '../src/tasks/zoo';

const models: SelfCheckModel[] = [
  { name: 'tiny (ragged sizes)', config: DEFAULT_TINY_CONFIG, B: 3, T: 13 },
  { name: 'zoo model', config: ZOO_MODEL_CONFIG, B: 8, T: 64 },
  {
    name: 'untied, width 128, GQA 8/2',
    config: {
      ...ZOO_MODEL_CONFIG,
      hidden_size: 128,
      intermediate_size: 344,
      num_attention_heads: 8,
      num_key_value_heads: 2,
      tie_word_embeddings: false,
    },
    B: 6,
    T: 96,
  },
];

async function main(): Promise<number> {
  const ctx = await acquireNodeGpu();
  console.log(`adapter: ${ctx.info.label}${ctx.info.description ? ` — ${ctx.info.description}` : ''}`);
  const quick = process.env.GPU_CHECK_QUICK === '1';
  const rows = await selfCheckWebGpu(ctx, { models: quick ? models.slice(0, 1) : models });
  console.log('\n| matmul variant | model | check | max abs error | error / tolerance | result |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.variant} | ${r.model} | ${r.check} | ${r.maxAbsError.toExponential(2)} | ${r.ratio.toFixed(3)} | ${r.pass ? 'pass' : 'FAIL'} |`,
    );
  }
  const failed = rows.filter((r) => !r.pass);
  console.log(`\n${rows.length - failed.length} of ${rows.length} checks pass on ${ctx.info.label}.`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
