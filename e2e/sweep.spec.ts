// e2e: a 3-seed sweep in the page, one seed at a time (the CPU engine), then the same sweep again with
// two seeds computed at once (one training Worker each) and a reload in the middle of it: Play after the
// reload resumes every unfinished seed from its checkpoint and starts any that never started, and every
// seed ends with the same metrics as in the first, uninterrupted, sequential sweep. Then a 2-seed sweep
// on WebGPU (SwiftShader here): two seeds at once share one Worker and one device and end with the
// metrics each had computed alone. And one link computed in the page and by the CLI gives the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { clearSavedRuns } from './savedRuns';

// Tiny steps on the CPU engine (auto picks it over SwiftShader); a checkpoint every 2 steps.
const SWEEP =
  './#v=1&reward=random&prompts=2&group=2&minibatch=4&maxtokens=16&steps=12&evalevery=4&evalsize=4&avgk=1&seeds=3&seed=11&ckpt=2';

interface ExportedRun {
  run: { name: string; seed: number; sweepId: string | null; state: string };
  steps: Record<string, unknown>[];
  evals: Record<string, unknown>[];
}

/** Every run, from the Runs panel's "Export all runs" (what a user would download). */
async function exportedRuns(page: Page): Promise<ExportedRun[]> {
  await page.getByRole('tab', { name: /Runs/ }).click();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export all runs' }).click();
  return JSON.parse(readFileSync(await (await download).path(), 'utf8')).runs;
}

/** A step's metrics without the wall-clock fields, which differ between any two runs. */
function deterministic(step: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(step).filter(([k]) => !/^time|PerSec$/.test(k)));
}

/** Seed -> its steps and evals, for the runs whose name marks them as this sweep. */
function bySeed(runs: ExportedRun[], which: (name: string) => boolean) {
  return Object.fromEntries(
    runs
      .filter((r) => which(r.run.name))
      .map((r) => [r.run.seed, { steps: r.steps.map(deterministic), evals: r.evals, state: r.run.state }]),
  );
}

