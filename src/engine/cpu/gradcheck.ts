// Test helpers for the CPU engine: seeded float64 arrays and a central-difference gradient check.
// Lives beside the ops (not in a *.test.ts) so the op, model and loss tests share one definition.
import type { Random } from '../../util/random';

/** Float64Array of n standard-normal values scaled by `scale`, seeded. */
export function randomArray(rng: Random, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

export interface GradMismatch {
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Compares `analytic` with central differences (loss(x+h) - loss(x-h)) / 2h, perturbing `x` in place
 * (and restoring it). In float64 with h = 1e-5 the truncation error is O(h²·f''') ~ 1e-10 and the
 * rounding error ~ 1e-16/h ~ 1e-11, so |analytic - numeric| <= atol + rtol*|numeric| with
 * atol = 1e-7, rtol = 1e-5 leaves orders of magnitude of margin while a wrong formula (wrong sign,
 * missing term, off-by-one index) is off by O(1). `indices` limits the check to a subset.
 * Returns the mismatches (empty = pass) so tests print where the gradients differ.
 */
export function gradientMismatches(
  x: Float64Array,
  analytic: ArrayLike<number>,
  loss: () => number,
  options: { h?: number; atol?: number; rtol?: number; indices?: number[] } = {},
): GradMismatch[] {
  const h = options.h ?? 1e-5;
  const atol = options.atol ?? 1e-7;
  const rtol = options.rtol ?? 1e-5;
  const indices = options.indices ?? Array.from({ length: x.length }, (_, i) => i);
  const bad: GradMismatch[] = [];
  for (const i of indices) {
    const saved = x[i];
    x[i] = saved + h;
    const up = loss();
    x[i] = saved - h;
    const down = loss();
    x[i] = saved;
    const numeric = (up - down) / (2 * h);
    if (!(Math.abs(analytic[i] - numeric) <= atol + rtol * Math.abs(numeric))) {
      bad.push({ index: i, analytic: analytic[i], numeric });
    }
  }
  return bad;
}

/** Σ w_i * out_i: a scalar loss whose gradient with respect to `out` is exactly `w`. */
export function weightedSum(out: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += out[i] * w[i];
  return s;
}

/** `count` distinct indices in [0, n), seeded, sorted (all of them when count >= n). */
export function sampleIndices(rng: Random, n: number, count: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (count >= n) return all;
  return rng
    .shuffle(all)
    .slice(0, count)
    .sort((a, b) => a - b);
}
