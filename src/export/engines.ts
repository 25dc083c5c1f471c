// Lab setting → engine flag mapping for the cluster export (issue 9). Every field of the experiment
// schema gets a row per engine: mapped exactly, mapped approximately (with why), or not mapped (with
// why) — nothing is dropped silently, and a test walks FIELD_SPECS to prove it. Each engine's mapping
// is a table (VERL_TABLE, OPENRLHF_TABLE, plus COMMON_ROWS); mappingTable.ts applies it.
//
// Targets: verl 0.5-era Hydra overrides of `python3 -m verl.trainer.main_ppo` and OpenRLHF 0.8-era
// flags of `python3 -m openrlhf.cli.train_ppo_ray`. Option names drift between releases; the README
// written with the export lists every flag used so a mismatch is easy to fix by hand.
import { realModelFor } from '../experiment/config/derived';
import { FIELD_SPECS } from '../experiment/config/fields';
import type { ExperimentConfig, ExperimentKey } from '../experiment/config/schema';
import { rewardNeedsOfflineLabels, rewardTrainingSet, rewardUses } from '../rl/rewards';
import {
  applyMappingTable,
  byValue,
  type FlagValue,
  type MappingInput,
  type MappingRow,
  type MappingRule,
  type MappingTable,
  type SettingMapping,
} from './mappingTable';

export type Engine = 'verl' | 'openrlhf';
export const ENGINES: readonly Engine[] = ['verl', 'openrlhf'];

export interface ExportOptions {
  engine: Engine;
  /** Hugging Face model id or path; default: the real model the zoo family imitates. */
  model?: string;
  /** Learning rate for the real model; default: the paper's 5e-7 (the lab's rate is for tiny models). */
  lr?: number;
  /** Response token budget; default: the paper's 3072 (the lab counts characters of a toy task). */
  maxResponseLength?: number;
  maxPromptLength?: number;
  gpusPerNode?: number;
  nodes?: number;
}

/** Paper values used where a lab value only makes sense for a tiny model in a browser. */
export const PAPER_LR = 5e-7;
export const PAPER_MAX_RESPONSE = 3072;
export const DEFAULT_MAX_PROMPT = 1024;
/** A clip range so wide the clamp never binds: turns -min(R·A, clip(R)·A) into -R·A exactly. */
export const NO_CLIP = 1e9;

export interface EngineInvocation {
  engine: Engine;
  /** Overrides (verl: `key=value`) or flags (OpenRLHF: `--flag value`), one per line of the script. */
  args: string[];
  mappings: SettingMapping[];
  /** The model id used. */
  model: string;
}

/** What the tables read: the experiment, the options as given, and the options with their defaults. */
interface ExportInput extends MappingInput {
  options: ExportOptions;
  model: string;
  lr: number;
  maxResponse: number;
  maxPrompt: number;
  gpusPerNode: number;
  nodes: number;
}

type Table = MappingTable<ExportInput>;
type Row = MappingRow<ExportInput>;
type Rule = MappingRule<ExportInput>;

/** Shell variables the launch scripts define (HERE, SEED, TRAIN_FILE, VAL_FILE, OUT_DIR), as `${NAME}`. */
const SH = Object.fromEntries(
  ['HERE', 'SEED', 'TRAIN_FILE', 'VAL_FILE', 'OUT_DIR'].map((n) => [n, `$${'{'}${n}}`]),
) as Record<'HERE' | 'SEED' | 'TRAIN_FILE' | 'VAL_FILE' | 'OUT_DIR', string>;

// ---- value conversions shared by the tables ----

/** The lab value unchanged. */
const lab =
  (key: ExperimentKey) =>
  ({ config }: ExportInput): FlagValue =>
    String(config[key]);

/** Both engines write -1 for "never" where the lab writes 0 (only at the end). */
const orNever =
  (key: 'evalEvery' | 'checkpointEvery') =>
  ({ config }: ExportInput): FlagValue =>
    config[key] > 0 ? config[key] : -1;

const gradClipOrNone = ({ config }: ExportInput): FlagValue =>
  config.gradClip > 0 ? config.gradClip : NO_CLIP;

