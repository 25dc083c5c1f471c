// Model shapes shared by the benchmarks (bench.ts, bench-onnx.ts), so their tables time the same models.
import type { ModelConfig } from '../src/model/config';
import { ZOO_MODEL_CONFIG } from '../src/tasks/zoo';

/** The zoo architecture at width 256 with 4 layers (~3.2M parameters): a real GPU should win by far. */
export const LARGE_BENCH_CONFIG: ModelConfig = {
  ...ZOO_MODEL_CONFIG,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
};
