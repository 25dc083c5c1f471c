// Paired seed analysis against hand computations: per-seed differences, mean ± SE, median, seeds up /
// down / unchanged, unpaired seeds left out, non-finite values ignored.
import { describe, expect, it } from 'vitest';
import { distributionOf, formatDistribution, median, pairedDifferences } from './paired';

describe('paired analysis', () => {
  it('summarises values by mean, standard error, median and direction', () => {
    const d = distributionOf([0.1, -0.05, 0.2, 0, Number.NaN]);
    expect(d.n).toBe(4);
    expect(d.mean).toBeCloseTo(0.0625, 12);
    const sd = Math.sqrt(
      ((0.1 - 0.0625) ** 2 + (-0.05 - 0.0625) ** 2 + (0.2 - 0.0625) ** 2 + 0.0625 ** 2) / 3,
    );
    expect(d.se).toBeCloseTo(sd / 2, 12);
    expect(d.median).toBeCloseTo(0.05, 12);
    expect([d.up, d.down, d.equal]).toEqual([2, 1, 1]);
    expect(median([3, 1, 2])).toBe(2);
    expect(distributionOf([1]).se).toBeNaN();
  });

  it('pairs arms by seed: differences a - b on shared seeds only', () => {
    const a = new Map([
      [1, 0.7],
      [2, 0.6],
      [3, 0.5],
      [5, 0.9],
    ]);
    const b = new Map([
      [1, 0.6],
      [2, 0.65],
      [3, 0.5],
      [4, 0.1],
    ]);
    const p = pairedDifferences(a, b);
    expect(p.seeds).toEqual([1, 2, 3]);
    expect(p.differences.map((x) => Math.round(x * 100) / 100)).toEqual([0.1, -0.05, 0]);
    expect(p.unpaired).toEqual([4, 5]);
    expect([p.up, p.down, p.equal]).toEqual([1, 1, 1]);
    expect(formatDistribution(p)).toBe('+1.7 ± 4.4 (median +0.0; 1 up, 1 down, 1 unchanged of 3)');
  });
});
