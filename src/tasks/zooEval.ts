// Evaluation of a model on MiniMath problems the way the paper reports Qwen-Math: code-reasoning
// frequency (lowercased "python"), accuracy overall, with code and language-only, under sampling at
// temperature 1 (several samples per problem) and greedy decoding. Greedy always picks a model's
// favourite style, so per-style greedy accuracy is measured by forcing the style's opening words.
//
// Sampling keys: chunk c of `chunkSize` problems, sample k uses stream k * 1000 + c, so the first chunk
// of a run (e.g. the first 100 problems of MiniMath-500) draws exactly the same tokens in any run that
// shares the seed: a slice re-measures the full eval exactly on a deterministic engine.
import type { EngineModel, TokenBatch } from '../engine/backend';
import type { CharTokenizer } from '../model/tokenizer';
import { fdExp } from '../util/fdlibm';
import { gradeAnswer, hasBoxedAnswer } from './answer';
import { formatResponse, responseBody } from './format';
import { type MiniMathProblem, problemPrompt, STYLE_OPENINGS } from './minimath';
import { isCodeReasoning, responseStyle } from './style';
import type { CodeFrequencyCheck } from './zoo';

export interface GradedResponse {
  text: string;
  answer: number | string;
}

export interface StyleAccuracy {
  responses: number;
  accuracy: number;
  codeFrequency: number;
  languageFrequency: number;
  directFrequency: number;
  boxedFrequency: number;
  codeResponses: number;
  /** Accuracy among code responses; null when there are none. */
  codeAccuracy: number | null;
  nonCodeResponses: number;
  /** Accuracy among responses without code (language steps, direct, unboxed); null when none. */
  languageOnlyAccuracy: number | null;
}

/** Pure scoring of responses (text without the end-of-turn token) against their gold answers. */
export function scoreResponses(graded: readonly GradedResponse[]): StyleAccuracy {
  let correct = 0;
  let code = 0;
  let codeCorrect = 0;
  let language = 0;
  let direct = 0;
  let boxed = 0;
  for (const { text, answer } of graded) {
    const ok = gradeAnswer(text, answer);
    if (ok) correct++;
    if (hasBoxedAnswer(text)) boxed++;
    if (isCodeReasoning(text)) {
      code++;
      if (ok) codeCorrect++;
    } else if (responseStyle(text) === 'language') language++;
    else direct++;
  }
  const n = graded.length;
  const share = (k: number) => (n === 0 ? 0 : k / n);
  const nonCode = n - code;
  return {
    responses: n,
    accuracy: share(correct),
    codeFrequency: share(code),
    languageFrequency: share(language),
    directFrequency: share(direct),
    boxedFrequency: share(boxed),
    codeResponses: code,
    codeAccuracy: code === 0 ? null : codeCorrect / code,
    nonCodeResponses: nonCode,
    languageOnlyAccuracy: nonCode === 0 ? null : (correct - codeCorrect) / nonCode,
  };
}

export interface GenerationOptions {
  temperature: number;
  seed: number;
  maxNewTokens: number;
  /** Problems per generate call; also the unit of the sampling key (see the header). */
  chunkSize: number;
  /** Sample index k, part of the sampling key. */
  sampleIndex: number;
  /** Text forced at the start of every response (the style opening), '' for none. */
  forcedOpening: string;
}

/** Responses (forced opening included, end-of-turn token and anything after it removed). */
export async function generateResponses(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  options: GenerationOptions,
): Promise<string[]> {
  const eosId = tokenizer.idOf('<|im_end|>');
  if (eosId === undefined) throw new Error('tokenizer has no <|im_end|> token');
  const responses: string[] = [];
  for (let start = 0, chunk = 0; start < problems.length; start += options.chunkSize, chunk++) {
    const slice = problems.slice(start, start + options.chunkSize);
    const prompts = slice.map(
      (p) =>
        new Int32Array(tokenizer.encode(problemPrompt(p) + options.forcedOpening, { onUnknown: 'throw' })),
    );
    const result = await model.generate({
      prompts,
      maxNewTokens: options.maxNewTokens,
      temperature: options.temperature,
      topK: 0,
      topP: 1,
      seed: options.seed,
      stream: options.sampleIndex * 1000 + chunk,
      eosId,
    });
    for (const completion of result.completions)
      responses.push(options.forcedOpening + responseBody(tokenizer.decode(completion)));
  }
  return responses;
}

