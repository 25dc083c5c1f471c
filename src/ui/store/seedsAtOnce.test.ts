// Unit tests of how many seeds of a sweep the page computes at once: 'auto' is the cores less one for
// the page on the CPU engine and 4 when the seeds share the GPU (computesOnGpu: the backend rule on the
// adapter the page found); a number chosen by the user is kept either way.
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../engine/webgpu/device';
import { computesOnGpu, type GpuStatus } from './gpuStore';
import { seedsAtOnce } from './viewSlice';

const adapter = (isSoftware: boolean): GpuStatus => ({
  state: 'ready',
  gpu: { info: { isSoftware, label: isSoftware ? 'swiftshader' : 'nvidia h100' } } as GpuContext,
});

describe('seeds at once', () => {
  it("counts cores for 'auto' on the CPU engine and fills the shared device on a GPU", () => {
    expect(seedsAtOnce('auto', 8)).toBe(7);
    expect(seedsAtOnce('auto', 2)).toBe(1);
    expect(seedsAtOnce('auto', undefined)).toBe(1);
    expect(seedsAtOnce('auto', 32)).toBe(8);
    expect(seedsAtOnce('auto', 2, true)).toBe(4);
    expect(seedsAtOnce('auto', 64, true)).toBe(4);
    expect(seedsAtOnce(2, 16, true)).toBe(2);
    expect(seedsAtOnce(4, 2)).toBe(4);
  });

  it('computes on the GPU only where the backend rule picks WebGPU on the adapter found', () => {
    expect(computesOnGpu(adapter(false), 'auto')).toBe(true);
    expect(computesOnGpu(adapter(false), 'cpu')).toBe(false);
    // 'auto' skips a software adapter; asking for webgpu uses it.
    expect(computesOnGpu(adapter(true), 'auto')).toBe(false);
    expect(computesOnGpu(adapter(true), 'webgpu')).toBe(true);
    expect(computesOnGpu({ state: 'probing' }, 'webgpu')).toBe(false);
    expect(computesOnGpu({ state: 'lost', message: 'gone' }, 'auto')).toBe(false);
    expect(computesOnGpu({ state: 'unavailable', reason: 'no-webgpu', message: '' }, 'auto')).toBe(false);
  });
});
