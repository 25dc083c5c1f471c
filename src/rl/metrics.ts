// Metric records the trainer emits: one StepMetrics per GRPO step and one EvalMetrics per evaluation.
// Names follow what TRL/verl log where an equivalent exists, so lab curves read like paper curves.

export interface StepMetrics {
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
