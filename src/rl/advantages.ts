// GRPO advantages: each rollout's reward relative to its group, A = (r - mean_group) / (std + eps),
// with the std scaling switchable as in Dr. GRPO ("none" drops the division that biases toward
// easy/hard groups; "batch" uses one std over the whole rollout batch), and RLOO ("rloo": the baseline
// of each sample is the mean of the OTHER G-1 rewards, A = r_i - mean_{j != i} r_j = G/(G-1) (r_i -
// mean), no std; Oertell et al. found its median stays centred under random rewards where GRPO's drifts).

export type StdScaling = 'group' | 'batch' | 'none' | 'rloo';

export interface AdvantageResult {
  /** (B*G) advantages, group-major: index = prompt * G + sample. */
  advantages: Float32Array;
  /** Share of groups whose rewards are all equal (std 0): they carry no learning signal. */
  zeroStdGroupShare: number;
}

/** Arithmetic mean of values[start, end). */
function mean(values: ArrayLike<number>, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += values[i];
  return s / (end - start);
}

/**
 * Sample standard deviation (Bessel-corrected), matching `torch.std` used by TRL/verl/OpenRLHF for
 * the group std; a group of one has std 0.
 */
function sampleStd(values: ArrayLike<number>, start: number, end: number, mu: number): number {
  const n = end - start;
  if (n < 2) return 0;
  let s = 0;
  for (let i = start; i < end; i++) s += (values[i] - mu) ** 2;
  return Math.sqrt(s / (n - 1));
}

/**
 * @param rewards (B*G) rewards, group-major
 * @param groupSize G
 * @param scaling how the centred reward is divided
 * @param eps added to the std (1e-6 as in TRL/verl)
 */
export function groupAdvantages(
  rewards: ArrayLike<number>,
  groupSize: number,
  scaling: StdScaling,
  eps = 1e-6,
): AdvantageResult {
  if (!Number.isInteger(groupSize) || groupSize < 1)
    throw new Error(`group size must be a positive integer, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) {
    throw new Error(`${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  const groups = rewards.length / groupSize;
  const advantages = new Float32Array(rewards.length);
  const batchMean = rewards.length ? mean(rewards, 0, rewards.length) : 0;
  const batchStd = sampleStd(rewards, 0, rewards.length, batchMean);
  let zeroStd = 0;
  for (let g = 0; g < groups; g++) {
    const start = g * groupSize;
    const end = start + groupSize;
    const mu = mean(rewards, start, end);
    const std = sampleStd(rewards, start, end, mu);
    if (std === 0) zeroStd++;
    if (scaling === 'rloo') {
      // A group of one has no other sample to compare with: advantage 0.
      const scale = groupSize > 1 ? groupSize / (groupSize - 1) : 0;
      for (let i = start; i < end; i++) advantages[i] = scale * (rewards[i] - mu);
      continue;
    }
    const divisor = scaling === 'group' ? std + eps : scaling === 'batch' ? batchStd + eps : 1;
    for (let i = start; i < end; i++) advantages[i] = (rewards[i] - mu) / divisor;
  }
  return { advantages, zeroStdGroupShare: groups ? zeroStd / groups : 0 };
}
