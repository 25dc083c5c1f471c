// The style-transition table shows the latest eval that has one, with every cell of the paper's table.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { styleTransitions } from '../../rl/evaluate';
import type { EvalMetrics } from '../../rl/metrics';
import type { ChartEntity } from './chartRows';
import { latestTransitions, TransitionTable } from './TransitionTable';

const before = [
  { code: false, correct: false },
  { code: false, correct: true },
  { code: true, correct: true },
  { code: true, correct: false },
];
const after = [
  { code: true, correct: true }, // Lang -> Code, fixed
  { code: false, correct: true },
  { code: true, correct: true },
  { code: false, correct: false }, // Code -> Lang
];
const evalAt = (step: number, withTable: boolean) =>
  ({
    step,
    greedyAccuracy: 0.5,
    transitions: withTable ? styleTransitions(before, after) : undefined,
  }) as EvalMetrics;
const entity = (evals: EvalMetrics[]) =>
  ({ id: 'r', label: 'run r', runs: [{ run: {}, series: { steps: [], evals } }] }) as unknown as ChartEntity;

describe('TransitionTable', () => {
  it('uses the latest eval with a table', () => {
    expect(latestTransitions(entity([evalAt(0, false), evalAt(4, true), evalAt(8, false)]))?.step).toBe(4);
    expect(latestTransitions(entity([evalAt(0, false)]))).toBeNull();
  });

  it('renders each cell with share and contribution', () => {
    const html = renderToStaticMarkup(
      createElement(TransitionTable, { entity: entity([evalAt(0, false), evalAt(6, true)]) }),
    );
    expect(html).toContain('Lang → Code');
    expect(html).toContain('Net accuracy change +25.0 points');
    // Lang -> Code: 1 of 4 problems, accuracy 0 -> 100, contributes +25 points.
    expect(html).toMatch(/Lang → Code<\/th><td>25\.0<\/td><td>0\.0<\/td><td>100\.0<\/td><td>\+25\.0<\/td>/);
  });
});
