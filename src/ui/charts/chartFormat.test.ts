// Unit tests of chart number formatting: decimals follow the range, percentages scale, tiny values
// switch to exponents, a flat series still prints sensibly.
import { describe, expect, it } from 'vitest';
import { formatForSpan, valueSpan } from './chartFormat';

describe('chart number formatting', () => {
  it('gives close values distinct labels', () => {
    const span = 4.5752 - 4.5741;
    const labels = [4.5741, 4.5744, 4.5747, 4.575].map((v) => formatForSpan(v, span, false));
    expect(new Set(labels).size).toBe(4);
    expect(formatForSpan(0.25, 1, true)).toBe('25%');
    expect(formatForSpan(0.012, 0.02, true)).toBe('1.2%');
  });

  it('handles flat and tiny series', () => {
    expect(formatForSpan(0.5, 0, false)).toBe('0.5');
    expect(formatForSpan(3e-5, 6e-5, false)).toBe('3.0e-5');
    expect(formatForSpan(0, 6e-5, false)).toBe('0');
    expect(formatForSpan(0.0025, 0, true)).toBe('0.25%');
    expect(formatForSpan(0.005, 0, true)).toBe('0.50%');
  });

  it('measures the span over every value column, bands included', () => {
    expect(valueSpan([{ step: 0, a: 1, b: [0.5, 2] } as never, { step: 9, a: null } as never])).toBe(1.5);
    expect(valueSpan([{ step: 0, a: 0.107 } as never])).toBeCloseTo(0.0107);
    expect(valueSpan([{ step: 0, a: 0 } as never])).toBe(0);
    // A single entropy point gets distinct tick labels around it.
    const span = valueSpan([{ step: 0, a: 0.107 } as never]);
    expect(new Set([0.1, 0.105, 0.11].map((v) => formatForSpan(v, span, false))).size).toBe(3);
  });
});
