// Kernel tier: the padded GPU parameter layout of model.ts. The MLP width is padded to a multiple of 4
// (gpuIntermediate) so the MLP matmuls take the vec4 kernels; the padding must stay exactly zero in
// parameters, gradients and AdamW moments through training, or it would leak into the real outputs.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../../model/config';
import { initParameters } from '../../model/layout';
import type { TokenBatch } from '../backend';
import { WebGpuBackend, type WebGpuModel } from './backend';
import { randomArray, randomInts } from './kernelTestKit';
import { type GpuLayout, gpuIntermediate, gpuLayout, padFlat, unpadFlat } from './model';
import { acquireNodeGpu } from './node-gpu';

// I = 37: padded to 40 on the GPU.
const CONFIG: ModelConfig = { ...DEFAULT_TINY_CONFIG, num_hidden_layers: 1 };

/** Whether element i of the padded flat buffers belongs to no HF tensor element. */
function paddingMask(g: GpuLayout): Uint8Array {
  const real = padFlat(g, new Float32Array(g.layout.total).fill(1));
  return Uint8Array.from(real, (x) => (x === 1 ? 0 : 1));
}

describe('padded GPU layout', () => {
  it('pads the MLP width to a multiple of 4 and round-trips the HF layout', () => {
    expect(gpuIntermediate(CONFIG)).toBe(40);
    expect(gpuIntermediate({ ...CONFIG, intermediate_size: 172 })).toBe(172);
    const g = gpuLayout(CONFIG, 64);
    const down = g.layout.entries.findIndex((e) => e.name.endsWith('mlp.down_proj.weight'));
    const gate = g.layout.entries.findIndex((e) => e.name.endsWith('mlp.gate_proj.weight'));
    expect(g.shapes[down]).toEqual([CONFIG.hidden_size, 40]);
    expect(g.shapes[gate]).toEqual([40, CONFIG.hidden_size]);
    const flat = randomArray(g.layout.total, 3);
    expect(unpadFlat(g, padFlat(g, flat))).toEqual(flat);
  });

  it('keeps the padding zero in parameters, gradients and moments through nllStep + AdamW', async () => {
    const gpu = await WebGpuBackend.create(await acquireNodeGpu(), {
      matmul: { kind: 'vec8', wgX: 4, wgY: 4 },
    });
    const params = initParameters(CONFIG, 5);
    for (let i = 0; i < params.length; i++) params[i] *= 5;
    const model = (await gpu.createModel(CONFIG, params)) as WebGpuModel;
    const [B, T] = [2, 8];
    const batch: TokenBatch = {
      B,
      T,
      tokens: randomInts(B * T, CONFIG.vocab_size, 6),
      lengths: new Int32Array([8, 5]),
      // Position 0 predicts nothing and padding is never scored.
      lossMask: Float32Array.from({ length: B * T }, (_, i) =>
        i % T >= 1 && i % T < [8, 5][Math.floor(i / T)] ? 1 : 0,
      ),
    };
    const adam = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 };
    for (let s = 0; s < 2; s++) {
      model.zeroGradients();
      await model.nllStep(batch);
      await model.optimizerStep(adam);
    }
    model.zeroGradients();
    await model.nllStep(batch);
    const net = model.net;
    const pad = paddingMask(net.g);
    for (const [name, t] of [
      ['params', net.params],
      ['grads', net.grads],
      ['adam.m', net.m],
      ['adam.v', net.v],
    ] as const) {
      const data = await model.runner.read(t);
      let nonzero = 0;
      let real = 0;
      for (let i = 0; i < pad.length; i++) {
        if (pad[i] && data[i] !== 0) nonzero++;
        if (!pad[i] && data[i] !== 0) real++;
      }
      expect(nonzero, `${name}: non-zero padding elements`).toBe(0);
      expect(real, `${name}: the real elements moved`).toBeGreaterThan(0);
    }
    model.dispose();
  });
});
