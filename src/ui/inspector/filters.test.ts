// Unit tests of the inspector's filters and of which runs the charts draw (active run, its sweep-mates,
// runs ticked for comparison).
import { describe, expect, it } from 'vitest';
import { syntheticSampleGroups } from '../../experiment/syntheticRun';
import { drawnRunIds } from '../charts/ChartsArea';
import { keepCompletion } from './RolloutInspector';

describe('inspector filters', () => {
  const completions = syntheticSampleGroups(0, () => 0.3)[0].completions; // all rewarded (0.3 < 0.5)
  it('filters by style and by reward', () => {
    expect(completions.filter((c) => keepCompletion(c, 'code', 'all')).map((c) => c.style)).toEqual(['code']);
    expect(completions.filter((c) => keepCompletion(c, 'all', 'rewarded'))).toHaveLength(4);
    expect(completions.filter((c) => keepCompletion(c, 'all', 'unrewarded'))).toHaveLength(0);
    expect(completions.filter((c) => keepCompletion(c, 'language', 'all'))).toHaveLength(2);
  });
});

describe('drawnRunIds', () => {
  const runs = { a: { sweepId: null }, s1: { sweepId: 'sw' }, s2: { sweepId: 'sw' }, b: { sweepId: null } };
  const order = ['a', 's1', 's2', 'b'];
  it('draws the active run with its sweep-mates and the compared runs, in run order', () => {
    expect(drawnRunIds(order, runs, 's2', [])).toEqual(['s1', 's2']);
    expect(drawnRunIds(order, runs, 'b', ['a'])).toEqual(['a', 'b']);
    expect(drawnRunIds(order, runs, null, [])).toEqual([]);
  });
});
