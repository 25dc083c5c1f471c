// The flat parameter layout: every tensor of a Qwen2ForCausalLM under its exact Hugging Face name,
// carved in a fixed order from one Float32Array (llm.c style). Gradients and both AdamW moments use
// the same layout, so the optimizer is one loop over one array and checkpoints are plain slices.
import { Random } from '../util/random';
import { headDim, type ModelConfig, validateConfig } from './config';

/** How a tensor is initialised by initParameters. */
export type InitKind = 'normal' | 'zeros' | 'ones';

export interface ParamEntry {
  /** Exact Hugging Face state_dict name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  name: string;
  /** PyTorch shape: [out, in] for linear weights, [V, C] for embeddings, [n] for vectors. */
  shape: number[];
  /** First element of this tensor inside the flat array. */
  offset: number;
  /** Number of elements (product of shape). */
  size: number;
  init: InitKind;
}

export interface ParameterLayout {
  entries: ParamEntry[];
  /** Total number of float parameters (length of the flat array). */
  total: number;
  byName: Map<string, ParamEntry>;
}

/** Names of one decoder layer's tensors, in layout order, with their shapes and init. */
function layerTensors(config: ModelConfig, layer: number): Omit<ParamEntry, 'offset' | 'size'>[] {
  const C = config.hidden_size;
  const I = config.intermediate_size;
  const D = headDim(config);
  const qDim = config.num_attention_heads * D; // H*D
  const kvDim = config.num_key_value_heads * D; // KVH*D
  const p = `model.layers.${layer}.`;
  return [
    { name: `${p}input_layernorm.weight`, shape: [C], init: 'ones' },
    { name: `${p}self_attn.q_proj.weight`, shape: [qDim, C], init: 'normal' },
    { name: `${p}self_attn.q_proj.bias`, shape: [qDim], init: 'zeros' },
    { name: `${p}self_attn.k_proj.weight`, shape: [kvDim, C], init: 'normal' },
    { name: `${p}self_attn.k_proj.bias`, shape: [kvDim], init: 'zeros' },
    { name: `${p}self_attn.v_proj.weight`, shape: [kvDim, C], init: 'normal' },
    { name: `${p}self_attn.v_proj.bias`, shape: [kvDim], init: 'zeros' },
    { name: `${p}self_attn.o_proj.weight`, shape: [C, qDim], init: 'normal' },
    { name: `${p}post_attention_layernorm.weight`, shape: [C], init: 'ones' },
    { name: `${p}mlp.gate_proj.weight`, shape: [I, C], init: 'normal' },
    { name: `${p}mlp.up_proj.weight`, shape: [I, C], init: 'normal' },
    { name: `${p}mlp.down_proj.weight`, shape: [C, I], init: 'normal' },
  ];
}

/** The ordered tensors of a model: embeddings, each layer, final norm, then lm_head unless tied. */
export function parameterLayout(config: ModelConfig): ParameterLayout {
  validateConfig(config);
  const C = config.hidden_size;
  const V = config.vocab_size;
  const specs: Omit<ParamEntry, 'offset' | 'size'>[] = [
    { name: 'model.embed_tokens.weight', shape: [V, C], init: 'normal' },
  ];
  for (let l = 0; l < config.num_hidden_layers; l++) specs.push(...layerTensors(config, l));
  specs.push({ name: 'model.norm.weight', shape: [C], init: 'ones' });
  if (!config.tie_word_embeddings) specs.push({ name: 'lm_head.weight', shape: [V, C], init: 'normal' });

  const entries: ParamEntry[] = [];
  const byName = new Map<string, ParamEntry>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const entry = { ...spec, offset, size };
    entries.push(entry);
    byName.set(entry.name, entry);
    offset += size;
  }
  return { entries, total: offset, byName };
}

/** The entry for `name`, with an error naming the missing tensor. */
export function layoutEntry(layout: ParameterLayout, name: string): ParamEntry {
  const entry = layout.byName.get(name);
  if (!entry) throw new Error(`parameter layout has no tensor named '${name}'`);
  return entry;
}

