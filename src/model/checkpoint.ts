// Checkpoints in the Hugging Face Qwen2ForCausalLM format, as bytes and strings (browser and Node
// alike): config.json + model.safetensors (F32, tensors under their HF names) + tokenizer.json +
// tokenizer_config.json + generation_config.json. `from_pretrained(dir)` loads what we save, and we load
// what it saves (F32, F16 or BF16). Loading validates everything (config, tokenizer, header, every
// tensor's presence, shape, dtype and finiteness) before handing anything back: never a partial load.
import type { ModelConfig } from './config';
import { HfConfigError, parseHfConfig, stringifyHfConfig } from './hfConfig';
import { type ParamEntry, type ParameterLayout, parameterLayout, paramView } from './layout';
import {
  FLOAT_DTYPES_READABLE,
  type Float32TensorInput,
  parseSafetensors,
  SafetensorsError,
  type SafetensorsTensor,
  serializeSafetensors,
  tensorToFloat32,
} from './safetensors';
import { CharTokenizer, TokenizerError } from './tokenizer';

/** File names of a checkpoint directory (the names transformers looks for). */
export const CHECKPOINT_FILE_NAMES = {
  config: 'config.json',
  weights: 'model.safetensors',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  generationConfig: 'generation_config.json',
  /** The lab's own model card (measured prior statistics); optional, transformers ignores it. */
  card: 'card.json',
} as const;

const LM_HEAD = 'lm_head.weight';
const EMBED = 'model.embed_tokens.weight';

export class CheckpointError extends Error {
  constructor(readonly problems: string[]) {
    super(`Cannot load checkpoint: ${problems.join('; ')}`);
    this.name = 'CheckpointError';
  }
}

/** Everything saveCheckpoint produces; the first three are what loadCheckpoint needs. */
export interface CheckpointFiles {
  configJson: string;
  safetensorsBytes: Uint8Array;
  tokenizerJson: string;
  tokenizerConfigJson: string;
  generationConfigJson: string;
}

export interface CheckpointInput {
  /** config.json as text or parsed JSON. */
  configJson: string | unknown;
  safetensorsBytes: Uint8Array;
  /** tokenizer.json as text or parsed JSON; when absent the lab's CharTokenizer is assumed. */
  tokenizerJson?: string | unknown;
}

export interface LoadedCheckpoint {
  config: ModelConfig;
  /** All parameters in parameterLayout(config) order, float32. */
  params: Float32Array;
  tokenizer: CharTokenizer;
  /** The safetensors "__metadata__" map (null when absent). */
  metadata: Record<string, string> | null;
}

export interface SaveOptions {
  /** Extra "__metadata__" entries (string -> string); "format": "pt" is always written. */
  metadata?: Record<string, string>;
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Which config field sets each dimension of a tensor, so a shape error can name the disagreement. */
function dimensionSources(name: string): string[] {
  if (name === EMBED || name === LM_HEAD) return ['vocab_size', 'hidden_size'];
  if (/q_proj\.weight$/.test(name)) return ['num_attention_heads * head_dim', 'hidden_size'];
  if (/q_proj\.bias$/.test(name)) return ['num_attention_heads * head_dim'];
  if (/[kv]_proj\.weight$/.test(name)) return ['num_key_value_heads * head_dim', 'hidden_size'];
  if (/[kv]_proj\.bias$/.test(name)) return ['num_key_value_heads * head_dim'];
  if (/o_proj\.weight$/.test(name)) return ['hidden_size', 'num_attention_heads * head_dim'];
  if (/(gate|up)_proj\.weight$/.test(name)) return ['intermediate_size', 'hidden_size'];
  if (/down_proj\.weight$/.test(name)) return ['hidden_size', 'intermediate_size'];
  return ['hidden_size'];
}

function shapeProblem(tensor: SafetensorsTensor, entry: ParamEntry): string | null {
  const actual = tensor.shape;
  const expected = entry.shape;
  if (actual.length === expected.length && actual.every((d, i) => d === expected[i])) return null;
  let message = `tensor "${entry.name}" has shape ${describeShape(actual)} but config.json implies ${describeShape(expected)}`;
  if (actual.length === expected.length) {
    const sources = dimensionSources(entry.name);
    const disagreements = expected
      .map((d, i) => (d === actual[i] ? null : `dim ${i} is ${sources[i]} = ${d}`))
      .filter((s) => s !== null);
    message += ` (${disagreements.join(', ')})`;
  }
  return message;
}

function unexpectedProblem(name: string, config: ModelConfig): string {
  const layer = /^model\.layers\.(\d+)\./.exec(name);
  if (layer && Number(layer[1]) >= config.num_hidden_layers) {
    return `unexpected tensor "${name}": config.json num_hidden_layers is ${config.num_hidden_layers}`;
  }
  return `unexpected tensor "${name}" (not a Qwen2ForCausalLM parameter)`;
}

/** Index and value of the first non-finite element plus the count, or null when all are finite. */
function nonFiniteSummary(values: Float32Array): { first: number; value: number; count: number } | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? null : { first, value: values[first], count };
}

