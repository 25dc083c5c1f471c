// Node-only: checkpoint directories on disk (config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json, generation_config.json, optional card.json), the layout transformers'
// save_pretrained writes and from_pretrained reads. The browser loads the same files with
// checkpointFetch.ts; everything format-related lives in checkpoint.ts and works from bytes.
// Named nodeCheckpointDir.ts rather than *.node.ts: tsx (the CLI runner) resolves an extensionless
// import ending in ".node" as a native addon and fails.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CHECKPOINT_FILE_NAMES,
  CheckpointError,
  type CheckpointFiles,
  type LoadedCheckpoint,
  loadCheckpoint,
} from './checkpoint';

export interface LoadedCheckpointDir extends LoadedCheckpoint {
  /** card.json parsed, or null when the directory has none. */
  card: unknown;
}

/** The file's bytes, or null when it does not exist; any other failure is an error naming the path. */
async function readIfPresent(dir: string, name: string): Promise<Buffer | null> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${join(dir, name)}: ${(error as Error).message}`);
  }
}

/**
 * Reads and validates a checkpoint directory. tokenizer.json is required (a checkpoint without its
 * tokenizer cannot be decoded reliably); card.json is optional. A missing directory, or missing files
 * (all of them, in a fixed order), are named in one message that does not depend on which read ends first.
 */
export async function readCheckpointDir(dir: string): Promise<LoadedCheckpointDir> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new Error(`checkpoint directory ${dir} does not exist`);
  if (!info.isDirectory()) {
    throw new Error(
      `${dir} is not a directory: a checkpoint is a directory with ${CHECKPOINT_FILE_NAMES.config}, ` +
        `${CHECKPOINT_FILE_NAMES.weights} and ${CHECKPOINT_FILE_NAMES.tokenizer}`,
    );
  }
  const required = [
    CHECKPOINT_FILE_NAMES.config,
    CHECKPOINT_FILE_NAMES.weights,
    CHECKPOINT_FILE_NAMES.tokenizer,
  ];
  const [files, card] = await Promise.all([
    Promise.all(required.map((name) => readIfPresent(dir, name))),
    readIfPresent(dir, CHECKPOINT_FILE_NAMES.card),
  ]);
  const [config, weights, tokenizer] = files;
  if (!config || !weights || !tokenizer) {
    const missing = required.filter((_, i) => files[i] === null);
    throw new Error(`checkpoint directory ${dir} has no ${missing.join(', ')}`);
  }
  let parsedCard: unknown = null;
  if (card) {
    try {
      parsedCard = JSON.parse(card.toString('utf8'));
    } catch (error) {
      throw new Error(
        `${join(dir, CHECKPOINT_FILE_NAMES.card)} is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
  try {
    const loaded = loadCheckpoint({
      configJson: config.toString('utf8'),
      // A view, not a copy: Buffer is a Uint8Array over (possibly pooled) memory, which the parser handles.
      safetensorsBytes: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength),
      tokenizerJson: tokenizer.toString('utf8'),
    });
    return { ...loaded, card: parsedCard };
  } catch (error) {
    if (error instanceof CheckpointError)
      throw new CheckpointError(error.problems.map((p) => `${dir}: ${p}`));
    throw error;
  }
}

/**
 * Writes a checkpoint directory (created if needed). Each file goes to a temporary name first and is
 * renamed into place, so an interrupted write never leaves a half-written model.safetensors behind.
 */
export async function writeCheckpointDir(dir: string, files: CheckpointFiles, card?: unknown): Promise<void> {
  writeCheckpointDirSync(dir, files, card);
}

/**
 * writeCheckpointDir without awaiting anything, for a training run's own checkpoints: a CPU-engine run
 * hands the event loop one turn per step, so each awaited file operation would cost a step (a study
 * run's checkpoints fell 50 steps behind).
 */
export function writeCheckpointDirSync(dir: string, files: CheckpointFiles, card?: unknown): void {
  mkdirSync(dir, { recursive: true });
  const contents: [string, string | Uint8Array][] = [
    [CHECKPOINT_FILE_NAMES.config, files.configJson],
    [CHECKPOINT_FILE_NAMES.weights, files.safetensorsBytes],
    [CHECKPOINT_FILE_NAMES.tokenizer, files.tokenizerJson],
    [CHECKPOINT_FILE_NAMES.tokenizerConfig, files.tokenizerConfigJson],
    [CHECKPOINT_FILE_NAMES.generationConfig, files.generationConfigJson],
  ];
  if (card !== undefined) contents.push([CHECKPOINT_FILE_NAMES.card, `${JSON.stringify(card, null, 2)}\n`]);
  for (const [name, content] of contents) {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, content);
    renameSync(`${path}.tmp`, path);
  }
}
