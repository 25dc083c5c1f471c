// `npm run reproduce [-- --quick]`: the science check. Runs the paper's comparisons on the shipped zoo
// with the same runner as the lab, over several seeds, and prints (and writes as markdown with SVG
// charts) the change in accuracy and code frequency as mean ± standard error.
//   --quick  qwen-math-tiny and llama-tiny x {ground truth, random(0.5) clip, random(0.5) no clip}
//   (full)   every paper reward on every family, the clipping ablation and the gamma sweep
// Options: --seeds N, --steps N, --backend auto|cpu|webgpu, --families a,b, --out DIR
// (default runs/reproduce-<time>).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nodeRunHost } from '../src/cli/nodeHost';
import { assembleRun } from '../src/experiment/assemble';
import { type ExperimentConfig, validateExperiment } from '../src/experiment/config';
import { meanAndStandardError } from '../src/experiment/exports';
import { ExperimentRunner } from '../src/experiment/runner';
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
  accuracy: ReturnType<typeof meanAndStandardError>;
  sampledAccuracy: ReturnType<typeof meanAndStandardError>;
  code: ReturnType<typeof meanAndStandardError>;
  sampledCode: ReturnType<typeof meanAndStandardError>;
  curves: { step: number; accuracy: number; code: number; sampledCode: number }[][];
}

async function runCell(cell: Cell): Promise<CellResult> {
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
  const host = nodeRunHost({ log: () => {} });
  const accuracyChanges: number[] = [];
  const sampledChanges: number[] = [];
  const codeChanges: number[] = [];
  const sampledCodeChanges: number[] = [];
  const curves: CellResult['curves'] = [];
  for (let i = 0; i < seeds; i++) {
    const seed = config.seed + i;
    const run = await assembleRun(config, host, seed);
    const evals: EvalMetrics[] = [];
    let failure: string | null = null;
    const runner = new ExperimentRunner(run.plan, run.parts, (e) => {
      if (e.type === 'eval') evals.push(e.metrics);
      if (e.type === 'error') failure = e.message;
    });
    const started = Date.now();
    await runner.run();
    run.policy.dispose();
    const first = evals[0];
    const last = evals[evals.length - 1];
    process.stderr.write(
      `${cell.family} · ${cell.label} · seed ${seed}: greedy ${(100 * first.greedyAccuracy).toFixed(1)} -> ${(100 * last.greedyAccuracy).toFixed(1)}%, ` +
        `avg@k ${(100 * first.sampledAccuracy).toFixed(1)} -> ${(100 * last.sampledAccuracy).toFixed(1)}%, ` +
        `code greedy ${(100 * first.codeFrequency).toFixed(1)} -> ${(100 * last.codeFrequency).toFixed(1)}%, ` +
        `sampled ${(100 * first.sampledCodeFrequency).toFixed(1)} -> ${(100 * last.sampledCodeFrequency).toFixed(1)}% (${((Date.now() - started) / 1000).toFixed(0)}s)${failure ? ` FAILED: ${failure}` : ''}\n`,
    );
    accuracyChanges.push(100 * (last.greedyAccuracy - first.greedyAccuracy));
    sampledChanges.push(100 * (last.sampledAccuracy - first.sampledAccuracy));
    codeChanges.push(100 * (last.codeFrequency - first.codeFrequency));
    sampledCodeChanges.push(100 * (last.sampledCodeFrequency - first.sampledCodeFrequency));
    curves.push(
      evals.map((e) => ({
        step: e.step,
        accuracy: e.greedyAccuracy,
        code: e.codeFrequency,
        sampledCode: e.sampledCodeFrequency,
      })),
    );
  }
  return {
    cell,
    hash: serializeExperiment(config),
    accuracy: meanAndStandardError(accuracyChanges),
    sampledAccuracy: meanAndStandardError(sampledChanges),
    code: meanAndStandardError(codeChanges),
    sampledCode: meanAndStandardError(sampledCodeChanges),
    curves,
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
  const results: CellResult[] = [];
  for (const cell of cells) results.push(await runCell(cell));

  const header =
    '| family | reward | greedy accuracy change (points) | avg@k accuracy change | code frequency change, sampled | code frequency change, greedy |\n|---|---|---|---|---|---|';
  const rows = results.map(
    (r) =>
      `| ${r.cell.family} | ${r.cell.label} | ${pm(r.accuracy)} | ${pm(r.sampledAccuracy)} | ${pm(r.sampledCode)} | ${pm(r.code)} |`,
  );
  const table = `${header}\n${rows.join('\n')}`;
  console.log(`\nMean ± standard error over ${seeds} seeds, ${steps} GRPO steps each:\n\n${table}\n`);

  const charts: string[] = [];
  for (const family of [...new Set(results.map((r) => r.cell.family))]) {
    for (const metric of ['accuracy', 'code', 'sampledCode'] as const) {
      const series = results
        .filter((r) => r.cell.family === family)
        .map((r) => ({
          label: r.cell.label,
          points: r.curves[0].map((p, k) => ({
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
  const report = `# Spurious Rewards Lab — reproduction report\n\n${quick ? 'Quick grid' : 'Full grid'}: ${seeds} seeds, ${steps} GRPO steps per run, backend ${backend}, generated ${new Date().toISOString()}.\n\n${table}\n\n${charts.join('\n\n')}\n\n## Experiment URLs\n\n${results.map((r) => `- ${r.cell.family} · ${r.cell.label}: \`#${r.hash}\``).join('\n')}\n`;
  writeFileSync(join(outDir, 'report.md'), report);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`report: ${join(outDir, 'report.md')}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
