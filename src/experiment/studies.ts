// The pre-registered studies of docs/science.md as data: the protocol every arm shares, each study's arms
// and the learning rate its rule chose (docs/study*/calibration.json, checked by a test). The study
// runner (scripts/study.ts) runs them; the mechanism presets are these arms, so a preset's text can
// quote the study's numbers for exactly its settings.
import type { ExperimentConfig } from './config/schema';

/** Settings every arm shares (docs/science.md, Study 1, "Protocol"). */
export const STUDY_BASE: Partial<ExperimentConfig> = {
  model: 'qwen-math-tiny',
  reward: 'random',
  gamma: 0.5,
  promptsPerStep: 8,
  groupSize: 16,
  miniBatchSize: 16,
  ppoEpochs: 1,
  temperature: 1,
  maxNewTokens: 128,
  clipMode: 'clip',
  epsLow: 0.2,
  epsHigh: 0.2,
  stdScaling: 'group',
  steps: 100,
  evalEvery: 50,
  evalSize: 200,
  evalK: 2,
  evalTemperature: 1,
  checkpointEvery: 0,
  backend: 'cpu',
};

export interface StudyArm {
  id: string;
  label: string;
  changes: Partial<ExperimentConfig>;
  /** Takes hours (A10: about 40 min per run on one core): `study.ts run` skips it unless `--arms` names it. */
  long?: true;
}

/** Study 1's arms, in the order they run (the primary comparison first). */
export const STUDY1_ARMS: StudyArm[] = [
  { id: 'A1', label: 'random(0.5), clip eps 0.2', changes: {} },
  { id: 'A2', label: 'random(0.5), no clip', changes: { clipMode: 'none' } },
  { id: 'A3', label: 'random(0.5), one update per batch', changes: { miniBatchSize: 128 } },
  { id: 'A7', label: 'ground truth, clip eps 0.2 (upper reference)', changes: { reward: 'ground_truth' } },
  { id: 'A5', label: 'random(0.5), eps_high 0.1', changes: { epsHigh: 0.1 } },
  { id: 'A4', label: 'random(0.5), eps_high 0.28', changes: { epsHigh: 0.28 } },
  { id: 'A6', label: 'random(0.5), RLOO advantages, clip eps 0.2', changes: { stdScaling: 'rloo' } },
  { id: 'A8', label: 'llama-tiny, random(0.5), clip eps 0.2', changes: { model: 'llama-tiny' } },
  { id: 'A9', label: 'olmo-sft-tiny, random(0.5), clip eps 0.2', changes: { model: 'olmo-sft-tiny' } },
  {
    id: 'A10',
    label: 'paper scale: 64 prompts x 16, random(0.5), clip eps 0.2',
    // The CPU engine, as A1-A9 (docs/science.md, A10's amendment), with a checkpoint every 10 steps so a
    // run continues across sessions (checkpoints do not change a run's metrics).
    changes: { promptsPerStep: 64, miniBatchSize: 128, checkpointEvery: 10 },
    long: true,
  },
];

/** Study 2's arms: the primary comparison at a learning rate where ground truth still improves, and ground truth. */
export const STUDY2_ARMS: StudyArm[] = [
  { id: 'B1', label: 'random(0.5), clip eps 0.2', changes: {} },
  { id: 'B2', label: 'random(0.5), no clip', changes: { clipMode: 'none' } },
  { id: 'B3', label: 'ground truth, clip eps 0.2 (reference)', changes: { reward: 'ground_truth' } },
];

/** The learning rate each study's pre-registered rule chose (its calibration.json says the same; tested). */
export const STUDY_LR = { 1: 2e-3, 2: 2e-4 } as const;

/** An arm's full settings at its study's learning rate (seed and seeds left to the caller). */
export function studyArmChanges(study: 1 | 2, armId: string): Partial<ExperimentConfig> {
  const arm = (study === 1 ? STUDY1_ARMS : STUDY2_ARMS).find((a) => a.id === armId);
  if (!arm) throw new Error(`no arm ${armId} in study ${study}`);
  const { backend: _backend, checkpointEvery: _ckpt, ...base } = STUDY_BASE;
  return { ...base, lr: STUDY_LR[study], ...arm.changes };
}
