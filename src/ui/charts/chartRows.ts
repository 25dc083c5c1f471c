// Turns runs' metric series into recharts rows: smoothing for noisy per-step series, comparison of
// several runs in one chart, and seed sweeps drawn as a mean with a standard-error band over the
// single seeds. Pure functions, tested in chartRows.test.ts.
import { meanAndStandardError } from '../../experiment/metricsFiles';
import type { RunRecord } from '../runTypes';
import type { RunSeries } from '../store/runsSlice';
import type { SeriesSpec } from './chartSpecs';

/** A line-group in a chart: one run, or a seed sweep (several runs averaged). */
export interface ChartEntity {
  id: string;
  label: string;
  runs: { run: RunRecord; series: RunSeries }[];
  /** A sweep's "mean of 2 of 3 seeds": how many seeds have data, of how many (null for a single run). */
  seeds: { withData: number; total: number } | null;
}

export type ChartRow = { step: number } & Record<string, number | [number, number] | null>;

/**
 * Exponential moving average with TensorBoard's debiasing, so the first points are not dragged toward
 * zero. Nulls pass through and do not break the average. weight 0 returns the values unchanged.
 */
export function smoothSeries(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let debias = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    // Rounded to 12 significant digits: a constant series must stay exactly constant, or the chart's
    // auto-scaled axis zooms into floating-point noise (ticks 1.0%, 1.0%, 1.0%).
    return Number((last / debias).toPrecision(12));
  });
}

/** Groups runs into chart entities: runs sharing a sweep id become one entity, others stand alone. */
export function groupIntoEntities(runs: readonly { run: RunRecord; series: RunSeries }[]): ChartEntity[] {
  const entities: ChartEntity[] = [];
  const bySweep = new Map<string, ChartEntity>();
  for (const item of runs) {
    const sweep = item.run.sweepId;
    if (!sweep) {
      entities.push({ id: item.run.id, label: item.run.name, runs: [item], seeds: null });
      continue;
    }
    let entity = bySweep.get(sweep);
    if (!entity) {
      entity = { id: sweep, label: item.run.name.replace(/\s*·\s*seed \d+$/, ''), runs: [], seeds: null };
      bySweep.set(sweep, entity);
      entities.push(entity);
    }
    entity.runs.push(item);
  }
  // The mean is over the seeds that have data, which is fewer than the sweep's seeds while it runs.
  for (const entity of bySweep.values()) {
    // One seed of a sweep on its own (compared by itself) is that run, named with its seed, not a mean.
    if (entity.runs.length === 1) {
      entity.id = entity.runs[0].run.id;
      entity.label = entity.runs[0].run.name;
      continue;
    }
    const withData = entity.runs.filter((r) => r.series.steps.length > 0 || r.series.evals.length > 0).length;
    entity.seeds = { withData, total: entity.runs.length };
    entity.label = `${entity.label} (${seedCount(entity.seeds)})`;
  }
  return entities;
}

/** "mean of 3 seeds", or "mean of 1 of 3 seeds" while the others have no data yet. */
export function seedCount({ withData, total }: { withData: number; total: number }): string {
  const of = withData < total ? ` of ${total}` : '';
  return `mean of ${withData}${of} seed${total === 1 ? '' : 's'}`;
}

/** Column names of one entity's series in the rows. */
export const columnOf = {
  mean: (entityId: string, seriesKey: string) => `${entityId}|${seriesKey}`,
  band: (entityId: string, seriesKey: string) => `${entityId}|${seriesKey}|se`,
  seed: (entityId: string, seriesKey: string, seedIndex: number) =>
    `${entityId}|${seriesKey}|seed${seedIndex}`,
};

/** One run's values of a series, by step, smoothed when it is a per-step series. */
function seriesByStep(series: RunSeries, spec: SeriesSpec, smoothing: number): Map<number, number | null> {
  const records = (spec.source === 'steps' ? series.steps : series.evals) as Parameters<
    SeriesSpec['read']
  >[0][];
  const raw = records.map((r) => spec.read(r));
  if (spec.omitIfAllZero && raw.every((v) => v === null || v === 0)) return new Map();
  const values = spec.source === 'steps' ? smoothSeries(raw, smoothing) : raw;
  // x is "steps done": step metrics carry their 0-based index, evals the number of steps before them,
  // so the eval after step 10 and step 10's metrics share x = 10 (as the CSV's stepsDone column).
  return new Map(records.map((r, i) => [spec.source === 'steps' ? r.step + 1 : r.step, values[i]]));
}

/**
 * Rows for one chart: per entity and series a mean column; for sweeps also a [mean-se, mean+se] band
 * column and one faint column per seed. Steps with no value for a column leave it absent, and
 * recharts' connectNulls bridges the sparse eval points.
 */
export function buildChartRows(
  entities: readonly ChartEntity[],
  series: readonly SeriesSpec[],
  smoothing: number,
): ChartRow[] {
  const rows = new Map<number, ChartRow>();
  const rowAt = (step: number): ChartRow => {
    let row = rows.get(step);
    if (!row) {
      row = { step } as ChartRow;
      rows.set(step, row);
    }
    return row;
  };
  for (const entity of entities) {
    for (const spec of series) {
      const perSeed = entity.runs.map((r) => seriesByStep(r.series, spec, smoothing));
      const steps = new Set<number>();
      for (const values of perSeed) for (const step of values.keys()) steps.add(step);
      for (const step of steps) {
        const row = rowAt(step);
        const values = perSeed.map((v) => v.get(step) ?? null);
        if (entity.runs.length === 1) {
          if (values[0] !== null) row[columnOf.mean(entity.id, spec.key)] = values[0];
          continue;
        }
        values.forEach((v, i) => {
          if (v !== null) row[columnOf.seed(entity.id, spec.key, i)] = v;
        });
        const { mean, se, n } = meanAndStandardError(values.filter((v): v is number => v !== null));
        if (n === 0) continue;
        row[columnOf.mean(entity.id, spec.key)] = mean;
        row[columnOf.band(entity.id, spec.key)] = [mean - se, mean + se];
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}