const onlineVote = ({ config }: ExportInput): boolean =>
  rewardUses(config.reward).includes('majority_vote_online');

const clipping = ({ config }: ExportInput): boolean => config.clipMode === 'clip';
const withKl = ({ config }: ExportInput): boolean => config.klCoef > 0;

// ---- rules shared by the tables ----

const MODEL: Rule = {
  status: ({ config, options }) => (realModelFor(config.model) || options.model ? 'exact' : 'unmapped'),
  note: ({ config, options }) =>
    options.model
      ? 'overridden with --model'
      : realModelFor(config.model)
        ? `the real model ${config.model} imitates`
        : 'a user-built family has no real model: pass --model',
};

/** maxNewTokens counts characters of MiniMath; an engine gets token budgets for response and prompt. */
const maxNewTokensRow = (responseFlag: string, promptFlag: string): Row => ({
  field: 'maxNewTokens',
  flags: [
    [responseFlag, ({ maxResponse }) => maxResponse],
    [promptFlag, ({ maxPrompt }) => maxPrompt],
  ],
  status: 'approximate',
  note: ({ config, options, maxResponse }) =>
    `the lab counts characters of MiniMath (${config.maxNewTokens}); the export uses ${options.maxResponseLength ? 'the given' : 'the paper’s'} ${maxResponse} tokens`,
});

const LR: Rule = {
  status: ({ options }) => (options.lr ? 'exact' : 'approximate'),
  note: ({ config, options }) =>
    options.lr
      ? 'given with --lr'
      : `the lab’s ${config.lr} is for a tiny model; the export uses the paper’s ${PAPER_LR} (pass --lr to change)`,
};

/** The seed reaches the engine as the script's loop variable; the sweep is the loop itself. */
const seedRows = (flag: string): Table => [
  {
    field: 'seed',
    flags: [[flag, SH.SEED]],
    status: 'approximate',
    note: 'seeds data order and lab_reward.py (LAB_SEED); vLLM sampling on GPUs is not bit-reproducible',
  },
  {
    field: 'seeds',
    note: ({ config }) =>
      config.seeds > 1
        ? `the script loops over seeds ${config.seed}..${config.seed + config.seeds - 1}`
        : 'one seed',
  },
];

const NOT_CLIPPING: Rule = { note: 'not used with clipping off' };
const NOT_KL: Rule = { note: 'not used without KL' };
const MASK_OFF: Rule = { note: 'off in both' };
const INFRASTRUCTURE_NOTE = 'cluster layout: adjust GPUs, micro-batch sizes and memory to your machines';
const UNUSED = 'unused by this reward.';

/** Rows shared by both engines: fields handled by the data-preparation step or not at all. */
const COMMON_ROWS: Table = [
  {
    field: 'dataset',
    status: 'unmapped',
    note: 'MiniMath is the lab’s toy world; prepare_data.py builds the real train/val files (default: the paper’s DeepScaleR train set, MATH-500 for eval).',
  },
  {
    field: 'difficulty',
    status: 'unmapped',
    note: 'MiniMath levels have no counterpart in real math datasets.',
  },
  {
    field: 'oneShotIndex',
    status: 'prepare',
    note: ({ config }) =>
      rewardTrainingSet(config.reward) === 'one_shot'
        ? 'prepare_data.py --one-shot-index keeps that single training example, repeated.'
        : UNUSED,
  },
  {
    field: 'labelSamples',
    status: 'prepare',
    note: ({ config }) =>
      rewardNeedsOfflineLabels(config.reward)
        ? 'prepare_data.py --label-samples k: the initial model samples k answers per prompt with vLLM; the most common becomes majority_label.'
        : UNUSED,
  },
  {
    field: 'reward',
    status: 'prepare',
    note: 'lab_reward.py implements it (REWARD constant, or LAB_REWARD env).',
  },
  {
    field: 'gamma',
    status: 'prepare',
    note: ({ config }) =>
      rewardUses(config.reward).includes('random') ? 'lab_reward.py GAMMA (or LAB_GAMMA env).' : UNUSED,
  },
  { field: 'backend', status: 'unmapped', note: 'the lab’s compute backend; engines run on CUDA.' },
  {
    field: 'adamEps',
    choose: ({ config }) =>
      config.adamEps !== 1e-8
        ? {
            status: 'unmapped',
            note: 'neither engine exposes Adam epsilon on the command line (both use 1e-8).',
          }
        : { note: 'engine default 1e-8' },
  },
  {
    field: 'evalSize',
    status: 'prepare',
    note: 'prepare_data.py --max-val N keeps the first N eval problems; by default all of MATH-500, as the paper.',
  },
];

