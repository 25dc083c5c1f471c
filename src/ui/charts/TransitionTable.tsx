// The paper's style-transition table for the shown run: MiniMath-500 problems split by the initial
// model's greedy style and the current one (Code→Code, Code→Lang, Lang→Code, Lang→Lang), with each
// cell's share of problems, accuracy before → after, and its contribution to the net accuracy change.
// In the paper most of Qwen-Math's gain under spurious rewards comes from Lang→Code problems.
import type { StyleTransitions, TransitionCell } from '../../rl/metrics';
import type { ChartEntity } from './chartRows';

const CELLS: [keyof Omit<StyleTransitions, 'netGain'>, string][] = [
  ['codeToCode', 'Code → Code'],
  ['codeToLang', 'Code → Lang'],
  ['langToCode', 'Lang → Code'],
  ['langToLang', 'Lang → Lang'],
];

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}` : '—');
const signed = (v: number) => `${v > 0 ? '+' : ''}${(100 * v).toFixed(1)}`;

/** The latest eval of the entity's first run that carries a transition table, with its step. */
export function latestTransitions(entity: ChartEntity): { step: number; table: StyleTransitions } | null {
  const evals = entity.runs[0]?.series.evals ?? [];
  for (let i = evals.length - 1; i >= 0; i--) {
    const table = evals[i].transitions;
    if (table) return { step: evals[i].step, table };
  }
  return null;
}

export function TransitionTable({ entity }: { entity: ChartEntity }) {
  const latest = latestTransitions(entity);
  if (!latest) return null;
  const { step, table } = latest;
  return (
    <table className="comparison-table" data-testid="transition-table">
      <caption>
        {entity.label}: reasoning-style transitions since the start (greedy, step {step}; percent of
        problems). Net accuracy change {signed(table.netGain)} points.
      </caption>
      <thead>
        <tr>
          <th scope="col">Style before → after</th>
          <th scope="col">Share of problems</th>
          <th scope="col">Accuracy before</th>
          <th scope="col">after</th>
          <th scope="col">Contribution to the change</th>
        </tr>
      </thead>
      <tbody>
        {CELLS.map(([key, label]) => {
          const cell: TransitionCell = table[key];
          return (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td>{pct(cell.share)}</td>
              <td>{pct(cell.accuracyBefore)}</td>
              <td>{pct(cell.accuracyAfter)}</td>
              <td>{signed(cell.gainContribution)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
