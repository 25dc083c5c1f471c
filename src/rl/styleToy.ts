// A toy of the mechanism: GRPO on the style choice alone, with a random reward. A population of prompts
// each has one style logit z_i = s + u_i (a part shared by every prompt plus a per-prompt part, as a
// network's parameters are shared); a response is "code" with p_i = sigmoid(z_i) and carries no other
// choice; the reward is Bernoulli(gamma) whatever the response. Each step samples B prompts x G
// responses, takes group-normalised advantages, and runs the clipped objective over shuffled
// mini-batches (several Adam updates per rollout batch, so pi drifts from pi_old and the clip can act).
// The outcome is the greedy code share: the share of prompts with p_i > 0.5.
//
// It runs in milliseconds, so the Learn panel runs 40 paired seeds live. It is a model of the argument
// (a clip that binds one-sidedly on likely tokens), not of the lab's language models: their measured
// runs are in docs/science.md.
import { fdExp, fdLog, fdPow } from '../util/fdlibm';
import { Random } from '../util/random';

export interface StyleToySettings {
  /** p(code) of each group of prompts and the share of prompts in it. */
  population: readonly { pCode: number; share: number }[];
  prompts: number;
  /** B prompts x G responses per rollout batch. */
  promptsPerStep: number;
  groupSize: number;
  /** Adam updates per rollout batch (mini-batches of B*G / updates responses, shuffled across prompts). */
  updatesPerBatch: number;
  steps: number;
  lr: number;
  clip: boolean;
  epsLow: number;
  epsHigh: number;
  gamma: number;
  beta1: number;
  beta2: number;
}

/** The simulation: 200 prompts at p(code) 0.9 / 0.65 / 0.35 / 0.1 (45/20/20/15%), greedy share 0.65. */
export const STYLE_TOY_DEFAULTS: StyleToySettings = {
  population: [
    { pCode: 0.9, share: 0.45 },
    { pCode: 0.65, share: 0.2 },
    { pCode: 0.35, share: 0.2 },
    { pCode: 0.1, share: 0.15 },
  ],
  prompts: 200,
  promptsPerStep: 8,
  groupSize: 16,
  updatesPerBatch: 8,
  steps: 150,
  lr: 0.1,
  clip: true,
  epsLow: 0.2,
  epsHigh: 0.2,
  gamma: 0.5,
  beta1: 0.9,
  beta2: 0.95,
};

const logit = (p: number) => fdLog(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + fdExp(-z));

export interface StyleToyRun {
  seed: number;
  greedyCodeShareStart: number;
  greedyCodeShareEnd: number;
  meanPCodeStart: number;
  meanPCodeEnd: number;
}

function greedyShare(z: Float64Array, shared: number): number {
  let code = 0;
  for (const zi of z) if (zi + shared > 0) code++;
  return code / z.length;
}

function meanP(z: Float64Array, shared: number): number {
  let sum = 0;
  for (const zi of z) sum += sigmoid(zi + shared);
  return sum / z.length;
}

