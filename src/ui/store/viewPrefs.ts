// Keeps how the lab is viewed across reloads (projector mode, smoothing, log axes, open panel, which
// run is shown and which are compared, seeds at once) in localStorage. Runs themselves live in IndexedDB; this is
// only the view onto them. Unreadable or stale values are dropped, never trusted.
import type { StoreApi } from 'zustand';
import type { LabState } from './labStore';
import { MAX_SMOOTHING, PARALLEL_SEED_CHOICES, type ParallelSeeds, type SidePanel } from './viewSlice';

const KEY = 'spurious-rewards-lab/view';
const PANELS: SidePanel[] = ['experiment', 'presets', 'learn', 'runs', 'tools'];

interface SavedView {
  projector: boolean;
  smoothing: number;
  logScaleCharts: string[];
  panel: SidePanel;
  activeRunId: string | null;
  comparedRunIds: string[];
  parallelSeeds: ParallelSeeds;
}

function pickSaved(state: LabState): SavedView {
  const { projector, smoothing, logScaleCharts, panel, activeRunId, comparedRunIds, parallelSeeds } = state;
  return { projector, smoothing, logScaleCharts, panel, activeRunId, comparedRunIds, parallelSeeds };
}

/** The saved view, with every field checked; null when there is none or it is unreadable. */
export function readSavedView(storage: Pick<Storage, 'getItem'>): Partial<SavedView> | null {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  const view: Partial<SavedView> = {};
  if (typeof r.projector === 'boolean') view.projector = r.projector;
  if (typeof r.smoothing === 'number' && r.smoothing >= 0 && r.smoothing <= MAX_SMOOTHING)
    view.smoothing = r.smoothing;
  if (Array.isArray(r.logScaleCharts)) view.logScaleCharts = strings(r.logScaleCharts);
  if (PANELS.includes(r.panel as SidePanel)) view.panel = r.panel as SidePanel;
  if (typeof r.activeRunId === 'string') view.activeRunId = r.activeRunId;
  if (Array.isArray(r.comparedRunIds)) view.comparedRunIds = strings(r.comparedRunIds);
  if (PARALLEL_SEED_CHOICES.includes(r.parallelSeeds as ParallelSeeds))
    view.parallelSeeds = r.parallelSeeds as ParallelSeeds;
  return view;
}

/**
 * Applies the saved view once the runs are loaded (run ids that no longer exist are dropped), then
 * saves every later change. Returns the function that stops saving.
 */
export function restoreAndSaveView(store: StoreApi<LabState>, storage: Storage): () => void {
  const saved = readSavedView(storage);
  if (saved) {
    const { runs } = store.getState();
    const patch: Partial<LabState> = { ...saved };
    if (saved.activeRunId !== undefined && !(saved.activeRunId && runs[saved.activeRunId]))
      delete patch.activeRunId;
    if (saved.comparedRunIds) patch.comparedRunIds = saved.comparedRunIds.filter((id) => runs[id]);
    store.setState(patch);
  }
  let last = JSON.stringify(pickSaved(store.getState()));
  return store.subscribe((state) => {
    const next = JSON.stringify(pickSaved(state));
    if (next === last) return;
    last = next;
    try {
      storage.setItem(KEY, next);
    } catch {
      // Storage full or disabled: the view simply is not remembered.
    }
  });
}
