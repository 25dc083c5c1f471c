// The one backend rule, for every choice and adapter: 'auto' skips a software adapter and a missing
// one (with a notice saying why), 'webgpu' insists, 'cpu' never asks for a GPU.
import { describe, expect, it } from 'vitest';
import { decideBackend } from './backendRule';
import { chooseBackend } from './chooseBackend';

const hardware = { isSoftware: false, label: 'nvidia h100' };
const software = { isSoftware: true, label: 'google swiftshader (software)' };

describe('decideBackend', () => {
  it('picks WebGPU only on a hardware adapter under auto, and as asked under webgpu', () => {
    expect(decideBackend('auto', hardware)).toEqual({ use: 'webgpu', notice: null });
    expect(decideBackend('auto', software).use).toBe('cpu');
    expect(decideBackend('auto', software).notice).toMatch(
      /swiftshader.*software renderer.*Set Backend to webgpu/,
    );
    expect(decideBackend('webgpu', software)).toEqual({ use: 'webgpu', notice: null });
    expect(decideBackend('cpu', hardware)).toEqual({ use: 'cpu', notice: null });
  });

  it('falls back without an adapter under auto, refuses under webgpu', () => {
    expect(decideBackend('auto', null, 'blocklisted').notice).toMatch(/not available \(blocklisted\)/);
    expect(() => decideBackend('webgpu', null, 'blocklisted')).toThrow(/asks for WebGPU.*blocklisted/);
  });
});

describe('chooseBackend', () => {
  it("'cpu' never acquires a GPU; a failed acquire under auto is the CPU engine with the reason", async () => {
    let asked = 0;
    const cpu = await chooseBackend('cpu', async () => {
      asked++;
      throw new Error('unused');
    });
    expect(cpu.backend.kind).toBe('cpu');
    expect(asked).toBe(0);
    const fallback = await chooseBackend('auto', async () => {
      throw new Error('no adapter here');
    });
    expect(fallback.backend.kind).toBe('cpu');
    expect(fallback.notice).toMatch(/no adapter here/);
    await expect(
      chooseBackend('webgpu', async () => {
        throw new Error('no adapter here');
      }),
    ).rejects.toThrow(/no adapter here/);
  });

  it('releases an unused context of its own, never a shared one (other runs compute on it)', async () => {
    const context = () => {
      const ctx = { info: software, destroyed: 0, device: { destroy: () => ctx.destroyed++ } };
      return ctx;
    };
    const own = context();
    expect((await chooseBackend('auto', async () => own as never)).backend.kind).toBe('cpu');
    expect(own.destroyed).toBe(1);
    const shared = context();
    expect((await chooseBackend('auto', async () => shared as never, {}, true)).backend.kind).toBe('cpu');
    expect(shared.destroyed).toBe(0);
  });
});
