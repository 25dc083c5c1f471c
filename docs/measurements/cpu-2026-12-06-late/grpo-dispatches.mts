// One seed's GRPO step on WebGPU (SwiftShader here): dispatches and submissions per step, and the host
// time spent recording them (inside Step.dispatch, and the synchronous part of Step.submit), with the
// fused decode layer forced on (FUSED=1) or off. The bench sweep's shape by default: 8 prompts x 16,
// mini-batches of 16 (8 updates), 128 new tokens, 3 steps (steps 2 and 3 are reported).
// Run from the repository root:
//   FUSED=0 VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx docs/measurements/cpu-2026-12-06-late/grpo-dispatches.mts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRunResources, onSharedGpu } from '../../../src/cli/nodeHost';
import { runSeed } from '../../../src/cli/runCommand';
import { WebGpuBackend, type WebGpuBackendOptions } from '../../../src/engine/webgpu/backend';
import type { GpuContext } from '../../../src/engine/webgpu/device';
import { gpuWorkTotals, Step } from '../../../src/engine/webgpu/kernel';
import { acquireNodeGpu } from '../../../src/engine/webgpu/node-gpu';
import { validateExperiment } from '../../../src/experiment/config/validate';

const FUSED = process.env.FUSED === '1';
const P = Number(process.env.P ?? 8);
const G = Number(process.env.G ?? 16);
const T = Number(process.env.T ?? 128);

// The run builds its backend itself: hand it the fused decode setting.
const create = WebGpuBackend.create.bind(WebGpuBackend);
WebGpuBackend.create = (ctx: GpuContext, options: WebGpuBackendOptions = {}) =>
  create(ctx, { ...options, fusedDecode: FUSED });

let dispatchMs = 0;
let submitMs = 0;
const dispatch = Step.prototype.dispatch;
Step.prototype.dispatch = function (this: Step, ...args: Parameters<Step['dispatch']>) {
  const t0 = performance.now();
  try {
    return dispatch.apply(this, args);
  } finally {
    dispatchMs += performance.now() - t0;
  }
} as Step['dispatch'];
const submit = Step.prototype.submit;
Step.prototype.submit = function (this: Step) {
  const t0 = performance.now();
  const done = submit.apply(this);
  submitMs += performance.now() - t0;
  return done;
};

const { config, errors } = validateExperiment({
  model: 'qwen-math-tiny',
  reward: 'random',
  promptsPerStep: P,
  groupSize: G,
  miniBatchSize: 2 * P,
  maxNewTokens: T,
  lr: 1e-4,
  steps: 3,
  evalEvery: 0,
  evalSize: 4,
  evalK: 1,
  backend: 'webgpu',
});
if (errors.length) throw new Error(JSON.stringify(errors));
const host = onSharedGpu(nodeRunResources({ log: () => {} }), await acquireNodeGpu());
const marks: { dispatches: number; submissions: number; dispatchMs: number; submitMs: number; t: number }[] =
  [];
const dir = mkdtempSync(join(tmpdir(), 'grpo-dispatches-'));
await runSeed(config, 1, dir, host, () => {}, {
  quiet: true,
  resume: false,
  onStep: () => marks.push({ ...gpuWorkTotals, dispatchMs, submitMs, t: performance.now() }),
});
rmSync(dir, { recursive: true, force: true });
for (let i = 1; i < marks.length; i++) {
  const [a, b] = [marks[i - 1], marks[i]];
  const n = b.dispatches - a.dispatches;
  console.log(
    `fused ${FUSED} step ${i + 1}: ${n} dispatches, ${b.submissions - a.submissions} submissions, ` +
      `wall ${(b.t - a.t).toFixed(0)} ms, recording: dispatch() ${(b.dispatchMs - a.dispatchMs).toFixed(1)} ms ` +
      `(${(((b.dispatchMs - a.dispatchMs) / n) * 1000).toFixed(1)} us each), submit ${(b.submitMs - a.submitMs).toFixed(1)} ms`,
  );
}
process.exit(0);
