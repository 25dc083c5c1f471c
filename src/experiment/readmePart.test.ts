// Keeps the user-facing notes (docs/experiments-rewards-export.md) in step with the code:
// every URL key with its default, every reward and every preset must appear there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BASE_REWARD_NAMES } from '../rl/rewards';
import { formatFieldValue } from './config/display';
import { FIELD_SPECS } from './config/fields';
import { PRESETS, presetHash } from './presets';

const doc = readFileSync(new URL('../../docs/experiments-rewards-export.md', import.meta.url), 'utf8');

describe('experiments readme part', () => {
  it('lists every URL key with its field and current default', () => {
    for (const spec of FIELD_SPECS) {
      expect(doc, spec.urlKey).toContain(
        `| \`${spec.urlKey}\` | ${spec.key} | ${formatFieldValue(spec, spec.default)} |`,
      );
    }
  });

  it('lists every reward and every preset with its current link', () => {
    for (const name of BASE_REWARD_NAMES) expect(doc).toContain(`| \`${name}\` |`);
    for (const preset of PRESETS)
      expect(doc).toContain(`| \`${preset.id}\` | ${preset.title} | \`#${presetHash(preset)}\` |`);
  });
});