export interface ZooEvalOptions {
  samples: number;
  seed: number;
  maxNewTokens: number;
  chunkSize: number;
  /** Called after each generation pass, for progress output. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_ZOO_EVAL_OPTIONS: ZooEvalOptions = {
  samples: 4,
  seed: 2025,
  maxNewTokens: 128,
  chunkSize: 100,
};

export interface ZooEvalReport {
  problems: number;
  /** Temperature 1, `samples` per problem, pooled. */
  sampled: StyleAccuracy & { samples: number; temperature: number };
  greedy: StyleAccuracy;
  /** Greedy accuracy with the response forced to open in each style. */
  greedyForcedStyle: { code: number; language: number };
  /** Sampled (temperature 1, `samples` per problem) accuracy with the response forced to open in each style. */
  sampledForcedStyle?: { code: number; language: number };
  /** The style decision read exactly off the first response token (cards built before zoo v2 lack it). */
  styleDecision?: StyleDecisionStats;
}

/** p(code) bins of the cards: below 0.3, 0.3-0.5, 0.5-0.83, above 1/(1+eps) = 0.83 (eps 0.2). */
export const P_CODE_BINS = ['<0.3', '0.3-0.5', '0.5-0.83', '>0.83'] as const;
export type PCodeBin = (typeof P_CODE_BINS)[number];

export function pCodeBin(p: number): PCodeBin {
  if (p < 0.3) return '<0.3';
  if (p < 0.5) return '0.3-0.5';
  if (p <= 0.83) return '0.5-0.83';
  return '>0.83';
}

export interface StyleDecisionStats {
  /** Mean over problems of p(code) at the first response token (exact, from the distribution). */
  meanPCode: number;
  /** Share of problems in each p(code) bin. */
  histogram: Record<PCodeBin, number>;
  /** Share of problems with p(code) above 0.85 and below 0.3 (the zoo's bands). */
  above085: number;
  below03: number;
  /** Mean entropy (nats, temperature 1) of the first response token, and of every later response token of the sampled responses. */
  entropyAtStyle: number;
  entropyElsewhere: number;
  /** p(code) per problem, in eval order, rounded to 4 decimals. */
  perProblem: number[];
}

/** Right-padded batch of id rows with the loss mask on the given positions of each row. */
function rowsBatch(
  rows: readonly Int32Array[],
  masked: (row: number, length: number) => number[],
): TokenBatch {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const tokens = new Int32Array(B * T);
  const lengths = new Int32Array(B);
  const lossMask = new Float32Array(B * T);
  rows.forEach((row, b) => {
    tokens.set(row, b * T);
    lengths[b] = row.length;
    for (const t of masked(b, row.length)) lossMask[b * T + t] = 1;
  });
  return { B, T, tokens, lengths, lossMask };
}

/**
 * Exact p(code) at the style decision of each problem: the log-prob of the code opening's first token
 * right after the prompt (every style opens with a different character, so this is the whole decision).
 */
export async function styleDecisionProbabilities(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  chunkSize = 100,
): Promise<{ pCode: number[]; entropy: number[] }> {
  const codeFirst = tokenizer.encode(STYLE_OPENINGS.code, { onUnknown: 'throw' })[0];
  const pCode: number[] = [];
  const entropy: number[] = [];
  for (let start = 0; start < problems.length; start += chunkSize) {
    const prompts = problems
      .slice(start, start + chunkSize)
      .map((p) => Int32Array.from(tokenizer.encode(problemPrompt(p), { onUnknown: 'throw' })));
    const next = await nextTokenProbabilities(model, prompts, codeFirst);
    pCode.push(...next.p);
    entropy.push(...next.entropy);
  }
  return { pCode, entropy };
}

/**
 * p(token) right after each prompt, and the entropy of that next-token distribution (temperature 1),
 * in one scoring pass: one row per prompt. The cards' p(code) and the trainer's style logit both read it.
 */
