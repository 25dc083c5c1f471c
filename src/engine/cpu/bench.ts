// Throughput probe of the CPU engine (not a test; prints numbers, asserts nothing):
//   npx tsx src/engine/cpu/bench.ts [B] [T] [steps]
// Times matmulNT in GFLOP/s, a full nllStep + AdamW step and batched generation of a zoo-shaped model.
import type { ModelConfig } from '../../model/config';
import { initParameters } from '../../model/layout';
import { Random } from '../../util/random';
import type { TokenBatch } from '../backend';
import { CpuBackend } from './backend';
import { matmulNT } from './ops';

// Same shape as the shipped zoo (src/tasks/zoo.ts ZOO_MODEL_CONFIG), width overridable: BENCH_C=128.
const width = Number(process.env.BENCH_C ?? 64);
const zooConfig: ModelConfig = {
  vocab_size: 100,
  hidden_size: width,
  intermediate_size: Math.round((width * 172) / 64),
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 256,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
};

function benchMatmul(M: number, N: number, K: number): void {
  const rng = new Random(1);
  const a = Float32Array.from({ length: M * K }, () => rng.normal());
  const b = Float32Array.from({ length: N * K }, () => rng.normal());
  const out = new Float32Array(M * N);
  matmulNT(out, a, b, null, M, N, K, false); // warm-up
  const reps = Math.max(1, Math.round(2e9 / (2 * M * N * K)));
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) matmulNT(out, a, b, null, M, N, K, false);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`matmulNT ${M}x${N}x${K}: ${((2 * M * N * K * reps) / seconds / 1e9).toFixed(2)} GFLOP/s`);
}

async function benchStep(B: number, T: number, steps: number): Promise<void> {
  const model = await new CpuBackend().createModel(zooConfig, initParameters(zooConfig, 1));
  const rng = new Random(2);
  const batch: TokenBatch = {
    B,
    T,
    tokens: Int32Array.from({ length: B * T }, () => rng.int(5, 99)),
    lengths: new Int32Array(B).fill(T),
    lossMask: Float32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 0 : 1)),
  };
  const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 };
  let t0 = performance.now();
  for (let s = 0; s <= steps; s++) {
    if (s === 1) t0 = performance.now(); // step 0 warms up the JIT and allocates buffers
    model.zeroGradients();
    await model.nllStep(batch);
    await model.optimizerStep(adam);
  }
  const seconds = (performance.now() - t0) / 1000 / steps;
  console.log(
    `nllStep+AdamW, ${model.numParams} params, B=${B} T=${T}: ${seconds.toFixed(3)} s/step, ${((B * T) / seconds).toFixed(0)} tokens/s`,
  );
  const tf = performance.now();
  const out = await model.generate({
    prompts: Array.from({ length: B }, () => Int32Array.from([1, 20, 30, 40])),
    maxNewTokens: 64,
    temperature: 1,
    topK: 0,
    topP: 1,
    seed: 1,
    stream: 0,
    eosId: 2,
  });
  const generated = out.completions.reduce((s, c) => s + c.length, 0);
  const gs = (performance.now() - tf) / 1000;
  console.log(`generate B=${B}, 64 new tokens: ${(generated / gs).toFixed(0)} tokens/s`);
}

const [B, T, steps] = process.argv.slice(2).map(Number);
benchMatmul(2048, 64, 64);
benchMatmul(2048, 172, 64);
benchMatmul(64, 172, 2048);
await benchStep(B || 16, T || 128, steps || 3);
