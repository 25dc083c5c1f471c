// The runs slice: every run the lab knows (listed, charted, persisted), which one is active, which are
// compared in the charts, and each run's metric series. Runner events arrive in batches (see
// eventBatcher.ts): one `applyBatch` per animation frame, so charts re-render once per frame, not per event.
import type { StateCreator } from 'zustand';
import type {
  EvalMetrics,
  HostEvent,
  RunData,
  RunRecord,
  RunState,
  SampleGroup,
  StepMetrics,
} from '../runTypes';

/** One run's data series as the charts read them (new arrays on change, so selectors see updates). */
export interface RunSeries {
  steps: StepMetrics[];
  evals: EvalMetrics[];
  samples: SampleGroup[];
  /** Last step a checkpoint was saved at, or null. */
  checkpointStep: number | null;
}

export interface RunsSlice {
  runs: Record<string, RunRecord>;
  /** Run ids, oldest first. */
  runOrder: string[];
  series: Record<string, RunSeries>;
  activeRunId: string | null;
  /** Runs drawn together in the charts (comparison mode); the active run is always drawn. */
  comparedRunIds: string[];
  addRun: (run: RunRecord) => void;
  updateRun: (id: string, patch: Partial<RunRecord>) => void;
  removeRun: (id: string) => void;
  setActiveRun: (id: string | null) => void;
  toggleCompared: (id: string) => void;
  /** Applies one frame's worth of events, grouped by run id. */
  applyBatch: (batch: ReadonlyMap<string, readonly HostEvent[]>) => void;
  /** Replaces or adds whole runs (restored from IndexedDB or imported from a runs file). */
  loadRuns: (runs: readonly RunData[]) => void;
}

export const emptySeries = (): RunSeries => ({ steps: [], evals: [], samples: [], checkpointStep: null });

/**
 * Folds events into a run's series and returns the new series and run-state patch. Steps and evals are
 * upserted by step number, so a resumed run replaying a step replaces it rather than drawing it twice.
 */
export function foldRunEvents(
  series: RunSeries,
  events: readonly HostEvent[],
): { series: RunSeries; patch: Partial<RunRecord> } {
  let steps = series.steps;
  let evals = series.evals;
  let samples = series.samples;
  let checkpointStep = series.checkpointStep;
  const patch: Partial<RunRecord> = {};
  for (const event of events) {
    switch (event.type) {
      case 'step':
        steps = upsertByStep(steps === series.steps ? [...steps] : steps, event.metrics);
        break;
      case 'eval':
        evals = upsertByStep(evals === series.evals ? [...evals] : evals, event.metrics);
        break;
      case 'samples':
        samples = event.samples;
        break;
      case 'checkpoint':
        checkpointStep = event.step;
        break;
      case 'status':
        patch.state = event.state satisfies RunState;
        // A status change keeps a standing notice (e.g. "running on the CPU engine"), except that a
        // finished run no longer needs its set-up progress.
        if (event.state === 'finished') patch.message = null;
        break;
      case 'notice':
        patch.message = event.message;
        if (event.pause) patch.state = 'paused';
        break;
      case 'error':
        patch.state = 'error';
        patch.message =
          event.step < 0
            ? event.message
            : event.quantity
              ? `Step ${event.step}: ${event.quantity} is not finite. ${event.message}`
              : `Step ${event.step}: ${event.message}`;
        break;
    }
  }
  return { series: { steps, evals, samples, checkpointStep }, patch };
}

/** Inserts (or replaces) a record keeping the array sorted by step; mutates `sorted`, which is a copy. */
function upsertByStep<T extends { step: number }>(sorted: T[], record: T): T[] {
  const last = sorted[sorted.length - 1];
  if (!last || last.step < record.step) {
    sorted.push(record); // the common case: a new step at the end
    return sorted;
  }
  const at = sorted.findIndex((r) => r.step >= record.step);
  if (sorted[at].step === record.step) sorted[at] = record;
  else sorted.splice(at, 0, record);
  return sorted;
}

export const createRunsSlice: StateCreator<RunsSlice, [], [], RunsSlice> = (set) => ({
  runs: {},
  runOrder: [],
  series: {},
  activeRunId: null,
  comparedRunIds: [],
  addRun: (run) =>
    set((s) => ({
      runs: { ...s.runs, [run.id]: run },
      runOrder: s.runOrder.includes(run.id) ? s.runOrder : [...s.runOrder, run.id],
      series: { ...s.series, [run.id]: s.series[run.id] ?? emptySeries() },
      activeRunId: run.id,
    })),
  updateRun: (id, patch) =>
    set((s) => (s.runs[id] ? { runs: { ...s.runs, [id]: { ...s.runs[id], ...patch } } } : {})),
  removeRun: (id) =>
    set((s) => {
      const { [id]: _removed, ...runs } = s.runs;
      const { [id]: _removedSeries, ...series } = s.series;
      const runOrder = s.runOrder.filter((r) => r !== id);
      return {
        runs,
        series,
        runOrder,
        comparedRunIds: s.comparedRunIds.filter((r) => r !== id),
        activeRunId: s.activeRunId === id ? (runOrder[runOrder.length - 1] ?? null) : s.activeRunId,
      };
    }),
  setActiveRun: (id) => set({ activeRunId: id }),
  toggleCompared: (id) =>
    set((s) => ({
      comparedRunIds: s.comparedRunIds.includes(id)
        ? s.comparedRunIds.filter((r) => r !== id)
        : [...s.comparedRunIds, id],
    })),
  applyBatch: (batch) =>
    set((s) => {
      const series = { ...s.series };
      const runs = { ...s.runs };
      for (const [runId, events] of batch) {
        if (!runs[runId]) continue; // events of a run deleted meanwhile
        const folded = foldRunEvents(series[runId] ?? emptySeries(), events);
        series[runId] = folded.series;
        if (Object.keys(folded.patch).length > 0) runs[runId] = { ...runs[runId], ...folded.patch };
      }
      return { series, runs };
    }),
  loadRuns: (data) =>
    set((s) => {
      const runs = { ...s.runs };
      const series = { ...s.series };
      const runOrder = [...s.runOrder];
      for (const { run, steps, evals, samples } of data) {
        runs[run.id] = run;
        series[run.id] = { steps, evals, samples, checkpointStep: null };
        if (!runOrder.includes(run.id)) runOrder.push(run.id);
      }
      runOrder.sort((a, b) => runs[a].createdAt - runs[b].createdAt);
      return { runs, series, runOrder, activeRunId: s.activeRunId ?? runOrder[runOrder.length - 1] ?? null };
    }),
});
