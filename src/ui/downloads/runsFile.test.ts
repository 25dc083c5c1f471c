// Unit tests of the runs file: a round trip keeps metrics (NaN included), and bad input is reported per
// run or per file with a readable reason, never thrown.
import { describe, expect, it } from 'vitest';
import { syntheticEvalMetrics, syntheticStepMetrics } from '../../experiment/syntheticRun';
import type { RunData } from '../runTypes';
import { parseRunsFile, serializeRunsFile } from './runsFile';

const run: RunData = {
  run: {
    id: 'r1',
    name: 'random',
    createdAt: 5,
    hash: 'v=1&seed=1',
    config: { seed: 1 },
    seed: 1,
    sweepId: null,
    state: 'running',
    message: null,
    totalSteps: 2,
    synthetic: false,
  },
  steps: [syntheticStepMetrics(0), syntheticStepMetrics(1)],
  evals: [syntheticEvalMetrics(0, { accuracyWithCode: Number.NaN })],
  samples: [],
};

describe('runs file', () => {
  it('round-trips runs, turning NaN into null and back, and never imports a run as running', () => {
    const parsed = parseRunsFile(serializeRunsFile([run]));
    expect(parsed.problems).toEqual([]);
    expect(parsed.runs).toHaveLength(1);
    expect(parsed.runs[0].steps.map((s) => s.step)).toEqual([0, 1]);
    expect(Number.isNaN(parsed.runs[0].evals[0].accuracyWithCode)).toBe(true);
    expect(parsed.runs[0].run.state).toBe('stopped');
  });

  it('reports bad files and bad runs with reasons', () => {
    expect(parseRunsFile('{nope').problems[0]).toMatch(/not valid JSON/);
    expect(parseRunsFile('{"format":"other"}').problems[0]).toMatch(/expected "format"/);
    expect(parseRunsFile('{"format":"spurious-rewards-lab/runs","version":9,"runs":[]}').problems[0]).toMatch(
      /version 9 is not supported/,
    );
    const mixed = JSON.stringify({
      format: 'spurious-rewards-lab/runs',
      version: 1,
      runs: [
        JSON.parse(serializeRunsFile([run])).runs[0],
        { run: { id: 'x', name: 'x', createdAt: 1 }, steps: [{ step: -1 }], evals: [], samples: [] },
        7,
      ],
    });
    const parsed = parseRunsFile(mixed);
    expect(parsed.runs).toHaveLength(1);
    expect(parsed.problems).toEqual([
      'Run 2 skipped: run x: "steps" must be a list of step records.',
      'Run 3 skipped: not an object.',
    ]);
  });
});
