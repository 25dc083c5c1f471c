// Unit tests of the clip band: the paper's example (pi_old = 0.85, eps = 0.2) has an unreachable upper
// bound 1.02; an unlikely token's band is reachable on both sides; the threshold is 1/(1+eps).
import { describe, expect, it } from 'vitest';
import { clipBand, describeClipBand } from './clipBand';

describe('clipBand', () => {
  it("reproduces the paper's example: pi_old 0.85 can only be stopped going down", () => {
    const band = clipBand(0.85, 0.2);
    expect(band.lower).toBeCloseTo(0.68);
    expect(band.upper).toBeCloseTo(1.02);
    expect(band.upperReachable).toBe(false);
    expect(describeClipBand(band)).toMatch(/1\.02 is above 1 and can never be reached/);
    expect(describeClipBand(band)).toMatch(/DOWN/);
  });

  it('an unlikely token is capped both ways, and the threshold is 1/(1+eps)', () => {
    const band = clipBand(0.3, 0.2);
    expect(band.upperReachable).toBe(true);
    expect(band.upper).toBeCloseTo(0.36);
    expect(band.threshold).toBeCloseTo(1 / 1.2);
    expect(clipBand(0.83, 0.2).upperReachable).toBe(true);
    expect(clipBand(0.84, 0.2).upperReachable).toBe(false);
  });

  it('clamps nonsense inputs instead of producing NaN', () => {
    const band = clipBand(Number.NaN, 5);
    expect(band.piOld).toBe(0);
    expect(band.eps).toBe(1);
    expect(Number.isFinite(band.upper)).toBe(true);
  });
});
