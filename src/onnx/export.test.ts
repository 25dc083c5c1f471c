// The ONNX exporter against an independent runtime: each exported file is loaded by onnxruntime-web
// (Node build, wasm backend, graph optimisation 'all') and its logits must match the CPU reference
// engine within 1e-4 abs + 1e-4 rel on a ragged right-padded batch; greedy completions of a fixed prompt
// set must be identical (ORT with and without KV cache vs the CPU engine's KV-cache decoding). Tiny
// randomly initialised configs, tied and untied, with and without GQA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import { DEFAULT_TINY_CONFIG, type ModelConfig } from '../model/config';
import { initParameters, parameterLayout } from '../model/layout';
import { CharTokenizer } from '../model/tokenizer';
import { cpuEngineLogits } from './cpu-logits';
import { engineLogits } from './engine-logits';
import { buildQwen2Onnx, exportOnnx, ONNX_OPSET } from './export';
import { cpuGreedy } from './onnxFixtures';
import { configureOrtWasm, OrtCausalLM, OrtError, ort } from './ort-runner';
import {
  compareForwardLatency,
  compareLogits,
  describeMismatches,
  fixedVerifyBatch,
  verifyAgainstOrt,
} from './verify';

beforeAll(() => configureOrtWasm({ numThreads: 1 }));

/** Standard ops the exporter may use; anything else (e.g. a contrib op) fails the test. */
const ALLOWED_OPS = new Set([
  'Add',
  'And',
  'Cast',
  'Concat',
  'CumSum',
  'Div',
  'Expand',
  'Gather',
  'Identity',
  'LessOrEqual',
  'MatMul',
  'Max',
  'Mul',
  'Neg',
  'Range',
  'ReduceMean',
  'Reshape',
  'Shape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Sqrt',
  'Squeeze',
  'Sub',
  'Transpose',
  'Unsqueeze',
  'Where',
]);

// Larger init than the 0.02 default so logits are spread out: with near-uniform logits greedy argmax
// would hinge on 1e-6 differences and "identical completions" would test rounding, not the model.
const tiedGqa: ModelConfig = { ...DEFAULT_TINY_CONFIG, vocab_size: 100, initializer_range: 0.2 };
const untiedMha: ModelConfig = {
  ...DEFAULT_TINY_CONFIG,
  vocab_size: 100,
  hidden_size: 48,
  intermediate_size: 61,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  rope_theta: 1e6,
  tie_word_embeddings: false,
  initializer_range: 0.15,
};
const untiedMqa: ModelConfig = { ...untiedMha, num_key_value_heads: 1, num_hidden_layers: 2 };

const cases: [string, ModelConfig, number][] = [
  ['tied, GQA (4 heads, 2 KV heads)', tiedGqa, 11],
  ['untied, MHA, rope_theta 1e6', untiedMha, 12],
  ['untied, MQA (1 KV head)', untiedMqa, 13],
];

/** MiniMath-shaped prompts through the lab tokenizer, so ids look like real inputs. */
function promptSet(): Int32Array[] {
  const tok = CharTokenizer.lab();
  return ['<|im_start|>user\n3+4=?', '<|im_start|>7*2-5', '<|im_start|>(1+2)*3', 'x'].map((text) =>
    Int32Array.from(tok.encodeWithReport(text).ids),
  );
}

