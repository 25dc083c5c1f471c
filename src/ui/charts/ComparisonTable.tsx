// Comparison summary, as in the paper's tables: per run (or sweep, as mean ± standard error) the greedy
// accuracy and code-reasoning frequency (greedy, and over the avg@k samples, where a model whose greedy
// answer always has one style still shows its style shares) before and after training, and the change.
import { meanAndStandardError, summariseRun } from '../../experiment/metricsFiles';
import { formatDistribution } from '../../experiment/paired';
import type { ChartEntity } from './chartRows';
import { pairedRows } from './comparisonStats';

type Quantity = 'greedyAccuracy' | 'codeFrequency' | 'sampledCodeFrequency';

function entityStats(entity: ChartEntity, quantity: Quantity) {
  const summaries = entity.runs.map((r) => summariseRun(r.series.steps, r.series.evals));
  const before = meanAndStandardError(summaries.map((s) => s.before?.[quantity] ?? Number.NaN));
  const after = meanAndStandardError(summaries.map((s) => s.after?.[quantity] ?? Number.NaN));
  const change = meanAndStandardError(
    summaries.map((s) => (s.before && s.after ? s.after[quantity] - s.before[quantity] : Number.NaN)),
  );
  return { before, after, change };
}

function percent({ mean, se, n }: { mean: number; se: number; n: number }, signed = false): string {
  if (n === 0) return '—';
  const value = `${signed && mean > 0 ? '+' : ''}${(mean * 100).toFixed(1)}`;
  return n > 1 ? `${value} ± ${(se * 100).toFixed(1)}` : value;
}

export function ComparisonTable({ entities }: { entities: readonly ChartEntity[] }) {
  const paired = pairedRows(entities);
  return (
    <>
      <table className="comparison-table" data-testid="comparison-table">
        <caption>Before → after training (percent; sweeps as mean ± standard error over seeds)</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Accuracy before</th>
            <th scope="col">after</th>
            <th scope="col">change</th>
            <th scope="col">Code (greedy) before</th>
            <th scope="col">after</th>
            <th scope="col">change</th>
            <th scope="col">Code (sampled) before</th>
            <th scope="col">after</th>
            <th scope="col">change</th>
          </tr>
        </thead>
        <tbody>
          {entities.map((entity) => {
            const accuracy = entityStats(entity, 'greedyAccuracy');
            const code = entityStats(entity, 'codeFrequency');
            const sampledCode = entityStats(entity, 'sampledCodeFrequency');
            return (
              <tr key={entity.id}>
                <th scope="row">{entity.label}</th>
                <td>{percent(accuracy.before)}</td>
                <td>{percent(accuracy.after)}</td>
                <td>{percent(accuracy.change, true)}</td>
                <td>{percent(code.before)}</td>
                <td>{percent(code.after)}</td>
                <td>{percent(code.change, true)}</td>
                <td>{percent(sampledCode.before)}</td>
                <td>{percent(sampledCode.after)}</td>
                <td>{percent(sampledCode.change, true)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {paired.length > 0 && (
        <table className="comparison-table" data-testid="paired-table">
          <caption>
            Paired by seed against {paired[0].reference.label}: this run's change minus the reference's on the
            same seed (same prompts, same reward draws), in points: mean ± SE (median; seeds up, down)
          </caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">greedy accuracy</th>
              <th scope="col">code share (greedy)</th>
              <th scope="col">exact p(code)</th>
            </tr>
          </thead>
          <tbody>
            {paired.map((row) => (
              <tr key={row.entity.id}>
                <th scope="row">{row.entity.label}</th>
                <td>{formatDistribution(row.byQuantity.greedyAccuracy)}</td>
                <td>{formatDistribution(row.byQuantity.codeFrequency)}</td>
                <td>{row.byQuantity.meanPCode.n > 0 ? formatDistribution(row.byQuantity.meanPCode) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