// ---- verl: Hydra overrides `key=value` ----

const A = 'actor_rollout_ref.actor';
const betasList = ({ config }: ExportInput): FlagValue => `[${config.beta1},${config.beta2}]`;

const VERL_TABLE: Table = [
  {
    field: '(algorithm)',
    flags: [
      ['algorithm.adv_estimator', ({ config }) => (config.stdScaling === 'rloo' ? 'rloo' : 'grpo')],
      ['algorithm.use_kl_in_reward', 'False'],
    ],
    note: ({ config }) =>
      config.stdScaling === 'rloo'
        ? 'RLOO advantages (leave-one-out mean baseline); no KL in the reward.'
        : 'GRPO advantages; no KL in the reward.',
  },
  { field: 'model', flags: [['actor_rollout_ref.model.path', ({ model }) => model]], ...MODEL },
  { field: 'promptsPerStep', flags: [['data.train_batch_size', lab('promptsPerStep')]] },
  { field: 'groupSize', flags: [['actor_rollout_ref.rollout.n', lab('groupSize')]] },
  {
    field: 'miniBatchSize',
    // verl counts ppo_mini_batch_size in prompts and multiplies it by n itself.
    choose: ({ config }) => {
      const G = config.groupSize;
      const miniPrompts = config.miniBatchSize / G;
      if (Number.isInteger(miniPrompts))
        return {
          flags: [[`${A}.ppo_mini_batch_size`, miniPrompts]],
          note: `verl counts prompts: ${miniPrompts} × n=${G} = ${config.miniBatchSize} rollouts per update`,
        };
      const rounded = Math.max(1, Math.round(miniPrompts));
      return {
        flags: [[`${A}.ppo_mini_batch_size`, rounded]],
        status: 'approximate',
        note: `verl counts mini-batches in whole prompts; ${config.miniBatchSize} rollouts is ${miniPrompts.toFixed(2)} prompts of G=${G}, rounded to ${rounded} (${rounded * G} rollouts), so updates per rollout batch change`,
      };
    },
  },
  { field: 'ppoEpochs', flags: [[`${A}.ppo_epochs`, lab('ppoEpochs')]] },
  { field: 'temperature', flags: [['actor_rollout_ref.rollout.temperature', lab('temperature')]] },
  {
    field: 'topP',
    flags: [
      ['actor_rollout_ref.rollout.top_p', lab('topP')],
      ['actor_rollout_ref.rollout.top_k', -1],
    ],
  },
  maxNewTokensRow('data.max_response_length', 'data.max_prompt_length'),
  {
    field: 'clipMode',
    choose: byValue('clipMode', {
      clip: { note: 'PPO clipped objective (verl default policy loss)' },
      none: {
        flags: [
          [`${A}.clip_ratio_low`, NO_CLIP],
          [`${A}.clip_ratio_high`, NO_CLIP],
        ],
        note: 'verl has no no-clip switch: a clip range of 1e9 never binds, so the loss is -R·A exactly',
      },
    }),
  },
  {
    field: 'epsLow',
    choose: (input) => (clipping(input) ? { flags: [[`${A}.clip_ratio_low`, lab('epsLow')]] } : NOT_CLIPPING),
  },
  {
    field: 'epsHigh',
    choose: (input) =>
      clipping(input) ? { flags: [[`${A}.clip_ratio_high`, lab('epsHigh')]] } : NOT_CLIPPING,
  },
  {
    field: 'dualClip',
    choose: ({ config }) =>
      config.dualClip > 1
        ? { flags: [[`${A}.clip_ratio_c`, lab('dualClip')]] }
        : {
            flags: [[`${A}.clip_ratio_c`, NO_CLIP]],
            note: 'verl always applies dual clip (default c=3); c=1e9 turns it off as in the lab',
          },
  },
  {
    field: 'logRatioClamp',
    choose: ({ config }) =>
      config.logRatioClamp === 20
        ? { note: 'verl clamps log-ratios to ±20 internally' }
        : { status: 'unmapped', note: 'verl’s ±20 log-ratio clamp is fixed in code' },
  },
  {
    field: 'klCoef',
    choose: (input) =>
      withKl(input)
        ? {
            flags: [
              [`${A}.use_kl_loss`, 'True'],
              [`${A}.kl_loss_coef`, lab('klCoef')],
            ],
          }
        : { flags: [[`${A}.use_kl_loss`, 'False']], note: 'no reference model, as the paper' },
  },
  {
    field: 'klEstimator',
    choose: (input) =>
      withKl(input)
        ? {
            flags: [
              [`${A}.kl_loss_type`, ({ config }) => (config.klEstimator === 'k3' ? 'low_var_kl' : 'kl')],
            ],
          }
        : NOT_KL,
  },
  { field: 'entropyCoef', flags: [[`${A}.entropy_coeff`, lab('entropyCoef')]] },
  {
    field: 'aggregation',
    flags: [[`${A}.loss_agg_mode`, lab('aggregation')]],
    note: ({ config }) =>
      config.aggregation === 'seq-mean-token-sum-norm'
        ? 'verl divides by the response length budget, as the lab divides by max new tokens'
        : '',
  },
  {
    field: 'stdScaling',
    choose: byValue('stdScaling', {
      group: { flags: [['algorithm.norm_adv_by_std_in_grpo', 'True']] },
      rloo: { note: 'algorithm.adv_estimator=rloo (set above): no std scaling' },
      none: { flags: [['algorithm.norm_adv_by_std_in_grpo', 'False']], note: 'Dr. GRPO' },
      batch: {
        status: 'unmapped',
        note: 'verl’s GRPO estimator has no batch-std mode (reinforce_plus_plus_baseline whitens over the batch but is another estimator); the export keeps group std',
      },
    }),
  },
  {
    field: 'maskTruncated',
    choose: byValue('maskTruncated', {
      true: {
        status: 'unmapped',
        note: 'verl main_ppo has no switch to mask truncated responses (the DAPO recipe’s overlong filter is separate)',
      },
      false: MASK_OFF,
    }),
  },
  { field: 'lr', flags: [[`${A}.optim.lr`, ({ lr }) => lr]], ...LR },
  { field: 'lrSchedule', flags: [[`${A}.optim.warmup_style`, lab('lrSchedule')]] },
  { field: 'warmupSteps', flags: [[`${A}.optim.lr_warmup_steps`, lab('warmupSteps')]] },
  {
    field: 'beta1',
    flags: [[`++${A}.optim.betas`, betasList]],
    note: '++ adds the key on verl versions whose optimizer config lacks it',
  },
  { field: 'beta2', flags: [[`++${A}.optim.betas`, betasList]] },
  { field: 'weightDecay', flags: [[`${A}.optim.weight_decay`, lab('weightDecay')]] },
  {
    field: 'gradClip',
    flags: [[`${A}.grad_clip`, gradClipOrNone]],
    note: ({ config }) => (config.gradClip > 0 ? '' : 'lab 0 = no clipping; a 1e9 norm never binds'),
  },
  {
    field: 'steps',
    flags: [
      ['trainer.total_training_steps', lab('steps')],
      ['trainer.total_epochs', 1000],
    ],
  },
  {
    field: 'evalEvery',
    flags: [
      ['trainer.test_freq', orNever('evalEvery')],
      ['trainer.val_before_train', 'True'],
    ],
  },
  {
    field: 'evalK',
    flags: [
      ['actor_rollout_ref.rollout.val_kwargs.n', lab('evalK')],
      [
        'actor_rollout_ref.rollout.val_kwargs.do_sample',
        ({ config }) => (config.evalK > 1 ? 'True' : 'False'),
      ],
    ],
    status: 'approximate',
    note: 'verl validates with one setting: avg@k sampling when k > 1 (the lab also reports greedy accuracy)',
  },
  {
    field: 'evalTemperature',
    flags: [['actor_rollout_ref.rollout.val_kwargs.temperature', lab('evalTemperature')]],
  },
  { field: 'checkpointEvery', flags: [['trainer.save_freq', orNever('checkpointEvery')]] },
  ...seedRows('++data.seed'),
  {
    field: '(reward function)',
    flags: [
      ['custom_reward_function.path', `${SH.HERE}/lab_reward.py`],
      [
        'custom_reward_function.name',
        (input) => (onlineVote(input) ? 'compute_score_batch' : 'compute_score'),
      ],
      ['reward_model.reward_manager', (input) => (onlineVote(input) ? 'batch' : 'naive')],
    ],
    note: (input) =>
      onlineVote(input) ? 'online majority vote needs the whole group: batch reward manager' : '',
  },
  {
    field: '(infrastructure)',
    flags: [
      ['data.train_files', SH.TRAIN_FILE],
      ['data.val_files', SH.VAL_FILE],
      ['data.filter_overlong_prompts', 'True'],
      ['actor_rollout_ref.rollout.name', 'vllm'],
      ['actor_rollout_ref.rollout.tensor_model_parallel_size', 2],
      ['actor_rollout_ref.rollout.gpu_memory_utilization', 0.6],
      // Token-budget micro-batching: changes memory use only, never the mini-batch the loss sees.
      ['actor_rollout_ref.actor.use_dynamic_bsz', 'True'],
      [
        'actor_rollout_ref.actor.ppo_max_token_len_per_gpu',
        ({ maxPrompt, maxResponse }) => 2 * (maxPrompt + maxResponse),
      ],
      ['actor_rollout_ref.model.enable_gradient_checkpointing', 'True'],
      ['trainer.default_local_dir', `${SH.OUT_DIR}/seed${SH.SEED}`],
      ['trainer.n_gpus_per_node', ({ gpusPerNode }) => gpusPerNode],
      ['trainer.nnodes', ({ nodes }) => nodes],
      ['trainer.logger', '[console]'],
      ['trainer.project_name', 'spurious-rewards-lab'],
      ['trainer.experiment_name', ({ config }) => `${config.model}-${config.reward}-seed${SH.SEED}`],
    ],
    note: INFRASTRUCTURE_NOTE,
  },
  {
    field: '(gpus)',
    // verl splits every batch evenly over the GPUs and asserts it; say so now rather than at launch.
    choose: ({ config, gpusPerNode, nodes }) => {
      const gpus = gpusPerNode * nodes;
      const rollouts = config.promptsPerStep * config.groupSize;
      const wholePrompts = Number.isInteger(config.miniBatchSize / config.groupSize);
      const uneven = rollouts % gpus !== 0 || (wholePrompts && config.miniBatchSize % gpus !== 0);
      if (!uneven) return null;
      return {
        status: 'unmapped',
        note: `verl needs the rollout batch (${rollouts}) and the mini-batch (${config.miniBatchSize}) to split evenly over ${gpus} GPUs; choose --gpus/--nodes that divide both`,
      };
    },
  },
  ...COMMON_ROWS,
];

