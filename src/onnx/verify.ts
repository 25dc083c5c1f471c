// Checking our engine against ONNX Runtime: a fixed, seeded verification batch, a logits comparison
// in the llm.c `validate_result` spirit (abs + rel tolerance, the first mismatches named by position),
// and `verifyAgainstOrt`, which exports a checkpoint, runs the batch through ORT and through one of our
// engines, and reports max |Δ logit|, top-1 agreement and both timings. Platform neutral: the browser
// entry (ort-browser.ts) only adds serving of the wasm binary and the choice of execution provider.

import type { ModelConfig } from '../model/config';
import { Random } from '../util/random';
import { exportOnnx } from './export';
import { argmax, OrtCausalLM, type OrtExecutionProvider } from './ort-runner';

/** A right-padded batch of token ids: tokens (B, T), lengths (B), all lengths >= 1. */
export interface LogitsBatch {
  B: number;
  T: number;
  tokens: Int32Array;
  lengths: Int32Array;
}

/** Our engine's logits (B, T, V) for a batch; positions >= lengths[b] are not compared. */
export type EngineLogits = (batch: LogitsBatch) => Promise<Float32Array>;

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** The bar: |ort - engine| <= 1e-4 + 1e-4 * |engine| at every real position. */
export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

export interface LogitMismatch {
  b: number;
  t: number;
  v: number;
  ort: number;
  engine: number;
}

export interface LogitsComparison {
  /** Largest |ort - engine| over real positions and all vocab entries. */
  maxAbsDiff: number;
  /** Largest |ort - engine| / (atol + rtol * |engine|): <= 1 means within tolerance. */
  maxToleranceRatio: number;
  withinTolerance: boolean;
  /** Share of real positions where both runtimes pick the same argmax token. */
  top1Agreement: number;
  /** Number of real (compared) positions. */
  positions: number;
  /** Smallest top-1 minus top-2 logit gap of the engine over real positions: how tie-prone greedy is. */
  minTop1Margin: number;
  /** The first few entries outside tolerance, for error messages. */
  mismatches: LogitMismatch[];
}

/** Compares two (B, T, V) logits arrays over positions t < lengths[b]. */
export function compareLogits(
  ortLogits: Float32Array,
  engineLogits: Float32Array,
  batch: LogitsBatch,
  V: number,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
  maxMismatches = 5,
): LogitsComparison {
  const { B, T, lengths } = batch;
  if (ortLogits.length !== B * T * V || engineLogits.length !== B * T * V) {
    throw new Error(
      `logits sizes differ from B*T*V = ${B * T * V}: ORT ${ortLogits.length}, engine ${engineLogits.length}`,
    );
  }
  let maxAbsDiff = 0;
  let maxToleranceRatio = 0;
  let agree = 0;
  let positions = 0;
  let minTop1Margin = Infinity;
  const mismatches: LogitMismatch[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      const row = (b * T + t) * V;
      for (let v = 0; v < V; v++) {
        const o = ortLogits[row + v];
        const e = engineLogits[row + v];
        const diff = Math.abs(o - e);
        // NaN must fail, so compare with a negated <= rather than >.
        const ratio = Number.isNaN(diff) ? Infinity : diff / (tolerance.atol + tolerance.rtol * Math.abs(e));
        if (!(diff <= maxAbsDiff)) maxAbsDiff = Number.isNaN(diff) ? Infinity : diff;
        if (ratio > maxToleranceRatio) maxToleranceRatio = ratio;
        if (ratio > 1 && mismatches.length < maxMismatches) mismatches.push({ b, t, v, ort: o, engine: e });
      }
      const top = argmax(engineLogits, row, V);
      if (argmax(ortLogits, row, V) === top) agree++;
      let second = -Infinity;
      for (let v = 0; v < V; v++)
        if (v !== top && engineLogits[row + v] > second) second = engineLogits[row + v];
      minTop1Margin = Math.min(minTop1Margin, engineLogits[row + top] - second);
      positions++;
    }
  }
  return {
    maxAbsDiff,
    maxToleranceRatio,
    withinTolerance: maxToleranceRatio <= 1,
    top1Agreement: positions ? agree / positions : 1,
    positions,
    minTop1Margin,
    mismatches,
  };
}

/** Human-readable lines for a failed comparison (tests and the UI show them). */
export function describeMismatches(c: LogitsComparison): string {
  const lines = c.mismatches.map(
    (m) =>
      `  [b=${m.b}, t=${m.t}, v=${m.v}] ORT ${m.ort} vs engine ${m.engine} (Δ ${Math.abs(m.ort - m.engine)})`,
  );
  return `max |Δ| ${c.maxAbsDiff}, worst |Δ|/(atol+rtol|x|) ${c.maxToleranceRatio.toFixed(3)}\n${lines.join('\n')}`;
}

