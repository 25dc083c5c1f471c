// Named experiments: the paper's figures and ablations in miniature, each a short list of changes from
// the defaults (so a preset reads as "what this experiment is about") and sized to show movement within
// minutes on a GPU. The UI lists them by group; the CLI runs them with `--preset ID`.
import type { ExperimentConfig, ExperimentKey } from './config/schema';
import { type FieldError, validateExperiment } from './config/validate';
import { studyArmChanges } from './studies';
import { serializeExperiment } from './url';

export type PresetGroup = 'figure1' | 'models' | 'mechanism' | 'paperBatch' | 'gamma' | 'python';

export const PRESET_GROUPS: Record<PresetGroup, string> = {
  figure1: 'Figure 1: rewards on qwen-math-tiny',
  models: 'Model dependence: random reward on each family',
  mechanism: 'Mechanism: clipping on vs off',
  // A group of its own, so the mechanism group's "Run all" does not queue 8x-cost steps in a class.
  paperBatch: 'At the paper’s batch size (slow on the CPU engine)',
  gamma: 'Random reward: γ sweep',
  python: 'Rewarding code reasoning directly',
};

export interface Preset {
  id: string;
  group: PresetGroup;
  title: string;
  /** One line: what to look at and what the paper found. */
  explanation: string;
  /** The fields that differ from the defaults. */
  changes: Partial<ExperimentConfig>;
}

/** Mechanism presets average seeds: single random-reward runs wander, the clip effect is in the mean. */
const SWEEP = { seeds: 4, steps: 40 } as const;

/**
 * The mechanism presets ARE the pre-registered studies' arms (src/experiment/studies.ts: qwen-math-tiny,
 * 8 × 16 (the paper-batch preset: A10's 64 × 16), 8 updates per batch, 100 steps, evals at 0/50/100), with 4 seeds instead of 8 so a page runs
 * them in reasonable time; their texts quote the 8-seed results (docs/study/, docs/study2/).
 */
const FOUR_SEEDS = { seeds: 4 } as const;

