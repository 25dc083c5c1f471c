// Unit test of the probe a page hands its training Workers (recallMatmulProbe): a recalled probe is
// what probeMatmul answers on that adapter, without timing anything; another adapter, and a variant
// this build does not know, are not answered by it.
import { describe, expect, it } from 'vitest';
import type { KernelRunner } from './kernel';
import { MATMUL_VARIANTS, type MatmulProbe, probeMatmul, recallMatmulProbe } from './matmul';

/** A runner that fails the test if the probe tries to measure on it. */
function runnerOn(adapterLabel: string): KernelRunner {
  return new Proxy({ adapterLabel } as KernelRunner, {
    get: (target, key) => {
      if (key === 'adapterLabel' || key === 'then') return target[key as keyof KernelRunner];
      throw new Error(`the probe measured (runner.${String(key)})`);
    },
  });
}

describe('recallMatmulProbe', () => {
  it('makes probeMatmul answer the recalled probe on its adapter only', async () => {
    const probe: MatmulProbe = { variant: MATMUL_VARIANTS[1], msPerRun: { x: 1 }, adapter: 'recalled gpu' };
    recallMatmulProbe(probe);
    expect(await probeMatmul(runnerOn('recalled gpu'))).toEqual(probe);
    await expect(probeMatmul(runnerOn('another gpu'))).rejects.toThrow(/the probe measured/);
  });

  it('ignores a variant this build does not have', async () => {
    const unknown = {
      variant: { kind: 'warp9' },
      msPerRun: {},
      adapter: 'old gpu',
    } as unknown as MatmulProbe;
    recallMatmulProbe(unknown);
    await expect(probeMatmul(runnerOn('old gpu'))).rejects.toThrow(/the probe measured/);
  });
});
