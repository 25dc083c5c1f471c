// The runs list: every saved run with its state, a radio to make it the active run, a checkbox to draw
// it in the charts beside the others (comparison), delete, and the exports (metrics CSV/JSON of the
// active run, a runs file of all runs), the import of a runs file, and how many seeds of a sweep
// compute at once.
import { useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { metricsToCsv } from '../../experiment/metricsFiles';
import { openRunStore } from '../../experiment/persistence';
import { downloadBlob } from '../downloads/chartImage';
import { checkpointFiles } from '../downloads/checkpointExport';
import { parseRunsFile, serializeRunsFile } from '../downloads/runsFile';
import type { RunData } from '../runTypes';
import { computesOnGpu, useGpuStore } from '../store/gpuStore';
import { type LabState, useLabStore } from '../store/labStore';
import { useLabRuntime } from '../store/runtimeStore';
import { PARALLEL_SEED_CHOICES, type ParallelSeeds, seedsAtOnce } from '../store/viewSlice';

function runData(state: LabState, id: string): RunData {
  const series = state.series[id];
  return {
    run: state.runs[id],
    steps: series?.steps ?? [],
    evals: series?.evals ?? [],
    samples: series?.samples ?? [],
  };
}

export function RunsPanel() {
  const { runOrder, runs, activeRunId, comparedRunIds, setActiveRun, toggleCompared } = useLabStore(
    useShallow((s) => ({
      runOrder: s.runOrder,
      runs: s.runs,
      activeRunId: s.activeRunId,
      comparedRunIds: s.comparedRunIds,
      setActiveRun: s.setActiveRun,
      toggleCompared: s.toggleCompared,
    })),
  );
  const { controller } = useLabRuntime();
  const [importNote, setImportNote] = useState<string[]>([]);
  const fileRef = useRef<HTMLInputElement>(null);

  const exportActive = (format: 'csv' | 'json') => {
    const state = useLabStore.getState();
    if (!state.activeRunId) return;
    const data = runData(state, state.activeRunId);
    const name = `run-${state.activeRunId}`;
    if (format === 'csv')
      downloadBlob(new Blob([metricsToCsv(data.steps, data.evals)], { type: 'text/csv' }), `${name}.csv`);
    else downloadBlob(new Blob([serializeRunsFile([data])], { type: 'application/json' }), `${name}.json`);
  };
  const exportAll = () => {
    const state = useLabStore.getState();
    const all = state.runOrder.map((id) => runData(state, id));
    downloadBlob(
      new Blob([serializeRunsFile(all)], { type: 'application/json' }),
      'spurious-rewards-runs.json',
    );
  };
  const exportCheckpoint = async () => {
    const state = useLabStore.getState();
    const run = state.activeRunId ? state.runs[state.activeRunId] : null;
    if (!run) return;
    try {
      const db = await openRunStore();
      try {
        for (const file of await checkpointFiles(run, db)) downloadBlob(file.data, file.name);
        setImportNote([
          `Checkpoint of "${run.name}" downloaded as Hugging Face files (put them in one folder).`,
        ]);
      } finally {
        db.close();
      }
    } catch (err) {
      setImportNote([`Checkpoint export failed: ${err instanceof Error ? err.message : String(err)}`]);
    }
  };
  const importFile = async (file: File) => {
    const parsed = parseRunsFile(await file.text());
    if (parsed.runs.length) {
      useLabStore.getState().loadRuns(parsed.runs);
      try {
        const db = await openRunStore();
        await db.putRunData(parsed.runs);
        db.close();
      } catch (err) {
        parsed.problems.push(`Imported for this session only: ${(err as Error).message}`);
      }
    }
    setImportNote([
      `Imported ${parsed.runs.length} run${parsed.runs.length === 1 ? '' : 's'}.`,
      ...parsed.problems,
    ]);
  };

  return (
    <div className="runs-panel" data-testid="runs-panel">
      <SeedsAtOnce />
      <div className="runs-actions">
        <button
          type="button"
          onClick={() => exportActive('csv')}
          disabled={!activeRunId}
          data-testid="export-csv"
        >
          Metrics CSV
        </button>
        <button type="button" onClick={() => exportActive('json')} disabled={!activeRunId}>
          Metrics JSON
        </button>
        <button
          type="button"
          onClick={() => void exportCheckpoint()}
          disabled={!activeRunId}
          data-testid="export-checkpoint"
          title="The shown run's last checkpoint as model.safetensors + config.json + tokenizer files"
        >
          Checkpoint (HF)
        </button>
        <button type="button" onClick={exportAll} disabled={runOrder.length === 0}>
          Export all runs
        </button>
        <button type="button" onClick={() => fileRef.current?.click()}>
          Import runs…
        </button>
        <input
          ref={fileRef}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="import-runs"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void importFile(file);
            e.target.value = '';
          }}
        />
      </div>
      {importNote.length > 0 && (
        <ul className="import-note" role="status">
          {importNote.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {runOrder.length === 0 ? (
        <p className="panel-note">No runs yet. Runs are saved in this browser as they go.</p>
      ) : (
        <p className="panel-note">
          Show: the run the charts follow. Compare: draw several together; the seeds of one sweep ticked
          together are drawn as their mean, one seed alone as itself.
        </p>
      )}
      {runOrder.length > 0 && (
        <table className="runs-table">
          <thead>
            <tr>
              <th scope="col">Show</th>
              <th scope="col">Compare</th>
              <th scope="col">Run</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Delete</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...runOrder].reverse().map((id) => {
              const run = runs[id];
              return (
                <tr
                  key={id}
                  data-testid="run-row"
                  data-run-id={id}
                  className={id === activeRunId ? 'active' : ''}
                >
                  <td>
                    <input
                      type="radio"
                      name="active-run"
                      checked={id === activeRunId}
                      onChange={() => setActiveRun(id)}
                      aria-label={`Show ${run.name}`}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      checked={comparedRunIds.includes(id)}
                      onChange={() => toggleCompared(id)}
                      aria-label={`Compare ${run.name}`}
                    />
                  </td>
                  <td className="run-name">
                    {run.name}
                    {run.synthetic && <span className="badge badge--synthetic">synthetic</span>}{' '}
                    {run.hash && (
                      <a
                        href={`#${run.hash}`}
                        className="run-config-link"
                        title="Load this run's experiment into the editor (and the address bar)"
                      >
                        config
                      </a>
                    )}
                  </td>
                  <td>{run.state}</td>
                  <td>
                    <button
                      type="button"
                      className="chip"
                      onClick={() => {
                        if (controller) void controller.deleteRun(id);
                        else useLabStore.getState().removeRun(id);
                      }}
                      aria-label={`Delete ${run.name}`}
                    >
                      ✕
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * How many seeds of a sweep compute at once: one Worker each on the CPU engine, together on one device
 * on a GPU. Not part of the experiment (it is not in the link): each seed's metrics are the same
 * whichever way it ran, only the wait changes.
 */
function SeedsAtOnce() {
  const value = useLabStore((s) => s.parallelSeeds);
  const setValue = useLabStore((s) => s.setParallelSeeds);
  const cores = typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency;
  const backend = useLabStore((s) => s.config.backend);
  const onGpu = useGpuStore((s) => computesOnGpu(s.status, backend));
  return (
    <label className="seeds-at-once">
      Seeds computed at once{' '}
      <select
        value={String(value)}
        data-testid="seeds-at-once"
        onChange={(e) =>
          setValue((e.target.value === 'auto' ? 'auto' : Number(e.target.value)) as ParallelSeeds)
        }
      >
        {PARALLEL_SEED_CHOICES.map((choice) => (
          <option key={String(choice)} value={String(choice)}>
            {choice === 'auto' ? `auto (${seedsAtOnce('auto', cores, onGpu)} on this device)` : choice}
          </option>
        ))}
      </select>
      <span className="field-help">
        {onGpu ? 'The seeds share the GPU in one worker' : 'Each seed in its own worker'}; the metrics of a
        seed do not depend on this, only the wait.
      </span>
    </label>
  );
}
