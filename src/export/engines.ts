// Lab setting → engine flag mapping for the cluster export (issue 9). Every field of the experiment
// schema gets a row per engine: mapped exactly, mapped approximately (with why), or not mapped (with
// why) — nothing is dropped silently, and a test walks FIELD_SPECS to prove it.
//
// Targets: verl 0.5-era Hydra overrides of `python3 -m verl.trainer.main_ppo` and OpenRLHF 0.8-era
// flags of `python3 -m openrlhf.cli.train_ppo_ray`. Option names drift between releases; the README
// written with the export lists every flag used so a mismatch is easy to fix by hand.
import { realModelFor } from '../experiment/config/derived';
import { FIELD_SPECS } from '../experiment/config/fields';
import type { ExperimentConfig, ExperimentKey } from '../experiment/config/schema';
import { rewardNeedsOfflineLabels, rewardTrainingSet, rewardUses } from '../rl/rewards';

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

export type MappingStatus = 'exact' | 'approximate' | 'unmapped' | 'prepare';

export interface SettingMapping {
  /** Config key (or a pseudo-field such as `(infrastructure)`). */
  field: ExperimentKey | string;
  labValue: string;
  /** Engine flags / overrides this row produced (empty when unmapped). */
  settings: string[];
  status: MappingStatus;
  note: string;
}

export interface EngineInvocation {
  engine: Engine;
  /** Overrides (verl: `key=value`) or flags (OpenRLHF: `--flag value`), one per line of the script. */
  args: string[];
  mappings: SettingMapping[];
  /** The model id used. */
  model: string;
}

/** Shell variables the launch scripts define (HERE, SEED, TRAIN_FILE, VAL_FILE, OUT_DIR), as `${NAME}`. */
const SH = Object.fromEntries(
  ['HERE', 'SEED', 'TRAIN_FILE', 'VAL_FILE', 'OUT_DIR'].map((n) => [n, `$${'{'}${n}}`]),
) as Record<'HERE' | 'SEED' | 'TRAIN_FILE' | 'VAL_FILE' | 'OUT_DIR', string>;

const fmt = (value: number | string | boolean): string => String(value);

class Mapper {
  readonly args: string[] = [];
  readonly mappings: SettingMapping[] = [];
  constructor(readonly config: ExperimentConfig) {}

  private value(field: ExperimentKey | string): string {
    return field in this.config ? fmt(this.config[field as ExperimentKey]) : '';
  }

  map(field: ExperimentKey | string, settings: string[], status: MappingStatus = 'exact', note = ''): void {
    for (const s of settings) if (!this.args.includes(s)) this.args.push(s);
    this.mappings.push({ field, labValue: this.value(field), settings, status, note });
  }

  unmapped(field: ExperimentKey | string, note: string): void {
    this.mappings.push({ field, labValue: this.value(field), settings: [], status: 'unmapped', note });
  }

  prepare(field: ExperimentKey | string, note: string): void {
    this.mappings.push({ field, labValue: this.value(field), settings: [], status: 'prepare', note });
  }
}

function resolveModel(config: ExperimentConfig, options: ExportOptions): string {
  return options.model ?? realModelFor(config.model) ?? 'YOUR/MODEL';
}

/** Rows shared by both engines: fields handled by the data-preparation step or not at all. */
function commonRows(config: ExperimentConfig, m: Mapper): void {
  m.unmapped(
    'dataset',
    'MiniMath is the lab’s toy world; prepare_data.py builds the real train/val files (default: the paper’s DeepScaleR train set, MATH-500 for eval).',
  );
  m.unmapped('difficulty', 'MiniMath levels have no counterpart in real math datasets.');
  if (rewardTrainingSet(config.reward) === 'one_shot')
    m.prepare(
      'oneShotIndex',
      'prepare_data.py --one-shot-index keeps that single training example, repeated.',
    );
  else m.prepare('oneShotIndex', 'unused by this reward.');
  if (rewardNeedsOfflineLabels(config.reward))
    m.prepare(
      'labelSamples',
      'prepare_data.py --label-samples k: the initial model samples k answers per prompt with vLLM; the most common becomes majority_label.',
    );
  else m.prepare('labelSamples', 'unused by this reward.');
  m.prepare('reward', 'lab_reward.py implements it (REWARD constant, or LAB_REWARD env).');
  if (rewardUses(config.reward).includes('random'))
    m.prepare('gamma', 'lab_reward.py GAMMA (or LAB_GAMMA env).');
  else m.prepare('gamma', 'unused by this reward.');
  m.unmapped('backend', 'the lab’s compute backend; engines run on CUDA.');
  if (config.adamEps !== 1e-8)
    m.unmapped('adamEps', 'neither engine exposes Adam epsilon on the command line (both use 1e-8).');
  else m.map('adamEps', [], 'exact', 'engine default 1e-8');
  m.prepare(
    'evalSize',
    'prepare_data.py --max-val N keeps the first N eval problems; by default all of MATH-500, as the paper.',
  );
}

