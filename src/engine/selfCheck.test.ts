// The self-check's judges (no GPU needed): a plain tolerance comparison, and gradients judged against
// a float64 reference relative to the float32 CPU engine's own error. Both must be able to fail.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TINY_CONFIG } from '../model/config';
import { parameterLayout } from '../model/layout';
import { compare, compareGradients, selfCheckBatch } from './selfCheck';

describe('compare', () => {
  it('reports the worst error relative to atol + rtol |want|', () => {
    const r = compare([1, 2.001, 3], [1, 2, 3], { atol: 1e-4, rtol: 1e-3 });
    expect(r.maxAbsError).toBeCloseTo(0.001, 6);
    expect(r.ratio).toBeCloseTo(0.001 / (1e-4 + 2e-3), 3);
  });
  it('fails NaN and length mismatches', () => {
    expect(compare([Number.NaN], [1], { atol: 1, rtol: 1 }).ratio).toBeNaN();
    expect(compare([1, 2], [1], { atol: 1, rtol: 1 }).ratio).toBeNaN();
  });
});

describe('compareGradients', () => {
  const config = DEFAULT_TINY_CONFIG;
  const n = parameterLayout(config).total;
  const exact = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const cpu = Float32Array.from(exact, (x, i) => x + (i % 2 ? 1e-7 : -1e-7));

  it('passes a GPU as accurate as the CPU engine', () => {
    const gpu = Float32Array.from(exact, (x, i) => x + (i % 3 ? 3e-7 : -3e-7));
    expect(compareGradients(config, gpu, cpu, exact).ratio).toBeLessThan(1);
  });
  it('fails one wrong element far beyond float noise, and NaN', () => {
    const gpu = Float32Array.from(cpu);
    gpu[n - 5] += 0.01;
    expect(compareGradients(config, gpu, cpu, exact).ratio).toBeGreaterThan(1);
    gpu[n - 5] = Number.NaN;
    expect(compareGradients(config, gpu, cpu, exact).ratio).toBeNaN();
  });
});

describe('selfCheckBatch', () => {
  it('is ragged, padded with the pad id, and masks the prompt', () => {
    const b = selfCheckBatch(DEFAULT_TINY_CONFIG, 4, 10, 1);
    expect(Array.from(b.lengths)).toEqual([10, 9, 8, 7]);
    expect(b.tokens[1 * 10 + 9]).toBe(DEFAULT_TINY_CONFIG.pad_token_id);
    expect(b.lossMask[0]).toBe(0);
    expect(b.lossMask[2]).toBe(1);
    expect(b.lossMask[1 * 10 + 9]).toBe(0);
  });
});
