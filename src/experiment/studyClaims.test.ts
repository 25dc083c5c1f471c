// Every study number a preset text quotes, recomputed from the committed run records (docs/study*/runs,
// written by scripts/study.ts): a text that drifts from its study, or a record that changes under a
// text, fails here. The Learn panel's quotes are checked in src/ui/learn/learnClaims.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distributionOf, pairedDifferences } from './paired';
import { presetById, presetExperiment } from './presets';
import {
  committedStyleClips,
  quoteMeanSe as meanSe,
  committedOutcomes as outcomes,
  quotePoints as points,
  committedRecords as records,
} from './studyRecordFiles';

const text = (id: string) => presetById(id)?.explanation ?? '';

describe('study numbers quoted by presets', () => {
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
    // "once in 102,400": clip events at the style decision over every step of every seed.
    const { events, tokens } = committedStyleClips(2, 'B1');
    expect(events).toBe(1);
    const once = `once in ${tokens.toLocaleString('en-US')}`;
    expect(text('mechanism-clip')).toContain(once);
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
  });

  it('Study 1, random reward at lr 2e-3 (A1): mechanism-large-lr', () => {
    const accuracy = distributionOf([...outcomes(1, 'A1', (o) => o.greedyAccuracy).values()]);
    const code = distributionOf([...outcomes(1, 'A1', (o) => o.greedyCode).values()]);
    expect(text('mechanism-large-lr')).toContain(
      `greedy accuracy ${meanSe(outcomes(1, 'A1', (o) => o.greedyAccuracy).values())} points`,
    );
    expect(text('mechanism-large-lr')).toContain(`${accuracy.down} of ${accuracy.n} down`);
    expect(text('mechanism-large-lr')).toContain(`code share down in ${code.down} of ${code.n} seeds`);
    // "(66% → 0-10%, …)": every seed starts at 66% and ends between 0 and 10%.
    const ends = records(1, 'A1').map((r) => {
      const evals = [...r.evals].sort((x, y) => x.step - y.step);
      return [evals[0].greedyAccuracy, evals[evals.length - 1].greedyAccuracy];
    });
    expect(new Set(ends.map(([start]) => Math.round(100 * start)))).toEqual(new Set([66]));
    expect(Math.min(...ends.map(([, end]) => end))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ends.map(([, end]) => end))).toBeLessThanOrEqual(0.1);
    expect(text('mechanism-large-lr')).toContain('66% → 0-10%');
    // "where updates move the style logit ~0.1": the calibration's move at the chosen lr.
    const calibration = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'docs', 'study', 'calibration.json'), 'utf8'),
    ) as { chosen: number; grid: { lr: number; styleLogitMovePerUpdate: number }[] };
    const move = calibration.grid.find((g) => g.lr === calibration.chosen)?.styleLogitMovePerUpdate ?? 0;
    expect(text('mechanism-large-lr')).toContain(
      `moved the style logit ${move.toFixed(2)} in the study’s 5-step calibration`,
    );
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

  it('Study 1, asymmetric clips (A5, A4) against the symmetric one (A1): mechanism-clip-higher', () => {
    const accuracy = distributionOf([...outcomes(1, 'A5', (o) => o.greedyAccuracy).values()]);
    const t = text('mechanism-clip-higher');
    expect(t).toContain(
      `greedy accuracy ${meanSe(outcomes(1, 'A5', (o) => o.greedyAccuracy).values())} points, ${accuracy.down} of ${accuracy.n} down`,
    );
    const code = distributionOf([...outcomes(1, 'A5', (o) => o.greedyCode).values()]);
    expect(t).toContain(
      `greedy code share falls in ${code.down} of ${code.n} seeds (${meanSe(outcomes(1, 'A5', (o) => o.greedyCode).values())})`,
    );
    expect(t).toContain(
      `p(code) at the style decision falls less on average: ${meanSe(outcomes(1, 'A5', (o) => o.pCode).values())} points`,
    );
    const paired = (arm: string) =>
      pairedDifferences(
        outcomes(1, arm, (o) => o.pCode),
        outcomes(1, 'A1', (o) => o.pCode),
      );
    const a5 = paired('A5');
    expect(a5.n).toBe(8);
    expect(t).toContain(
      `${points(a5.mean)} ± ${(100 * a5.se).toFixed(1)} above the symmetric clip on the same seeds (${a5.up} of ${a5.n} seeds higher)`,
    );
    const a4 = paired('A4');
    expect(a4.n).toBe(8);
    expect(t).toContain(
      `(ε_high 0.28) held it about as well: ${points(a4.mean)} ± ${(100 * a4.se).toFixed(1)}`,
    );
  });

  it('Study 1 at the paper’s batch (A10): mechanism-paper-batch', () => {
    const t = text('mechanism-paper-batch');
    const accuracy = outcomes(1, 'A10', (o) => o.greedyAccuracy);
    const accuracyD = distributionOf([...accuracy.values()]);
    expect(accuracyD.n).toBe(8);
    expect(t).toContain(
      `greedy accuracy ${meanSe(accuracy.values())} points, ${accuracyD.down} of ${accuracyD.n} down`,
    );
    const code = outcomes(1, 'A10', (o) => o.greedyCode);
    const codeD = distributionOf([...code.values()]);
    expect(t).toContain(
      `greedy code share rose in ${codeD.up} of ${codeD.n} seeds and fell in ${codeD.down} (${meanSe(code.values())}, median ${points(codeD.median)})`,
    );
    // "short of the 6 of 8 the study required": H6's rule, not met.
    expect(codeD.up).toBeLessThan(6);
    const pCode = outcomes(1, 'A10', (o) => o.pCode);
    const pCodeD = distributionOf([...pCode.values()]);
    expect(t).toContain(`exact p(code) rose in ${pCodeD.up} of ${pCodeD.n} (${meanSe(pCode.values())})`);
    const config = presetExperiment(presetById('mechanism-paper-batch')!).config;
    expect([config.promptsPerStep, config.groupSize, config.miniBatchSize, config.steps]).toEqual([
      64, 16, 128, 100,
    ]);
  });

  it('Study 1 on llama-tiny (A8): random-llama', () => {
    const t = text('random-llama');
    const code = distributionOf([...outcomes(1, 'A8', (o) => o.greedyCode).values()]);
    const accuracy = distributionOf([...outcomes(1, 'A8', (o) => o.greedyAccuracy).values()]);
    // "stayed 0": no greedy answer used code, before or after, in any seed.
    for (const r of records(1, 'A8')) for (const e of r.evals) expect(e.codeFrequency).toBe(0);
    expect(t).toContain(`code share stayed 0 in ${code.equal} of ${code.n} seeds`);
    expect(t).toContain(
      `greedy accuracy ${meanSe(outcomes(1, 'A8', (o) => o.greedyAccuracy).values())} points (${accuracy.down} of ${accuracy.n} down)`,
    );
    const config = presetExperiment(presetById('random-llama')!).config;
    expect(t).toContain(`(lr ${config.lr.toExponential()}, ${config.steps} steps)`);
  });

  it('Study 1 on olmo-sft-tiny (A9): random-olmo-sft', () => {
    const t = text('random-olmo-sft');
    const accuracy = outcomes(1, 'A9', (o) => o.greedyAccuracy);
    const ends = records(1, 'A9').map((r) => [...r.evals].sort((a, b) => b.step - a.step)[0].greedyAccuracy);
    expect(ends.every((a) => a === 0)).toBe(true);
    expect(t).toContain(
      `accuracy fell to 0 in ${ends.length} of ${ends.length} seeds (${meanSe(accuracy.values())} points)`,
    );
    const code = distributionOf([...outcomes(1, 'A9', (o) => o.greedyCode).values()]);
    const toZero = records(1, 'A9').filter(
      (r) => [...r.evals].sort((a, b) => b.step - a.step)[0].codeFrequency === 0,
    ).length;
    expect(t).toContain(
      `greedy code share fell in ${code.down} of ${code.n} (${meanSe(outcomes(1, 'A9', (o) => o.greedyCode).values())}; to 0 in ${toZero})`,
    );
    const config = presetExperiment(presetById('random-olmo-sft')!).config;
    expect(t).toContain(`(lr ${config.lr.toExponential()}, ${config.steps} steps)`);
  });
});
