// Export a lab checkpoint (ModelConfig + flat HF-layout parameters) to an ONNX model that mirrors
// Hugging Face Qwen2ForCausalLM op for op, using only standard opset-17 ops, with the weights as
// initializers under their exact HF names and shapes ([out, in]; MatMul sees a Transpose of them, which
// ORT folds away at session creation).
//
// Inputs / outputs (the names transformers.js and optimum use, so other tools can load the file):
//   input_ids       int64 (batch, sequence)
//   attention_mask  int64 (batch, total_sequence)  1 = real token; total = past + sequence
//   past_key_values.{l}.key / .value  float (batch, KVH, past_sequence, D)      [kvCache variant only]
//   logits          float (batch, sequence, V)
//   present.{l}.key / .value          float (batch, KVH, total_sequence, D)     [kvCache variant only]
// Positions are cumsum(attention_mask) - 1 (as HF generate), so right padding gives 0..T-1 for real
// tokens, left padding works too, and in the cached variant new tokens continue from the past.
import type { ModelConfig } from '../model/config';
import { headDim, validateConfig } from '../model/config';
import { layoutEntry, parameterLayout, paramView } from '../model/layout';
import { fdCos, fdPow, fdSin } from '../util/fdlibm';
import { GraphBuilder } from './graph-builder';
import { DataType, encodeModel, type ModelDef } from './onnx-proto';

export const ONNX_OPSET = 17;
/** IR version 8 is the one that introduced opset 17 support in the ONNX release that defined it. */
export const ONNX_IR_VERSION = 8;

export interface OnnxExportOptions {
  /** Add past_key_values.* inputs and present.* outputs for incremental decoding. Default false. */
  kvCache?: boolean;
  /** Free text stored in the graph doc_string, e.g. which checkpoint this is. */
  description?: string;
}

/** Lowest float32: the fill for masked scores, finite so a row with no visible key gives no NaN. */
const MASKED_SCORE = -3.4028234663852886e38;

/**
 * cos/sin tables (maxPositions, D), computed as HF Qwen2RotaryEmbedding does in fp32:
 * inv_freq = 1 / theta^(2j/D) rounded to f32, angle = f32(position * inv_freq), emb = cat(freqs, freqs).
 */
export function ropeTablesFull(
  D: number,
  theta: number,
  maxPositions: number,
): { cos: Float32Array; sin: Float32Array } {
  const half = D / 2;
  const cos = new Float32Array(maxPositions * D);
  const sin = new Float32Array(maxPositions * D);
  for (let j = 0; j < half; j++) {
    const invFreq = Math.fround(1 / Math.fround(fdPow(theta, Math.fround((2 * j) / D))));
    for (let p = 0; p < maxPositions; p++) {
      const angle = Math.fround(p * invFreq);
      const c = fdCos(angle);
      const s = fdSin(angle);
      cos[p * D + j] = c;
      cos[p * D + j + half] = c;
      sin[p * D + j] = s;
      sin[p * D + j + half] = s;
    }
  }
  return { cos, sin };
}

