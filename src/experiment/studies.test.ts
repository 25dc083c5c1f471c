// The studies as data agree with what their calibration chose, and every arm is a valid experiment.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateExperiment } from './config/validate';
import { STUDY_BASE, STUDY_LR, STUDY1_ARMS, STUDY2_ARMS, studyArmChanges } from './studies';

const chosen = (dir: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../docs/${dir}/calibration.json`, import.meta.url), 'utf8')) as {
      chosen: number;
    }
  ).chosen;

describe('studies', () => {
  it('use the learning rate their pre-registered rule chose', () => {
    expect(STUDY_LR[1]).toBe(chosen('study'));
    expect(STUDY_LR[2]).toBe(chosen('study2'));
  });

  it('every arm is a valid experiment at its study settings', () => {
    for (const [study, arms] of [
      [1, STUDY1_ARMS],
      [2, STUDY2_ARMS],
    ] as const)
      for (const arm of arms)
        expect(validateExperiment(studyArmChanges(study, arm.id)).errors, arm.id).toEqual([]);
    expect(studyArmChanges(2, 'B2')).toMatchObject({ clipMode: 'none', lr: 2e-4, steps: 100 });
    // A10 is A1 at the paper's batch: 64 x 16 samples, still 8 updates per rollout batch, on the CPU engine
    // (docs/science.md, A10's amendment), checkpointed so it resumes.
    const a10 = validateExperiment(studyArmChanges(1, 'A10')).config;
    expect(a10).toEqual(
      validateExperiment({
        ...studyArmChanges(1, 'A1'),
        promptsPerStep: 64,
        miniBatchSize: 128,
        checkpointEvery: 10,
      }).config,
    );
    expect((a10.promptsPerStep * a10.groupSize) / a10.miniBatchSize).toBe(8);
    // The study runs every arm with STUDY_BASE's engine; A10 no longer names its own.
    expect(STUDY_BASE.backend).toBe('cpu');
    expect(STUDY1_ARMS.find((a) => a.id === 'A10')?.changes.backend).toBeUndefined();
    expect(STUDY1_ARMS.filter((a) => a.long).map((a) => a.id)).toEqual(['A10']);
  });
});