export async function nextTokenProbabilities(
  model: EngineModel,
  prompts: readonly Int32Array[],
  tokenId: number,
): Promise<{ p: number[]; entropy: number[] }> {
  const rows = prompts.map((prompt) => {
    const row = new Int32Array(prompt.length + 1);
    row.set(prompt, 0);
    row[prompt.length] = tokenId;
    return row;
  });
  const batch = rowsBatch(rows, (_b, length) => [length - 1]);
  const scored = await model.scoreTokens(batch, 1);
  const at = (b: number) => b * batch.T + rows[b].length - 1;
  return {
    p: rows.map((_, b) => fdExp(scored.logprobs[at(b)])),
    entropy: rows.map((_, b) => scored.entropy[at(b)]),
  };
}

/** Mean entropy of response tokens after the first, scored at temperature 1 (end-of-turn token included). */
async function entropyAfterStyle(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  responses: readonly string[],
  chunkSize = 100,
): Promise<number> {
  let sum = 0;
  let count = 0;
  for (let start = 0; start < problems.length; start += chunkSize) {
    const rows: Int32Array[] = [];
    const promptLengths: number[] = [];
    for (let i = start; i < Math.min(problems.length, start + chunkSize); i++) {
      const prompt = tokenizer.encode(problemPrompt(problems[i]), { onUnknown: 'throw' });
      const response = tokenizer.encode(formatResponse(responses[i]), { onUnknown: 'throw' });
      const row = new Int32Array(prompt.length + response.length);
      row.set(prompt, 0);
      row.set(response, prompt.length);
      rows.push(row);
      promptLengths.push(prompt.length);
    }
    const batch = rowsBatch(rows, (b, length) => {
      const positions: number[] = [];
      for (let t = promptLengths[b] + 1; t < length; t++) positions.push(t);
      return positions;
    });
    const scored = await model.scoreTokens(batch, 1);
    for (let i = 0; i < batch.lossMask.length; i++)
      if (batch.lossMask[i] > 0) {
        sum += scored.entropy[i];
        count++;
      }
  }
  return count === 0 ? 0 : sum / count;
}

export function styleDecisionStats(
  pCode: readonly number[],
  entropyAtStyle: readonly number[],
  entropyElsewhere: number,
): StyleDecisionStats {
  const n = pCode.length;
  const histogram = Object.fromEntries(P_CODE_BINS.map((bin) => [bin, 0])) as Record<PCodeBin, number>;
  for (const p of pCode) histogram[pCodeBin(p)] += 1 / n;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    meanPCode: mean(pCode),
    histogram,
    above085: pCode.filter((p) => p > 0.85).length / n,
    below03: pCode.filter((p) => p < 0.3).length / n,
    entropyAtStyle: mean(entropyAtStyle),
    entropyElsewhere,
    perProblem: pCode.map((p) => Math.round(p * 1e4) / 1e4),
  };
}

const accuracyOf = (responses: string[], problems: readonly MiniMathProblem[]) =>
  scoreResponses(responses.map((text, i) => ({ text, answer: problems[i].answer }))).accuracy;