/** Builds the ONNX ModelDef (not yet encoded); exported for tests that inspect the graph. */
export function buildQwen2Onnx(
  config: ModelConfig,
  params: Float32Array,
  options: OnnxExportOptions = {},
): ModelDef {
  validateConfig(config);
  const layout = parameterLayout(config);
  if (params.length !== layout.total) {
    throw new Error(`parameters have ${params.length} floats, the config's layout needs ${layout.total}`);
  }
  const kvCache = options.kvCache ?? false;
  const V = config.vocab_size;
  const H = config.num_attention_heads;
  const KVH = config.num_key_value_heads;
  const D = headDim(config);
  const nRep = H / KVH;
  const g = new GraphBuilder();

  /** An HF tensor as an initializer with its HF name and shape (a view of params, not a copy). */
  const weight = (name: string): string => {
    const entry = layoutEntry(layout, name);
    return g.initializer(name, DataType.FLOAT, entry.shape, paramView(params, entry));
  };
  /** nn.Linear: x · Wᵀ (+ b). */
  const linear = (x: string, prefix: string, withBias: boolean): string => {
    const wT = g.transpose(weight(`${prefix}.weight`), [1, 0]);
    const y = g.matmul(x, wT);
    return withBias ? g.add(y, weight(`${prefix}.bias`)) : y;
  };
  /** Qwen2RMSNorm in fp32: weight * x / sqrt(mean(x²) + eps). */
  const rmsNorm = (x: string, weightName: string): string =>
    g.within(weightName.replace(/\.weight$/, ''), () => {
      const meanSquare = g.reduceMean(g.mul(x, x), [-1]);
      const rms = g.sqrt(g.add(meanSquare, g.constFloat([config.rms_norm_eps])));
      return g.mul(g.div(x, rms), weight(weightName));
    });

  const inputIds = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', DataType.INT64, ['batch', 'total_sequence']);
  const past: { key: string; value: string }[] = [];
  if (kvCache) {
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const shape = ['batch', KVH, 'past_sequence', D];
      past.push({
        key: g.input(`past_key_values.${l}.key`, DataType.FLOAT, shape),
        value: g.input(`past_key_values.${l}.value`, DataType.FLOAT, shape),
      });
    }
  }

  // ---- positions, RoPE tables and the attention mask: computed once, shared by every layer ----
  const { cosGathered, sinGathered, allowed } = g.within('model/prep', () => {
    const one = g.constInt64([1]);
    const zero = g.constInt64([0]);
    const seqLen = g.shape(inputIds, 1, 2); // (1) S
    const totalLen = g.shape(attentionMask, 1, 2); // (1) P + S
    const pastLen = g.sub(totalLen, seqLen); // (1) P

    // position of each token: (number of real tokens up to and including it) - 1, at least 0
    const cumulative = g.op('CumSum', [attentionMask, g.constInt64([1], [])]);
    const positionsAll = g.op('Max', [g.sub(cumulative, one), g.constInt64([0], [])]); // (B, P+S)
    const positions = kvCache ? g.slice(positionsAll, pastLen, totalLen, one) : positionsAll; // (B, S)

    const tables = ropeTablesFull(D, config.rope_theta, config.max_position_embeddings);
    const cosTable = g.initializer(
      'rope.cos',
      DataType.FLOAT,
      [config.max_position_embeddings, D],
      tables.cos,
    );
    const sinTable = g.initializer(
      'rope.sin',
      DataType.FLOAT,
      [config.max_position_embeddings, D],
      tables.sin,
    );
    // (B, 1, S, D): broadcast over heads
    const cosGathered = g.unsqueeze(g.gather(cosTable, positions), [1]);
    const sinGathered = g.unsqueeze(g.gather(sinTable, positions), [1]);

    // allowed[b, 0, i, j] = key j is real and j <= P + i (causal in cache coordinates)
    const keyIndex = g.op('Range', [g.squeeze(zero, [0]), g.squeeze(totalLen, [0]), g.squeeze(one, [0])]);
    const queryIndex = g.op('Range', [
      g.squeeze(pastLen, [0]),
      g.squeeze(totalLen, [0]),
      g.squeeze(one, [0]),
    ]);
    const causal = g.op('LessOrEqual', [g.unsqueeze(keyIndex, [0]), g.unsqueeze(queryIndex, [1])]); // (S, P+S)
    const keyReal = g.unsqueeze(g.cast(attentionMask, DataType.BOOL), [1, 2]); // (B, 1, 1, P+S)
    const allowed = g.op('And', [causal, keyReal]); // (B, 1, S, P+S)
    return { cosGathered, sinGathered, allowed };
  });

  /** (B, heads, S, D) → x·cos + rotate_half(x)·sin, rotate_half(x) = cat(-x[D/2:], x[:D/2]). */
  const applyRope = (x: string): string => {
    const axis = g.constInt64([-1]);
    const first = g.slice(x, g.constInt64([0]), g.constInt64([D / 2]), axis);
    const second = g.slice(x, g.constInt64([D / 2]), g.constInt64([D]), axis);
    const rotated = g.concat([g.neg(second), first], -1);
    return g.add(g.mul(x, cosGathered), g.mul(rotated, sinGathered));
  };
  /** HF repeat_kv: (B, KVH, T, D) → (B, H, T, D), KV head k serving query heads k*nRep .. k*nRep+nRep-1. */
  const repeatKv = (x: string): string => {
    if (nRep === 1) return x;
    const expanded = g.expand(g.unsqueeze(x, [2]), g.constInt64([1, 1, nRep, 1, 1])); // (B, KVH, nRep, T, D)
    return g.reshape(expanded, [0, H, -1, D]);
  };
  /** (B, S, heads*D) → (B, heads, S, D). */
  const splitHeads = (x: string, heads: number) => g.transpose(g.reshape(x, [0, 0, heads, D]), [0, 2, 1, 3]);

  let hidden = g.within('model/embed_tokens', () => g.gather(weight('model.embed_tokens.weight'), inputIds)); // (B, S, C)
  const presents: { key: string; value: string }[] = [];

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    hidden = g.within(`model/layers.${l}`, () => {
      const normed = rmsNorm(hidden, `${p}.input_layernorm.weight`);
      const attnOut = g.within('self_attn', () => {
        const q = applyRope(splitHeads(linear(normed, `${p}.self_attn.q_proj`, true), H)); // (B, H, S, D)
        let k = applyRope(splitHeads(linear(normed, `${p}.self_attn.k_proj`, true), KVH)); // (B, KVH, S, D)
        let v = splitHeads(linear(normed, `${p}.self_attn.v_proj`, true), KVH);
        if (kvCache) {
          k = g.concat([past[l].key, k], 2); // (B, KVH, P+S, D)
          v = g.concat([past[l].value, v], 2);
          presents.push({ key: k, value: v });
        }
        const scores = g.mul(
          g.matmul(q, g.transpose(repeatKv(k), [0, 1, 3, 2])),
          g.constFloat([1 / Math.sqrt(D)]),
        ); // (B, H, S, P+S)
        const masked = g.where(allowed, scores, g.constFloat([MASKED_SCORE]));
        const probs = g.softmax(masked, -1);
        const context = g.matmul(probs, repeatKv(v)); // (B, H, S, D)
        const merged = g.reshape(g.transpose(context, [0, 2, 1, 3]), [0, 0, H * D]); // (B, S, H*D)
        return linear(merged, `${p}.self_attn.o_proj`, false);
      });
      const afterAttn = g.add(hidden, attnOut);
      const normed2 = rmsNorm(afterAttn, `${p}.post_attention_layernorm.weight`);
      const mlpOut = g.within('mlp', () => {
        const gate = linear(normed2, `${p}.mlp.gate_proj`, false);
        const up = linear(normed2, `${p}.mlp.up_proj`, false);
        const activated = g.mul(g.mul(gate, g.sigmoid(gate)), up); // silu(gate) * up
        return linear(activated, `${p}.mlp.down_proj`, false);
      });
      return g.add(afterAttn, mlpOut);
    });
  }

  const finalNormed = rmsNorm(hidden, 'model.norm.weight');
  const logits = g.within('lm_head', () => {
    // Tied: logits use the embedding matrix (the same initializer the Gather reads).
    const headName = config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const head = config.tie_word_embeddings ? headName : weight(headName);
    return g.matmul(finalNormed, g.transpose(head, [1, 0]));
  });
  g.output(logits, 'logits', DataType.FLOAT, ['batch', 'sequence', V]);
  presents.forEach((present, l) => {
    const shape = ['batch', KVH, 'total_sequence', D];
    g.output(present.key, `present.${l}.key`, DataType.FLOAT, shape);
    g.output(present.value, `present.${l}.value`, DataType.FLOAT, shape);
  });

  return {
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'spurious-rewards-lab',
    producerVersion: '0.1.0',
    graph: g.graph('qwen2', options.description),
    metadata: {
      'config.json': JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...config }),
      kv_cache: String(kvCache),
    },
  };
}

/** The ONNX file bytes for a checkpoint. Throws on an invalid config or a params length mismatch. */
export function exportOnnx(
  config: ModelConfig,
  params: Float32Array,
  options: OnnxExportOptions = {},
): Uint8Array {
  return encodeModel(buildQwen2Onnx(config, params, options));
}