// ---- OpenRLHF: flags `--flag value` ----

const openRlhfClipRange = (input: ExportInput): Rule =>
  clipping(input)
    ? { flags: [['--eps_clip_low_high', ({ config }) => `${config.epsLow} ${config.epsHigh}`]] }
    : NOT_CLIPPING;
const betasPair = ({ config }: ExportInput): FlagValue => `${config.beta1} ${config.beta2}`;

const OPENRLHF_TABLE: Table = [
  { field: 'model', flags: [['--pretrain', ({ model }) => model]], ...MODEL },
  { field: 'promptsPerStep', flags: [['--rollout_batch_size', lab('promptsPerStep')]] },
  { field: 'groupSize', flags: [['--n_samples_per_prompt', lab('groupSize')]] },
  {
    field: 'miniBatchSize',
    // OpenRLHF's train_batch_size is the global number of samples per optimizer step: the lab's mini-batch.
    flags: [['--train_batch_size', lab('miniBatchSize')]],
    note: 'samples per optimizer step',
  },
  { field: 'ppoEpochs', flags: [['--max_epochs', lab('ppoEpochs')]] },
  { field: 'temperature', flags: [['--temperature', lab('temperature')]] },
  { field: 'topP', flags: [['--top_p', lab('topP')]] },
  maxNewTokensRow('--generate_max_len', '--prompt_max_len'),
  {
    field: 'clipMode',
    choose: byValue('clipMode', {
      clip: { note: 'PPO clipped objective (OpenRLHF default)' },
      none: {
        flags: [['--eps_clip_low_high', `${NO_CLIP} ${NO_CLIP}`]],
        note: 'no no-clip switch: a clip range of 1e9 never binds, so the loss is -R·A exactly',
      },
    }),
  },
  // One flag carries both clip bounds, so both rows list it.
  { field: 'epsLow', choose: openRlhfClipRange },
  { field: 'epsHigh', choose: openRlhfClipRange },
  {
    field: 'dualClip',
    choose: ({ config }) =>
      config.dualClip > 1
        ? { flags: [['--dual_clip', lab('dualClip')]] }
        : { note: 'off (OpenRLHF default)' },
  },
  {
    field: 'logRatioClamp',
    status: 'unmapped',
    note: 'OpenRLHF computes the ratio without a configurable log clamp',
  },
  {
    field: 'klCoef',
    choose: (input) =>
      withKl(input)
        ? { flags: [['--use_kl_loss'], ['--init_kl_coef', lab('klCoef')]] }
        : { flags: [['--init_kl_coef', 0]], note: 'no KL, as the paper' },
  },
  {
    field: 'klEstimator',
    choose: (input) => (withKl(input) ? { flags: [['--kl_estimator', lab('klEstimator')]] } : NOT_KL),
  },
  { field: 'entropyCoef', flags: [['--entropy_loss_coef', lab('entropyCoef')]] },
  {
    field: 'aggregation',
    choose: ({ config }) =>
      config.aggregation === 'token-mean'
        ? { note: 'OpenRLHF averages over tokens (token-level loss)' }
        : {
            status: 'unmapped',
            note: `OpenRLHF averages the loss over all tokens (token-mean) and has no flag for ${config.aggregation}`,
          },
  },
  {
    field: 'stdScaling',
    choose: byValue('stdScaling', {
      group: { flags: [['--advantage_estimator', 'group_norm']] },
      rloo: { flags: [['--advantage_estimator', 'rloo']], note: 'leave-one-out mean baseline, no std' },
      none: { flags: [['--advantage_estimator', 'dr_grpo']], note: 'Dr. GRPO: group mean only' },
      batch: {
        flags: [['--advantage_estimator', 'reinforce_baseline']],
        status: 'approximate',
        note: 'group mean baseline, then whitening over the batch (also subtracts the batch mean, ~0 after centring)',
      },
    }),
  },
  {
    field: 'maskTruncated',
    choose: byValue('maskTruncated', {
      true: {
        status: 'unmapped',
        note: 'OpenRLHF offers an overlong penalty (--overlong_buffer_len), not masking',
      },
      false: MASK_OFF,
    }),
  },
  { field: 'lr', flags: [['--actor_learning_rate', ({ lr }) => lr]], ...LR },
  {
    field: 'lrSchedule',
    choose: byValue('lrSchedule', {
      constant: { flags: [['--lr_scheduler', 'constant_with_warmup']] },
      cosine: {
        flags: [['--lr_scheduler', 'cosine_with_min_lr']],
        status: 'approximate',
        note: 'OpenRLHF’s cosine decays to 0.1 × lr, the lab’s to 0',
      },
    }),
  },
  {
    field: 'warmupSteps',
    flags: [['--lr_warmup_ratio', ({ config }) => config.warmupSteps / config.steps]],
    note: 'as a share of the steps',
  },
  { field: 'beta1', flags: [['--adam_betas', betasPair]] },
  { field: 'beta2', flags: [['--adam_betas', betasPair]] },
  { field: 'weightDecay', flags: [['--l2', lab('weightDecay')]] },
  { field: 'gradClip', flags: [['--max_norm', gradClipOrNone]] },
  {
    field: 'steps',
    flags: [
      ['--max_samples', ({ config }) => config.steps * config.promptsPerStep],
      ['--num_episodes', 1],
    ],
    note: 'steps × prompts per step, one pass',
  },
  { field: 'evalEvery', flags: [['--eval_steps', orNever('evalEvery')]] },
  {
    field: 'evalK',
    flags: [['--eval_n_samples_per_prompt', lab('evalK')]],
    status: 'approximate',
    note: 'avg@k only; the lab also reports greedy accuracy',
  },
  { field: 'evalTemperature', flags: [['--eval_temperature', lab('evalTemperature')]] },
  { field: 'checkpointEvery', flags: [['--save_steps', orNever('checkpointEvery')]] },
  ...seedRows('--seed'),
  {
    field: '(reward function)',
    flags: [
      ['--remote_rm_url', `${SH.HERE}/lab_reward.py`],
      ['--label_key', 'label'],
      ['--input_key', 'prompt'],
      ['--apply_chat_template'],
    ],
    note: (input) =>
      onlineVote(input)
        ? 'online majority vote groups samples by prompt inside each reward call: keep --micro_rollout_batch_size a multiple of G'
        : '',
  },
  {
    field: '(infrastructure)',
    flags: [
      ['--prompt_data', SH.TRAIN_FILE],
      ['--eval_dataset', SH.VAL_FILE],
      ['--save_path', `${SH.OUT_DIR}/seed${SH.SEED}`],
      ['--actor_num_nodes', ({ nodes }) => nodes],
      ['--actor_num_gpus_per_node', ({ gpusPerNode }) => gpusPerNode],
      ['--ref_num_nodes', ({ nodes }) => nodes],
      ['--ref_num_gpus_per_node', ({ gpusPerNode }) => gpusPerNode],
      ['--vllm_num_engines', ({ gpusPerNode }) => Math.max(1, Math.floor(gpusPerNode / 2))],
      ['--vllm_tensor_parallel_size', 2],
      ['--colocate_all_models'],
      ['--micro_train_batch_size', 4],
      ['--micro_rollout_batch_size', lab('groupSize')],
      ['--zero_stage', 3],
      ['--bf16'],
      ['--gradient_checkpointing'],
      ['--packing_samples'],
    ],
    note: INFRASTRUCTURE_NOTE,
  },
  ...COMMON_ROWS,
];

