// Snapshot-style tests of the cluster export: the launch scripts carry every mapped setting with the
// lab's values, the updates per rollout batch survive the translation, every schema field has a row
// per engine (mapped or listed as not mapping — never dropped), and the scripts are valid bash.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { updatesPerRolloutBatch } from '../experiment/config/derived';
import { FIELD_SPECS } from '../experiment/config/fields';
import type { ExperimentConfig } from '../experiment/config/schema';
import { validateExperiment } from '../experiment/config/validate';
import { PRESETS, presetExperiment } from '../experiment/presets';
import { Random } from '../util/random';
import { exportExperiment } from './cluster';
import { ENGINES, type Engine, engineInvocation, fieldsWithoutMapping } from './engines';

/** The shell expansion `${SEED}` as the scripts write it. */
const SEED = `$${'{'}SEED}`;

const experiment = (changes: Record<string, unknown>): ExperimentConfig => {
  const { config, errors } = validateExperiment(changes);
  expect(errors).toEqual([]);
  return config;
};

function scriptOf(config: ExperimentConfig, engine: Engine, options = {}): string {
  const result = exportExperiment(config, { engine, ...options });
  return result.files[result.launchScript];
}

/** The value of `key=value` (verl) or `--key value` (OpenRLHF) in a script, or undefined. */
function setting(script: string, key: string): string | undefined {
  for (const raw of script.split('\n')) {
    let line = raw.trim().replace(/ \\$/, '');
    // verl overrides may be one quoted word: "key=value".
    if (line.startsWith('"') && line.endsWith('"')) line = line.slice(1, -1);
    if (line.startsWith(`${key}=`)) return line.slice(key.length + 1);
    if (line.startsWith(`${key} `)) return line.slice(key.length + 1);
    if (line === key) return '';
  }
  return undefined;
}

describe('verl launch script', () => {
  it('carries the paper-style defaults as exact overrides', () => {
    const script = scriptOf(experiment({}), 'verl');
    const a = 'actor_rollout_ref.actor';
    const expected: Record<string, string> = {
      'algorithm.adv_estimator': 'grpo',
      'data.train_batch_size': '8',
      'actor_rollout_ref.rollout.n': '16',
      [`${a}.ppo_mini_batch_size`]: '1',
      [`${a}.ppo_epochs`]: '1',
      [`${a}.clip_ratio_low`]: '0.2',
      [`${a}.clip_ratio_high`]: '0.2',
      [`${a}.loss_agg_mode`]: 'seq-mean-token-mean',
      [`${a}.use_kl_loss`]: 'False',
      [`${a}.entropy_coeff`]: '0',
      'actor_rollout_ref.rollout.temperature': '1',
      'actor_rollout_ref.rollout.top_p': '1',
      'data.max_response_length': '3072',
      [`${a}.optim.lr`]: '5e-7',
      [`++${a}.optim.betas`]: '[0.9,0.95]',
      [`${a}.grad_clip`]: '1',
      'algorithm.norm_adv_by_std_in_grpo': 'True',
      'trainer.total_training_steps': '60',
      '++data.seed': SEED,
      'custom_reward_function.name': 'compute_score',
    };
    for (const [key, value] of Object.entries(expected)) expect(setting(script, key), key).toBe(value);
    expect(script).toContain('python3 -m verl.trainer.main_ppo');
    expect(script).toContain(`SEEDS="$${'{'}SEEDS:-1}"`);
  });

  it('keeps updates per rollout batch for any mini-batch that is whole prompts', () => {
    const rng = new Random(5);
    for (let i = 0; i < 50; i++) {
      const G = rng.pick([2, 4, 8, 16]);
      const B = rng.int(1, 16);
      const miniPrompts = rng.pick([1, 2, 4, 8, 16].filter((d) => B % d === 0));
      const config = experiment({
        promptsPerStep: B,
        groupSize: G,
        miniBatchSize: miniPrompts * G,
        ppoEpochs: rng.int(1, 3),
      });
      const script = scriptOf(config, 'verl');
      const n = Number(setting(script, 'actor_rollout_ref.rollout.n'));
      const batch = Number(setting(script, 'data.train_batch_size')) * n;
      const mini = Number(setting(script, 'actor_rollout_ref.actor.ppo_mini_batch_size')) * n;
      const epochs = Number(setting(script, 'actor_rollout_ref.actor.ppo_epochs'));
      expect((batch / mini) * epochs).toBe(updatesPerRolloutBatch(config));
    }
  });

  it('flags a mini-batch that is not whole prompts as approximate', () => {
    const result = exportExperiment(experiment({ groupSize: 16, miniBatchSize: 8 }), { engine: 'verl' });
    const row = result.caveats.find((c) => c.field === 'miniBatchSize');
    expect(row?.status).toBe('approximate');
    expect(row?.note).toMatch(/0\.50 prompts/);
  });

  it('maps the ablations and options: no clip, dual clip, KL, Dr. GRPO, zero grad clip', () => {
    const noClip = scriptOf(experiment({ clipMode: 'none' }), 'verl');
    expect(setting(noClip, 'actor_rollout_ref.actor.clip_ratio_low')).toBe('1000000000');
    expect(setting(noClip, 'actor_rollout_ref.actor.clip_ratio_high')).toBe('1000000000');
    const options = scriptOf(
      experiment({
        dualClip: 3,
        klCoef: 0.001,
        klEstimator: 'k3',
        stdScaling: 'none',
        gradClip: 0,
        aggregation: 'token-mean',
      }),
      'verl',
    );
    expect(setting(options, 'actor_rollout_ref.actor.clip_ratio_c')).toBe('3');
    expect(setting(options, 'actor_rollout_ref.actor.use_kl_loss')).toBe('True');
    expect(setting(options, 'actor_rollout_ref.actor.kl_loss_coef')).toBe('0.001');
    expect(setting(options, 'actor_rollout_ref.actor.kl_loss_type')).toBe('low_var_kl');
    expect(setting(options, 'algorithm.norm_adv_by_std_in_grpo')).toBe('False');
    expect(setting(options, 'actor_rollout_ref.actor.grad_clip')).toBe('1000000000');
    expect(setting(options, 'actor_rollout_ref.actor.loss_agg_mode')).toBe('token-mean');
  });

  it('uses the batch reward manager for the online majority vote', () => {
    const script = scriptOf(experiment({ reward: 'majority_vote_online' }), 'verl');
    expect(setting(script, 'reward_model.reward_manager')).toBe('batch');
    expect(setting(script, 'custom_reward_function.name')).toBe('compute_score_batch');
  });
});

