// The pre-registered studies of docs/science.md: does a random reward, through the clip, amplify
// qwen-math-tiny's majority style (code), and does it need the clip, several updates per rollout batch,
// an asymmetric eps? Study 1 takes its learning rate from the style logit's movement; Study 2 (`--study
// 2`) from ground truth still improving. Arms, seeds, steps, metrics and the decision rule were committed
// before any run; this script runs them and reports every run against that rule.
//
//   npx tsx scripts/study.ts calibrate [--study 2]  the learning-rate rule (short runs, seed 101)
//   npx tsx scripts/study.ts run [--study 2] [--arms A1,A2] [--jobs N] [--seeds 8]
//   npx tsx scripts/study.ts report [--study 2]     tables, paired differences and SVG charts
//   (any of them with --smoke: 2-step runs on 8 problems in runs/study-smoke/, to check the pipeline)
//
// Runs go to runs/study/<arm>/seed-<n>/ (metrics.jsonl; a checkpoint only for A10); each finished run is also
// kept compact in docs/study/runs/<arm>/seed-<n>.json (committed, so the report never depends on a
// machine's scratch folder). `run` skips runs whose compact file exists: stop it at any time and run
// it again to continue (A10's runs from their last checkpoint, every 10 steps).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { runInWorkers, type SeedTask } from '../src/cli/runCommand';
import type { ExperimentConfig } from '../src/experiment/config/schema';
import { validateExperiment } from '../src/experiment/config/validate';
import {
  type Distribution,
  distributionOf,
  formatDistribution,
  type PairedComparison,
  pairedDifferences,
} from '../src/experiment/paired';
import { STUDY_BASE as BASE, STUDY1_ARMS, STUDY2_ARMS } from '../src/experiment/studies';
import { readStudyRecords } from '../src/experiment/studyRecordFiles';
import { type Outcomes, outcomesOf, type RunRecord } from '../src/experiment/studyRecords';
import { serializeExperiment } from '../src/experiment/url';
import type { StepMetrics } from '../src/rl/metrics';

/** --smoke: 2-step runs on 8 problems into runs/study-smoke/, to check the pipeline (never the study). */
const SMOKE = process.argv.includes('--smoke');
/** Which pre-registered study (docs/science.md): 1 or 2. */
const STUDY =
  Number(process.argv[process.argv.indexOf('--study') + 1] ?? 1) === 2 && process.argv.includes('--study')
    ? 2
    : 1;
const SUFFIX = STUDY === 1 ? '' : String(STUDY);
const DOCS = SMOKE ? resolve('runs', `study${SUFFIX}-smoke`, 'docs') : resolve('docs', `study${SUFFIX}`);
const RUNS = SMOKE ? resolve('runs', `study${SUFFIX}-smoke`, 'runs') : resolve('runs', `study${SUFFIX}`);
const CALIBRATION_FILE = join(DOCS, 'calibration.json');