export async function evaluateZooModel(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  options: ZooEvalOptions = DEFAULT_ZOO_EVAL_OPTIONS,
): Promise<ZooEvalReport> {
  const passes = 3 * options.samples + 4;
  let done = 0;
  const run = async (temperature: number, sampleIndex: number, forcedOpening: string) => {
    const responses = await generateResponses(model, tokenizer, problems, {
      temperature,
      seed: options.seed,
      maxNewTokens: options.maxNewTokens,
      chunkSize: options.chunkSize,
      sampleIndex,
      forcedOpening,
    });
    options.onProgress?.(++done, passes);
    return responses;
  };
  const sampled: GradedResponse[] = [];
  for (let k = 0; k < options.samples; k++) {
    const responses = await run(1, k, '');
    for (const [i, text] of responses.entries()) sampled.push({ text, answer: problems[i].answer });
  }
  const greedy = await run(0, 0, '');
  const forcedCode = await run(0, 0, STYLE_OPENINGS.code);
  const forcedLanguage = await run(0, 0, STYLE_OPENINGS.language);
  const sampledForced = { code: [] as GradedResponse[], language: [] as GradedResponse[] };
  for (const style of ['code', 'language'] as const)
    for (let k = 0; k < options.samples; k++) {
      // Sample indices past the unforced ones, so no forced pass reuses an unforced pass's stream.
      const responses = await run(1, options.samples * (style === 'code' ? 1 : 2) + k, STYLE_OPENINGS[style]);
      for (const [i, text] of responses.entries())
        sampledForced[style].push({ text, answer: problems[i].answer });
    }
  const decision = await styleDecisionProbabilities(model, tokenizer, problems, options.chunkSize);
  const firstSample = sampled.slice(0, problems.length).map((r) => r.text);
  const elsewhere = await entropyAfterStyle(model, tokenizer, problems, firstSample, options.chunkSize);
  options.onProgress?.(++done, passes);
  return {
    problems: problems.length,
    sampled: { ...scoreResponses(sampled), samples: options.samples, temperature: 1 },
    greedy: scoreResponses(greedy.map((text, i) => ({ text, answer: problems[i].answer }))),
    greedyForcedStyle: {
      code: accuracyOf(forcedCode, problems),
      language: accuracyOf(forcedLanguage, problems),
    },
    sampledForcedStyle: {
      code: scoreResponses(sampledForced.code).accuracy,
      language: scoreResponses(sampledForced.language).accuracy,
    },
    styleDecision: styleDecisionStats(decision.pCode, decision.entropy, elsewhere),
  };
}

/**
 * Code frequency on the first `problems` problems, sampled at temperature 1. Only `maxNewTokens` tokens
 * are generated: every code response opens with "```python", and the counter-based sampler draws the
 * same tokens at the same positions whatever the budget, so a short budget reproduces what the full
 * eval's responses start with at a fraction of the cost (what the shipped-checkpoint test relies on).
 */
export async function measureCodeFrequency(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  options: { samples: number; seed: number; maxNewTokens: number },
): Promise<number> {
  let code = 0;
  for (let k = 0; k < options.samples; k++) {
    const responses = await generateResponses(model, tokenizer, problems, {
      temperature: 1,
      seed: options.seed,
      maxNewTokens: options.maxNewTokens,
      chunkSize: problems.length,
      sampleIndex: k,
      forcedOpening: '',
    });
    code += responses.filter(isCodeReasoning).length;
  }
  return code / (problems.length * options.samples);
}

/**
 * The card's `check`: what a unit test re-measures on a slice (the first problems of MiniMath-500) to
 * catch a card whose numbers are not the checkpoint's: sampled code share on short responses, exact mean
 * p(code), greedy code share (the first token decides it, so short responses suffice) and greedy
 * forced-style accuracy on full responses. Deterministic on the CPU engine.
 */
export async function measureZooCheck(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  options: { samples: number; seed: number; maxNewTokens: number },
): Promise<CodeFrequencyCheck> {
  const codeFrequency = await measureCodeFrequency(model, tokenizer, problems, options);
  const { pCode } = await styleDecisionProbabilities(model, tokenizer, problems, problems.length);
  const greedy = (maxNewTokens: number, forcedOpening: string) =>
    generateResponses(model, tokenizer, problems, {
      temperature: 0,
      seed: options.seed,
      maxNewTokens,
      chunkSize: problems.length,
      sampleIndex: 0,
      forcedOpening,
    });
  const greedyShort = await greedy(options.maxNewTokens, '');
  const forced = {
    code: accuracyOf(await greedy(DEFAULT_ZOO_EVAL_OPTIONS.maxNewTokens, STYLE_OPENINGS.code), problems),
    language: accuracyOf(
      await greedy(DEFAULT_ZOO_EVAL_OPTIONS.maxNewTokens, STYLE_OPENINGS.language),
      problems,
    ),
  };
  return {
    problems: problems.length,
    ...options,
    codeFrequency,
    meanPCode: pCode.reduce((a, b) => a + b, 0) / problems.length,
    greedyCodeShare: greedyShort.filter(isCodeReasoning).length / problems.length,
    greedyForcedStyle: forced,
  };
}
