// Tests of AdamW: two steps against numbers computed by hand (written out below), clipping, weight
// decay, the non-finite guard and config errors.
import { describe, expect, it } from 'vitest';
import type { AdamWConfig } from '../backend';
import { adamwStep, globalGradNorm } from './adamw';

const base: AdamWConfig = {
  lr: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: Infinity,
};

describe('adamwStep', () => {
  it('matches a hand-computed first and second step', () => {
    const params = Float64Array.from([1, -2]);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    // Step 1, g = (0.5, -1): m = 0.1 g, v = 0.05 g², mhat = g, vhat = g², update = lr * sign(g).
    adamwStep(params, Float64Array.from([0.5, -1]), m, v, 1, base);
    expect(params[0]).toBeCloseTo(0.9, 6);
    expect(params[1]).toBeCloseTo(-1.9, 6);
    expect(m[0]).toBeCloseTo(0.05, 12);
    expect(v[1]).toBeCloseTo(0.05, 12);
    // Step 2, g = (0.5, 3):
    //  p0: m = 0.9*0.05 + 0.1*0.5 = 0.095, mhat = 0.095/0.19 = 0.5
    //      v = 0.95*0.0125 + 0.05*0.25 = 0.024375, vhat = 0.024375/0.0975 = 0.25 -> update 0.1*0.5/0.5 = 0.1
    //  p1: m = 0.9*(-0.1) + 0.1*3 = 0.21, mhat = 0.21/0.19 = 1.1052632
    //      v = 0.95*0.05 + 0.05*9 = 0.4975, vhat = 0.4975/0.0975 = 5.1025641, sqrt = 2.2588856
    //      update = 0.1 * 1.1052632 / 2.2588856 = 0.0489294
    adamwStep(params, Float64Array.from([0.5, 3]), m, v, 2, base);
    expect(params[0]).toBeCloseTo(0.8, 6);
    expect(params[1]).toBeCloseTo(-1.9 - 0.0489294, 6);
  });

  it('applies decoupled weight decay before the Adam update', () => {
    const params = Float64Array.from([2]);
    adamwStep(params, Float64Array.from([0]), new Float64Array(1), new Float64Array(1), 1, {
      ...base,
      weightDecay: 0.5,
    });
    // Zero gradient: only decay acts, p = 2 * (1 - 0.1*0.5) = 1.9.
    expect(params[0]).toBeCloseTo(1.9, 12);
  });

  it('clips by the global norm and returns the pre-clip norm', () => {
    const grads = Float64Array.from([3, 4]); // norm 5
    expect(globalGradNorm(grads)).toBe(5);
    const m = new Float64Array(2);
    const { gradNorm } = adamwStep(new Float64Array(2), grads, m, new Float64Array(2), 1, {
      ...base,
      maxGradNorm: 1,
    });
    expect(gradNorm).toBe(5);
    // m = (1 - beta1) * g * (1/5)
    expect(m[0]).toBeCloseTo(0.1 * 0.6, 12);
    expect(m[1]).toBeCloseTo(0.1 * 0.8, 12);
    // Below the threshold nothing is scaled.
    const m2 = new Float64Array(2);
    adamwStep(new Float64Array(2), grads, m2, new Float64Array(2), 1, { ...base, maxGradNorm: 10 });
    expect(m2[0]).toBeCloseTo(0.3, 12);
  });

  it('leaves everything untouched on non-finite gradients', () => {
    const params = Float64Array.from([1, 2]);
    const m = Float64Array.from([0.1, 0.2]);
    const { gradNorm } = adamwStep(
      params,
      Float64Array.from([Number.NaN, 1]),
      m,
      new Float64Array(2),
      1,
      base,
    );
    expect(gradNorm).toBeNaN();
    expect(Array.from(params)).toEqual([1, 2]);
    expect(Array.from(m)).toEqual([0.1, 0.2]);
  });

  it('rejects bad configs, steps and lengths with specific errors', () => {
    const a = new Float64Array(2);
    expect(() => adamwStep(a, a, a, a, 1, { ...base, beta2: 1 })).toThrow(/beta2 must be in \[0, 1\)/);
    expect(() => adamwStep(a, a, a, a, 0, base)).toThrow(/step must be an integer >= 1/);
    expect(() => adamwStep(a, new Float64Array(3), a, a, 1, base)).toThrow(/grads 3/);
  });
});
