// The exported `prepare_data.py`: turns a real math dataset into the engine's train/val files with the
// fields lab_reward.py reads, and runs the label pipelines that happen before RL in the paper — one-shot
// (keep one example, repeated) and offline majority vote / incorrect (the initial model samples k
// answers per prompt with vLLM; the most common answer becomes the label, as buildOfflineMajorityLabels
// in src/rl/rewards.ts). Standard library only, except vLLM for labels and pandas for verl's parquet.
// The script is the real Python file python/prepare_data.py; this file fills its placeholders.
import type { Engine } from './engines';
import { fillTemplate } from './python';
import { pythonTemplates } from './pythonFiles';

export interface PrepareDataSettings {
  engine: Engine;
  /** Which training set the reward needs (rewardTrainingSet). */
  trainingSet: 'all' | 'one_shot' | 'majority_labels' | 'incorrect_labels';
  oneShotIndex: number;
  labelSamples: number;
  model: string;
  seed: number;
  maxResponseLength: number;
}

/** The full text of prepare_data.py; the settings become Python literals (JSON strings and numbers). */
export function prepareDataSource(s: PrepareDataSettings): string {
  return fillTemplate(pythonTemplates.read('prepare_data'), {
    ENGINE: JSON.stringify(s.engine),
    TRAINING_SET: JSON.stringify(s.trainingSet),
    FORMAT: JSON.stringify(s.engine === 'verl' ? 'parquet' : 'jsonl'),
    ONE_SHOT_INDEX: String(s.oneShotIndex),
    LABEL_SAMPLES: String(s.labelSamples),
    LABEL_MODEL: JSON.stringify(s.model),
    LABEL_MAX_TOKENS: String(s.maxResponseLength),
    SEED: String(s.seed),
  });
}
