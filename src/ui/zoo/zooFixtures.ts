// Test helpers for the zoo builder's page side (userZoo.test.ts, buildController.test.ts): a valid
// family spec and a progress checkpoint with typed arrays, as the build worker posts one.
import { FAMILY_PRESETS } from '../../tasks/corpus';
import type { BuildProgress, FamilySpec } from '../../tasks/familyBuild';

/** A small valid spec started from llama-tiny, named 'my-family'. */
export const testFamilySpec: FamilySpec = {
  name: 'my-family',
  basedOn: 'llama-tiny',
  knobs: FAMILY_PRESETS['llama-tiny'].knobs,
  steps: 10,
  seed: 3,
  batchSize: 8,
  peakLr: 3e-3,
  evalProblems: 5,
  evalSamples: 1,
};

/** The progress checkpoint of a build of `totalSteps` at `step` (its numbers derived from the step). */
export const testBuildProgress = (step: number, totalSteps = 10): BuildProgress => ({
  step,
  params: new Float32Array([1, 2, step]),
  optimizer: { step, m: new Float32Array([0.5]), v: new Float32Array([0.25]) },
  processedTokens: 100 * step,
  responseTokens: 50 * step,
  lossEma: 2.5,
  sessions: [{ startedAt: 'now', fromStep: 0, toStep: step, totalSteps, seconds: 1 }],
  engine: 'cpu',
});
