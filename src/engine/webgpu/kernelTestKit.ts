// Helpers for the kernel tier: seeded random inputs and an abs+rel tolerance comparison that, on
// failure, names the worst elements (index, got, want) so a broken kernel says where it is wrong.
import { expect } from 'vitest';
import { Random } from '../../util/random';

/** n values uniform in [-scale, scale), reproducible from (seed, stream). */
export function randomArray(n: number, seed: number, stream = 0, scale = 1): Float32Array {
  const rng = new Random(seed, stream);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * scale;
  return out;
}

/** n integers in [0, hi). */
export function randomInts(n: number, hi: number, seed: number, stream = 0): Int32Array {
  const rng = new Random(seed, stream);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(0, hi - 1);
  return out;
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Worst mismatches of |got - want| > atol + rtol * |want| (NaN counts as a mismatch). */
export function mismatches(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
  show = 5,
): string[] {
  const bad: { i: number; excess: number }[] = [];
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const allowed = tol.atol + tol.rtol * Math.abs(want[i]);
    if (!(err <= allowed)) bad.push({ i, excess: Number.isNaN(err) ? Infinity : err - allowed });
  }
  bad.sort((x, y) => y.excess - x.excess);
  return bad.slice(0, show).map(({ i }) => `[${i}] got ${got[i]} want ${want[i]} (diff ${got[i] - want[i]})`);
}

/** Asserts elementwise closeness; the failure message lists the worst elements and how many failed. */
export function expectClose(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance = { atol: 1e-5, rtol: 1e-4 },
): void {
  expect(got.length, `${name}: length`).toBe(want.length);
  const worst = mismatches(got, want, tol);
  if (worst.length) {
    let count = 0;
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tol.atol + tol.rtol * Math.abs(want[i]))) count++;
    }
    expect.fail(
      `${name}: ${count}/${want.length} elements outside atol ${tol.atol} rtol ${tol.rtol}; worst:\n  ${worst.join('\n  ')}`,
    );
  }
}