function nonFiniteProblem(name: string, values: Float32Array): string | null {
  const summary = nonFiniteSummary(values);
  if (!summary) return null;
  return `tensor "${name}" has ${summary.count} non-finite value(s) (first ${summary.value} at element ${summary.first})`;
}

function arraysEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `source` says where the tokenizer came from, so the message fits a missing tokenizer.json too. */
function tokenizerProblems(
  tokenizer: CharTokenizer,
  config: ModelConfig,
  source = 'tokenizer.json',
): string[] {
  const problems: string[] = [];
  if (tokenizer.vocabSize > config.vocab_size) {
    problems.push(
      `${source} has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocab_size}`,
    );
  }
  for (const key of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    if (config[key] >= tokenizer.vocabSize) {
      problems.push(
        `config.json ${key} ${config[key]} is not a token of ${source} (${tokenizer.vocabSize} tokens)`,
      );
    }
  }
  return problems;
}

function loadTokenizer(input: string | unknown | undefined): CharTokenizer {
  if (input === undefined) return CharTokenizer.lab();
  try {
    return CharTokenizer.fromHfTokenizerJson(input);
  } catch (error) {
    if (error instanceof TokenizerError) throw new CheckpointError([error.message]);
    throw error;
  }
}

/** Checks every tensor against the layout; returns the problems and the tensors to read, in layout order. */
function matchTensors(
  tensors: Map<string, SafetensorsTensor>,
  layout: ParameterLayout,
  config: ModelConfig,
): { problems: string[]; matched: [ParamEntry, SafetensorsTensor][]; tiedLmHead: SafetensorsTensor | null } {
  const problems: string[] = [];
  const matched: [ParamEntry, SafetensorsTensor][] = [];
  for (const entry of layout.entries) {
    const tensor = tensors.get(entry.name);
    if (!tensor) {
      problems.push(
        entry.name === LM_HEAD
          ? `missing tensor "${LM_HEAD}" (config.json tie_word_embeddings is false, so the LM head is a separate tensor)`
          : `missing tensor "${entry.name}"`,
      );
      continue;
    }
    if (!FLOAT_DTYPES_READABLE.includes(tensor.dtype)) {
      problems.push(
        `tensor "${entry.name}" has dtype ${tensor.dtype}; expected F32 (${FLOAT_DTYPES_READABLE.join(', ')} are read)`,
      );
      continue;
    }
    const shape = shapeProblem(tensor, entry);
    if (shape) problems.push(shape);
    else matched.push([entry, tensor]);
  }
  let tiedLmHead: SafetensorsTensor | null = null;
  for (const [name, tensor] of tensors) {
    if (layout.byName.has(name)) continue;
    if (name === LM_HEAD && config.tie_word_embeddings) {
      // transformers drops lm_head.weight when saving tied models, but some writers keep a copy;
      // accept it only if it really is the embedding (checked once values are read).
      const embed = layout.byName.get(EMBED)!;
      if (!FLOAT_DTYPES_READABLE.includes(tensor.dtype)) {
        problems.push(`tensor "${LM_HEAD}" has dtype ${tensor.dtype}; expected F32`);
      } else if (
        tensor.shape.length === 2 &&
        tensor.shape[0] === embed.shape[0] &&
        tensor.shape[1] === embed.shape[1]
      ) {
        tiedLmHead = tensor;
      } else {
        problems.push(
          `tensor "${LM_HEAD}" has shape ${describeShape(tensor.shape)} but config.json tie_word_embeddings is ` +
            `true, so it must equal "${EMBED}" ${describeShape(embed.shape)}`,
        );
      }
      continue;
    }
    problems.push(unexpectedProblem(name, config));
  }
  return { problems, matched, tiedLmHead };
}

/**
 * Loads a checkpoint from its file contents. Throws CheckpointError listing every problem found at
 * the first stage that fails (config and tokenizer, then the safetensors header, then tensor names,
 * shapes and dtypes, then values); nothing is returned unless everything is valid.
 */