describe('OpenRLHF launch script', () => {
  it('carries the settings as flags, with updates per rollout batch kept', () => {
    const config = experiment({
      reward: 'random',
      gamma: 0.7,
      ppoEpochs: 2,
      epsHigh: 0.28,
      seeds: 3,
      seed: 4,
    });
    const script = scriptOf(config, 'openrlhf', { lr: 1e-6, model: 'Qwen/Qwen2.5-7B' });
    expect(script).toContain('python3 -m openrlhf.cli.train_ppo_ray');
    const expected: Record<string, string> = {
      '--pretrain': 'Qwen/Qwen2.5-7B',
      '--rollout_batch_size': '8',
      '--n_samples_per_prompt': '16',
      '--train_batch_size': '16',
      '--max_epochs': '2',
      '--eps_clip_low_high': '0.2 0.28',
      '--advantage_estimator': 'group_norm',
      '--init_kl_coef': '0',
      '--entropy_loss_coef': '0',
      '--actor_learning_rate': '0.000001',
      '--adam_betas': '0.9 0.95',
      '--max_norm': '1',
      '--max_samples': '480',
      '--temperature': '1',
      '--seed': `"${SEED}"`,
    };
    for (const [key, value] of Object.entries(expected)) expect(setting(script, key), key).toBe(value);
    const updates =
      ((Number(setting(script, '--rollout_batch_size')) * Number(setting(script, '--n_samples_per_prompt'))) /
        Number(setting(script, '--train_batch_size'))) *
      Number(setting(script, '--max_epochs'));
    expect(updates).toBe(updatesPerRolloutBatch(config));
    expect(script).toContain(`SEEDS="$${'{'}SEEDS:-4 5 6}"`);
  });

  it('lists the loss aggregation it cannot express', () => {
    const result = exportExperiment(experiment({}), { engine: 'openrlhf' });
    expect(result.caveats.find((c) => c.field === 'aggregation')?.status).toBe('unmapped');
    expect(result.files['README.md']).toMatch(/\*\*aggregation\*\* \(unmapped\): OpenRLHF averages/);
  });
});

