// Unit tests of the run bar's progress text: steps done from the trainer's 0-based step numbers, an ETA
// from the mean step time only while running, and the last rollout tokens/s.
import { describe, expect, it } from 'vitest';
import { syntheticStepMetrics } from '../../experiment/syntheticRun';
import { formatDuration } from '../formatDuration';
import type { RunRecord } from '../runTypes';
import { emptySeries } from '../store/runsSlice';
import { describeProgress, truncationWarning } from './RunBar';

const run = (state: RunRecord['state']): RunRecord => ({
  id: 'a',
  name: 'a',
  createdAt: 0,
  hash: '',
  config: {},
  seed: 0,
  sweepId: null,
  state,
  message: null,
  totalSteps: 10,
  synthetic: false,
});

describe('describeProgress', () => {
  it('reports steps done, ETA and tokens/s', () => {
    const steps = [0, 1].map((s) =>
      syntheticStepMetrics(s, {
        timeRolloutMs: 1000,
        timeScoringMs: 0,
        timeLogprobsMs: 0,
        timeUpdateMs: 1000,
        rolloutTokensPerSec: 812.4,
      }),
    );
    const view = describeProgress({
      activeRunId: 'a',
      runs: { a: run('running') },
      series: { a: { ...emptySeries(), steps } },
    });
    expect(view.done).toBe(2);
    expect(view.fraction).toBeCloseTo(0.2);
    expect(view.text).toBe('Step 2 / 10 · running · ETA 16s · 812 tok/s');
  });

  it('has no ETA when paused and a placeholder without a run', () => {
    const paused = describeProgress({
      activeRunId: 'a',
      runs: { a: run('paused') },
      series: { a: { ...emptySeries(), steps: [syntheticStepMetrics(0)] } },
    });
    expect(paused.text).not.toContain('ETA');
    expect(describeProgress({ activeRunId: null, runs: {}, series: {} }).text).toBe('No run yet');
    // A run still loading its model says so, not the internal state name.
    const starting = describeProgress({ activeRunId: 'a', runs: { a: run('idle') }, series: {} });
    expect(starting.text).toBe('Step 0 / 10 · starting');
  });

  it('in a sweep says which seed is shown, how many run, and gives the ETA of every seed left', () => {
    const timed = (step: number) =>
      syntheticStepMetrics(step, {
        timeRolloutMs: 1000,
        timeScoringMs: 0,
        timeLogprobsMs: 0,
        timeUpdateMs: 0,
      });
    const member = (id: string, seed: number, state: RunRecord['state']): RunRecord => ({
      ...run(state),
      id,
      seed,
      sweepId: 'sw',
    });
    const view = describeProgress({
      activeRunId: 'b',
      runs: { a: member('a', 1, 'finished'), b: member('b', 2, 'running'), c: member('c', 3, 'idle') },
      series: {
        a: { ...emptySeries(), steps: Array.from({ length: 10 }, (_, i) => timed(i)) },
        b: { ...emptySeries(), steps: [timed(0), timed(1)] },
        c: emptySeries(),
      },
    });
    // 8 steps left of seed 2 and 10 of seed 3, at 1 s each.
    expect(view.text).toBe('Seed 2 of 3 · Step 2 / 10 · running · ETA 18s for the sweep · 1000 tok/s');
    // Seeds 2 and 3 side by side: the same 18 steps left, two at a time.
    const parallel = describeProgress({
      activeRunId: 'b',
      runs: { a: member('a', 1, 'finished'), b: member('b', 2, 'running'), c: member('c', 3, 'running') },
      series: {
        a: { ...emptySeries(), steps: Array.from({ length: 10 }, (_, i) => timed(i)) },
        b: { ...emptySeries(), steps: [timed(0), timed(1)] },
        c: { ...emptySeries(), steps: [timed(0), timed(1)] },
      },
    });
    // 8 + 8 steps left, two seeds at a time: 8 s.
    expect(parallel.text).toBe(
      'Seed 2 of 3 (2 running) · Step 2 / 10 · running · ETA 8s for the sweep · 1000 tok/s',
    );
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(75)).toBe('1m 15s');
    expect(formatDuration(3_700)).toBe('1h 1m');
    expect(formatDuration(42.4)).toBe('42s');
  });
});

describe('truncationWarning', () => {
  const withShare = (truncatedShare: number) => ({
    activeRunId: 'a',
    runs: { a: { ...run('running'), config: { maxNewTokens: 16 } } },
    series: { a: { ...emptySeries(), steps: [syntheticStepMetrics(0, { truncatedShare })] } },
  });
  it('warns when most of the last step was cut off at the token limit, not otherwise', () => {
    expect(truncationWarning(withShare(0.9))).toBe(
      '90% of the last step\'s rollouts hit the max-tokens limit (16): a cut-off answer scores 0. Raise "Max new tokens" (Rollouts, advanced) if that is not the point.',
    );
    expect(truncationWarning(withShare(0.2))).toBeNull();
    expect(truncationWarning({ activeRunId: null, runs: {}, series: {} })).toBeNull();
  });
});
