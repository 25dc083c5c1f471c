// Tests of the presets: every preset is a valid experiment, round-trips through its URL, and the
// mechanism presets differ in exactly the knob they are about.
import { describe, expect, it } from 'vitest';
import { updatesPerRolloutBatch } from './config/derived';
import { validateExperiment } from './config/validate';
import { PRESET_GROUPS, PRESETS, presetById, presetExperiment, presetHash } from './presets';
import { studyArmChanges } from './studies';
import { parseExperimentHash } from './url';

describe('presets', () => {
  it('have unique ids, known groups and validate without errors', () => {
    expect(new Set(PRESETS.map((p) => p.id)).size).toBe(PRESETS.length);
    for (const preset of PRESETS) {
      expect(Object.keys(PRESET_GROUPS)).toContain(preset.group);
      expect(preset.id).toMatch(/^[a-z0-9-]+$/);
      expect(presetExperiment(preset).errors, preset.id).toEqual([]);
    }
  });

  it('round-trip through their URL', () => {
    for (const preset of PRESETS) {
      const parsed = parseExperimentHash(presetHash(preset));
      expect(parsed.errors).toEqual([]);
      expect(parsed.config).toEqual(presetExperiment(preset).config);
    }
  });

  it('cover the six Figure 1 rewards on qwen-math-tiny and random on all three families', () => {
    const fig1 = PRESETS.filter((p) => p.group === 'figure1').map((p) => presetExperiment(p).config);
    expect(fig1.map((c) => c.reward).sort()).toEqual(
      ['format', 'ground_truth', 'incorrect', 'majority_vote', 'one_shot', 'random'].sort(),
    );
    expect(fig1.every((c) => c.model === 'qwen-math-tiny')).toBe(true);
    const families = PRESETS.filter((p) => p.group === 'models' && p.changes.reward === 'random').map(
      (p) => presetExperiment(p).config.model,
    );
    expect(families.sort()).toEqual(['llama-tiny', 'olmo-sft-tiny', 'qwen-math-tiny']);
  });

  it('mechanism presets: clip vs none differ only in clipMode; on-policy has one update per batch', () => {
    const clip = presetExperiment(presetById('mechanism-clip')!).config;
    const none = presetExperiment(presetById('mechanism-no-clip')!).config;
    const onPolicy = presetExperiment(presetById('mechanism-on-policy')!).config;
    expect({ ...none, clipMode: 'clip' }).toEqual(clip);
    expect(updatesPerRolloutBatch(clip)).toBeGreaterThan(1);
    expect(updatesPerRolloutBatch(onPolicy)).toBe(1);
    expect(clip.seeds).toBeGreaterThan(1);
  });

  it('mechanism presets are the studies’ arms (the settings their texts quote), with 4 seeds', () => {
    const arm = (study: 1 | 2, id: string) =>
      validateExperiment({ ...studyArmChanges(study, id), seeds: 4 }).config;
    expect(presetExperiment(presetById('mechanism-clip')!).config).toEqual(arm(2, 'B1'));
    expect(presetExperiment(presetById('mechanism-no-clip')!).config).toEqual(arm(2, 'B2'));
    expect(presetExperiment(presetById('mechanism-large-lr')!).config).toEqual(arm(1, 'A1'));
    expect(presetExperiment(presetById('mechanism-clip-higher')!).config).toEqual(arm(1, 'A5'));
  });

  it('gamma sweep spans the paper values including the zero control', () => {
    const gammas = PRESETS.filter((p) => p.group === 'gamma').map((p) => presetExperiment(p).config.gamma);
    expect(gammas).toEqual([0, 0.001, 0.3, 0.5, 0.7]);
    expect(presetById('gamma-0p001')).toBeDefined();
  });
});
