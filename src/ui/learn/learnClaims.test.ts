// Every study number the Learn panel quotes, recomputed from the committed run records (the presets'
// quotes are checked in src/experiment/studyClaims.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distributionOf, pairedDifferences } from '../../experiment/paired';
import {
  committedStyleClips,
  committedOutcomes as outcomes,
  quotePoints as points,
} from '../../experiment/studyRecordFiles';

const panel = readFileSync(join(__dirname, 'LearnPanel.tsx'), 'utf8').replace(/\s+/g, ' ');

describe('study numbers quoted by the Learn panel', () => {
  it('Study 2: the style logit move, the clip at the style decision, the clip protecting accuracy', () => {
    const move = distributionOf([...outcomes(2, 'B1', (o) => o.styleMove).values()]).mean;
    expect(panel).toContain(`moved the style logit ${move.toFixed(3)} per update`);
    const { events, tokens } = committedStyleClips(2, 'B1');
    expect(events).toBe(1);
    expect(panel).toContain(`once in ${tokens.toLocaleString('en-US')} tokens`);
    const paired = pairedDifferences(
      outcomes(2, 'B1', (o) => o.greedyAccuracy),
      outcomes(2, 'B2', (o) => o.greedyAccuracy),
    );
    expect(panel).toContain(`${points(paired.mean)} points against no clip`);
  });
});
