// Evaluation on held-out problems (MiniMath-500 or a slice): greedy accuracy, avg@k sampled accuracy,
// the three measures of code reasoning (exact mean p(code) at the first response token, the greedy and
// the sampled code share), accuracy with code vs language-only, and the paper's style-transition table
// against the initial model's greedy answers.
import type { EngineModel } from '../engine/backend';
import { extractBoxedAnswer, gradeAnswer } from '../tasks/answer';
import { STYLE_OPENINGS } from '../tasks/minimath';
import { isCodeReasoning } from '../tasks/style';
import { sigmoid, styleLogOdds } from './instruments';
import type { EvalMetrics, StyleTransitions, TransitionCell } from './metrics';
import { newTokenBudget, type PromptExample, type TextCodec } from './trainer';

export interface EvalSettings {
  /** Samples per problem for avg@k (0 skips sampling). */
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  seed: number;
  /** Sequences per generate call. */
  batchSize: number;
}

/** Per-problem greedy outcome, kept from the initial eval to build the transition table later. */
export interface GreedyRecord {
  code: boolean;
  correct: boolean;
}

export interface EvalResult {
  metrics: EvalMetrics;
  greedy: GreedyRecord[];
  /** Greedy response texts, for inspection. */
  greedyTexts: string[];
}

/** RNG stream for eval sampling, far from any training step's stream so draws never collide. */
const EVAL_STREAM_BASE = 0x40000000;

export async function evaluate(
  model: EngineModel,
  codec: TextCodec,
  formatPrompt: (question: string) => string,
  problems: PromptExample[],
  settings: EvalSettings,
  step: number,
  initial?: GreedyRecord[],
): Promise<EvalResult> {
  const eosId = model.config.eos_token_id;
  const prompts = problems.map((p) => Int32Array.from(codec.encode(formatPrompt(p.question))));
  const decode = (ids: Int32Array) =>
    codec.decode(ids.length && ids[ids.length - 1] === eosId ? ids.subarray(0, -1) : ids);

  const greedyTexts: string[] = [];
  for (let start = 0; start < prompts.length; start += settings.batchSize) {
    const chunk = prompts.slice(start, start + settings.batchSize);
    const result = await model.generate({
      prompts: chunk,
      maxNewTokens: newTokenBudget(chunk, settings.maxNewTokens, model.config.max_position_embeddings),
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: settings.seed,
      stream: EVAL_STREAM_BASE,
      eosId,
    });
    for (const ids of result.completions) greedyTexts.push(decode(ids));
  }
  const greedy = greedyTexts.map((text, i) => ({
    code: isCodeReasoning(text),
    correct: gradeAnswer(text, problems[i].answer),
  }));

  let sampledCorrect = 0;
  let sampledCode = 0;
  let sampledCodeCorrect = 0;
  let sampled = 0;
  if (settings.k > 0) {
    const requests: { problem: number; ids: Int32Array }[] = [];
    prompts.forEach((ids, problem) => {
      for (let j = 0; j < settings.k; j++) requests.push({ problem, ids });
    });
    for (let start = 0; start < requests.length; start += settings.batchSize) {
      const chunk = requests.slice(start, start + settings.batchSize);
      const result = await model.generate({
        prompts: chunk.map((r) => r.ids),
        maxNewTokens: newTokenBudget(
          chunk.map((r) => r.ids),
          settings.maxNewTokens,
          model.config.max_position_embeddings,
        ),
        temperature: settings.temperature,
        topK: 0,
        topP: settings.topP,
        seed: settings.seed,
        // One stream per chunk start keeps every (problem, sample) draw distinct and batch-size stable.
        stream: EVAL_STREAM_BASE + 1 + start,
        eosId,
      });
      result.completions.forEach((ids, i) => {
        const text = decode(ids);
        sampled++;
        const correct = gradeAnswer(text, problems[chunk[i].problem].answer);
        if (correct) sampledCorrect++;
        if (isCodeReasoning(text)) {
          sampledCode++;
          if (correct) sampledCodeCorrect++;
        }
      });
    }
  }

  // Exact p(code): the code opening's first token right after each prompt, no sampling.
  const codeOpeningId = Array.from(codec.encode(STYLE_OPENINGS.code))[0];
  let pCodeSum = 0;
  for (let start = 0; start < prompts.length; start += settings.batchSize) {
    const logOdds = await styleLogOdds(
      model,
      prompts.slice(start, start + settings.batchSize),
      codeOpeningId,
    );
    for (const x of logOdds) pCodeSum += sigmoid(x);
  }

  const n = problems.length;
  const withCode = greedy.filter((g) => g.code);
  const languageOnly = greedy.filter((g) => !g.code);
  const accuracy = (rs: GreedyRecord[]) =>
    rs.length ? rs.filter((r) => r.correct).length / rs.length : Number.NaN;
  const boxed = greedyTexts.filter((t) => extractBoxedAnswer(t) !== null).length;
  const metrics: EvalMetrics = {
    step,
    problems: n,
    greedyAccuracy: accuracy(greedy),
    sampledAccuracy: sampled ? sampledCorrect / sampled : Number.NaN,
    k: settings.k,
    codeFrequency: withCode.length / n,
    sampledCodeFrequency: sampled ? sampledCode / sampled : Number.NaN,
    accuracyWithCode: accuracy(withCode),
    accuracyLanguageOnly: accuracy(languageOnly),
    meanPCode: n ? pCodeSum / n : Number.NaN,
    sampledAccuracyWithCode: sampledCode ? sampledCodeCorrect / sampledCode : Number.NaN,
    sampledAccuracyLanguageOnly:
      sampled - sampledCode ? (sampledCorrect - sampledCodeCorrect) / (sampled - sampledCode) : Number.NaN,
    formatRate: boxed / n,
    transitions: initial && initial.length === n ? styleTransitions(initial, greedy) : undefined,
  };
  return { metrics, greedy, greedyTexts };
}

/** The paper's Table: problems split by style before -> after, with each cell's share of the gain. */
export function styleTransitions(before: GreedyRecord[], after: GreedyRecord[]): StyleTransitions {
  const n = before.length;
  const cell = (fromCode: boolean, toCode: boolean): TransitionCell => {
    const idx = before
      .map((_, i) => i)
      .filter((i) => before[i].code === fromCode && after[i].code === toCode);
    const correctBefore = idx.filter((i) => before[i].correct).length;
    const correctAfter = idx.filter((i) => after[i].correct).length;
    return {
      share: n ? idx.length / n : 0,
      accuracyBefore: idx.length ? correctBefore / idx.length : Number.NaN,
      accuracyAfter: idx.length ? correctAfter / idx.length : Number.NaN,
      gainContribution: n ? (correctAfter - correctBefore) / n : 0,
    };
  };
  const accBefore = before.filter((r) => r.correct).length;
  const accAfter = after.filter((r) => r.correct).length;
  return {
    codeToCode: cell(true, true),
    codeToLang: cell(true, false),
    langToCode: cell(false, true),
    langToLang: cell(false, false),
    netGain: n ? (accAfter - accBefore) / n : 0,
  };
}
