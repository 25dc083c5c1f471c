// One EngineLogits source for whichever engine a lab model lives on, so the UI's "Verify with ONNX
// Runtime" can pass `engineLogits(model)` without knowing the backend: the WebGPU engine's own forward
// for WebGpuBackend models, else the CPU reference engine on the model's current parameters.
import type { EngineModel } from '../engine/backend';
import { WebGpuModel } from '../engine/webgpu/backend';
import { cpuEngineLogits } from './cpu-logits';
import type { EngineLogits } from './verify';
import { webgpuEngineLogits } from './webgpu-logits';

export function engineLogits(model: EngineModel): EngineLogits {
  if (model instanceof WebGpuModel) return webgpuEngineLogits(model);
  // The CPU engine has no logits method on the Backend contract; its reference forward on the model's
  // parameters is the same computation. Parameters are read once, when the check first runs.
  let source: Promise<EngineLogits> | null = null;
  return async (batch) => {
    source ??= model.readParameters().then((params) => cpuEngineLogits(model.config, params));
    return (await source)(batch);
  };
}
