// Every study number that a preset text or the Learn panel quotes, recomputed from the committed run
// records (docs/study*/runs, written by scripts/study.ts): a text that drifts from its study, or a
// record that changes under a text, fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distributionOf, pairedDifferences } from './paired';
import { presetById } from './presets';
import { type Outcomes, outcomesOf, type RunRecord } from './studyRecords';

const ROOT = join(__dirname, '..', '..');

function records(study: 1 | 2, arm: string): RunRecord[] {
  const dir = join(ROOT, 'docs', study === 1 ? 'study' : 'study2', 'runs', arm);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord)
    .sort((a, b) => a.seed - b.seed);
}
const outcomes = (study: 1 | 2, arm: string, f: (o: Outcomes) => number) =>
  new Map(records(study, arm).map((r) => [r.seed, f(outcomesOf(r))]));

/** Points with the typographic minus the texts use: −1.3, +6.9. */
const points = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(100 * x).toFixed(1)}`;
const meanSe = (values: Iterable<number>) => {
  const d = distributionOf([...values]);
  return `${points(d.mean)} ± ${(100 * d.se).toFixed(1)}`;
};
const text = (id: string) => presetById(id)?.explanation ?? '';
const learnPanel = readFileSync(join(ROOT, 'src', 'ui', 'learn', 'LearnPanel.tsx'), 'utf8').replace(
  /\s+/g,
  ' ',
);

describe('study numbers quoted by presets and the Learn panel', () => {
  it('Study 2, random reward with the clip (B1): mechanism-clip', () => {
    const greedyCode = distributionOf([...outcomes(2, 'B1', (o) => o.greedyCode).values()]);
    expect(greedyCode.n).toBe(8);
    expect(greedyCode.equal).toBe(8);
    expect(text('mechanism-clip')).toContain('greedy code share unchanged in 8 of 8 seeds');
    expect(text('mechanism-clip')).toContain(
      `exact p(code) ${meanSe(outcomes(2, 'B1', (o) => o.pCode).values())} points`,
    );
    expect(text('mechanism-clip')).toContain(
      `greedy accuracy ${meanSe(outcomes(2, 'B1', (o) => o.greedyAccuracy).values())}`,
    );
    const move = distributionOf([...outcomes(2, 'B1', (o) => o.styleMove).values()]).mean;
    expect(text('mechanism-clip')).toContain(`style logit ${move.toFixed(3)} each`);
    expect(learnPanel).toContain(`moved the style logit ${move.toFixed(3)} per update`);
    // "once in 102,400": clip events at the style decision over every step of every seed.
    let events = 0;
    let tokens = 0;
    for (const r of records(2, 'B1'))
      for (const m of r.steps) {
        events += (m.styleClipHigh ?? 0) + (m.styleClipLow ?? 0);
        tokens += m.styleTokens ?? 0;
      }
    expect(events).toBe(1);
    const once = `once in ${tokens.toLocaleString('en-US')}`;
    expect(text('mechanism-clip')).toContain(once);
    expect(learnPanel).toContain(`${once} tokens`);
  });

  it('Study 2, without the clip (B2) and the paired difference: mechanism-no-clip', () => {
    const accuracy = outcomes(2, 'B2', (o) => o.greedyAccuracy);
    const d = distributionOf([...accuracy.values()]);
    expect(text('mechanism-no-clip')).toContain('code share unchanged in 8 of 8');
    expect(text('mechanism-no-clip')).toContain(
      `greedy accuracy ${meanSe(accuracy.values())} (median ${points(d.median)})`,
    );
    const paired = pairedDifferences(
      outcomes(2, 'B1', (o) => o.greedyAccuracy),
      accuracy,
    );
    expect(paired.n).toBe(8);
    const clipGain = `${points(paired.mean)} ± ${(100 * paired.se).toFixed(1)}`;
    expect(text('mechanism-no-clip')).toContain(
      `${clipGain} points on the same seeds (${paired.up} better, ${paired.down} worse)`,
    );
    expect(learnPanel).toContain(`${points(paired.mean)} points against no clip`);
  });

  it('Study 1, random reward at lr 2e-3 (A1): mechanism-large-lr', () => {
    const accuracy = distributionOf([...outcomes(1, 'A1', (o) => o.greedyAccuracy).values()]);
    const code = distributionOf([...outcomes(1, 'A1', (o) => o.greedyCode).values()]);
    expect(text('mechanism-large-lr')).toContain(
      `greedy accuracy ${meanSe(outcomes(1, 'A1', (o) => o.greedyAccuracy).values())} points`,
    );
    expect(text('mechanism-large-lr')).toContain(`${accuracy.down} of ${accuracy.n} down`);
    expect(text('mechanism-large-lr')).toContain(`code share down in ${code.down} of ${code.n} seeds`);
  });

  it('Study 1, one update per batch (A3): mechanism-on-policy', () => {
    const accuracy = distributionOf([...outcomes(1, 'A3', (o) => o.greedyAccuracy).values()]);
    expect(text('mechanism-on-policy')).toContain(
      `greedy accuracy ${meanSe(outcomes(1, 'A3', (o) => o.greedyAccuracy).values())} points (${accuracy.down} of ${accuracy.n} down)`,
    );
    expect(text('mechanism-on-policy')).toContain(
      `exact p(code) ${meanSe(outcomes(1, 'A3', (o) => o.pCode).values())}`,
    );
  });
});
