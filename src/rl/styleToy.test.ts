// The Learn panel's toy against the simulation the study was planned from (issue text, 40 paired
// seeds): each arm's 40-seed mean and median of the final greedy code share lie within the spread of
// this implementation's 40-seed summaries (10 independent batches of 40 seeds), the ordering of the
// arms holds, and at a small learning rate nothing moves.
import { describe, expect, it } from 'vitest';
import { runStyleToy, runStyleToySeeds, STYLE_TOY_DEFAULTS, type StyleToySettings } from './styleToy';

/** Mean and sample std of the 40-seed mean and median over `batches` disjoint batches of seeds. */
function spread(settings: StyleToySettings, batches = 10) {
  const means: number[] = [];
  const medians: number[] = [];
  let up = 0;
  for (let b = 0; b < batches; b++) {
    const r = runStyleToySeeds(settings, 40, 1 + 40 * b);
    means.push(r.meanEnd);
    medians.push(r.medianEnd);
    up += r.up;
  }
  const avg = (x: number[]) => x.reduce((a, v) => a + v, 0) / x.length;
  const sd = (x: number[]) => Math.sqrt(x.reduce((a, v) => a + (v - avg(x)) ** 2, 0) / (x.length - 1));
  return {
    mean: avg(means),
    meanSd: sd(means),
    median: avg(medians),
    medianSd: sd(medians),
    upShare: up / (40 * batches),
  };
}

describe('style toy (the mechanism without a language model)', () => {
  it('starts at the population greedy share 0.65 and mean p(code) 0.6', () => {
    const run = runStyleToy({ ...STYLE_TOY_DEFAULTS, steps: 0 }, 1);
    expect(run.greedyCodeShareStart).toBeCloseTo(0.65, 12);
    expect(run.meanPCodeStart).toBeCloseTo(0.45 * 0.9 + 0.2 * 0.65 + 0.2 * 0.35 + 0.15 * 0.1, 12);
  });

  // [arm, settings, the planning simulation's 40-seed mean and median]
  const arms: [string, Partial<StyleToySettings>, number, number][] = [
    ['clip eps 0.2', {}, 0.69, 0.78],
    ['eps_high 0.1', { epsHigh: 0.1 }, 0.86, 0.98],
    ['no clip', { clip: false }, 0.57, 0.61],
    ['one update per batch', { updatesPerBatch: 1 }, 0.66, 0.66],
  ];
  const measured = new Map<string, ReturnType<typeof spread>>();

  it.each(arms)(
    '%s: the planning figures lie within the spread of 40-seed summaries',
    (name, patch, mean, med) => {
      const s = spread({ ...STYLE_TOY_DEFAULTS, ...patch });
      measured.set(name, s);
      // 2.5 standard deviations of a 40-seed summary (measured here: 0.04-0.10).
      expect(Math.abs(s.mean - mean)).toBeLessThan(2.5 * s.meanSd);
      expect(Math.abs(s.median - med)).toBeLessThan(2.5 * s.medianSd);
    },
  );

  it('orders the arms as the argument says: tighter eps_high > clip > no clip, one update stays put', () => {
    const get = (name: string) => measured.get(name) ?? spread({ ...STYLE_TOY_DEFAULTS });
    expect(get('eps_high 0.1').median).toBeGreaterThan(get('clip eps 0.2').median + 0.1);
    expect(get('eps_high 0.1').upShare).toBeGreaterThan(0.7);
    expect(get('clip eps 0.2').mean).toBeGreaterThan(get('no clip').mean + 0.03);
    expect(Math.abs(get('one update per batch').median - 0.65)).toBeLessThan(0.05);
  });

  it('at lr 0.03 no arm moves the median greedy share', () => {
    for (const patch of [{}, { clip: false }, { epsHigh: 0.1 }]) {
      const r = runStyleToySeeds({ ...STYLE_TOY_DEFAULTS, ...patch, lr: 0.03 }, 40);
      expect(Math.abs(r.medianEnd - 0.65)).toBeLessThanOrEqual(0.05);
    }
  });
});
