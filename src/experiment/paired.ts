// Paired analysis of seed sweeps. Arms of a comparison share their seeds, and a seed fixes the
// prompts of every step and every random-reward draw, so the honest comparison of two arms is per
// seed: the difference of their outcomes on the same seed, summarised by mean ± standard error, median
// and how many seeds moved each way. Single runs random-walk; a distribution over seeds is the result.

export interface Distribution {
  n: number;
  mean: number;
  /** Standard error of the mean (sample std / sqrt n); NaN below two values. */
  se: number;
  median: number;
  /** Values above, below and equal to zero (within `tie`). */
  up: number;
  down: number;
  equal: number;
}

/** Values within this of zero count as no move (metrics are shares of a few hundred problems). */
export const TIE = 1e-9;

export function distributionOf(values: readonly number[], tie = TIE): Distribution {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  const mean = n ? finite.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const variance = n > 1 ? finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : Number.NaN;
  return {
    n,
    mean,
    se: n > 1 ? Math.sqrt(variance / n) : Number.NaN,
    median: median(finite),
    up: finite.filter((v) => v > tie).length,
    down: finite.filter((v) => v < -tie).length,
    equal: finite.filter((v) => Math.abs(v) <= tie).length,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface PairedComparison extends Distribution {
  /** Seeds present in both arms, in ascending order, and their differences a - b. */
  seeds: number[];
  differences: number[];
  /** Seeds only one arm has (not compared). */
  unpaired: number[];
}

/** Per-seed differences a - b over the seeds both arms ran, and their distribution. */
export function pairedDifferences(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  tie = TIE,
): PairedComparison {
  const seeds = [...a.keys()].filter(
    (s) => b.has(s) && Number.isFinite(a.get(s)) && Number.isFinite(b.get(s)),
  );
  seeds.sort((x, y) => x - y);
  const differences = seeds.map((s) => (a.get(s) as number) - (b.get(s) as number));
  const unpaired = [...new Set([...a.keys(), ...b.keys()])]
    .filter((s) => !seeds.includes(s))
    .sort((x, y) => x - y);
  return { ...distributionOf(differences, tie), seeds, differences, unpaired };
}

/** `+1.2 ± 0.4 (median +1.0; 6 up, 2 down of 8)` in points for shares (x100). */
export function formatDistribution(d: Distribution, scale = 100, digits = 1): string {
  const signed = (x: number) =>
    Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(scale * x).toFixed(digits)}` : 'n/a';
  const se = Number.isFinite(d.se) ? ` ± ${(scale * d.se).toFixed(digits)}` : '';
  const equal = d.equal ? `, ${d.equal} unchanged` : '';
  return `${signed(d.mean)}${se} (median ${signed(d.median)}; ${d.up} up, ${d.down} down${equal} of ${d.n})`;
}
