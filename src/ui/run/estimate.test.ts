// The run-time estimate Play asks about: scaled from this device's measured steps, a default without
// history, and a question only above an hour.
import { describe, expect, it } from 'vitest';
import { syntheticStepMetrics } from '../../experiment/syntheticRun';
import { estimateRunSeconds, longRunQuestion } from './estimate';

const config = { steps: 60, seeds: 1, promptsPerStep: 8, groupSize: 16 };

describe('estimateRunSeconds', () => {
  it('scales the measured time per rollout to the planned rollouts', () => {
    const step = syntheticStepMetrics(0, {
      timeRolloutMs: 500,
      timeScoringMs: 100,
      timeLogprobsMs: 100,
      timeUpdateMs: 300,
    });
    // 1000 ms for 64 rollouts, planned 60 x 128 rollouts: 120 s.
    expect(estimateRunSeconds(config, [{ rollouts: 64, steps: [step, step] }])).toBeCloseTo(120, 9);
    expect(estimateRunSeconds({ ...config, seeds: 4 }, [{ rollouts: 64, steps: [step] }])).toBeCloseTo(
      480,
      9,
    );
  });

  it('uses the CPU engine figure with no history, and asks only above an hour', () => {
    expect(estimateRunSeconds(config)).toBeCloseTo(60 * 2.6, 9);
    expect(longRunQuestion(config, estimateRunSeconds(config))).toBeNull();
    const huge = { ...config, steps: 999_999 };
    expect(longRunQuestion(huge, estimateRunSeconds(huge))).toMatch(
      /about 30 days on this device \(999999 steps × 1 seed/,
    );
  });
});