describe.each(cases)('ONNX export, %s', (_label, config, seed) => {
  const params = initParameters(config, seed);
  let plain: OrtCausalLM;
  let cached: OrtCausalLM;

  beforeAll(async () => {
    plain = await OrtCausalLM.create(config, exportOnnx(config, params), { graphOptimizationLevel: 'all' });
    cached = await OrtCausalLM.create(config, exportOnnx(config, params, { kvCache: true }), {
      graphOptimizationLevel: 'all',
    });
  });
  afterAll(async () => {
    await plain?.release();
    await cached?.release();
  });

  it('uses opset 17, standard ops only, and every HF tensor as an initializer under its own name', () => {
    const model = buildQwen2Onnx(config, params, { kvCache: true });
    expect(model.opsetVersion).toBe(ONNX_OPSET);
    const ops = new Set(model.graph.nodes.map((n) => n.opType));
    expect([...ops].filter((op) => !ALLOWED_OPS.has(op))).toEqual([]);
    const initializerNames = new Set(model.graph.initializers.map((t) => t.name));
    for (const entry of parameterLayout(config).entries) {
      expect(initializerNames.has(entry.name), entry.name).toBe(true);
      const init = model.graph.initializers.find((t) => t.name === entry.name)!;
      expect(init.dims).toEqual(entry.shape);
    }
    expect(initializerNames.has('lm_head.weight')).toBe(!config.tie_word_embeddings);
    expect(model.graph.outputs.map((o) => o.name)).toEqual([
      'logits',
      ...Array.from({ length: config.num_hidden_layers }, (_, l) => [
        `present.${l}.key`,
        `present.${l}.value`,
      ]).flat(),
    ]);
  });

  it('ORT reads back the declared input and output names, types and symbolic shapes', () => {
    const D = config.hidden_size / config.num_attention_heads;
    const KVH = config.num_key_value_heads;
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
      list.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [m.name, 'not a tensor']));
    const pastInputs = Array.from({ length: config.num_hidden_layers }, (_, l) => [
      [`past_key_values.${l}.key`, 'float32', ['batch', KVH, 'past_sequence', D]],
      [`past_key_values.${l}.value`, 'float32', ['batch', KVH, 'past_sequence', D]],
    ]).flat();
    expect(meta(cached.session.inputMetadata)).toEqual([
      ['input_ids', 'int64', ['batch', 'sequence']],
      ['attention_mask', 'int64', ['batch', 'total_sequence']],
      ...pastInputs,
    ]);
    expect(meta(cached.session.outputMetadata)[0]).toEqual([
      'logits',
      'float32',
      ['batch', 'sequence', config.vocab_size],
    ]);
    expect(meta(cached.session.outputMetadata)[1]).toEqual([
      'present.0.key',
      'float32',
      ['batch', KVH, 'total_sequence', D],
    ]);
    expect(meta(plain.session.inputMetadata).map((m) => m[0])).toEqual(['input_ids', 'attention_mask']);
  });

  it('ORT logits match the CPU engine within 1e-4 abs + rel on a ragged padded batch', async () => {
    const batch = fixedVerifyBatch(config, 4, 24, seed);
    expect(Math.min(...batch.lengths)).toBeLessThan(batch.T); // padding is exercised
    const engine = await cpuEngineLogits(config, params)(batch);
    for (const lm of [plain, cached]) {
      const ortLogits = await lm.logits(batch.tokens, batch.lengths, batch.B, batch.T);
      const c = compareLogits(ortLogits, engine, batch, config.vocab_size);
      expect(c.withinTolerance, describeMismatches(c)).toBe(true);
      expect(c.top1Agreement).toBe(1);
      expect(c.positions).toBe(batch.lengths.reduce((a, b) => a + b, 0));
    }
  });

  it('a batch row gives the same logits alone as inside a padded batch (the mask hides padding)', async () => {
    const batch = fixedVerifyBatch(config, 3, 16, seed + 100);
    const all = await plain.logits(batch.tokens, batch.lengths, batch.B, batch.T);
    const V = config.vocab_size;
    for (let b = 0; b < batch.B; b++) {
      const len = batch.lengths[b];
      const alone = await plain.logits(
        batch.tokens.subarray(b * batch.T, b * batch.T + len),
        Int32Array.of(len),
        1,
        len,
      );
      const inBatch = all.subarray(b * batch.T * V, (b * batch.T + len) * V);
      let maxDiff = 0;
      for (let i = 0; i < alone.length; i++) maxDiff = Math.max(maxDiff, Math.abs(alone[i] - inBatch[i]));
      expect(maxDiff).toBeLessThan(1e-5);
    }
  });

  it('left padding via attention_mask: positions restart at the first real token, pad keys are hidden', async () => {
    const real = Int32Array.from([1, 17, 23, 42, 8, 77]);
    const pad = 3;
    const V = config.vocab_size;
    const alone = await plain.logits(real, Int32Array.of(real.length), 1, real.length);
    const T = real.length + pad;
    // The padded ids are not the pad id on purpose: only the mask may hide them.
    const ids = BigInt64Array.from([9, 9, 9, ...real].map((v) => BigInt(v)));
    const mask = BigInt64Array.from([0, 0, 0, ...real.map(() => 1)].map((v) => BigInt(v)));
    const out = await plain.session.run({
      input_ids: new ort.Tensor('int64', ids, [1, T]),
      attention_mask: new ort.Tensor('int64', mask, [1, T]),
    });
    const padded = (await out.logits.getData()) as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < real.length * V; i++)
      maxDiff = Math.max(maxDiff, Math.abs(alone[i] - padded[pad * V + i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('greedy completions are identical: ORT cached, ORT full recompute, CPU engine KV cache', async () => {
    const maxNew = 20;
    const prompts = promptSet();
    const fromCached = await cached.greedy(prompts, maxNew, config.eos_token_id);
    const fromPlain = await plain.greedy(prompts, maxNew, config.eos_token_id);
    prompts.forEach((prompt, i) => {
      const cpu = cpuGreedy(config, params, prompt, maxNew);
      expect(Array.from(fromCached[i]), `prompt ${i}`).toEqual(Array.from(cpu));
      expect(Array.from(fromPlain[i]), `prompt ${i}`).toEqual(Array.from(cpu));
      expect(cpu.length).toBeGreaterThan(0);
    });
  });

  it('graph optimisation off gives the same logits as "all"', async () => {
    const unoptimised = await OrtCausalLM.create(config, exportOnnx(config, params), {
      graphOptimizationLevel: 'disabled',
    });
    try {
      const batch = fixedVerifyBatch(config, 2, 12, seed + 7);
      const a = await unoptimised.logits(batch.tokens, batch.lengths, batch.B, batch.T);
      const b = await plain.logits(batch.tokens, batch.lengths, batch.B, batch.T);
      const c = compareLogits(a, b, batch, config.vocab_size);
      expect(c.withinTolerance, describeMismatches(c)).toBe(true);
    } finally {
      await unoptimised.release();
    }
  });
});

describe('verifyAgainstOrt (wasm, Node)', () => {
  it('reports agreement and timings for a correct engine and catches a wrong one', async () => {
    const params = initParameters(tiedGqa, 5);
    const good = await verifyAgainstOrt({
      config: tiedGqa,
      params,
      engine: cpuEngineLogits(tiedGqa, params),
    });
    expect(good.withinTolerance, describeMismatches(good)).toBe(true);
    expect(good.top1Agreement).toBe(1);
    expect(good.maxAbsDiff).toBeLessThan(1e-4);
    expect(good.ortMs).toBeGreaterThan(0);
    expect(good.engineMs).toBeGreaterThan(0);
    expect(good.executionProvider).toBe('wasm');

    // An engine with one perturbed weight must be caught: the check is not vacuous.
    const perturbed = Float32Array.from(params);
    perturbed[parameterLayout(tiedGqa).byName.get('model.norm.weight')!.offset] += 0.05;
    const bad = await verifyAgainstOrt({
      config: tiedGqa,
      params,
      engine: cpuEngineLogits(tiedGqa, perturbed),
    });
    expect(bad.withinTolerance).toBe(false);
    expect(bad.mismatches.length).toBeGreaterThan(0);
  });
});

describe('compareForwardLatency (wasm, Node)', () => {
  it('times our engine and ORT on the same batch and reports ratios to the engine', async () => {
    const params = initParameters(tiedGqa, 4);
    const batch = fixedVerifyBatch(tiedGqa, 2, 16, 4);
    let engineCalls = 0;
    const cpu = cpuEngineLogits(tiedGqa, params);
    const rows = await compareForwardLatency({
      config: tiedGqa,
      params,
      engine: (b) => {
        engineCalls++;
        return cpu(b);
      },
      providers: ['wasm'],
      batch,
      iterations: 3,
    });
    expect(engineCalls).toBe(4); // one warm-up + three timed runs
    expect(rows.map((r) => r.runtime)).toEqual(['engine', 'ort wasm']);
    for (const r of rows) expect(r.ms).toBeGreaterThan(0);
    expect(rows[1].ratioVsEngine).toBeCloseTo(rows[1].ms / rows[0].ms, 10);
  });
});

describe('engineLogits on a CpuBackend model', () => {
  it('verifies a model living on the CPU backend, using its current parameters', async () => {
    const params = initParameters(untiedMqa, 8);
    const model = await new CpuBackend().createModel(untiedMqa, params);
    const report = await verifyAgainstOrt({ config: untiedMqa, params, engine: engineLogits(model) });
    expect(report.withinTolerance, describeMismatches(report)).toBe(true);
    expect(report.top1Agreement).toBe(1);
    // After the model's weights change, ORT on the old export must disagree: the source reads the model.
    const changed = Float32Array.from(params, (x) => x * 1.5);
    const changedModel = await new CpuBackend().createModel(untiedMqa, changed);
    const stale = await verifyAgainstOrt({ config: untiedMqa, params, engine: engineLogits(changedModel) });
    expect(stale.withinTolerance).toBe(false);
  });
});

describe('ONNX errors carry their cause', () => {
  it('a corrupt file fails session creation with ORT’s message and the original error as cause', async () => {
    const bytes = exportOnnx(tiedGqa, initParameters(tiedGqa, 1));
    const corrupt = bytes.slice(0, Math.floor(bytes.length / 2));
    const error = await OrtCausalLM.create(tiedGqa, corrupt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrtError);
    expect((error as OrtError).stage).toBe('session');
    expect((error as OrtError).cause).toBeDefined();
    expect((error as OrtError).message).toMatch(/could not load the model \(wasm\): .+/);
  });

  it('a sequence longer than the RoPE table fails at run time with the cause', async () => {
    const small: ModelConfig = { ...tiedGqa, max_position_embeddings: 8 };
    const lm = await OrtCausalLM.create(small, exportOnnx(small, initParameters(small, 1)));
    try {
      const T = 10;
      const error = await lm
        .logits(new Int32Array(T).fill(5), Int32Array.of(T), 1, T)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OrtError);
      expect((error as OrtError).stage).toBe('run');
      expect((error as OrtError).message).toMatch(/failed to run a forward pass: .+/);
    } finally {
      await lm.release();
    }
  });

  it('inputs that cannot run are rejected before ORT with a plain message', async () => {
    const lm = await OrtCausalLM.create(
      tiedGqa,
      exportOnnx(tiedGqa, initParameters(tiedGqa, 1), { kvCache: true }),
    );
    try {
      const tooLong = await lm.greedy([new Int32Array(60).fill(5)], 10, 2).catch((e: unknown) => e);
      expect(tooLong).toBeInstanceOf(OrtError);
      expect((tooLong as OrtError).stage).toBe('input');
      expect((tooLong as OrtError).message).toBe(
        'prompt (60) + maxNewTokens (10) exceeds max_position_embeddings (64)',
      );
      const badLengths = await lm.logits(new Int32Array(4), Int32Array.of(5), 1, 4).catch((e: unknown) => e);
      expect((badLengths as OrtError).stage).toBe('input');
    } finally {
      await lm.release();
    }
  });

  it('parameters that do not fit the config are rejected before export', () => {
    expect(() => exportOnnx(tiedGqa, new Float32Array(10))).toThrow(/layout needs/);
  });
});
