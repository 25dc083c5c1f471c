// The rollout sampler (shaders/sampling.wgsl sample_forward) at several workgroup sizes on this adapter:
// checks every size gives tokens and log-probs bit-identical to size 64 (temperature 1 without filters,
// and with top-p 0.9), then times each by GPU timestamps, the sizes in rotating order. R 128 rows x V 100
// ids: one decode step of the zoo at 8 prompts x 16.
// Run from the repository root (SwiftShader unless LAB_NATIVE_GPU=1; TOP_P=0.9 times the filtered path):
//   npx tsx docs/measurements/cpu-2026-12-07/sampler-workgroups.mts
import { KernelRunner } from '../../../src/engine/webgpu/kernel';
import { acquireNodeGpu } from '../../../src/engine/webgpu/node-gpu';
import { sampleKernel, samplingRows, samplingScratchElements } from '../../../src/engine/webgpu/sampling';

const runner = new KernelRunner(await acquireNodeGpu());
console.log(`adapter: ${runner.adapterLabel}`);
const R = 128;
const V = 100;
const logits = runner.tensor('logits', R * V);
const rows = runner.tensor('rows', R * 4);
const weights = runner.tensor('weights', samplingScratchElements(R, V));
const tokens = runner.tensor('tokens', R);
const logprobs = runner.tensor('logprobs', R);
// Peaked rows, as a trained model's: a few ids carry most of the mass.
runner.write(
  logits,
  new Float32Array(R * V).map((_, i) => 4 * Math.sin(i * 12.9898) ** 7 + Math.cos(i * 0.37)),
);
const idx = Array.from({ length: R }, (_, r) => r);
runner.write(
  rows,
  samplingRows(
    idx,
    idx.map((r) => r % 16),
    idx.map(() => 40),
  ),
);
const sizes = (process.env.WG ?? '1,2,4,8,16,32,64').split(',').map(Number);
const topPTimed = Number(process.env.TOP_P ?? 1);

function record(step: ReturnType<typeof runner.begin>, wg: number, topP: number, seed: number) {
  step.dispatch(
    sampleKernel(wg),
    { logits, rows, weights, tokens, logprobs },
    { R, V, inv_temperature: 1, top_k: 0, top_p: topP, seed, stream: 7 },
  );
}

async function sample(wg: number, topP: number, seed: number) {
  const step = runner.begin('sample');
  record(step, wg, topP, seed);
  const t = step.readUint32(tokens);
  const l = step.read(logprobs);
  await step.submit();
  return { tokens: await t, logprobs: await l };
}

let same = 0;
let checked = 0;
for (const topP of [1, 0.9]) {
  for (let seed = 1; seed <= 10; seed++) {
    const ref = await sample(64, topP, seed);
    for (const wg of sizes) {
      const got = await sample(wg, topP, seed);
      checked++;
      if (
        got.tokens.every((x, i) => x === ref.tokens[i]) &&
        got.logprobs.every((x, i) => Object.is(x, ref.logprobs[i]))
      )
        same++;
      else console.log(`DIFFERENT from size 64: size ${wg}, top-p ${topP}, seed ${seed}`);
    }
  }
}
console.log(`bit-identical to workgroup size 64: ${same} of ${checked} batches of ${R} rows`);

if (!runner.hasTimestampQuery) throw new Error('no timestamp-query: cannot time');
const DISPATCHES = 20;
const ROUNDS = 6;
const ms = new Map<number, number[]>(sizes.map((wg) => [wg, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < sizes.length; k++) {
    const wg = sizes[(k + round) % sizes.length];
    runner.timings(true);
    runner.profiling = true;
    const step = runner.begin('timed');
    for (let i = 0; i < DISPATCHES; i++) record(step, wg, topPTimed, i + 1);
    await step.submit();
    runner.profiling = false;
    const [t] = runner.timings(true);
    ms.get(wg)?.push(t.ms / t.count);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `sample_forward at top-p ${topPTimed}, GPU ms per dispatch, median of ${ROUNDS} rounds of ${DISPATCHES} (every round):`,
);
for (const wg of sizes) {
  const xs = ms.get(wg) ?? [];
  console.log(
    `  workgroup ${String(wg).padStart(2)}: ${med(xs).toFixed(2)} ms (${xs.map((x) => x.toFixed(2)).join(' ')}), ${(med(ms.get(64) ?? xs) / med(xs)).toFixed(1)}x the speed of 64`,
  );
}
process.exit(0);
