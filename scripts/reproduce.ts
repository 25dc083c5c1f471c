// `npm run reproduce [-- --quick]`: the science check. Runs the paper's comparisons on the shipped zoo
// with the same runner as the lab, over several seeds, and prints (and writes as markdown with SVG
// charts) the change in accuracy and code frequency as mean ± standard error.
//   --quick  qwen-math-tiny and llama-tiny x {ground truth, random(0.5) clip, random(0.5) no clip}
//   (full)   every paper reward on every family, the clipping ablation and the gamma sweep
// Options: --seeds N, --steps N, --backend auto|cpu|webgpu, --families a,b, --jobs N (runs at once in
// worker threads, default one per core), --out DIR (default runs/reproduce-<time>).
// Every (cell, seed) run is one task of one worker pool; seeds are shared by all cells, so the clip
// ablation is also reported as paired per-seed differences.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { runInWorkers, type SeedTask } from '../src/cli/runCommand';
import type { ExperimentConfig } from '../src/experiment/config/schema';
import { validateExperiment } from '../src/experiment/config/validate';
import { meanAndStandardError } from '../src/experiment/metricsFiles';
import { formatDistribution, pairedDifferences } from '../src/experiment/paired';
import { serializeExperiment } from '../src/experiment/url';
import type { EvalMetrics } from '../src/rl/metrics';

