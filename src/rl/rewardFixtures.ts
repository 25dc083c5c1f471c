// The shared reward fixture file (fixtures/rewards.json), typed: responses with hand-written expected
// rewards, read by the TypeScript reward tests (rewards.test.ts) and by the exported Python module's
// parity test (export/pythonParity.test.ts), so both check against the same cases.
import fixtures from './fixtures/rewards.json';

export interface RewardFixtureCase {
  id: string;
  response: string;
  answer: string | number;
  /** The offline majority-vote label (null = none). */
  label?: string | null;
  /** Defaults to [response]. */
  group?: string[];
  /** Defaults to 0. */
  sampleIndex?: number;
  /** Reward name -> the reward it must give. */
  expected: Record<string, number>;
}

export const REWARD_CASES = fixtures.cases as unknown as RewardFixtureCase[];
