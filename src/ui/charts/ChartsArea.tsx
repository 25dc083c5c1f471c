// The live charts area: which runs are drawn (the active run, its seed sweep, and any runs ticked for
// comparison), the smoothing control, the chart grid and, when comparing, the before/after table (for a
// single run, the paper's style-transition table).
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useLabStore } from '../store/labStore';
import { MAX_SMOOTHING } from '../store/viewSlice';
import { ComparisonTable } from './ComparisonTable';
import { type ChartEntity, groupIntoEntities } from './chartRows';
import { CHART_SPECS } from './chartSpecs';
import { MetricChart } from './MetricChart';
import { TransitionTable } from './TransitionTable';

/** Run ids drawn: compared runs in their order, plus the active run and its sweep-mates. */
export function drawnRunIds(
  runOrder: readonly string[],
  runs: Record<string, { sweepId: string | null }>,
  activeRunId: string | null,
  comparedRunIds: readonly string[],
): string[] {
  const activeSweep = activeRunId ? runs[activeRunId]?.sweepId : null;
  return runOrder.filter(
    (id) =>
      id === activeRunId ||
      comparedRunIds.includes(id) ||
      (activeSweep != null && runs[id]?.sweepId === activeSweep),
  );
}

export function ChartsArea() {
  const { runOrder, runs, series, activeRunId, comparedRunIds } = useLabStore(
    useShallow((s) => ({
      runOrder: s.runOrder,
      runs: s.runs,
      series: s.series,
      activeRunId: s.activeRunId,
      comparedRunIds: s.comparedRunIds,
    })),
  );
  const entities: ChartEntity[] = useMemo(() => {
    const ids = drawnRunIds(runOrder, runs, activeRunId, comparedRunIds);
    return groupIntoEntities(
      ids.filter((id) => series[id]).map((id) => ({ run: runs[id], series: series[id] })),
    );
  }, [runOrder, runs, series, activeRunId, comparedRunIds]);
  const synthetic = entities.some((e) => e.runs.some((r) => r.run.synthetic));

  return (
    <section className="charts-area" aria-label="Live charts" id="charts" tabIndex={-1}>
      <div className="charts-toolbar">
        <SmoothingControl />
        {synthetic && (
          <span className="synthetic-label" role="note">
            Synthetic demo data — not a training run
          </span>
        )}
      </div>
      <div className="chart-grid">
        {CHART_SPECS.map((chart) => (
          <MetricChart key={chart.id} chart={chart} entities={entities} />
        ))}
      </div>
      {entities.length > 1 && <ComparisonTable entities={entities} />}
      {entities.length === 1 && <TransitionTable entity={entities[0]} />}
    </section>
  );
}

function SmoothingControl() {
  const smoothing = useLabStore((s) => s.smoothing);
  const setSmoothing = useLabStore((s) => s.setSmoothing);
  return (
    <label className="smoothing">
      Smoothing
      <input
        type="range"
        min={0}
        max={MAX_SMOOTHING}
        step={0.05}
        value={smoothing}
        onChange={(e) => setSmoothing(Number(e.target.value))}
        aria-valuetext={smoothing === 0 ? 'off' : smoothing.toFixed(2)}
      />
      <output>{smoothing === 0 ? 'off' : smoothing.toFixed(2)}</output>
    </label>
  );
}