const STUDY_ARMS = STUDY === 1 ? STUDY1_ARMS : STUDY2_ARMS;
/** The arms of the primary rule: the clip arm and the no-clip arm. */
const [PRIMARY_CLIP, PRIMARY_NO_CLIP] = STUDY === 1 ? ['A1', 'A2'] : ['B1', 'B2'];
const STUDY_SEEDS = 8;
/** Study 2's rule: the largest of these at which ground truth still improves over 20 steps. */
const GT_LR_GRID = [2e-4, 5e-4, 1e-3, 2e-3];
const GT_CALIBRATION_STEPS = 20;
const LR_GRID = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3];
const CALIBRATION_SEED = 101;
const CALIBRATION_STEPS = 5;
/** The style-logit movement per update the toy needs for the clip to reach the style (docs/science.md). */
const TARGET_MOVE = 0.1;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function experiment(changes: Partial<ExperimentConfig>, lr: number): ExperimentConfig {
  const smoke: Partial<ExperimentConfig> = SMOKE ? { steps: 2, evalEvery: 1, evalSize: 8, evalK: 1 } : {};
  const { config, errors } = validateExperiment({ ...BASE, lr, ...changes, ...smoke });
  if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.why}`).join('; '));
  return config;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------
// Calibration: the learning-rate rule.

interface Calibration {
  rule: string;
  seed: number;
  steps: number;
  grid: { lr: number; styleLogitMovePerUpdate: number; styleClipShare: number; hash: string }[];
  chosen: number;
  reason: string;
}

/**
 * Study 2's rule: one ground-truth run per lr (seed 101, 20 steps, eval on 100 problems before and
 * after); the largest lr whose greedy accuracy after is at least before AND whose rollout accuracy over
 * the last 5 steps is at least that over the first 5; the smallest of the grid if none.
 */
async function calibrateGroundTruth(): Promise<void> {
  const tasks: SeedTask[] = GT_LR_GRID.map((lr) => ({
    config: experiment(
      { reward: 'ground_truth', steps: GT_CALIBRATION_STEPS, evalEvery: 0, evalSize: 100, evalK: 1 },
      lr,
    ),
    seed: CALIBRATION_SEED,
    dir: join(RUNS, 'calibration', `lr-${lr}`),
    label: `ground truth, lr ${lr}`,
  }));
  const outcomes = await runInWorkers(tasks, jobs(tasks.length), { log });
  const grid = outcomes.map((o, i) => {
    if (o.result !== 'finished' || o.evals.length < 2)
      throw new Error(`calibration at lr ${GT_LR_GRID[i]}: ${o.error}`);
    const evals = [...o.evals].sort((a, b) => a.step - b.step);
    const mean = (xs: StepMetrics[]) =>
      xs.reduce((a, m) => a + m.rolloutAccuracy, 0) / Math.max(1, xs.length);
    const first = mean(o.steps.slice(0, 5));
    const last = mean(o.steps.slice(-5));
    const before = evals[0].greedyAccuracy;
    const after = evals[evals.length - 1].greedyAccuracy;
    return {
      lr: GT_LR_GRID[i],
      greedyBefore: before,
      greedyAfter: after,
      rolloutFirst5: first,
      rolloutLast5: last,
      improves: after >= before && last >= first,
      // The seed in the link, so it replays this very run (links written before 2026-12-06 lack it).
      hash: serializeExperiment({ ...tasks[i].config, seed: CALIBRATION_SEED }),
    };
  });
  const passing = grid.filter((g) => g.improves);
  const chosen = passing.length ? passing[passing.length - 1].lr : GT_LR_GRID[0];
  const calibration = {
    rule: `the largest lr of ${JSON.stringify(GT_LR_GRID)} at which ground truth (clip eps 0.2, seed ${CALIBRATION_SEED}, ${GT_CALIBRATION_STEPS} steps) ends with greedy accuracy (100 problems) at least its start and rollout accuracy over the last 5 steps at least over the first 5; the smallest if none`,
    seed: CALIBRATION_SEED,
    steps: GT_CALIBRATION_STEPS,
    grid,
    chosen,
    reason: passing.length
      ? `lr ${chosen} is the largest at which ground truth still improves`
      : 'ground truth improved at no lr of the grid; the rule takes the smallest',
  };
  mkdirSync(DOCS, { recursive: true });
  writeFileSync(CALIBRATION_FILE, `${JSON.stringify(calibration, null, 2)}\n`);
  for (const g of grid)
    log(
      `lr ${g.lr}: greedy ${(100 * g.greedyBefore).toFixed(1)} -> ${(100 * g.greedyAfter).toFixed(1)}%, rollout accuracy first 5 ${(100 * g.rolloutFirst5).toFixed(1)}% -> last 5 ${(100 * g.rolloutLast5).toFixed(1)}%${g.improves ? ' (improves)' : ''}`,
    );
  log(`chosen: ${calibration.reason}`);
}

async function calibrate(): Promise<void> {
  if (STUDY === 2) return calibrateGroundTruth();
  const tasks: SeedTask[] = LR_GRID.map((lr) => ({
    config: experiment({ steps: CALIBRATION_STEPS, evalEvery: 0, evalSize: 20, evalK: 1 }, lr),
    seed: CALIBRATION_SEED,
    dir: join(RUNS, 'calibration', `lr-${lr}`),
    label: `lr ${lr}`,
  }));
  const outcomes = await runInWorkers(tasks, jobs(tasks.length), { log });
  const grid = outcomes.map((o, i) => {
    const steps = o.steps;
    if (o.result !== 'finished' || steps.length === 0)
      throw new Error(`calibration at lr ${LR_GRID[i]}: ${o.error}`);
    const mean = (f: (m: StepMetrics) => number) => steps.reduce((a, m) => a + f(m), 0) / steps.length;
    return {
      lr: LR_GRID[i],
      styleLogitMovePerUpdate: mean((m) => m.styleLogitMovePerUpdate ?? Number.NaN),
      styleClipShare: mean(
        (m) => ((m.styleClipHigh ?? 0) + (m.styleClipLow ?? 0)) / Math.max(1, m.styleTokens ?? 0),
      ),
      hash: serializeExperiment({ ...tasks[i].config, seed: CALIBRATION_SEED }),
    };
  });
  const reached = grid.find((g) => g.styleLogitMovePerUpdate >= TARGET_MOVE);
  const chosen = reached?.lr ?? LR_GRID[LR_GRID.length - 1];
  const calibration: Calibration = {
    rule: `the smallest lr of ${JSON.stringify(LR_GRID)} whose mean style-logit move per update over ${CALIBRATION_STEPS} steps (random(0.5), clip eps 0.2, seed ${CALIBRATION_SEED}) is >= ${TARGET_MOVE}; the largest of the grid if none is`,
    seed: CALIBRATION_SEED,
    steps: CALIBRATION_STEPS,
    grid,
    chosen,
    reason: reached
      ? `lr ${chosen} is the smallest with a move >= ${TARGET_MOVE} (${reached.styleLogitMovePerUpdate.toFixed(3)})`
      : `no lr of the grid reached ${TARGET_MOVE}; the rule takes the largest`,
  };
  mkdirSync(DOCS, { recursive: true });
  writeFileSync(CALIBRATION_FILE, `${JSON.stringify(calibration, null, 2)}\n`);
  for (const g of grid)
    log(
      `lr ${g.lr}: style logit move per update ${g.styleLogitMovePerUpdate.toFixed(4)}, style clip share ${(100 * g.styleClipShare).toFixed(2)}%`,
    );
  log(`chosen: ${calibration.reason}`);
}

function chosenLr(): number {
  if (!existsSync(CALIBRATION_FILE))
    throw new Error('no calibration yet: run `npx tsx scripts/study.ts calibrate` first');
  return (JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as Calibration).chosen;
}

// ---------------------------------------------------------------------------------------------------
// Runs.

/** The compact record of one run that the report reads (and git keeps). */
const recordPath = (arm: string, seed: number) => join(DOCS, 'runs', arm, `seed-${seed}.json`);

function jobs(tasks: number): number {
  const n = Number(flag('jobs') ?? availableParallelism());
  return Math.max(1, Math.min(tasks, n));
}

async function runArms(): Promise<void> {
  const lr = chosenLr();
  // Long arms (A10: hours) run only when named.
  const armIds = flag('arms')?.split(',') ?? STUDY_ARMS.filter((a) => !a.long).map((a) => a.id);
  const seeds = Number(flag('seeds') ?? STUDY_SEEDS);
  const tasks: (SeedTask & { arm: string })[] = [];
  for (const id of armIds) {
    const arm = STUDY_ARMS.find((a) => a.id === id);
    if (!arm) throw new Error(`unknown arm ${id}; arms: ${STUDY_ARMS.map((a) => a.id).join(', ')}`);
    const config = experiment(arm.changes, lr);
    for (let seed = 1; seed <= seeds; seed++) {
      if (existsSync(recordPath(id, seed))) continue;
      tasks.push({
        arm: id,
        config,
        seed,
        dir: join(RUNS, id, `seed-${seed}`),
        label: `${id} seed ${seed}`,
        // Only an arm that checkpoints along the way (A10) continues an interrupted run; the others start
        // over (their folders hold a final checkpoint, which must not pass for a run to continue).
        resume: config.checkpointEvery > 0,
      });
    }
  }
  log(
    `study: lr ${lr}; ${tasks.length} runs to go (${armIds.join(', ')} x ${seeds} seeds), ${jobs(tasks.length)} at a time`,
  );
  // One worker pool over every run, writing each record as soon as its run ends.
  await runInWorkers(tasks, jobs(tasks.length), {
    log,
    onOutcome: (i, outcome) => {
      const task = tasks[i];
      const record: RunRecord = {
        arm: task.arm,
        seed: task.seed,
        // The seed in the link, so the URL replays exactly this run.
        hash: serializeExperiment({ ...task.config, seed: task.seed }),
        result: outcome.result,
        error: outcome.error,
        engine: outcome.engine,
        evals: outcome.evals,
        steps: outcome.steps.map((m) => ({
          step: m.step,
          rewardMean: m.rewardMean,
          codeFrequency: m.codeFrequency,
          rolloutAccuracy: m.rolloutAccuracy,
          clipFracLow: m.clipFracLow,
          clipFracHigh: m.clipFracHigh,
          stylePCodeOld: m.stylePCodeOld,
          styleTokens: m.styleTokens,
          styleClipHigh: m.styleClipHigh,
          styleClipLow: m.styleClipLow,
          styleLogitMovePerUpdate: m.styleLogitMovePerUpdate,
          styleLogitMovePerBatch: m.styleLogitMovePerBatch,
          timeRolloutMs: m.timeRolloutMs,
          timeUpdateMs: m.timeUpdateMs,
        })),
      };
      if (outcome.result !== 'finished') {
        log(`${task.label}: ${outcome.result} (${outcome.error ?? 'no message'}); not recorded, will rerun`);
        return;
      }
      mkdirSync(join(DOCS, 'runs', task.arm), { recursive: true });
      writeFileSync(recordPath(task.arm, task.seed), `${JSON.stringify(record, jsonSafe)}\n`);
    },
  });
}

/** JSON has no NaN: write it as null (the report treats null as missing). */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

// ---------------------------------------------------------------------------------------------------
// Report.

function loadRecords(): Map<string, RunRecord[]> {
  return readStudyRecords(join(DOCS, 'runs'));
}

const PAIRS: [string, string, string][] =
  STUDY === 2
    ? [
        ['B1', 'B2', 'clip minus no clip'],
        ['B3', 'B1', 'ground truth minus random'],
      ]
    : [
        ['A1', 'A2', 'clip minus no clip'],
        ['A1', 'A3', 'eight updates minus one update per batch'],
        ['A5', 'A1', 'eps_high 0.1 minus 0.2'],
        ['A4', 'A1', 'eps_high 0.28 minus 0.2'],
        ['A6', 'A1', 'RLOO minus GRPO'],
        ['A7', 'A1', 'ground truth minus random'],
      ];

/** The decision rule of Study 1 (docs/science.md), applied to what has run; then Study 1's H6 (A10). */
function decision(records: Map<string, RunRecord[]>): string[] {
  const need = Math.ceil(0.75 * STUDY_SEEDS);
  const lines = primaryDecision(records, need);
  if (STUDY === 1)
    lines.push(
      ...paperBatchReading(new Map((records.get('A10') ?? []).map((r) => [r.seed, outcomesOf(r)])), need),
    );
  return lines;
}

function primaryDecision(records: Map<string, RunRecord[]>, need: number): string[] {
  const byArm = (id: string) => new Map((records.get(id) ?? []).map((r) => [r.seed, outcomesOf(r)]));
  const a1 = byArm(PRIMARY_CLIP);
  const a2 = byArm(PRIMARY_NO_CLIP);
  const rule = `median > 0 and >= ${need} of ${STUDY_SEEDS} seeds up, in ${PRIMARY_CLIP} and in ${PRIMARY_CLIP} - ${PRIMARY_NO_CLIP}`;
  if (a1.size < STUDY_SEEDS)
    return [`Primary rule not decidable yet: ${PRIMARY_CLIP} has ${a1.size} of ${STUDY_SEEDS} seeds.`];
  const own = distributionOf([...a1.values()].map((o) => o.greedyCode));
  const ownHolds = own.median > 0 && own.up >= need;
  const lines = [`${PRIMARY_CLIP} greedy code share change: ${formatDistribution(own)}.`];
  if (a2.size >= STUDY_SEEDS) {
    const paired = pairedDifferences(
      new Map([...a1].map(([s, o]) => [s, o.greedyCode])),
      new Map([...a2].map(([s, o]) => [s, o.greedyCode])),
    );
    const amplifies = ownHolds && paired.median > 0 && paired.up >= need;
    lines.push(
      `${PRIMARY_CLIP} minus ${PRIMARY_NO_CLIP}, paired: ${formatDistribution(paired)}.`,
      amplifies
        ? `Primary rule MET: the clip amplifies the majority style (${rule}).`
        : `Primary rule NOT met (needs ${rule}).`,
    );
  } else if (!ownHolds) {
    // The rule is a conjunction: a clip arm whose own change fails decides it, whatever the other shows.
    lines.push(
      `Primary rule NOT met: ${PRIMARY_CLIP}'s own change already fails it (needs ${rule}); ${PRIMARY_NO_CLIP} has ${a2.size} of ${STUDY_SEEDS} seeds, so the paired comparison is not reported yet.`,
    );
  } else
    lines.push(`Primary rule not decidable yet: ${PRIMARY_NO_CLIP} has ${a2.size} of ${STUDY_SEEDS} seeds.`);
  const accuracy = distributionOf([...a1.values()].map((o) => o.greedyAccuracy));
  lines.push(
    `${PRIMARY_CLIP} greedy accuracy change: ${formatDistribution(accuracy)} — ${accuracy.median > 0 && accuracy.up >= need ? 'rises by the same rule' : 'does not rise by the same rule'}.`,
  );
  return lines;
}