interface Cell {
  family: string;
  label: string;
  changes: Partial<ExperimentConfig>;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const seeds = Number(flag('seeds') ?? (quick ? 3 : 4));
const steps = Number(flag('steps') ?? (quick ? 12 : 40));
const backend = (flag('backend') ?? 'auto') as ExperimentConfig['backend'];
const outDir = resolve(
  flag('out') ?? join('runs', `reproduce-${new Date().toISOString().replace(/[:.]/g, '-')}`),
);

const NO_CLIP: Partial<ExperimentConfig> = { clipMode: 'none' };
const quickCells: Cell[] = ['qwen-math-tiny', 'llama-tiny'].flatMap((family) => [
  { family, label: 'ground truth', changes: { reward: 'ground_truth' } },
  { family, label: 'random(0.5), clip', changes: { reward: 'random', gamma: 0.5 } },
  { family, label: 'random(0.5), no clip', changes: { reward: 'random', gamma: 0.5, ...NO_CLIP } },
]);
const PAPER_REWARDS: [string, Partial<ExperimentConfig>][] = [
  ['ground truth', { reward: 'ground_truth' }],
  ['majority vote', { reward: 'majority_vote' }],
  ['one-shot', { reward: 'one_shot' }],
  ['incorrect', { reward: 'incorrect' }],
  ['random(0.5)', { reward: 'random', gamma: 0.5 }],
  ['format', { reward: 'format' }],
  ['python', { reward: 'python' }],
];
const fullCells: Cell[] = [
  ...['qwen-math-tiny', 'llama-tiny', 'olmo-sft-tiny'].flatMap((family) =>
    PAPER_REWARDS.map(([label, changes]) => ({ family, label, changes })),
  ),
  ...['qwen-math-tiny', 'llama-tiny', 'olmo-sft-tiny'].map((family) => ({
    family,
    label: 'random(0.5), no clip',
    changes: { reward: 'random', gamma: 0.5, ...NO_CLIP },
  })),
  ...[0.001, 0.3, 0.7].map((gamma) => ({
    family: 'qwen-math-tiny',
    label: `random(${gamma})`,
    changes: { reward: 'random', gamma },
  })),
];
// --families a,b runs only those families' cells (e.g. one process per family on a multi-core machine).
const familyFilter = flag('families')?.split(',');
const cells = (quick ? quickCells : fullCells).filter(
  (c) => !familyFilter || familyFilter.includes(c.family),
);

interface CellResult {
  cell: Cell;
  hash: string;
  /** Seeds that finished (a failed seed is reported on stderr and left out). */
  seeds: number[];
  perSeed: { seed: number; accuracy: number; code: number }[];
  accuracy: ReturnType<typeof meanAndStandardError>;
  sampledAccuracy: ReturnType<typeof meanAndStandardError>;
  code: ReturnType<typeof meanAndStandardError>;
  sampledCode: ReturnType<typeof meanAndStandardError>;
  curves: { step: number; accuracy: number; code: number; sampledCode: number }[][];
}

function cellConfig(cell: Cell): ExperimentConfig {
  const { config, errors } = validateExperiment({
    model: cell.family,
    steps,
    // --quick evaluates only before and after (on 100 problems, avg@2) to fit a few minutes per cell.
    evalEvery: quick ? 0 : Math.max(1, Math.floor(steps / 4)),
    evalSize: quick ? 100 : 200,
    evalK: quick ? 2 : 4,
    backend,
    ...cell.changes,
  });
  if (errors.length)
    throw new Error(`${cell.label}: ${errors.map((e) => `${e.field}: ${e.why}`).join('; ')}`);
  return config;
}

/** A cell's result from its seeds' evals (per seed: first and last eval). */
function cellResult(
  cell: Cell,
  config: ExperimentConfig,
  runs: { seed: number; evals: EvalMetrics[] }[],
): CellResult {
  const change = (f: (e: EvalMetrics) => number) =>
    runs.map((r) => 100 * (f(r.evals[r.evals.length - 1]) - f(r.evals[0])));
  const finished = runs.filter((r) => r.evals.length > 0);
  return {
    cell,
    hash: serializeExperiment(config),
    seeds: finished.map((r) => r.seed),
    accuracy: meanAndStandardError(change((e) => e.greedyAccuracy).filter((_, i) => runs[i].evals.length)),
    sampledAccuracy: meanAndStandardError(
      change((e) => e.sampledAccuracy).filter((_, i) => runs[i].evals.length),
    ),
    code: meanAndStandardError(change((e) => e.codeFrequency).filter((_, i) => runs[i].evals.length)),
    sampledCode: meanAndStandardError(
      change((e) => e.sampledCodeFrequency).filter((_, i) => runs[i].evals.length),
    ),
    perSeed: finished.map((r) => ({
      seed: r.seed,
      accuracy: r.evals[r.evals.length - 1].greedyAccuracy - r.evals[0].greedyAccuracy,
      code: r.evals[r.evals.length - 1].codeFrequency - r.evals[0].codeFrequency,
    })),
    curves: finished.map((r) =>
      r.evals.map((e) => ({
        step: e.step,
        accuracy: e.greedyAccuracy,
        code: e.codeFrequency,
        sampledCode: e.sampledCodeFrequency,
      })),
    ),
  };
}

const pm = (s: { mean: number; se: number }) =>
  `${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(1)} ± ${s.se.toFixed(1)}`;

/** A small SVG line chart of the mean curve per cell (one chart per family and metric). */
function svgChart(title: string, series: { label: string; points: { x: number; y: number }[] }[]): string {
  const W = 520;
  const H = 260;
  const pad = 40;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMax = Math.max(1, ...xs);
  const colors = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  const x = (v: number) => pad + (v / xMax) * (W - 2 * pad);
  const y = (v: number) => H - pad - v * (H - 2 * pad);
  const lines = series
    .map((s, i) => {
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
      return `<path d="${d}" fill="none" stroke="${colors[i % colors.length]}" stroke-width="2"/><text x="${W - pad + 4}" y="${pad + 14 * i}" font-size="10" fill="${colors[i % colors.length]}">${s.label}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W + 140}" height="${H}" font-family="sans-serif"><text x="${pad}" y="16" font-size="12">${title}</text><line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#888"/><text x="${pad - 30}" y="${y(1) + 4}" font-size="10">100%</text><text x="${pad - 20}" y="${y(0) + 4}" font-size="10">0%</text><text x="${W - pad - 20}" y="${H - pad + 16}" font-size="10">step ${xMax}</text>${lines}</svg>`;
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  process.stderr.write(
    `reproduce${quick ? ' --quick' : ''}: ${cells.length} cells x ${seeds} seeds, ${steps} steps each, backend ${backend}\n`,
  );
  const configs = cells.map(cellConfig);
  const tasks: (SeedTask & { cell: number })[] = cells.flatMap((cell, c) =>
    Array.from({ length: seeds }, (_, i) => {
      const seed = configs[c].seed + i;
      return {
        cell: c,
        config: configs[c],
        seed,
        dir: join(outDir, `cell-${c + 1}`, `seed-${seed}`),
        label: `${cell.family} · ${cell.label} · seed ${seed}`,
      };
    }),
  );
  const jobs = Math.max(1, Math.min(tasks.length, Number(flag('jobs') ?? availableParallelism())));
  process.stderr.write(`${tasks.length} runs, ${jobs} at a time in worker threads\n`);
  const outcomes = await runInWorkers(tasks, jobs, {
    log: () => {},
    onOutcome: (i, o) => {
      const t = tasks[i];
      const first = o.evals[0];
      const last = o.evals[o.evals.length - 1];
      process.stderr.write(
        o.result === 'finished' && first && last
          ? `${t.label}: greedy ${(100 * first.greedyAccuracy).toFixed(1)} -> ${(100 * last.greedyAccuracy).toFixed(1)}%, code greedy ${(100 * first.codeFrequency).toFixed(1)} -> ${(100 * last.codeFrequency).toFixed(1)}%, sampled ${(100 * first.sampledCodeFrequency).toFixed(1)} -> ${(100 * last.sampledCodeFrequency).toFixed(1)}%\n`
          : `${t.label}: ${o.result.toUpperCase()} ${o.error ?? ''}\n`,
      );
    },
  });
  const results = cells.map((cell, c) =>
    cellResult(
      cell,
      configs[c],
      tasks
        .map((t, i) => ({ t, o: outcomes[i] }))
        .filter(({ t, o }) => t.cell === c && o.result === 'finished')
        .map(({ t, o }) => ({ seed: t.seed, evals: o.evals })),
    ),
  );

  const header =
    '| family | reward | greedy accuracy change (points) | avg@k accuracy change | code frequency change, sampled | code frequency change, greedy |\n|---|---|---|---|---|---|';
  const rows = results.map(
    (r) =>
      `| ${r.cell.family} | ${r.cell.label} | ${pm(r.accuracy)} | ${pm(r.sampledAccuracy)} | ${pm(r.sampledCode)} | ${pm(r.code)} |`,
  );
  const table = `${header}\n${rows.join('\n')}`;
  // Paired per seed: each family's random(0.5) with the clip against the same seeds without it.
  const paired = [...new Set(results.map((r) => r.cell.family))].flatMap((family) => {
    const clip = results.find((r) => r.cell.family === family && r.cell.label === 'random(0.5), clip');
    const noClip = results.find((r) => r.cell.family === family && r.cell.label === 'random(0.5), no clip');
    if (!clip || !noClip) return [];
    const by = (r: CellResult, key: 'accuracy' | 'code') => new Map(r.perSeed.map((p) => [p.seed, p[key]]));
    return [
      `| ${family} | ${formatDistribution(pairedDifferences(by(clip, 'code'), by(noClip, 'code')))} | ${formatDistribution(pairedDifferences(by(clip, 'accuracy'), by(noClip, 'accuracy')))} |`,
    ];
  });
  const pairedTable = paired.length
    ? `\n\nRandom(0.5), clip minus no clip, paired by seed (points: mean ± SE, median, seeds up/down):\n\n| family | greedy code share | greedy accuracy |\n|---|---|---|\n${paired.join('\n')}`
    : '';
  console.log(
    `\nMean ± standard error over ${seeds} seeds, ${steps} GRPO steps each:\n\n${table}${pairedTable}\n`,
  );

  const charts: string[] = [];
  for (const family of [...new Set(results.map((r) => r.cell.family))]) {
    for (const metric of ['accuracy', 'code', 'sampledCode'] as const) {
      const series = results
        .filter((r) => r.cell.family === family)
        .map((r) => ({
          label: r.cell.label,
          points: (r.curves[0] ?? []).map((p, k) => ({
            x: p.step,
            y: r.curves.reduce((s, c) => s + (c[k]?.[metric] ?? 0), 0) / r.curves.length,
          })),
        }));
      const name = `${family}-${metric}.svg`;
      writeFileSync(
        join(outDir, name),
        svgChart(
          `${family}: ${{ accuracy: 'greedy accuracy', code: 'code frequency (greedy)', sampledCode: 'code frequency (sampled)' }[metric]} (mean of ${seeds} seeds)`,
          series,
        ),
      );
      charts.push(`![${family} ${metric}](${name})`);
    }
  }
  const report = `# Spurious Rewards Lab — reproduction report\n\n${quick ? 'Quick grid' : 'Full grid'}: ${seeds} seeds, ${steps} GRPO steps per run, backend ${backend}, generated ${new Date().toISOString()}.\n\n${table}${pairedTable}\n\n${charts.join('\n\n')}\n\n## Experiment URLs\n\n${results.map((r) => `- ${r.cell.family} · ${r.cell.label}: \`#${r.hash}\``).join('\n')}\n`;
  writeFileSync(join(outDir, 'report.md'), report);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`report: ${join(outDir, 'report.md')}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