function verlInvocation(config: ExperimentConfig, options: ExportOptions): EngineInvocation {
  const m = new Mapper(config);
  const model = resolveModel(config, options);
  const a = 'actor_rollout_ref.actor';
  const G = config.groupSize;

  m.map(
    '(algorithm)',
    [
      `algorithm.adv_estimator=${config.stdScaling === 'rloo' ? 'rloo' : 'grpo'}`,
      'algorithm.use_kl_in_reward=False',
    ],
    'exact',
    config.stdScaling === 'rloo'
      ? 'RLOO advantages (leave-one-out mean baseline); no KL in the reward.'
      : 'GRPO advantages; no KL in the reward.',
  );
  m.map(
    'model',
    [`actor_rollout_ref.model.path=${model}`],
    realModelFor(config.model) || options.model ? 'exact' : 'unmapped',
    options.model
      ? 'overridden with --model'
      : realModelFor(config.model)
        ? `the real model ${config.model} imitates`
        : 'a user-built family has no real model: pass --model',
  );
  m.map('promptsPerStep', [`data.train_batch_size=${config.promptsPerStep}`]);
  m.map('groupSize', [`actor_rollout_ref.rollout.n=${G}`]);
  // verl counts ppo_mini_batch_size in prompts and multiplies it by n itself.
  const miniPrompts = config.miniBatchSize / G;
  if (Number.isInteger(miniPrompts)) {
    m.map(
      'miniBatchSize',
      [`${a}.ppo_mini_batch_size=${miniPrompts}`],
      'exact',
      `verl counts prompts: ${miniPrompts} × n=${G} = ${config.miniBatchSize} rollouts per update`,
    );
  } else {
    const rounded = Math.max(1, Math.round(miniPrompts));
    m.map(
      'miniBatchSize',
      [`${a}.ppo_mini_batch_size=${rounded}`],
      'approximate',
      `verl counts mini-batches in whole prompts; ${config.miniBatchSize} rollouts is ${miniPrompts.toFixed(2)} prompts of G=${G}, rounded to ${rounded} (${rounded * G} rollouts), so updates per rollout batch change`,
    );
  }
  m.map('ppoEpochs', [`${a}.ppo_epochs=${config.ppoEpochs}`]);
  m.map('temperature', [`actor_rollout_ref.rollout.temperature=${config.temperature}`]);
  m.map('topP', [`actor_rollout_ref.rollout.top_p=${config.topP}`, 'actor_rollout_ref.rollout.top_k=-1']);
  const maxResponse = options.maxResponseLength ?? PAPER_MAX_RESPONSE;
  m.map(
    'maxNewTokens',
    [
      `data.max_response_length=${maxResponse}`,
      `data.max_prompt_length=${options.maxPromptLength ?? DEFAULT_MAX_PROMPT}`,
    ],
    'approximate',
    `the lab counts characters of MiniMath (${config.maxNewTokens}); the export uses ${options.maxResponseLength ? 'the given' : 'the paper’s'} ${maxResponse} tokens`,
  );

  if (config.clipMode === 'clip') {
    m.map('clipMode', [], 'exact', 'PPO clipped objective (verl default policy loss)');
    m.map('epsLow', [`${a}.clip_ratio_low=${config.epsLow}`]);
    m.map('epsHigh', [`${a}.clip_ratio_high=${config.epsHigh}`]);
  } else {
    m.map(
      'clipMode',
      [`${a}.clip_ratio_low=${NO_CLIP}`, `${a}.clip_ratio_high=${NO_CLIP}`],
      'exact',
      'verl has no no-clip switch: a clip range of 1e9 never binds, so the loss is -R·A exactly',
    );
    m.map('epsLow', [], 'exact', 'not used with clipping off');
    m.map('epsHigh', [], 'exact', 'not used with clipping off');
  }
  if (config.dualClip > 1) m.map('dualClip', [`${a}.clip_ratio_c=${config.dualClip}`]);
  else
    m.map(
      'dualClip',
      [`${a}.clip_ratio_c=${NO_CLIP}`],
      'exact',
      'verl always applies dual clip (default c=3); c=1e9 turns it off as in the lab',
    );
  if (config.logRatioClamp === 20)
    m.map('logRatioClamp', [], 'exact', 'verl clamps log-ratios to ±20 internally');
  else m.unmapped('logRatioClamp', 'verl’s ±20 log-ratio clamp is fixed in code');
  if (config.klCoef > 0) {
    m.map('klCoef', [`${a}.use_kl_loss=True`, `${a}.kl_loss_coef=${config.klCoef}`]);
    m.map('klEstimator', [`${a}.kl_loss_type=${config.klEstimator === 'k3' ? 'low_var_kl' : 'kl'}`]);
  } else {
    m.map('klCoef', [`${a}.use_kl_loss=False`], 'exact', 'no reference model, as the paper');
    m.map('klEstimator', [], 'exact', 'not used without KL');
  }
  m.map('entropyCoef', [`${a}.entropy_coeff=${config.entropyCoef}`]);
  m.map(
    'aggregation',
    [`${a}.loss_agg_mode=${config.aggregation}`],
    'exact',
    config.aggregation === 'seq-mean-token-sum-norm'
      ? 'verl divides by the response length budget, as the lab divides by max new tokens'
      : '',
  );
  if (config.stdScaling === 'group') m.map('stdScaling', ['algorithm.norm_adv_by_std_in_grpo=True']);
  else if (config.stdScaling === 'rloo')
    m.map('stdScaling', [], 'exact', 'algorithm.adv_estimator=rloo (set above): no std scaling');
  else if (config.stdScaling === 'none')
    m.map('stdScaling', ['algorithm.norm_adv_by_std_in_grpo=False'], 'exact', 'Dr. GRPO');
  else
    m.unmapped(
      'stdScaling',
      'verl’s GRPO estimator has no batch-std mode (reinforce_plus_plus_baseline whitens over the batch but is another estimator); the export keeps group std',
    );
  if (config.maskTruncated)
    m.unmapped(
      'maskTruncated',
      'verl main_ppo has no switch to mask truncated responses (the DAPO recipe’s overlong filter is separate)',
    );
  else m.map('maskTruncated', [], 'exact', 'off in both');

  const lr = options.lr ?? PAPER_LR;
  m.map(
    'lr',
    [`${a}.optim.lr=${lr}`],
    options.lr ? 'exact' : 'approximate',
    options.lr
      ? 'given with --lr'
      : `the lab’s ${config.lr} is for a tiny model; the export uses the paper’s ${PAPER_LR} (pass --lr to change)`,
  );
  m.map('lrSchedule', [`${a}.optim.warmup_style=${config.lrSchedule}`]);
  m.map('warmupSteps', [`${a}.optim.lr_warmup_steps=${config.warmupSteps}`]);
  m.map(
    'beta1',
    [`++${a}.optim.betas=[${config.beta1},${config.beta2}]`],
    'exact',
    '++ adds the key on verl versions whose optimizer config lacks it',
  );
  m.map('beta2', [`++${a}.optim.betas=[${config.beta1},${config.beta2}]`]);
  m.map('weightDecay', [`${a}.optim.weight_decay=${config.weightDecay}`]);
  m.map(
    'gradClip',
    [`${a}.grad_clip=${config.gradClip > 0 ? config.gradClip : NO_CLIP}`],
    'exact',
    config.gradClip > 0 ? '' : 'lab 0 = no clipping; a 1e9 norm never binds',
  );

  m.map('steps', [`trainer.total_training_steps=${config.steps}`, 'trainer.total_epochs=1000']);
  m.map('evalEvery', [
    `trainer.test_freq=${config.evalEvery > 0 ? config.evalEvery : -1}`,
    'trainer.val_before_train=True',
  ]);
  m.map(
    'evalK',
    [
      `actor_rollout_ref.rollout.val_kwargs.n=${config.evalK}`,
      `actor_rollout_ref.rollout.val_kwargs.do_sample=${config.evalK > 1 ? 'True' : 'False'}`,
    ],
    'approximate',
    'verl validates with one setting: avg@k sampling when k > 1 (the lab also reports greedy accuracy)',
  );
  m.map('evalTemperature', [`actor_rollout_ref.rollout.val_kwargs.temperature=${config.evalTemperature}`]);
  m.map('checkpointEvery', [`trainer.save_freq=${config.checkpointEvery > 0 ? config.checkpointEvery : -1}`]);
  m.map(
    'seed',
    [`++data.seed=${SH.SEED}`],
    'approximate',
    'seeds data order and lab_reward.py (LAB_SEED); vLLM sampling on GPUs is not bit-reproducible',
  );
  m.map(
    'seeds',
    [],
    'exact',
    config.seeds > 1
      ? `the script loops over seeds ${config.seed}..${config.seed + config.seeds - 1}`
      : 'one seed',
  );

  const online = rewardUses(config.reward).includes('majority_vote_online');
  m.map(
    '(reward function)',
    [
      `custom_reward_function.path=${SH.HERE}/lab_reward.py`,
      `custom_reward_function.name=${online ? 'compute_score_batch' : 'compute_score'}`,
      `reward_model.reward_manager=${online ? 'batch' : 'naive'}`,
    ],
    'exact',
    online ? 'online majority vote needs the whole group: batch reward manager' : '',
  );
  m.map(
    '(infrastructure)',
    [
      `data.train_files=${SH.TRAIN_FILE}`,
      `data.val_files=${SH.VAL_FILE}`,
      'data.filter_overlong_prompts=True',
      'actor_rollout_ref.rollout.name=vllm',
      'actor_rollout_ref.rollout.tensor_model_parallel_size=2',
      'actor_rollout_ref.rollout.gpu_memory_utilization=0.6',
      // Token-budget micro-batching: changes memory use only, never the mini-batch the loss sees.
      'actor_rollout_ref.actor.use_dynamic_bsz=True',
      `actor_rollout_ref.actor.ppo_max_token_len_per_gpu=${2 * ((options.maxPromptLength ?? DEFAULT_MAX_PROMPT) + (options.maxResponseLength ?? PAPER_MAX_RESPONSE))}`,
      'actor_rollout_ref.model.enable_gradient_checkpointing=True',
      `trainer.default_local_dir=${SH.OUT_DIR}/seed${SH.SEED}`,
      `trainer.n_gpus_per_node=${options.gpusPerNode ?? 8}`,
      `trainer.nnodes=${options.nodes ?? 1}`,
      'trainer.logger=[console]',
      'trainer.project_name=spurious-rewards-lab',
      `trainer.experiment_name=${config.model}-${config.reward}-seed${SH.SEED}`,
    ],
    'exact',
    'cluster layout: adjust GPUs, micro-batch sizes and memory to your machines',
  );
  // verl splits every batch evenly over the GPUs and asserts it; say so now rather than at launch.
  const gpus = (options.gpusPerNode ?? 8) * (options.nodes ?? 1);
  const rollouts = config.promptsPerStep * G;
  if (rollouts % gpus !== 0 || (Number.isInteger(miniPrompts) && config.miniBatchSize % gpus !== 0)) {
    m.unmapped(
      '(gpus)',
      `verl needs the rollout batch (${rollouts}) and the mini-batch (${config.miniBatchSize}) to split evenly over ${gpus} GPUs; choose --gpus/--nodes that divide both`,
    );
  }
  commonRows(config, m);
  return { engine: 'verl', args: m.args, mappings: m.mappings, model };
}

