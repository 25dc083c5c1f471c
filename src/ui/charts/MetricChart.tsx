// One live chart: every entity (a run, or a seed sweep's mean with its standard-error band and faint
// single seeds) and every series of the chart spec. Colour encodes the run when several are compared,
// the series otherwise; dash patterns always tell series apart, so colour is never the only cue.
import { useMemo, useRef } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useLabStore } from '../store/labStore';
import { ChartImageButtons } from './ChartImageButtons';
import { formatForSpan, valueSpan } from './chartFormat';
import { buildChartRows, type ChartEntity, type ChartRow, columnOf, seedCount } from './chartRows';
import { type ChartSpec, DASHES, OKABE_ITO } from './chartSpecs';

interface MetricChartProps {
  chart: ChartSpec;
  entities: readonly ChartEntity[];
}

export function MetricChart({ chart, entities }: MetricChartProps) {
  const smoothing = useLabStore((s) => s.smoothing);
  const projector = useLabStore((s) => s.projector);
  const tickFont = { fontSize: projector ? 15 : 11 };
  const logScale = useLabStore((s) => s.logScaleCharts.includes(chart.id));
  const toggleLogScale = useLabStore((s) => s.toggleLogScale);
  const figureRef = useRef<HTMLElement>(null);
  const comparing = entities.length > 1;
  // In comparison mode draw each run's first series only (the paper's Figure 1 style): one line per run.
  const series = comparing ? chart.series.slice(0, 1) : chart.series;
  const rows = useMemo(() => {
    const built = buildChartRows(entities, series, smoothing);
    return logScale ? dropNonPositive(built) : built;
  }, [entities, series, smoothing, logScale]);
  const hasPoints = rows.length > 0;
  // Tick labels get as many decimals as the visible range needs, so close values never print alike.
  const span = useMemo(
    () => (chart.fullRange && !logScale ? 1 : valueSpan(rows)),
    [rows, chart.fullRange, logScale],
  );
  const formatTick = (v: number) => formatForSpan(v, span, chart.percent);
  const formatTooltip = (v: number) => formatForSpan(v, span / 100, chart.percent);

  return (
    <figure className="chart" ref={figureRef} data-testid={`chart-${chart.id}`} data-points={rows.length}>
      <figcaption className="chart-head">
        <span className="chart-title">
          {chart.title}
          {comparing && chart.series.length > 1 ? ` · ${chart.series[0].label}` : ''}
        </span>
        {chart.logScale && (
          <button
            type="button"
            className="chip"
            aria-pressed={logScale}
            onClick={() => toggleLogScale(chart.id)}
            title="Switch the y axis between linear and logarithmic"
          >
            {logScale ? 'y: log' : 'y: linear'}
          </button>
        )}
        <ChartImageButtons figureRef={figureRef} name={chart.id} />
      </figcaption>
      <p className="chart-hint">{chart.hint}</p>
      {!comparing && entities.length === 1 && entities[0].seeds && (
        <p className="chart-hint chart-seeds" data-testid="chart-seeds">
          Lines: the {seedCount(entities[0].seeds)}; shaded: ± 1 standard error; faint: each seed.
        </p>
      )}
      {hasPoints ? (
        <ResponsiveContainer width="100%" height={projector ? 240 : 170}>
          <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e4e4e4" strokeDasharray="3 3" />
            <XAxis
              dataKey="step"
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              tick={tickFont}
              label={{ value: 'steps done', position: 'insideBottomRight', offset: -2, style: tickFont }}
              height={projector ? 40 : 32}
            />
            <YAxis
              scale={logScale ? 'log' : 'linear'}
              domain={yDomain(chart, logScale)}
              allowDataOverflow={logScale}
              tickFormatter={formatTick}
              tick={tickFont}
              width={projector ? 72 : 58}
            />
            <Tooltip
              formatter={(value) => (typeof value === 'number' ? formatTooltip(value) : String(value))}
              labelFormatter={(step) => `step ${step}`}
            />
            <Legend wrapperStyle={tickFont} itemSorter={null} />
            {entities.flatMap((entity, e) =>
              series.map((spec, s) => {
                const colour = OKABE_ITO[(comparing ? e : s) % OKABE_ITO.length];
                // Compared runs differ by colour AND dash, so print and colour-blind readers tell them apart.
                const dash = DASHES[(comparing ? e : s) % DASHES.length];
                // One experiment: the series' own names; what the lines are over is said once, below the hint.
                const name = comparing ? entity.label : spec.label;
                return (
                  <SeriesLayers
                    key={`${entity.id}|${spec.key}`}
                    entity={entity}
                    seriesKey={spec.key}
                    colour={colour}
                    dash={dash}
                    name={name}
                  />
                );
              }),
            )}
          </ComposedChart>
        </ResponsiveContainer>
      ) : (
        <p className="chart-empty">No points yet: press play to start a run.</p>
      )}
    </figure>
  );
}

interface SeriesLayersProps {
  entity: ChartEntity;
  seriesKey: string;
  colour: string;
  dash: string;
  name: string;
}

/** A sweep's faint seeds, its band and its mean, or a single run's line. */
function SeriesLayers({ entity, seriesKey, colour, dash, name }: SeriesLayersProps) {
  const sweep = entity.runs.length > 1;
  return (
    <>
      {sweep &&
        entity.runs.map((item, i) => (
          <Line
            key={item.run.id}
            dataKey={column(columnOf.seed(entity.id, seriesKey, i))}
            stroke={colour}
            strokeOpacity={0.22}
            strokeWidth={1}
            dot={false}
            connectNulls
            isAnimationActive={false}
            legendType="none"
            tooltipType="none"
          />
        ))}
      {sweep && (
        <Area
          dataKey={column(columnOf.band(entity.id, seriesKey))}
          stroke="none"
          fill={colour}
          fillOpacity={0.18}
          connectNulls
          isAnimationActive={false}
          legendType="none"
          tooltipType="none"
        />
      )}
      <Line
        dataKey={column(columnOf.mean(entity.id, seriesKey))}
        name={name}
        stroke={colour}
        strokeDasharray={dash}
        strokeWidth={2}
        dot={false}
        connectNulls
        isAnimationActive={false}
      />
    </>
  );
}

/**
 * Reads a column by its exact name. A string dataKey would be read by recharts as a dotted path, and
 * run ids or names may contain dots.
 */
function column(name: string) {
  return (row: ChartRow) => row[name] ?? null;
}

/** A log axis cannot show 0 or negatives; such points become gaps instead of breaking the chart. */
function dropNonPositive(rows: ChartRow[]): ChartRow[] {
  return rows.map((row) => {
    const copy: ChartRow = { step: row.step } as ChartRow;
    for (const [key, value] of Object.entries(row)) {
      if (key === 'step') continue;
      if (typeof value === 'number') copy[key] = value > 0 ? value : null;
      else if (Array.isArray(value)) copy[key] = value[0] > 0 ? value : null;
    }
    return copy;
  });
}

type DomainBound = number | 'auto' | ((bound: number) => number);

/**
 * Accuracies and shares use the full [0, 1]; other percentages (clip fractions) start at 0 and grow with
 * the data, with a floor so an all-zero series does not invent a range; log axes and the rest auto-fit.
 */
function yDomain(chart: ChartSpec, logScale: boolean): [DomainBound, DomainBound] {
  if (logScale) return ['auto', 'auto'];
  if (chart.fullRange) return [0, 1];
  if (chart.percent) return [0, (max: number) => (max > 0 ? max * 1.1 : 0.01)];
  return ['auto', 'auto'];
}
