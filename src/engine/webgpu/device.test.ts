// Unit tests for device acquisition error paths and adapter summaries, with fake GPU objects.
import { describe, expect, it } from 'vitest';
import { acquireGpu, summariseAdapter, WebGpuUnavailableError } from './device';
import { shaderSource } from './shaders';

const fakeAdapter = (info: Partial<GPUAdapterInfo>, fallback = false) =>
  ({ info, isFallbackAdapter: fallback, features: new Set(), limits: {} }) as unknown as GPUAdapter;

describe('acquireGpu', () => {
  it('explains a missing navigator.gpu', async () => {
    await expect(acquireGpu(undefined)).rejects.toMatchObject({ reason: 'no-webgpu' });
    await expect(acquireGpu(undefined)).rejects.toBeInstanceOf(WebGpuUnavailableError);
  });
  it('explains a null adapter', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    await expect(acquireGpu(gpu)).rejects.toMatchObject({ reason: 'no-adapter' });
  });
  it('wraps a throwing requestAdapter', async () => {
    const gpu = {
      requestAdapter: async () => {
        throw new Error('blocked');
      },
    } as unknown as GPU;
    await expect(acquireGpu(gpu)).rejects.toThrow(/blocked/);
  });
});

describe('summariseAdapter', () => {
  it('flags SwiftShader as software', () => {
    const s = summariseAdapter(fakeAdapter({ vendor: 'google', architecture: 'swiftshader' }));
    expect(s.isSoftware).toBe(true);
    expect(s.label).toBe('google swiftshader (software)');
  });
  it('keeps real GPUs as hardware', () => {
    const s = summariseAdapter(fakeAdapter({ vendor: 'nvidia', architecture: 'hopper' }));
    expect(s.isSoftware).toBe(false);
    expect(s.label).toBe('nvidia hopper');
  });
});

describe('shaderSource', () => {
  it('serves bundled WGSL and rejects unknown names clearly', () => {
    expect(shaderSource('elementwise')).toContain('fn add_forward');
    expect(() => shaderSource('no_such_shader')).toThrow(/no_such_shader/);
  });
});