/**
 * H6 (docs/science.md, arm A10): A1 at the paper's 64 prompts x 16, read on its own (not paired with A1)
 * by the primary rule's first clause, its accuracy by the same rule.
 */
function paperBatchReading(a10: Map<number, Outcomes>, need: number): string[] {
  if (a10.size < STUDY_SEEDS)
    return [`H6 (A10, 64 prompts x 16) not decidable yet: ${a10.size} of ${STUDY_SEEDS} seeds.`];
  const code = distributionOf([...a10.values()].map((o) => o.greedyCode));
  const accuracy = distributionOf([...a10.values()].map((o) => o.greedyAccuracy));
  const holds = (d: Distribution) => d.median > 0 && d.up >= need;
  return [
    `H6 (A10, 64 prompts x 16): greedy code share change ${formatDistribution(code)} — ${holds(code) ? 'SUPPORTED' : 'NOT supported'} (needs median > 0 and >= ${need} of ${STUDY_SEEDS} seeds up); greedy accuracy change ${formatDistribution(accuracy)} — ${holds(accuracy) ? 'rises by the same rule' : 'does not rise by the same rule'}.`,
  ];
}

function svgStrip(title: string, rows: { label: string; values: number[] }[]): string {
  const W = 640;
  const rowH = 26;
  const left = 250;
  const H = 40 + rows.length * rowH;
  const all = rows.flatMap((r) => r.values).filter(Number.isFinite);
  const lim = Math.max(0.05, ...all.map(Math.abs));
  const x = (v: number) => left + ((v + lim) / (2 * lim)) * (W - left - 20);
  const body = rows
    .map((r, i) => {
      const y = 34 + i * rowH;
      const d = distributionOf(r.values);
      const dots = r.values
        .filter(Number.isFinite)
        .map(
          (v) =>
            `<circle cx="${x(v).toFixed(1)}" cy="${y}" r="3.5" fill="${v > 0 ? '#009E73' : v < 0 ? '#D55E00' : '#999'}" fill-opacity="0.8"/>`,
        )
        .join('');
      const med = Number.isFinite(d.median)
        ? `<line x1="${x(d.median).toFixed(1)}" y1="${y - 9}" x2="${x(d.median).toFixed(1)}" y2="${y + 9}" stroke="#0072B2" stroke-width="2"/>`
        : '';
      return `<text x="8" y="${y + 4}" font-size="11">${r.label}</text>${dots}${med}`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><title>${title}</title><text x="8" y="16" font-size="12">${title}</text><line x1="${x(0)}" y1="22" x2="${x(0)}" y2="${H - 6}" stroke="#888" stroke-dasharray="3 3"/><text x="${x(-lim)}" y="${H - 2}" font-size="10">${(-100 * lim).toFixed(0)}</text><text x="${x(lim) - 16}" y="${H - 2}" font-size="10">+${(100 * lim).toFixed(0)}</text>${body}</svg>`;
}

function report(): void {
  mkdirSync(DOCS, { recursive: true });
  const records = loadRecords();
  const lr = existsSync(CALIBRATION_FILE) ? chosenLr() : Number.NaN;
  const protocol = experiment({}, Number.isFinite(lr) ? lr : 1e-4);
  const armRows: string[] = [];
  const strips: { label: string; values: number[] }[] = [];
  const accuracyStrips: { label: string; values: number[] }[] = [];
  for (const arm of STUDY_ARMS) {
    const runs = records.get(arm.id) ?? [];
    if (runs.length === 0) {
      armRows.push(
        `| ${arm.id} | ${arm.label} | 0 | no finished run yet${arm.long ? ` (hours: \`study.ts run --arms ${arm.id}\`)` : ''} | | | |`,
      );
      continue;
    }
    const o = runs.map(outcomesOf);
    const d = (f: (x: Outcomes) => number): Distribution => distributionOf(o.map(f));
    armRows.push(
      `| ${arm.id} | ${arm.label} | ${runs.length} | ${formatDistribution(d((x) => x.greedyCode))} | ${formatDistribution(d((x) => x.pCode))} | ${formatDistribution(d((x) => x.greedyAccuracy))} | ${(100 * d((x) => x.styleClipShare).mean).toFixed(2)}% · ${d((x) => x.styleMove).mean.toFixed(3)} |`,
    );
    strips.push({ label: `${arm.id} ${arm.label}`, values: o.map((x) => x.greedyCode) });
    accuracyStrips.push({ label: `${arm.id} ${arm.label}`, values: o.map((x) => x.greedyAccuracy) });
  }
  const pairRows: string[] = [];
  for (const [a, b, label] of PAIRS) {
    const ra = records.get(a) ?? [];
    const rb = records.get(b) ?? [];
    if (!ra.length || !rb.length) {
      pairRows.push(`| ${a} − ${b} | ${label} | not run yet | | |`);
      continue;
    }
    const map = (rs: RunRecord[], f: (o: Outcomes) => number) =>
      new Map(rs.map((r) => [r.seed, f(outcomesOf(r))]));
    const code: PairedComparison = pairedDifferences(
      map(ra, (o) => o.greedyCode),
      map(rb, (o) => o.greedyCode),
    );
    const pCode = pairedDifferences(
      map(ra, (o) => o.pCode),
      map(rb, (o) => o.pCode),
    );
    const acc = pairedDifferences(
      map(ra, (o) => o.greedyAccuracy),
      map(rb, (o) => o.greedyAccuracy),
    );
    pairRows.push(
      `| ${a} − ${b} | ${label} | ${formatDistribution(code)} | ${formatDistribution(pCode)} | ${formatDistribution(acc)} |`,
    );
  }
  const perRun = [...records.entries()]
    .flatMap(([arm, runs]) =>
      runs.map((r) => {
        const o = outcomesOf(r);
        const p = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}` : 'n/a');
        return `| ${arm} | ${r.seed} | ${p(o.greedyCode)} | ${p(o.pCode)} | ${p(o.sampledCode)} | ${p(o.greedyAccuracy)} | ${p(o.sampledAccuracy)} | \`#${r.hash}\` |`;
      }),
    )
    .join('\n');
  writeFileSync(
    join(DOCS, 'greedy-code-change.svg'),
    svgStrip('Greedy code share change per seed (points; blue: median)', strips),
  );
  writeFileSync(
    join(DOCS, 'greedy-accuracy-change.svg'),
    svgStrip('Greedy accuracy change per seed (points; blue: median)', accuracyStrips),
  );
  const text = `# Study ${STUDY} — results (generated by \`npx tsx scripts/study.ts report${STUDY === 2 ? ' --study 2' : ''}\`)

Pre-registration: docs/science.md, "Study ${STUDY}". Learning rate by the pre-registered rule: **${lr}**
(docs/study${SUFFIX}/calibration.json). Changes are final eval (step ${protocol.steps}) minus the step-0 eval on the
first ${protocol.evalSize} problems of MiniMath-500, in points, as mean ± standard error (median; seeds up,
down of n). Every finished run is listed below; runs not listed have not finished.

## Decision rule

${decision(records)
  .map((l) => `- ${l}`)
  .join('\n')}

## Arms

| arm | setting | seeds | greedy code share | exact p(code) | greedy accuracy | style clip share · style logit move per update |
|---|---|---|---|---|---|---|
${armRows.join('\n')}

## Paired differences (same seeds: same prompts, same reward draws)

| pair | what | greedy code share | exact p(code) | greedy accuracy |
|---|---|---|---|---|
${pairRows.join('\n')}

![greedy code share change per seed](greedy-code-change.svg)

![greedy accuracy change per seed](greedy-accuracy-change.svg)

## Every run

| arm | seed | greedy code | p(code) | sampled code | greedy accuracy | sampled accuracy | experiment (replay with \`npm run lab -- run --url '#…'\`) |
|---|---|---|---|---|---|---|---|
${perRun}
`;
  writeFileSync(join(DOCS, 'results.md'), text);
  log(`wrote ${join(DOCS, 'results.md')}`);
  process.stdout.write(`${decision(records).join('\n')}\n`);
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'calibrate') await calibrate();
  else if (command === 'run') await runArms();
  else if (command === 'report') report();
  else
    throw new Error(
      'usage: npx tsx scripts/study.ts calibrate | run [--arms A1,A2] [--jobs N] [--seeds 8] | report',
    );
}

main().catch((error: unknown) => {
  console.error(`study: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
