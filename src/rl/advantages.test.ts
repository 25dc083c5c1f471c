// Advantage modes against hand-computed values.
import { describe, expect, it } from 'vitest';
import { groupAdvantages } from './advantages';

describe('groupAdvantages', () => {
  const rewards = [1, 0, 0, 1, /* group 2: all equal */ 1, 1, 1, 1];

  it('group scaling: (r - mean) / (sample std + eps)', () => {
    const { advantages, zeroStdGroupShare } = groupAdvantages(rewards, 4, 'group');
    const std = Math.sqrt((4 * 0.25) / 3); // sample std of [1,0,0,1]
    expect(advantages[0]).toBeCloseTo(0.5 / (std + 1e-6), 5);
    expect(advantages[1]).toBeCloseTo(-0.5 / (std + 1e-6), 5);
    expect([...advantages.slice(4)]).toEqual([0, 0, 0, 0]);
    expect(zeroStdGroupShare).toBe(0.5);
  });

  it('none scaling (Dr. GRPO) only centres', () => {
    const { advantages } = groupAdvantages(rewards, 4, 'none');
    expect([...advantages]).toEqual([0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0]);
  });

  it('batch scaling divides by the std of the whole batch', () => {
    const { advantages } = groupAdvantages(rewards, 4, 'batch');
    const m = 6 / 8;
    const std = Math.sqrt(rewards.reduce((s, r) => s + (r - m) ** 2, 0) / 7);
    expect(advantages[0]).toBeCloseTo(0.5 / (std + 1e-6), 5);
  });

  it('rloo: each reward minus the mean of the other rewards of its group, no std', () => {
    const r = [0.2, 1, 0, 0.7, /* group 2 */ 3, 3, 1];
    const { advantages } = groupAdvantages(r.slice(0, 4), 4, 'rloo');
    r.slice(0, 4).forEach((ri, i) => {
      const others = r.slice(0, 4).filter((_, j) => j !== i);
      expect(advantages[i]).toBeCloseTo(ri - others.reduce((a, b) => a + b, 0) / others.length, 6);
    });
    // A group of one has nobody to compare with.
    expect([...groupAdvantages([5, 2], 1, 'rloo').advantages]).toEqual([0, 0]);
    // Differs from plain centring by G/(G-1), not by a std.
    const none = groupAdvantages(rewards, 4, 'none').advantages;
    const rloo = groupAdvantages(rewards, 4, 'rloo').advantages;
    for (let i = 0; i < 8; i++) expect(rloo[i]).toBeCloseTo((none[i] * 4) / 3, 6);
  });

  it('advantages of every group sum to zero', () => {
    const r = Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.3));
    const { advantages } = groupAdvantages(r, 16, 'group');
    for (let g = 0; g < 4; g++) {
      const s = advantages.slice(g * 16, g * 16 + 16).reduce((a, b) => a + b, 0);
      expect(Math.abs(s)).toBeLessThan(1e-5);
    }
  });

  it('rejects ragged groups', () => {
    expect(() => groupAdvantages([1, 2, 3], 2, 'group')).toThrow(/groups of 2/);
  });
});