function openRlhfInvocation(config: ExperimentConfig, options: ExportOptions): EngineInvocation {
  const m = new Mapper(config);
  const model = resolveModel(config, options);

  m.map(
    'model',
    [`--pretrain ${model}`],
    realModelFor(config.model) || options.model ? 'exact' : 'unmapped',
    options.model
      ? 'overridden with --model'
      : realModelFor(config.model)
        ? `the real model ${config.model} imitates`
        : 'a user-built family has no real model: pass --model',
  );
  m.map('promptsPerStep', [`--rollout_batch_size ${config.promptsPerStep}`]);
  m.map('groupSize', [`--n_samples_per_prompt ${config.groupSize}`]);
  // OpenRLHF's train_batch_size is the global number of samples per optimizer step: the lab's mini-batch.
  m.map(
    'miniBatchSize',
    [`--train_batch_size ${config.miniBatchSize}`],
    'exact',
    'samples per optimizer step',
  );
  m.map('ppoEpochs', [`--max_epochs ${config.ppoEpochs}`]);
  m.map('temperature', [`--temperature ${config.temperature}`]);
  m.map('topP', [`--top_p ${config.topP}`]);
  const maxResponse = options.maxResponseLength ?? PAPER_MAX_RESPONSE;
  m.map(
    'maxNewTokens',
    [
      `--generate_max_len ${maxResponse}`,
      `--prompt_max_len ${options.maxPromptLength ?? DEFAULT_MAX_PROMPT}`,
    ],
    'approximate',
    `the lab counts characters of MiniMath (${config.maxNewTokens}); the export uses ${options.maxResponseLength ? 'the given' : 'the paper’s'} ${maxResponse} tokens`,
  );
  if (config.clipMode === 'clip') {
    m.map('clipMode', [], 'exact', 'PPO clipped objective (OpenRLHF default)');
    m.map('epsLow', [`--eps_clip_low_high ${config.epsLow} ${config.epsHigh}`]);
    m.map('epsHigh', [`--eps_clip_low_high ${config.epsLow} ${config.epsHigh}`]);
  } else {
    m.map(
      'clipMode',
      [`--eps_clip_low_high ${NO_CLIP} ${NO_CLIP}`],
      'exact',
      'no no-clip switch: a clip range of 1e9 never binds, so the loss is -R·A exactly',
    );
    m.map('epsLow', [], 'exact', 'not used with clipping off');
    m.map('epsHigh', [], 'exact', 'not used with clipping off');
  }
  if (config.dualClip > 1) m.map('dualClip', [`--dual_clip ${config.dualClip}`]);
  else m.map('dualClip', [], 'exact', 'off (OpenRLHF default)');
  m.unmapped('logRatioClamp', 'OpenRLHF computes the ratio without a configurable log clamp');
  if (config.klCoef > 0) {
    m.map('klCoef', ['--use_kl_loss', `--init_kl_coef ${config.klCoef}`]);
    m.map('klEstimator', [`--kl_estimator ${config.klEstimator}`]);
  } else {
    m.map('klCoef', ['--init_kl_coef 0'], 'exact', 'no KL, as the paper');
    m.map('klEstimator', [], 'exact', 'not used without KL');
  }
  m.map('entropyCoef', [`--entropy_loss_coef ${config.entropyCoef}`]);
  if (config.aggregation === 'token-mean')
    m.map('aggregation', [], 'exact', 'OpenRLHF averages over tokens (token-level loss)');
  else
    m.unmapped(
      'aggregation',
      `OpenRLHF averages the loss over all tokens (token-mean) and has no flag for ${config.aggregation}`,
    );
  if (config.stdScaling === 'group') m.map('stdScaling', ['--advantage_estimator group_norm']);
  else if (config.stdScaling === 'rloo')
    m.map('stdScaling', ['--advantage_estimator rloo'], 'exact', 'leave-one-out mean baseline, no std');
  else if (config.stdScaling === 'none')
    m.map('stdScaling', ['--advantage_estimator dr_grpo'], 'exact', 'Dr. GRPO: group mean only');
  else
    m.map(
      'stdScaling',
      ['--advantage_estimator reinforce_baseline'],
      'approximate',
      'group mean baseline, then whitening over the batch (also subtracts the batch mean, ~0 after centring)',
    );
  if (config.maskTruncated)
    m.unmapped('maskTruncated', 'OpenRLHF offers an overlong penalty (--overlong_buffer_len), not masking');
  else m.map('maskTruncated', [], 'exact', 'off in both');
  const lr = options.lr ?? PAPER_LR;
  m.map(
    'lr',
    [`--actor_learning_rate ${lr}`],
    options.lr ? 'exact' : 'approximate',
    options.lr
      ? 'given with --lr'
      : `the lab’s ${config.lr} is for a tiny model; the export uses the paper’s ${PAPER_LR} (pass --lr to change)`,
  );
  if (config.lrSchedule === 'constant') m.map('lrSchedule', ['--lr_scheduler constant_with_warmup']);
  else
    m.map(
      'lrSchedule',
      ['--lr_scheduler cosine_with_min_lr'],
      'approximate',
      'OpenRLHF’s cosine decays to 0.1 × lr, the lab’s to 0',
    );
  m.map(
    'warmupSteps',
    [`--lr_warmup_ratio ${config.warmupSteps / config.steps}`],
    'exact',
    'as a share of the steps',
  );
  m.map('beta1', [`--adam_betas ${config.beta1} ${config.beta2}`]);
  m.map('beta2', [`--adam_betas ${config.beta1} ${config.beta2}`]);
  m.map('weightDecay', [`--l2 ${config.weightDecay}`]);
  m.map('gradClip', [`--max_norm ${config.gradClip > 0 ? config.gradClip : NO_CLIP}`]);
  m.map(
    'steps',
    [`--max_samples ${config.steps * config.promptsPerStep}`, '--num_episodes 1'],
    'exact',
    'steps × prompts per step, one pass',
  );
  m.map('evalEvery', [`--eval_steps ${config.evalEvery > 0 ? config.evalEvery : -1}`]);
  m.map(
    'evalK',
    [`--eval_n_samples_per_prompt ${config.evalK}`],
    'approximate',
    'avg@k only; the lab also reports greedy accuracy',
  );
  m.map('evalTemperature', [`--eval_temperature ${config.evalTemperature}`]);
  m.map('checkpointEvery', [`--save_steps ${config.checkpointEvery > 0 ? config.checkpointEvery : -1}`]);
  m.map(
    'seed',
    [`--seed ${SH.SEED}`],
    'approximate',
    'seeds data order and lab_reward.py (LAB_SEED); vLLM sampling on GPUs is not bit-reproducible',
  );
  m.map(
    'seeds',
    [],
    'exact',
    config.seeds > 1
      ? `the script loops over seeds ${config.seed}..${config.seed + config.seeds - 1}`
      : 'one seed',
  );
  m.map(
    '(reward function)',
    [
      `--remote_rm_url ${SH.HERE}/lab_reward.py`,
      '--label_key label',
      '--input_key prompt',
      '--apply_chat_template',
    ],
    'exact',
    rewardUses(config.reward).includes('majority_vote_online')
      ? 'online majority vote groups samples by prompt inside each reward call: keep --micro_rollout_batch_size a multiple of G'
      : '',
  );
  m.map(
    '(infrastructure)',
    [
      `--prompt_data ${SH.TRAIN_FILE}`,
      `--eval_dataset ${SH.VAL_FILE}`,
      `--save_path ${SH.OUT_DIR}/seed${SH.SEED}`,
      `--actor_num_nodes ${options.nodes ?? 1}`,
      `--actor_num_gpus_per_node ${options.gpusPerNode ?? 8}`,
      `--ref_num_nodes ${options.nodes ?? 1}`,
      `--ref_num_gpus_per_node ${options.gpusPerNode ?? 8}`,
      `--vllm_num_engines ${Math.max(1, Math.floor((options.gpusPerNode ?? 8) / 2))}`,
      '--vllm_tensor_parallel_size 2',
      '--colocate_all_models',
      '--micro_train_batch_size 4',
      `--micro_rollout_batch_size ${config.groupSize}`,
      '--zero_stage 3',
      '--bf16',
      '--gradient_checkpointing',
      '--packing_samples',
    ],
    'exact',
    'cluster layout: adjust GPUs, micro-batch sizes and memory to your machines',
  );
  commonRows(config, m);
  return { engine: 'openrlhf', args: m.args, mappings: m.mappings, model };
}

export function engineInvocation(config: ExperimentConfig, options: ExportOptions): EngineInvocation {
  return options.engine === 'verl' ? verlInvocation(config, options) : openRlhfInvocation(config, options);
}

/** Schema fields without a row (should be none; the tests check it stays that way). */
export function fieldsWithoutMapping(invocation: EngineInvocation): ExperimentKey[] {
  const covered = new Set(invocation.mappings.map((r) => r.field));
  return FIELD_SPECS.map((s) => s.key).filter((k) => !covered.has(k));
}