export function loadCheckpoint(input: CheckpointInput): LoadedCheckpoint {
  let config: ModelConfig;
  try {
    config = parseHfConfig(input.configJson);
  } catch (error) {
    if (error instanceof HfConfigError)
      throw new CheckpointError(error.problems.map((p) => `config.json: ${p}`));
    throw error;
  }
  const tokenizer = loadTokenizer(input.tokenizerJson);
  const tokenizerIssues = tokenizerProblems(
    tokenizer,
    config,
    input.tokenizerJson === undefined
      ? 'the lab tokenizer (assumed: no tokenizer.json given)'
      : 'tokenizer.json',
  );
  if (tokenizerIssues.length) throw new CheckpointError(tokenizerIssues);

  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(input.safetensorsBytes);
  } catch (error) {
    if (error instanceof SafetensorsError) throw new CheckpointError([`model.safetensors: ${error.message}`]);
    throw error;
  }

  const layout = parameterLayout(config);
  const { problems, matched, tiedLmHead } = matchTensors(file.tensors, layout, config);
  if (problems.length) throw new CheckpointError(problems);

  const params = new Float32Array(layout.total);
  const valueProblems: string[] = [];
  for (const [entry, tensor] of matched) {
    const values = tensorToFloat32(tensor);
    const problem = nonFiniteProblem(entry.name, values);
    if (problem) valueProblems.push(problem);
    paramView(params, entry).set(values);
  }
  if (tiedLmHead) {
    const embed = paramView(params, layout.byName.get(EMBED)!);
    if (!arraysEqual(tensorToFloat32(tiedLmHead), embed)) {
      valueProblems.push(
        `tensor "${LM_HEAD}" differs from "${EMBED}" but config.json tie_word_embeddings is true ` +
          `(set it to false to load a separate LM head)`,
      );
    }
  }
  if (valueProblems.length) throw new CheckpointError(valueProblems);
  return { config, params, tokenizer, metadata: file.metadata };
}

/** The files of a checkpoint. Refuses (CheckpointError) a config/params/tokenizer mismatch or non-finite weights. */
export function saveCheckpoint(
  config: ModelConfig,
  params: Float32Array,
  tokenizer: CharTokenizer = CharTokenizer.lab(),
  options: SaveOptions = {},
): CheckpointFiles {
  const configJson = stringifyHfConfig(config);
  const layout = parameterLayout(config);
  if (params.length !== layout.total) {
    throw new CheckpointError([
      `params has ${params.length} values but the layout of this config has ${layout.total}`,
    ]);
  }
  const problems = tokenizerProblems(tokenizer, config, 'the tokenizer');
  const tensors: Float32TensorInput[] = [];
  for (const entry of layout.entries) {
    const data = paramView(params, entry);
    const problem = nonFiniteProblem(entry.name, data);
    if (problem) problems.push(problem);
    tensors.push({ name: entry.name, shape: entry.shape, data });
  }
  if (problems.length) throw new CheckpointError(problems);
  // transformers refuses safetensors files whose metadata lacks format "pt" (or tf/flax/mlx).
  const metadata = { ...options.metadata, format: 'pt' };
  return {
    configJson,
    safetensorsBytes: serializeSafetensors(tensors, metadata),
    tokenizerJson: `${JSON.stringify(tokenizer.toHfTokenizerJson(), null, 2)}\n`,
    tokenizerConfigJson: `${JSON.stringify(tokenizer.toHfTokenizerConfig(config.max_position_embeddings), null, 2)}\n`,
    generationConfigJson: `${JSON.stringify(
      {
        bos_token_id: config.bos_token_id,
        eos_token_id: config.eos_token_id,
        pad_token_id: config.pad_token_id,
      },
      null,
      2,
    )}\n`,
  };
}

/**
 * A logits reference file (logits.json) for checking the lab against PyTorch: the token ids of one
 * sequence and the model's (T, V) logits row by row. docs/checkpoints.md reads it.
 */
export function logitsReferenceJson(
  tokenIds: ArrayLike<number>,
  logits: Float32Array,
  vocabSize: number,
): string {
  const T = tokenIds.length;
  if (logits.length !== T * vocabSize) {
    throw new CheckpointError([`logits has ${logits.length} values, expected T*V = ${T}*${vocabSize}`]);
  }
  const rows: number[][] = [];
  for (let t = 0; t < T; t++) rows.push(Array.from(logits.subarray(t * vocabSize, (t + 1) * vocabSize)));
  return `${JSON.stringify({ token_ids: Array.from(tokenIds), shape: [T, vocabSize], logits: rows })}\n`;
}
