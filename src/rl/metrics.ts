// Metric records the trainer emits: one StepMetrics per GRPO step and one EvalMetrics per evaluation.
// Names follow what TRL/verl log where an equivalent exists, so lab curves read like paper curves.

/**
 * The mechanism's instruments (src/rl/instruments.ts): the style decision (first response token) apart
 * from all other tokens, clip events binned by pi_old, and how far updates move the style logit.
 * Counts are over the tokens of the step's mini-batches (each rollout once per epoch), so a token's
 * ratio is the one the loss saw at its update. Runs recorded before these existed lack them.
 */
export interface StyleStepMetrics {
  /** Mean exact p(code) at the decision under the rollout policy, over the step's prompts. */
  stylePCodeOld: number;
  /** Style-position tokens counted (rollouts x epochs) and their ratio pi/pi_old at their update. */
  styleTokens: number;
  styleRatioMean: number;
  styleRatioMin: number;
  styleRatioMax: number;
  /** Clip events at the style position: R > 1+epsHigh with A > 0, R < 1-epsLow with A < 0. */
  styleClipHigh: number;
  styleClipLow: number;
  /** The same for every later response token. */
  otherTokens: number;
  otherClipHigh: number;
  otherClipLow: number;
  /** All response tokens by pi_old bin (< 0.2, 0.2-0.5, 0.5-0.83, > 0.83), and their clip events. */
  tokensPOldBelow02: number;
  tokensPOld02to05: number;
  tokensPOld05to083: number;
  tokensPOldAbove083: number;
  clipHighPOldBelow02: number;
  clipHighPOld02to05: number;
  clipHighPOld05to083: number;
  clipHighPOldAbove083: number;
  clipLowPOldBelow02: number;
  clipLowPOld02to05: number;
  clipLowPOld05to083: number;
  clipLowPOldAbove083: number;
  /** Mean |change| of the style logit (log-odds of code at the decision) per update, and over the step. */
  styleLogitMovePerUpdate: number;
  styleLogitMovePerBatch: number;
}

export interface StepMetrics extends Partial<StyleStepMetrics> {
  step: number;
  /** Learning rate used by this step's updates. */
  lr: number;
  rewardMean: number;
  rewardStd: number;
  /** Share of groups whose G rewards are all equal: no learning signal from them. */
  zeroStdGroupShare: number;
  advantageMean: number;
  advantageAbsMean: number;
  /** Share of completion tokens where the lower clip bound binds (R < 1-eps, A < 0). */
  clipFracLow: number;
  /** Share where the upper bound binds (R > 1+eps, A > 0). */
  clipFracHigh: number;
  /** clipFracLow + clipFracHigh: share of tokens whose gradient the clip removed. */
  clipFracRegion: number;
  ratioMean: number;
  ratioMin: number;
  ratioMax: number;
  /** Mean over tokens of old - new log-prob (k1 estimate of KL(old || new)) during the updates. */
  approxKl: number;
  /** Mean KL-to-reference estimate (0 when beta = 0). */
  refKl: number;
  /** Mean per-token entropy of the policy during the updates. */
  entropy: number;
  policyLoss: number;
  /** Pre-clip global gradient norm, averaged over the step's updates. */
  gradNorm: number;
  updates: number;
  responseLengthMean: number;
  responseLengthMax: number;
  truncatedShare: number;
  /** Share of rollouts whose lowercased text contains "python" (the paper's code reasoning). */
  codeFrequency: number;
  /** Ground-truth accuracy of the rollouts, whatever reward trained them. */
  rolloutAccuracy: number;
  /** Share of rollouts with a non-empty \boxed{}. */
  formatRate: number;
  timeRolloutMs: number;
  timeScoringMs: number;
  timeLogprobsMs: number;
  timeUpdateMs: number;
  rolloutTokensPerSec: number;
  trainTokensPerSec: number;
}

export interface EvalMetrics {
  step: number;
  problems: number;
  greedyAccuracy: number;
  /** Mean accuracy over k samples at the rollout temperature (avg@k). */
  sampledAccuracy: number;
  k: number;
  /** Code-reasoning frequency of greedy responses. */
  codeFrequency: number;
  /** Code-reasoning frequency over the sampled responses. */
  sampledCodeFrequency: number;
  /** Greedy accuracy among responses with code reasoning (NaN when there are none). */
  accuracyWithCode: number;
  /** Greedy accuracy among language-only responses (NaN when there are none). */
  accuracyLanguageOnly: number;
  /** Mean exact p(code) at the first response token (the code opening's probability), no sampling. */
  meanPCode?: number;
  /** Sampled accuracy among code / language-only responses (NaN when there are none). */
  sampledAccuracyWithCode?: number;
  sampledAccuracyLanguageOnly?: number;
  formatRate: number;
  /**
   * The paper's transition table against the initial model's greedy answers: per problem, style
   * before -> after (Code or Lang) crossed with correctness, as shares of all problems.
   */
  transitions?: StyleTransitions;
}

export interface StyleTransitions {
  codeToCode: TransitionCell;
  codeToLang: TransitionCell;
  langToCode: TransitionCell;
  langToLang: TransitionCell;
  /** Net accuracy change (after - before) as a share of problems. */
  netGain: number;
}

export interface TransitionCell {
  /** Share of problems in this cell. */
  share: number;
  /** Accuracy before and after among them. */
  accuracyBefore: number;
  accuracyAfter: number;
  /** This cell's contribution to the net gain: (correct after - correct before) / problems. */
  gainContribution: number;
}

/** A few rollouts of the latest step for the inspector. */
export interface RolloutSample {
  step: number;
  promptIndex: number;
  question: string;
  gold: string;
  completions: {
    text: string;
    reward: number;
    advantage: number;
    extracted: string | null;
    correct: boolean;
    style: 'code' | 'language' | 'direct';
    truncated: boolean;
  }[];
}
