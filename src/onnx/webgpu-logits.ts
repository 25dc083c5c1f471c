// Our WebGPU engine as an EngineLogits source for verifyWithOrt (browser) and the kernel-tier ONNX test:
// records the engine's own forward pass for a right-padded batch and reads back the (B, T, V) logits.
// The Backend contract has no logits read-back (only scoreTokens), so this uses WebGpuModel's public
// GpuTransformer and KernelRunner, the same calls WebGpuModel.scoreTokens makes before its log-softmax.
import type { EngineModel } from '../engine/backend';
import { WebGpuModel } from '../engine/webgpu/backend';
import type { EngineLogits } from './verify';

export function webgpuEngineLogits(model: EngineModel): EngineLogits {
  if (!(model instanceof WebGpuModel)) throw new Error('webgpuEngineLogits needs a model from WebGpuBackend');
  return async ({ tokens, lengths, B, T }) => {
    const batch = model.net.uploadBatch(tokens, lengths, null, B, T);
    const step = model.runner.begin('onnx verify: logits');
    model.net.forward(step, batch);
    const logits = step.read(batch.logits, B * T * model.config.vocab_size);
    await step.submit();
    return logits;
  };
}
