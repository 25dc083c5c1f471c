// Number formatting for chart axes and tooltips: as many decimals as the visible range needs, so that
// ticks of a slowly moving series (entropy 4.5741 .. 4.5752) never print as the same label.
import type { ChartRow } from './chartRows';

/**
 * max - min over every number in the rows. A flat series (one point, or constant) gets a tenth of its
 * magnitude instead, roughly the range an auto-scaled axis shows around it; 0 when all values are 0.
 */
export function valueSpan(rows: readonly ChartRow[]): number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const row of rows)
    for (const [key, value] of Object.entries(row)) {
      if (key === 'step') continue;
      for (const v of Array.isArray(value) ? value : [value])
        if (typeof v === 'number' && Number.isFinite(v)) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
    }
  if (max > min) return max - min;
  return Number.isFinite(max) ? Math.abs(max) / 10 : 0;
}

/**
 * A value with enough decimals to tell apart values a quarter of `span` apart. A zero span (a flat or
 * empty series) falls back to a fixed one, so every tick of an axis gets the same number of decimals.
 */
export function formatForSpan(value: number, span: number, percent: boolean): string {
  const unit = percent ? '%' : '';
  if (value === 0) return `0${unit}`;
  const scaled = percent ? value * 100 : value;
  const scaledSpan = span > 0 ? (percent ? span * 100 : span) : percent ? 0.1 : 1;
  if (Math.abs(scaled) < 1e-3 && scaledSpan < 1e-2) return `${scaled.toExponential(1)}${unit}`;
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(scaledSpan / 4))));
  return `${scaled.toFixed(decimals)}${unit}`;
}
