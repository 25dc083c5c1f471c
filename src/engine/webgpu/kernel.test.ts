// Unit tier: the kernel descriptor helpers of kernel.ts (no GPU needed).
import { describe, expect, it } from 'vitest';
import { defineKernel, grid1d, kernelFamily, kernelKey, kernelsIn } from './kernel';

describe('defineKernel', () => {
  it('turns the binding and uniform records into the runner lists, in key order', () => {
    const kernel = defineKernel({
      shader: 'swiglu',
      entryPoint: 'swiglu_backward',
      bindings: { gate: 'read', up: 'read', dout: 'read', dgate: 'read_write', dup: 'read_write' },
      uniforms: { n: 'u32', alpha: 'f32' },
      constants: { WORKGROUP_SIZE: 64 },
      dispatch: (u) => grid1d(u.n, 64),
    });
    expect(kernel.bindings).toEqual([
      { name: 'gate', access: 'read' },
      { name: 'up', access: 'read' },
      { name: 'dout', access: 'read' },
      { name: 'dgate', access: 'read_write' },
      { name: 'dup', access: 'read_write' },
    ]);
    expect(kernel.uniforms).toEqual([
      { name: 'n', type: 'u32' },
      { name: 'alpha', type: 'f32' },
    ]);
    expect(kernel.dispatch({ n: 130, alpha: 1 })).toEqual([3, 1]);
    expect(kernelKey(kernel)).toBe('swiglu.swiglu_backward[WORKGROUP_SIZE=64]');
    // No uniforms record, no uniform slot; optional fields stay absent.
    const bare = defineKernel({
      shader: 's',
      entryPoint: 'e',
      bindings: { x: 'read_write' },
      dispatch: () => [1],
    });
    expect(Object.keys(bare).sort()).toEqual(['bindings', 'dispatch', 'entryPoint', 'shader']);
  });

  it('kernelFamily shares shader, uniforms and constants', () => {
    const family = kernelFamily({
      shader: 'rope',
      uniforms: { N: 'u32' },
      constants: { WORKGROUP_SIZE: 32 },
    });
    const a = family('rope_forward', { x: 'read_write' }, (u) => [u.N]);
    expect(a).toMatchObject({
      shader: 'rope',
      entryPoint: 'rope_forward',
      constants: { WORKGROUP_SIZE: 32 },
    });
    expect(a.uniforms).toEqual([{ name: 'N', type: 'u32' }]);
    expect(a.dispatch({ N: 5 })).toEqual([5]);
  });
});

describe('kernelsIn', () => {
  it('finds every kernel a module exports by its shape, and nothing else', async () => {
    const ops = await import('./ops');
    const found = kernelsIn(ops).map((k) => k.entryPoint);
    // The 32 op kernels precompiled at start-up (the list that used to be kept by hand).
    expect(found).toHaveLength(32);
    expect(new Set(found).size).toBe(32);
    for (const entry of [
      'add_forward',
      'rmsnorm_backward_weight_finish',
      'rope_backward_vec4',
      'rope_qk_forward_vec4',
      'adamw_forward',
    ])
      expect(found).toContain(entry);
    expect(kernelsIn({ NORM_CHUNK: 64, helper: () => 0, half: { shader: 'x' } })).toEqual([]);
  });
});
