// The exported Python reward module (`lab_reward.py`): the lab's rewards, answer extraction and seeded
// random numbers written out in Python so a cluster run scores responses exactly as the lab does. The
// module is the real Python file python/lab_reward.py (answer extraction and the seeded generator,
// line-by-line twins of src/tasks/answer.ts and src/util/random.ts, and the engine entry points); this
// file fills its placeholders: the experiment's settings, and the reward bodies verbatim from
// REWARD_REGISTRY (src/rl/rewards.ts), so adding a reward there adds it here. A unit test runs the
// filled module under python3 on the shared fixture file to prove it.
//
// Entry points for the engines: verl `compute_score(data_source, solution_str, ground_truth,
// extra_info)` (naive reward manager) and `compute_score_batch(...)` (batch manager, needed for the
// online majority vote), OpenRLHF `reward_func(queries, prompts, labels)` (--remote_rm_url file.py).
import { REWARD_REGISTRY, REWARD_RNG_STREAM } from '../rl/rewards';
import { pythonTemplates } from './pythonFiles';

export interface RewardModuleSettings {
  reward: string;
  gamma: number;
  seed: number;
  /** Shown in the header so a module can be traced back to its experiment. */
  sourceHash: string;
}

/** Python literal of a JS string (JSON string syntax is valid Python for these characters). */
function pyString(text: string): string {
  return JSON.stringify(text);
}

/** Python float literal that reads back as the same double. */
function pyFloat(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

function rewardFunctions(): string {
  const lines: string[] = [];
  const available: string[] = [];
  for (const def of REWARD_REGISTRY) {
    if (def.python === null) {
      lines.push(`# ${def.name}: no Python implementation in the lab registry; it cannot be exported.`);
      continue;
    }
    available.push(def.name);
    lines.push(
      `def reward_${def.name}(response, example, ctx):`,
      `    """${def.description.replace(/\\/g, '\\\\').replace(/"""/g, '')}"""`,
      `    ${def.python}`,
      '',
      '',
    );
  }
  lines.push('REWARDS = {', ...available.map((name) => `    ${pyString(name)}: reward_${name},`), '}');
  return lines.join('\n');
}

/** The line that ends a template's notes to its readers; it and everything above it is not exported. */
const TEMPLATE_NOTES_END = '# ---- end of template notes ----\n';

/**
 * Fill a Python template: drop its notes, then replace each `__TEMPLATE_<NAME>__` with values[NAME].
 * A value nobody asks for, or a placeholder left without one, is a programming error and throws.
 */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const notesEnd = template.indexOf(TEMPLATE_NOTES_END);
  let text = notesEnd < 0 ? template : template.slice(notesEnd + TEMPLATE_NOTES_END.length);
  for (const [name, value] of Object.entries(values)) {
    const placeholder = `__TEMPLATE_${name}__`;
    if (!text.includes(placeholder)) throw new Error(`the template has no ${placeholder}`);
    // split/join, not replace(): a value may hold `$` patterns that replace() would expand.
    text = text.split(placeholder).join(value);
  }
  const left = /__TEMPLATE_[A-Z0-9_]+__/.exec(text);
  if (left) throw new Error(`the template's ${left[0]} has no value`);
  return text;
}

/** The full text of lab_reward.py for a reward setting. */
export function rewardModuleSource(settings: RewardModuleSettings): string {
  return fillTemplate(pythonTemplates.read('lab_reward'), {
    SOURCE_HASH: settings.sourceHash,
    REWARD_NAME: settings.reward,
    REWARD: pyString(settings.reward),
    GAMMA: pyString(pyFloat(settings.gamma)),
    SEED: pyString(String(settings.seed)),
    REWARD_RNG_STREAM: String(REWARD_RNG_STREAM),
    REWARD_FUNCTIONS: rewardFunctions(),
  });
}
