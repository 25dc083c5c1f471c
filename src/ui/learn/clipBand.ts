// The clip-bias mechanism as arithmetic: for a token whose probability under the rollout policy is
// pi_old, the clipped objective stops rewarding moves once pi/pi_old leaves [1-eps, 1+eps]. The band
// of new probabilities it "allows" is [(1-eps)·pi_old, (1+eps)·pi_old], but probabilities end at 1:
// when (1+eps)·pi_old > 1 the upper bound can never bind, so the clip can only stop the token going
// DOWN — with zero-mean (random) advantages the pushes up are uncapped and the pushes down are capped.

export interface ClipBand {
  piOld: number;
  eps: number;
  /** Lowest new probability before the clip removes the gradient of a negative advantage. */
  lower: number;
  /** (1+eps)·pi_old, possibly above 1. */
  upper: number;
  /** False when upper > 1: no probability can reach it, so the clip never caps an increase. */
  upperReachable: boolean;
  /** pi_old above which the upper bound is unreachable: 1 / (1 + eps). */
  threshold: number;
}

export function clipBand(piOld: number, eps: number): ClipBand {
  const p = clamp(piOld, 0, 1);
  const e = clamp(eps, 0, 1);
  const upper = (1 + e) * p;
  return { piOld: p, eps: e, lower: (1 - e) * p, upper, upperReachable: upper <= 1, threshold: 1 / (1 + e) };
}

/** Plain-language reading of the band for the Learn panel. */
export function describeClipBand(band: ClipBand): string {
  const f = (x: number) => x.toFixed(2);
  const range = `[${f(band.lower)}, ${f(band.upper)}]`;
  if (!band.upperReachable)
    return (
      `Band ${range}: the upper bound ${f(band.upper)} is above 1 and can never be reached, so the clip ` +
      `never stops this token going up — it can only stop it going DOWN (below ${f(band.lower)}). ` +
      'With random rewards the pushes cancel on average, except that the downward ones are capped: ' +
      'the token drifts up.'
    );
  return (
    `Band ${range}: both bounds are reachable, so the clip caps moves up (above ${f(band.upper)}) and ` +
    `down (below ${f(band.lower)}). An increase is capped at +${f(band.upper - band.piOld)}, while ` +
    'likelier tokens (π_old above ' +
    `${f(band.threshold)}) have no cap upwards at all.`
  );
}

function clamp(x: number, lo: number, hi: number): number {
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : lo;
}
