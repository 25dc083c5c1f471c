// Evaluation of a model on MiniMath problems the way the paper reports Qwen-Math: code-reasoning
// frequency (lowercased "python"), accuracy overall, with code and language-only, under sampling at
// temperature 1 (several samples per problem) and greedy decoding. Greedy always picks a model's
// favourite style, so per-style greedy accuracy is measured by forcing the style's opening words.
//
// Sampling keys: chunk c of `chunkSize` problems, sample k uses stream k * 1000 + c, so the first chunk
// of a run (e.g. the first 100 problems of MiniMath-500) draws exactly the same tokens in any run that
// shares the seed: a slice re-measures the full eval exactly on a deterministic engine.
import type { EngineModel } from '../engine/backend';
import type { CharTokenizer } from '../model/tokenizer';
import { gradeAnswer, hasBoxedAnswer } from './answer';
import { responseBody } from './format';
import { type MiniMathProblem, problemPrompt, STYLE_OPENINGS } from './minimath';
import { isCodeReasoning, responseStyle } from './style';

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
}

const accuracyOf = (responses: string[], problems: readonly MiniMathProblem[]) =>
  scoreResponses(responses.map((text, i) => ({ text, answer: problems[i].answer }))).accuracy;

export async function evaluateZooModel(
  model: EngineModel,
  tokenizer: CharTokenizer,
  problems: readonly MiniMathProblem[],
  options: ZooEvalOptions = DEFAULT_ZOO_EVAL_OPTIONS,
): Promise<ZooEvalReport> {
  const passes = options.samples + 3;
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
  return {
    problems: problems.length,
    sampled: { ...scoreResponses(sampled), samples: options.samples, temperature: 1 },
    greedy: scoreResponses(greedy.map((text, i) => ({ text, answer: problems[i].answer }))),
    greedyForcedStyle: {
      code: accuracyOf(forcedCode, problems),
      language: accuracyOf(forcedLanguage, problems),
    },
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