/** One seed of an experiment link computed by the CLI in Node (`npm run lab -- run --url`): its steps and evals. */
function cliRun(link: string, seed: number) {
  const out = mkdtempSync(join(tmpdir(), 'lab-e2e-cli-'));
  try {
    const hash = link.slice(link.indexOf('#'));
    execFileSync(
      'npx',
      [
        'tsx',
        'src/cli/lab.ts',
        'run',
        '--url',
        hash,
        '--seeds',
        '1',
        '--set',
        `seed=${seed}`,
        '--quiet',
        '--out',
        out,
      ],
      {
        stdio: 'pipe',
      },
    );
    const events = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    return {
      steps: events.filter((e) => e.type === 'step').map((e) => deterministic(e.metrics)),
      evals: events.filter((e) => e.type === 'eval').map((e) => e.metrics),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function runStates(page: Page): Promise<string[]> {
  await page.getByRole('tab', { name: /Runs/ }).click();
  return page.getByTestId('run-row').locator('td:nth-child(4)').allTextContents();
}

test.setTimeout(600_000);

test('a 3-seed sweep two seeds at once, reloaded mid-sweep, matches the sequential sweep seed for seed', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(SWEEP);
  await clearSavedRuns(page);
  await page.reload();
  await page.getByRole('tab', { name: /Runs/ }).click();
  await page.getByTestId('seeds-at-once').selectOption('1');

  // The uninterrupted sweep, one seed after another: the reference every seed is compared with.
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect
    .poll(() => runStates(page), { timeout: 300_000 })
    .toEqual(['finished', 'finished', 'finished']);
  // The charts say once what their lines are over.
  await expect(page.getByTestId('chart-reward').getByTestId('chart-seeds')).toContainText('mean of 3 seeds');

  // The same sweep again (a new run of each seed), two seeds side by side, reloaded while they compute.
  await page.getByTestId('seeds-at-once').selectOption('2');
  // Reload as soon as the shown seed is past its first step while two seeds run and the third has not
  // started, checked every frame from before Play is pressed: a check begun after the sweep had started
  // could come too late on a fast machine, and without the third condition the page could show the third
  // seed with the other two finished (seen once in 14 runs: paused, finished, finished), leaving no seed
  // that never started to test.
  const midSweep = page.waitForFunction(
    () => {
      const text = document.querySelector('[data-testid="progress-text"]')?.textContent ?? '';
      // This sweep's three rows, newest first, in the Runs tab that is open.
      const states = [...document.querySelectorAll('[data-testid="run-row"] td:nth-child(4)')]
        .slice(0, 3)
        .map((cell) => cell.textContent);
      return (
        /Step ([1-9]|10) \/ 12 · running/.test(text) &&
        states.filter((state) => state === 'running').length === 2 &&
        states.includes('idle')
      );
    },
    undefined,
    { polling: 'raf', timeout: 120_000 },
  );
  await page.getByRole('button', { name: '▶ Play' }).click();
  await midSweep;
  await page.reload();
  // The saved runs load from IndexedDB after the page starts: wait for all six rows before reading them
  // (read at once, a slow machine saw an empty or partial list).
  await page.getByRole('tab', { name: /Runs/ }).click();
  await expect(page.getByTestId('run-row')).toHaveCount(6);
  const interrupted = (await runStates(page)).slice(0, 3); // newest first
  // The seed on screen was mid-run and the third had not started (two at once): both come back paused.
  // The other seed computed beside the one on screen, usually paused too, may have finished on a machine
  // that gave its worker more time.
  expect(
    interrupted.every((state) => state === 'paused' || state === 'finished'),
    interrupted.join(),
  ).toBe(true);
  expect(interrupted.filter((state) => state === 'paused').length, interrupted.join()).toBeGreaterThanOrEqual(
    2,
  );
  await expect(page.getByTestId('seeds-at-once')).toHaveValue('2'); // the preference survives too
  // The page says it resumes (or restarts a seed without a checkpoint): watched every frame from before
  // Play, since on a fast machine the note can come and go between two polls of an assertion.
  const resumeNote = page.waitForFunction(
    () =>
      [...document.querySelectorAll('[role="status"]')].some((el) =>
        /Resuming from the checkpoint|restarting/.test(el.textContent ?? ''),
      ),
    undefined,
    { polling: 'raf', timeout: 60_000 },
  );
  await page.getByRole('button', { name: '▶ Play' }).click();
  await resumeNote;
  await expect
    .poll(() => runStates(page), { timeout: 300_000 })
    .toEqual(['finished', 'finished', 'finished', 'finished', 'finished', 'finished']);

  const runs = await exportedRuns(page);
  expect(runs).toHaveLength(6);
  const first = bySeed(runs, (name) => !name.includes('#2'));
  const second = bySeed(runs, (name) => name.includes('#2'));
  expect(Object.keys(first)).toEqual(['11', '12', '13']);
  expect(Object.keys(second)).toEqual(['11', '12', '13']);
  for (const seed of ['11', '12', '13']) {
    expect(second[seed].steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(second[seed].steps, `seed ${seed} steps`).toEqual(first[seed].steps);
    expect(second[seed].evals, `seed ${seed} evals`).toEqual(first[seed].evals);
  }
  await page.screenshot({ path: 'e2e/artifacts/sweep-resumed.png' });
  expect(errors).toEqual([]);
});

test('a link computes the same run in the page and in the CLI (CPU engine, Chromium vs Node)', async ({
  page,
}) => {
  // One seed of a short link in the page, then with `npm run lab -- run --url` (Node's V8 instead of
  // Chromium's: their Math.exp and Math.log differ, the engine's fdlibm ones do not). Every metric, field
  // for field, so a link shared from the page replays in the CLI and the other way round.
  const link =
    './#v=1&reward=random&prompts=2&group=4&minibatch=4&maxtokens=24&steps=6&evalevery=3&evalsize=6&avgk=2&seed=31';
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(link);
  await clearSavedRuns(page);
  await page.reload();
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(() => runStates(page), { timeout: 240_000 }).toEqual(['finished']);
  const [inPage] = await exportedRuns(page);
  const cli = cliRun(link, 31);
  // (metrics.jsonl writes an undefined accuracy, NaN, as "NaN"; the page's export as null.)
  const nan = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('"NaN"', 'null'));
  expect(cli.steps.length).toBe(6);
  expect(nan(cli.steps), 'steps').toEqual(nan(inPage.steps.map(deterministic)));
  expect(nan(cli.evals), 'evals').toEqual(nan(inPage.evals));
  expect(errors).toEqual([]);
});

test('on WebGPU two seeds at once share one Worker and device, with the metrics each has alone', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // 'auto' would pick the CPU engine on SwiftShader (a software adapter); this test is about WebGPU.
  await page.goto(
    './#v=1&reward=random&prompts=2&group=2&minibatch=4&maxtokens=16&steps=4&evalevery=4&evalsize=4&avgk=1&seeds=2&seed=21&ckpt=2&backend=webgpu',
  );
  await clearSavedRuns(page);
  await page.reload();
  // The page routes a run by the adapter it found: wait for it, as a user waits for the badge.
  await expect(page.getByTestId('device-badge')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('device-badge')).toContainText('WebGPU');
  await page.getByRole('tab', { name: /Runs/ }).click();

  // Reference: one seed at a time.
  await page.getByTestId('seeds-at-once').selectOption('1');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(() => runStates(page), { timeout: 300_000 }).toEqual(['finished', 'finished']);

  // Both seeds at once: one training Worker computes them (a CPU sweep has one Worker per seed).
  await page.getByTestId('seeds-at-once').selectOption('2');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect(page.getByTestId('progress-text')).toContainText('(2 running)', { timeout: 120_000 });
  expect(page.workers()).toHaveLength(1);
  await expect
    .poll(() => runStates(page), { timeout: 300_000 })
    .toEqual(['finished', 'finished', 'finished', 'finished']);

  const runs = await exportedRuns(page);
  const alone = bySeed(runs, (name) => !name.includes('#2'));
  const shared = bySeed(runs, (name) => name.includes('#2'));
  expect(Object.keys(shared)).toEqual(['21', '22']);
  for (const seed of ['21', '22']) {
    expect(shared[seed].steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    expect(shared[seed].steps, `seed ${seed} steps`).toEqual(alone[seed].steps);
    expect(shared[seed].evals, `seed ${seed} evals`).toEqual(alone[seed].evals);
  }
  expect(errors).toEqual([]);
});
