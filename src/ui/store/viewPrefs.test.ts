// Unit tests of the remembered view: a saved view comes back after the runs load (unknown run ids
// dropped), changes are saved, and junk in storage is ignored field by field.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../runTypes';
import { createLabStore } from './labStore';
import { readSavedView, restoreAndSaveView } from './viewPrefs';

function memoryStorage(initial: Record<string, string> = {}): Storage {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
    clear: () => data.clear(),
    key: (i) => [...data.keys()][i] ?? null,
    get length() {
      return data.size;
    },
  };
}

const run = (id: string): RunRecord => ({
  id,
  name: id,
  createdAt: 1,
  hash: '',
  config: {},
  seed: 0,
  sweepId: null,
  state: 'finished',
  message: null,
  totalSteps: 1,
  synthetic: false,
});

describe('remembered view', () => {
  it('saves changes and restores them on the next page, dropping runs that are gone', () => {
    const storage = memoryStorage();
    const first = createLabStore();
    first.getState().loadRuns([{ run: run('a'), steps: [], evals: [], samples: [] }]);
    const stop = restoreAndSaveView(first, storage);
    first.getState().toggleProjector();
    first.getState().setSmoothing(0.3);
    first.getState().toggleCompared('a');
    first.getState().setPanel('learn');
    stop();

    const saved = JSON.parse(storage.getItem('spurious-rewards-lab/view')!);
    saved.comparedRunIds.push('deleted-run');
    storage.setItem('spurious-rewards-lab/view', JSON.stringify(saved));
    const second = createLabStore();
    second.getState().loadRuns([{ run: run('a'), steps: [], evals: [], samples: [] }]);
    restoreAndSaveView(second, storage);
    const state = second.getState();
    expect(state.projector).toBe(true);
    expect(state.smoothing).toBe(0.3);
    expect(state.panel).toBe('learn');
    expect(state.comparedRunIds).toEqual(['a']);
    expect(state.activeRunId).toBe('a');
  });

  it('ignores unreadable storage and bad fields', () => {
    expect(readSavedView(memoryStorage({ 'spurious-rewards-lab/view': '{oops' }))).toBeNull();
    const view = readSavedView(
      memoryStorage({
        'spurious-rewards-lab/view': JSON.stringify({
          projector: 'yes',
          smoothing: 7,
          panel: 'evil',
          logScaleCharts: [1, 'kl'],
        }),
      }),
    );
    expect(view).toEqual({ logScaleCharts: ['kl'] });
  });
});