describe('every setting is accounted for', () => {
  const configs: ExperimentConfig[] = [
    experiment({}),
    experiment({
      clipMode: 'none',
      stdScaling: 'batch',
      maskTruncated: true,
      klCoef: 0.1,
      lrSchedule: 'cosine',
      adamEps: 1e-6,
      logRatioClamp: 5,
    }),
    ...PRESETS.map((p) => presetExperiment(p).config),
  ];
  for (const engine of ENGINES) {
    it(`${engine}: a row per schema field, mapped settings in the script, the rest listed`, () => {
      for (const config of configs) {
        const result = exportExperiment(config, { engine });
        const script = result.files[result.launchScript];
        const readme = result.files['README.md'];
        expect(fieldsWithoutMapping(result.invocation)).toEqual([]);
        for (const spec of FIELD_SPECS) expect(readme).toContain(`(\`${spec.key}\`)`);
        for (const row of result.invocation.mappings) {
          if (row.status === 'exact' || row.status === 'approximate') {
            for (const s of row.settings) {
              const key = engine === 'verl' ? s.slice(0, s.indexOf('=')) : s.split(' ')[0];
              expect(setting(script, key), `${row.field}: ${s}`).toBeDefined();
            }
          }
          if (row.status === 'unmapped') {
            expect(row.note.length).toBeGreaterThan(10);
            expect(script).toContain(`#   ${row.field}: ${row.note}`);
            expect(readme).toContain(`- **${row.field}** (unmapped)`);
          }
          if (row.status === 'approximate') expect(readme).toContain(`- **${row.field}** (approximate)`);
        }
      }
    });
  }

  it('the stress config surfaces each unmappable knob by name', () => {
    const config = configs[1];
    const verl = exportExperiment(config, { engine: 'verl' }).caveats.map((c) => c.field);
    expect(verl).toEqual(
      expect.arrayContaining([
        'stdScaling',
        'maskTruncated',
        'adamEps',
        'logRatioClamp',
        'dataset',
        'backend',
      ]),
    );
    const openrlhf = exportExperiment(config, { engine: 'openrlhf' }).caveats.map((c) => c.field);
    expect(openrlhf).toEqual(
      expect.arrayContaining([
        'stdScaling',
        'maskTruncated',
        'adamEps',
        'logRatioClamp',
        'aggregation',
        'lrSchedule',
      ]),
    );
  });

  it('verl: warns when the batches do not split over the GPUs', () => {
    const config = experiment({ promptsPerStep: 3, groupSize: 6, miniBatchSize: 6 });
    const odd = exportExperiment(config, { engine: 'verl' });
    expect(odd.caveats.find((c) => c.field === '(gpus)')?.note).toMatch(
      /rollout batch \(18\) and the mini-batch \(6\).*8 GPUs/,
    );
    const fits = exportExperiment(config, { engine: 'verl', gpusPerNode: 2 });
    expect(fits.caveats.find((c) => c.field === '(gpus)')).toBeUndefined();
    expect(
      exportExperiment(experiment({}), { engine: 'verl' }).caveats.find((c) => c.field === '(gpus)'),
    ).toBeUndefined();
  });

  it('a user-built family without --model is flagged, and --model fixes it', () => {
    const config = experiment({ model: 'my-family' });
    const without = exportExperiment(config, { engine: 'verl' });
    expect(without.invocation.model).toBe('YOUR/MODEL');
    expect(without.caveats.find((c) => c.field === 'model')?.note).toMatch(/pass --model/);
    const withModel = exportExperiment(config, { engine: 'verl', model: 'org/model' });
    expect(withModel.caveats.find((c) => c.field === 'model')).toBeUndefined();
    expect(engineInvocation(config, { engine: 'verl', model: 'org/model' }).model).toBe('org/model');
  });

  it('scripts are valid bash', () => {
    for (const engine of ENGINES) {
      for (const config of configs.slice(0, 3)) {
        execFileSync('bash', ['-n'], { input: scriptOf(config, engine) });
      }
    }
  });
});