const ENGINE_TABLES: Record<Engine, { table: Table; formatFlag: (flag: string, value?: string) => string }> =
  {
    // verl overrides always carry a value.
    verl: { table: VERL_TABLE, formatFlag: (flag, value) => `${flag}=${value}` },
    openrlhf: {
      table: OPENRLHF_TABLE,
      formatFlag: (flag, value) => (value === undefined ? flag : `${flag} ${value}`),
    },
  };

export function engineInvocation(config: ExperimentConfig, options: ExportOptions): EngineInvocation {
  const model = options.model ?? realModelFor(config.model) ?? 'YOUR/MODEL';
  const input: ExportInput = {
    config,
    options,
    model,
    lr: options.lr ?? PAPER_LR,
    maxResponse: options.maxResponseLength ?? PAPER_MAX_RESPONSE,
    maxPrompt: options.maxPromptLength ?? DEFAULT_MAX_PROMPT,
    gpusPerNode: options.gpusPerNode ?? 8,
    nodes: options.nodes ?? 1,
  };
  const { table, formatFlag } = ENGINE_TABLES[options.engine];
  const { args, mappings } = applyMappingTable(table, input, formatFlag);
  return { engine: options.engine, args, mappings, model };
}

/** Schema fields without a row (should be none; the tests check it stays that way). */
export function fieldsWithoutMapping(invocation: EngineInvocation): ExperimentKey[] {
  const covered = new Set(invocation.mappings.map((r) => r.field));
  return FIELD_SPECS.map((s) => s.key).filter((k) => !covered.has(k));
}
