// Kernel tier: the self-check (`npm run gpu-check`) passes on SwiftShader for a tiny model, so a
// failure reported on a user's GPU is the GPU's, not the check's.
import { expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { selfCheckWebGpu } from './selfCheck';
import { acquireNodeGpu } from './webgpu/node-gpu';

it('every check passes on SwiftShader (tiny model, one matmul variant)', async () => {
  const rows = await selfCheckWebGpu(await acquireNodeGpu(), {
    models: [{ name: 'tiny', config: DEFAULT_TINY_CONFIG, B: 3, T: 11 }],
    variants: [{ kind: 'vec4', wgX: 8, wgY: 8 }],
    trajectorySteps: 3,
  });
  expect(rows.map((r) => r.check)).toEqual([
    'log-probs (T=0.8)',
    'entropies (T=0.8)',
    'NLL loss',
    'NLL gradients (vs float64)',
    'GRPO loss',
    'GRPO gradients (vs float64)',
    '3-step AdamW losses',
    'greedy decoding (KV cache, fused layer)',
    'greedy decoding (KV cache, 12 kernels per layer)',
  ]);
  expect(rows.filter((r) => !r.pass)).toEqual([]);
});