export const PRESETS: readonly Preset[] = [
  {
    id: 'fig1-ground-truth',
    group: 'figure1',
    title: 'Ground truth (baseline)',
    explanation: 'The real signal: reward 1 for the correct boxed answer. Paper: +29.1 on MATH-500.',
    changes: { reward: 'ground_truth' },
  },
  {
    id: 'fig1-majority-vote',
    group: 'figure1',
    title: 'Majority vote',
    explanation:
      'Labels are the pre-RL model’s own most common answer over k samples, fixed before training. Paper: +27.1.',
    changes: { reward: 'majority_vote' },
  },
  {
    id: 'fig1-one-shot',
    group: 'figure1',
    title: 'One-shot',
    explanation: 'Ground-truth reward on a single training example, repeated. Paper: +26.0.',
    changes: { reward: 'one_shot' },
  },
  {
    id: 'fig1-incorrect',
    group: 'figure1',
    title: 'Incorrect labels',
    explanation:
      'Only prompts whose majority label is wrong, rewarded for matching the wrong label. Paper: +24.1.',
    changes: { reward: 'incorrect' },
  },
  {
    id: 'fig1-random',
    group: 'figure1',
    title: 'Random (γ = 0.5)',
    explanation:
      'Reward is a coin flip, independent of the response. Paper: +21.4, and code 65% → 90%+. The lab’s studies have not seen the code share rise (Learn panel, mechanism presets).',
    changes: { reward: 'random', gamma: 0.5 },
  },
  {
    id: 'fig1-format',
    group: 'figure1',
    title: 'Format',
    explanation: 'Reward 1 for any non-empty \\boxed{}, right or wrong. Paper: +13.8.',
    changes: { reward: 'format' },
  },
  {
    id: 'random-qwen-math',
    group: 'models',
    title: 'Random on qwen-math-tiny',
    explanation:
      'Code on 68% of problems, right more often with code: the Qwen2.5-Math situation, where the paper saw +21.4. Measured here at the studies’ settings: see the mechanism presets.',
    changes: { reward: 'random', model: 'qwen-math-tiny', ...SWEEP },
  },
  {
    id: 'random-llama',
    group: 'models',
    title: 'Random on llama-tiny',
    explanation:
      'A family that never writes code: nothing to amplify (Llama-3.1-8B: −4.9 in the paper). These settings (lr 5e-5, 40 steps) are not in the lab’s studies; at lr 2e-3 (Study 1, 8 seeds) the code share stayed 0 in 8 of 8 seeds while the arithmetic collapsed: greedy accuracy −64.5 ± 0.0 points (8 of 8 down).',
    changes: { reward: 'random', model: 'llama-tiny', ...SWEEP },
  },
  {
    id: 'random-olmo-sft',
    group: 'models',
    title: 'Random on olmo-sft-tiny',
    explanation:
      'Writes code on every problem but is less accurate with it (OLMo2-7B-SFT: −8.5 in the paper). These settings (lr 5e-5, 40 steps) are not in the lab’s studies; at lr 2e-3 (Study 1, 8 seeds) accuracy fell to 0 in 8 of 8 seeds (−35.0 ± 0.0 points) and the greedy code share fell in 8 of 8 (−69.8 ± 14.9; to 0 in 5).',
    changes: { reward: 'random', model: 'olmo-sft-tiny', ...SWEEP },
  },
  {
    id: 'ground-truth-llama',
    group: 'models',
    title: 'Ground truth on llama-tiny',
    explanation: 'The real-signal baseline for the no-code family: gains here come from answers, not style.',
    changes: { reward: 'ground_truth', model: 'llama-tiny' },
  },
  {
    id: 'ground-truth-olmo-sft',
    group: 'models',
    title: 'Ground truth on olmo-sft-tiny',
    explanation: 'The real-signal baseline for the code-heavy family whose code is less accurate.',
    changes: { reward: 'ground_truth', model: 'olmo-sft-tiny' },
  },
  {
    id: 'mechanism-clip',
    group: 'mechanism',
    title: 'Random reward, clipping on (Study 2)',
    explanation:
      'lr 2e-4, 100 steps, 8 updates per batch, ε = 0.2. Study 2 (8 seeds): greedy code share unchanged in 8 of 8 seeds, exact p(code) −0.1 ± 1.8 points, greedy accuracy −1.3 ± 0.7. Updates move the style logit 0.006 each; the clip acted at the style decision once in 102,400. Paper: code 65% → 90%+.',
    changes: { ...studyArmChanges(2, 'B1'), ...FOUR_SEEDS },
  },
  {
    id: 'mechanism-no-clip',
    group: 'mechanism',
    title: 'Random reward, clipping off (Study 2)',
    explanation:
      'The same run with the clip removed (paper ablation). Study 2 (8 seeds): code share unchanged in 8 of 8, greedy accuracy −8.3 ± 3.6 (median −5.0); with the clip, +6.9 ± 3.2 points on the same seeds (5 better, 0 worse).',
    changes: { ...studyArmChanges(2, 'B2'), ...FOUR_SEEDS },
  },
  {
    id: 'mechanism-on-policy',
    group: 'mechanism',
    title: 'Random reward, one update per rollout batch',
    explanation:
      'Clipping on but π = π_old at every update (mini-batch = whole batch), so the clip never acts: the paper’s second ablation. At this lr (2e-4) not in the lab’s studies; at lr 2e-3 (Study 1, 8 seeds) the arithmetic collapsed all the same: greedy accuracy −66.0 ± 0.0 points (8 of 8 down), exact p(code) −10.9 ± 7.1.',
    changes: { ...studyArmChanges(2, 'B1'), miniBatchSize: 128, ...FOUR_SEEDS },
  },
  {
    id: 'mechanism-large-lr',
    group: 'mechanism',
    title: 'Random reward at a learning rate that moves the style (Study 1)',
    explanation:
      'lr 2e-3, where updates moved the style logit 0.12 in the study’s 5-step calibration (the regime the toy’s clip needs). Study 1 (8 seeds): the arithmetic collapses first — greedy accuracy −64.8 ± 1.2 points (66% → 0-10%, 8 of 8 down), code share down in 7 of 8 seeds.',
    changes: { ...studyArmChanges(1, 'A1'), ...FOUR_SEEDS },
  },
  {
    id: 'mechanism-clip-higher',
    group: 'mechanism',
    title: 'Random reward, asymmetric clip ε_high 0.1 (Study 1)',
    explanation:
      'lr 2e-3 with a tighter upper bound (ε_low 0.2, ε_high 0.1). Study 1 (8 seeds): the arithmetic collapses all the same (greedy accuracy −66.0 ± 0.0 points, 8 of 8 down), and the greedy code share falls in 7 of 8 seeds (−38.8 ± 14.0), but the exact p(code) at the style decision falls less on average: −0.0 ± 9.9 points, +29.7 ± 15.0 above the symmetric clip on the same seeds (7 of 8 seeds higher). A looser bound (ε_high 0.28) held it about as well: +26.2 ± 14.7.',
    changes: { ...studyArmChanges(1, 'A5'), ...FOUR_SEEDS },
  },
  {
    id: 'mechanism-paper-batch',
    group: 'paperBatch',
    title: 'Random reward at the paper’s batch, 64 prompts × 16 (Study 1)',
    explanation:
      'lr 2e-3 with the paper’s 64 prompts × 16 per step (mini-batches of 128, still 8 updates per batch), 100 steps. Study 1, arm A10 (8 seeds): the arithmetic collapses as with 8 prompts (greedy accuracy −56.8 ± 1.8 points, 8 of 8 down); the greedy code share rose in 4 of 8 seeds and fell in 2 (−1.6 ± 11.4, median +0.5), short of the 6 of 8 the study required; the exact p(code) rose in 6 of 8 (+12.4 ± 6.7), a secondary measure. Slow on the CPU engine: about 18 s per step on one core.',
    changes: { ...studyArmChanges(1, 'A10'), ...FOUR_SEEDS },
  },
  ...[0, 0.001, 0.3, 0.5, 0.7].map(
    (gamma): Preset => ({
      id: `gamma-${String(gamma).replace('.', 'p')}`,
      group: 'gamma',
      title: `Random, γ = ${gamma}`,
      explanation:
        gamma === 0
          ? 'Every reward 0: all advantages are 0, so nothing moves — the control.'
          : `Reward 1 with probability ${gamma}; the paper saw gains for every γ > 0 on Qwen2.5-Math.`,
      changes: { reward: 'random', gamma, ...SWEEP },
    }),
  ),
  {
    id: 'python-reward',
    group: 'python',
    title: 'Python reward',
    explanation:
      'Reward 1 when the response says "python": pushes code reasoning directly (paper: accuracy up on Qwen-Math).',
    changes: { reward: 'python' },
  },
  {
    id: 'no-python-format',
    group: 'python',
    title: 'Format and no Python',
    explanation:
      'format_AND_inverse_python: boxed answers without code reasoning; suppresses code on Qwen-Math.',
    changes: { reward: 'format_AND_inverse_python' },
  },
];

const BY_ID = new Map(PRESETS.map((p) => [p.id, p]));

export function presetById(id: string): Preset | undefined {
  return BY_ID.get(id);
}

/** A preset's full config and any problems with its changes (none for the shipped presets; tested). */
export function presetExperiment(preset: Preset): { config: ExperimentConfig; errors: FieldError[] } {
  return validateExperiment(preset.changes);
}

/** The preset's link (without `#`); `hidden` keeps a classroom's hidden controls hidden (`hide=`) across presets. */
export function presetHash(preset: Preset, hidden: readonly ExperimentKey[] = []): string {
  return serializeExperiment(presetExperiment(preset).config, { hidden });
}

/** Names for error messages: "unknown preset x; valid: ..." */
export function presetIds(): string[] {
  return PRESETS.map((p) => p.id);
}
