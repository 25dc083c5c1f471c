// Our CPU reference engine as an EngineLogits source for verifyWithOrt and the ONNX tests: the full
// forward of src/engine/cpu/model.ts, logits copied out (the model reuses its activation buffers).
import { CpuTransformer } from '../engine/cpu/model';
import type { ModelConfig } from '../model/config';
import type { EngineLogits } from './verify';

export function cpuEngineLogits(config: ModelConfig, params: Float32Array): EngineLogits {
  const model = new CpuTransformer(config, 'f32');
  return async ({ tokens, lengths, B, T }) =>
    Float32Array.from(model.forward(params, tokens, lengths, B, T).logits);
}