/** A view (no copy) of one tensor inside a flat params / grads / moments array. */
export function paramView(flat: Float32Array, entry: ParamEntry): Float32Array;
/** Float64 flats exist only in the CPU engine's finite-difference tests. */
export function paramView(flat: Float64Array, entry: ParamEntry): Float64Array;
export function paramView(flat: Float32Array | Float64Array, entry: ParamEntry): Float32Array | Float64Array;
export function paramView(flat: Float32Array | Float64Array, entry: ParamEntry): Float32Array | Float64Array {
  if (entry.offset + entry.size > flat.length) {
    throw new Error(
      `flat array of length ${flat.length} is too short for '${entry.name}' (needs ${entry.offset + entry.size})`,
    );
  }
  return flat.subarray(entry.offset, entry.offset + entry.size);
}

/**
 * Fresh parameters: normal(0, initializer_range) for matrices and embeddings, zeros for biases, ones
 * for RMSNorm weights (as HF Qwen2PreTrainedModel._init_weights). One Random stream per tensor, keyed by
 * its index, so a tensor's init does not depend on the sizes of the tensors before it.
 */
export function initParameters(config: ModelConfig, seed: number): Float32Array {
  const layout = parameterLayout(config);
  const flat = new Float32Array(layout.total);
  const std = config.initializer_range;
  layout.entries.forEach((entry, index) => {
    const view = paramView(flat, entry);
    if (entry.init === 'ones') view.fill(1);
    else if (entry.init === 'normal') {
      const rng = new Random(seed, index);
      for (let i = 0; i < view.length; i++) view[i] = rng.normal() * std;
    }
  });
  return flat;
}

/** One decoder layer's tensors by role, whatever holds them (CPU views, GPU buffer views). */
export interface LayerTensors<T> {
  inputNorm: T; // (C)
  qWeight: T; // (H*D, C)
  qBias: T; // (H*D)
  kWeight: T; // (KVH*D, C)
  kBias: T; // (KVH*D)
  vWeight: T; // (KVH*D, C)
  vBias: T; // (KVH*D)
  oWeight: T; // (C, H*D)
  postNorm: T; // (C)
  gateWeight: T; // (I, C)
  upWeight: T; // (I, C)
  downWeight: T; // (C, I)
}

export interface ModelTensors<T> {
  embed: T; // (V, C)
  layers: LayerTensors<T>[];
  finalNorm: T; // (C)
  head: T; // (V, C): embed itself when tied
}

/**
 * The model's tensors by role, each made by `view(hfName)`: the one place that maps Hugging Face names
 * to the roles the engines compute with (both engines call it on their own storage).
 */
export function namedTensors<T>(config: ModelConfig, view: (name: string) => T): ModelTensors<T> {
  const layers: LayerTensors<T>[] = [];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    layers.push({
      inputNorm: view(`${p}input_layernorm.weight`),
      qWeight: view(`${p}self_attn.q_proj.weight`),
      qBias: view(`${p}self_attn.q_proj.bias`),
      kWeight: view(`${p}self_attn.k_proj.weight`),
      kBias: view(`${p}self_attn.k_proj.bias`),
      vWeight: view(`${p}self_attn.v_proj.weight`),
      vBias: view(`${p}self_attn.v_proj.bias`),
      oWeight: view(`${p}self_attn.o_proj.weight`),
      postNorm: view(`${p}post_attention_layernorm.weight`),
      gateWeight: view(`${p}mlp.gate_proj.weight`),
      upWeight: view(`${p}mlp.up_proj.weight`),
      downWeight: view(`${p}mlp.down_proj.weight`),
    });
  }
  const embed = view('model.embed_tokens.weight');
  return {
    embed,
    layers,
    finalNorm: view('model.norm.weight'),
    head: config.tie_word_embeddings ? embed : view('lm_head.weight'),
  };
}