/**
 * The fixed verification batch: B rows of seeded token ids with ragged lengths (the first row full),
 * so right padding is exercised. Ids avoid the pad id so every real position is a real token.
 */
export function fixedVerifyBatch(config: ModelConfig, B = 4, T = 24, seed = 1234): LogitsBatch {
  const T_ = Math.min(T, config.max_position_embeddings);
  const rng = new Random(seed, 0);
  const tokens = new Int32Array(B * T_).fill(config.pad_token_id);
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    lengths[b] = b === 0 ? T_ : rng.int(1, T_);
    for (let t = 0; t < lengths[b]; t++) {
      let id = rng.int(0, config.vocab_size - 1);
      if (id === config.pad_token_id) id = config.bos_token_id;
      tokens[b * T_ + t] = id;
    }
  }
  return { B, T: T_, tokens, lengths };
}

export interface VerifyOptions {
  config: ModelConfig;
  params: Float32Array;
  /** Our engine's logits for a batch (see engineLogits in ort-engines.ts for the CPU engine). */
  engine: EngineLogits;
  /** Defaults to fixedVerifyBatch(config). */
  batch?: LogitsBatch;
  executionProvider?: OrtExecutionProvider;
  /** Reuse an exported file (e.g. the one offered for download); default: export now. */
  onnx?: Uint8Array;
  tolerance?: Tolerance;
}

export interface VerifyReport extends LogitsComparison {
  executionProvider: OrtExecutionProvider;
  /** Milliseconds of one warm forward of the batch in ORT (session creation and a warm-up excluded). */
  ortMs: number;
  /** The same for our engine. */
  engineMs: number;
  /** Session creation (graph load + optimisation) in ms. */
  ortSessionMs: number;
  onnxBytes: number;
}

/** Runs the batch through ORT and our engine and compares the logits. ORT errors surface as OrtError. */
export async function verifyAgainstOrt(options: VerifyOptions): Promise<VerifyReport> {
  const { config, params } = options;
  const batch = options.batch ?? fixedVerifyBatch(config);
  const onnx = options.onnx ?? exportOnnx(config, params);
  const executionProvider = options.executionProvider ?? 'wasm';
  const sessionStart = performance.now();
  const lm = await OrtCausalLM.create(config, onnx, { executionProvider });
  const ortSessionMs = performance.now() - sessionStart;
  try {
    const runOrt = () => lm.logits(batch.tokens, batch.lengths, batch.B, batch.T);
    await runOrt(); // warm-up: first runs compile kernels / allocate arenas
    const ortStart = performance.now();
    const ortLogits = await runOrt();
    const ortMs = performance.now() - ortStart;
    await options.engine(batch);
    const engineStart = performance.now();
    const engineLogits = await options.engine(batch);
    const engineMs = performance.now() - engineStart;
    const comparison = compareLogits(ortLogits, engineLogits, batch, config.vocab_size, options.tolerance);
    return { ...comparison, executionProvider, ortMs, engineMs, ortSessionMs, onnxBytes: onnx.length };
  } finally {
    await lm.release();
  }
}

/** Median wall time in ms of `iterations` warm runs (one warm-up run first, not counted). */
export async function medianMs(iterations: number, run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up: JIT, shader/kernel compilation, arena allocation
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export interface LatencyRow {
  /** 'engine' or `ort ${provider}`. */
  runtime: string;
  ms: number;
  /** ms / engine ms: above 1 means slower than our engine. */
  ratioVsEngine: number;
}

/**
 * Forward latency of one fixed batch (logits read back) for our engine and ORT on each provider, median
 * of `iterations` warm runs. Session creation is not timed. ORT errors surface as OrtError.
 */
export async function compareForwardLatency(options: {
  config: ModelConfig;
  params: Float32Array;
  engine: EngineLogits;
  providers: OrtExecutionProvider[];
  batch?: LogitsBatch;
  iterations?: number;
  onnx?: Uint8Array;
}): Promise<LatencyRow[]> {
  const { config, params } = options;
  const batch = options.batch ?? fixedVerifyBatch(config, 8, 64);
  const iterations = options.iterations ?? 5;
  const onnx = options.onnx ?? exportOnnx(config, params);
  const engineMs = await medianMs(iterations, () => options.engine(batch));
  const rows: LatencyRow[] = [{ runtime: 'engine', ms: engineMs, ratioVsEngine: 1 }];
  for (const provider of options.providers) {
    const lm = await OrtCausalLM.create(config, onnx, { executionProvider: provider });
    try {
      const ms = await medianMs(iterations, () => lm.logits(batch.tokens, batch.lengths, batch.B, batch.T));
      rows.push({ runtime: `ort ${provider}`, ms, ratioVsEngine: ms / engineMs });
    } finally {
      await lm.release();
    }
  }
  return rows;
}