/** One seed. The seed fixes the prompts drawn, the styles sampled and the rewards, in every arm alike. */
export function runStyleToy(settings: StyleToySettings, seed: number): StyleToyRun {
  const s = settings;
  // Per-prompt parts: prompts 0.. in population order (the shared part starts at 0).
  const u = new Float64Array(s.prompts);
  let i = 0;
  for (const [g, group] of s.population.entries()) {
    const count = g === s.population.length - 1 ? s.prompts - i : Math.round(group.share * s.prompts);
    for (let k = 0; k < count && i < s.prompts; k++) u[i++] = logit(group.pCode);
  }
  let shared = 0;
  // Adam state: index 0 is the shared part, 1.. the per-prompt parts.
  const m = new Float64Array(s.prompts + 1);
  const v = new Float64Array(s.prompts + 1);
  let t = 0;
  const start = { greedy: greedyShare(u, shared), mean: meanP(u, shared) };
  const n = s.promptsPerStep * s.groupSize;
  const prompt = new Int32Array(n);
  const code = new Uint8Array(n);
  const pOld = new Float64Array(n);
  const advantage = new Float64Array(n);
  const order = Array.from({ length: n }, (_, k) => k);
  const grad = new Float64Array(s.prompts + 1);
  const miniBatch = Math.max(1, Math.floor(n / s.updatesPerBatch));
  for (let step = 0; step < s.steps; step++) {
    // Rollouts and rewards: one stream per (seed, step), the same whatever the arm.
    const rng = new Random(seed, step);
    for (let b = 0; b < s.promptsPerStep; b++) {
      const p = rng.int(0, s.prompts - 1);
      const rewards: number[] = [];
      for (let g = 0; g < s.groupSize; g++) {
        const k = b * s.groupSize + g;
        prompt[k] = p;
        const pc = sigmoid(u[p] + shared);
        code[k] = rng.next() < pc ? 1 : 0;
        pOld[k] = code[k] ? pc : 1 - pc;
        rewards.push(rng.next() < s.gamma ? 1 : 0);
      }
      const mean = rewards.reduce((a, r) => a + r, 0) / s.groupSize;
      const std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (s.groupSize - 1));
      for (let g = 0; g < s.groupSize; g++)
        advantage[b * s.groupSize + g] = (rewards[g] - mean) / (std + 1e-6);
    }
    new Random(seed, step, 1).shuffle(order);
    for (let start = 0; start < n; start += miniBatch) {
      grad.fill(0);
      const end = Math.min(n, start + miniBatch);
      for (let j = start; j < end; j++) {
        const k = order[j];
        const pc = sigmoid(u[prompt[k]] + shared);
        const pi = code[k] ? pc : 1 - pc;
        const ratio = pi / pOld[k];
        const a = advantage[k];
        // The clipped branch is flat in the parameters: its token gives no gradient.
        if (s.clip && ((a > 0 && ratio > 1 + s.epsHigh) || (a < 0 && ratio < 1 - s.epsLow))) continue;
        // d(-R A)/dz = -A R (code - p): the loss is the mean over the mini-batch.
        const g = (-a * ratio * (code[k] - pc)) / (end - start);
        grad[0] += g;
        grad[1 + prompt[k]] += g;
      }
      t++;
      const c1 = 1 - fdPow(s.beta1, t);
      const c2 = 1 - fdPow(s.beta2, t);
      for (let q = 0; q <= s.prompts; q++) {
        m[q] = s.beta1 * m[q] + (1 - s.beta1) * grad[q];
        v[q] = s.beta2 * v[q] + (1 - s.beta2) * grad[q] * grad[q];
        const delta = (s.lr * (m[q] / c1)) / (Math.sqrt(v[q] / c2) + 1e-8);
        if (q === 0) shared -= delta;
        else u[q - 1] -= delta;
      }
    }
  }
  return {
    seed,
    greedyCodeShareStart: start.greedy,
    greedyCodeShareEnd: greedyShare(u, shared),
    meanPCodeStart: start.mean,
    meanPCodeEnd: meanP(u, shared),
  };
}

export interface StyleToySummary {
  runs: StyleToyRun[];
  meanEnd: number;
  medianEnd: number;
  /** Seeds whose greedy code share ended above / below where it started. */
  up: number;
  down: number;
}

export function runStyleToySeeds(settings: StyleToySettings, seeds: number, firstSeed = 1): StyleToySummary {
  const runs = Array.from({ length: seeds }, (_, k) => runStyleToy(settings, firstSeed + k));
  const ends = runs.map((r) => r.greedyCodeShareEnd).sort((a, b) => a - b);
  const mid = ends.length >> 1;
  return {
    runs,
    meanEnd: ends.reduce((a, b) => a + b, 0) / Math.max(1, ends.length),
    medianEnd: ends.length % 2 ? ends[mid] : (ends[mid - 1] + ends[mid]) / 2,
    up: runs.filter((r) => r.greedyCodeShareEnd > r.greedyCodeShareStart).length,
    down: runs.filter((r) => r.greedyCodeShareEnd < r.greedyCodeShareStart).length,
  };
}
