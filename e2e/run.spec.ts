// e2e: a real GRPO run in the page — the training Worker on WebGPU (SwiftShader here) with the shipped
// qwen-math-tiny, opened from the Figure 1 random-reward preset link shrunk to six tiny steps. Play →
// charts get points, the inspector shows completions, progress advances; pause holds the step count and
// play resumes; a reload mid-run keeps the run and its metrics and play resumes it from its checkpoint
// to the end; the CSV export holds every step once; the final checkpoint exports as Hugging Face files.
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { clearSavedRuns } from './savedRuns';

/**
 * The Figure 1 random-reward preset's link, as the gallery gives it, shrunk to six tiny steps so a run
 * fits a software GPU: the preset's own keys stay, the size knobs are overridden.
 */
async function tinyPresetUrl(page: Page): Promise<string> {
  await page.goto('./');
  await page.getByRole('tab', { name: 'Presets' }).click();
  const href = await page.locator('a[data-preset="fig1-random"]').first().getAttribute('href');
  expect(href).toMatch(/^#v=1&/);
  const params = new URLSearchParams(href!.slice(1));
  const tiny = {
    prompts: 2,
    group: 4,
    minibatch: 4,
    epochs: 1,
    maxtokens: 48,
    steps: 6,
    evalevery: 2,
    evalsize: 4,
    avgk: 1,
    ckpt: 1,
    seeds: 1,
    // 'auto' would pick the CPU engine on SwiftShader (a software adapter); this test is about WebGPU.
    backend: 'webgpu',
  };
  for (const [key, value] of Object.entries(tiny)) params.set(key, String(value));
  return `./#${params.toString()}`;
}

/** Steps done, read from the progress text "Step N / 6 · state …". */
async function stepsDone(page: Page): Promise<number> {
  // A run that failed (e.g. the zoo model is missing from public/models/) fails the test at once, saying why.
  const error = page.locator('.run-message--error');
  if (await error.count()) throw new Error(`the run failed: ${await error.textContent()}`);
  const text = (await page.getByTestId('progress-text').textContent()) ?? '';
  const match = /Step (\d+) \//.exec(text);
  return match ? Number(match[1]) : -1;
}

test.setTimeout(600_000);

test('a real run: play (space), live charts and completions, pause/resume, reload mid-run, exports, step (s)', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const url = await tinyPresetUrl(page);
  expect(url).toContain('reward=random');
  await page.goto(url);
  await clearSavedRuns(page);
  await page.reload();
  await expect(page.getByTestId('url-banner')).toHaveCount(0);
  await expect(page.getByRole('button', { name: '▶ Play' })).toBeEnabled();
  await page.keyboard.press('Space'); // the play/pause shortcut

  // Within a few steps: points in the charts, completions in the inspector, progress moving.
  await expect.poll(() => stepsDone(page), { timeout: 300_000 }).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('chart-reward')).not.toHaveAttribute('data-points', '0');
  await expect(page.getByTestId('chart-accuracy')).not.toHaveAttribute('data-points', '0');
  await expect(page.getByTestId('completion').first()).toBeVisible();
  await page.screenshot({ path: 'e2e/artifacts/run-live.png' });

  // Pause holds the step count; play resumes.
  await page.getByRole('button', { name: /Pause/ }).click();
  await expect(page.getByTestId('progress-text')).toContainText(/paused|finished/, { timeout: 300_000 });
  const pausedAt = await stepsDone(page);
  await page.waitForTimeout(3000);
  expect(await stepsDone(page)).toBe(pausedAt);
  expect(pausedAt).toBeLessThan(6); // the run must still be mid-way for the reload below
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(() => stepsDone(page), { timeout: 300_000 }).toBeGreaterThan(pausedAt);

  // Reload mid-run (paused again so it cannot finish first): the run and its metrics are still there,
  // and play resumes it from its last checkpoint to the end.
  await page.getByRole('button', { name: /Pause/ }).click();
  await expect(page.getByTestId('progress-text')).toContainText('paused', { timeout: 300_000 });
  const beforeReload = await stepsDone(page);
  await page.reload();
  await page.getByRole('tab', { name: /Runs/ }).click();
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await expect(page.getByTestId('progress-text')).toContainText('paused');
  expect(await stepsDone(page)).toBe(beforeReload);
  await expect(page.getByTestId('chart-reward')).not.toHaveAttribute('data-points', '0');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Resuming from the checkpoint' })).toBeVisible();
  await expect(page.getByTestId('progress-text')).toContainText('finished', { timeout: 300_000 });
  expect(await stepsDone(page)).toBe(6);
  await page.screenshot({ path: 'e2e/artifacts/run-finished.png', fullPage: true });

  // The CSV export has one row per step (0..5; resumed steps replaced, not repeated) plus the initial eval.
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const csv = readFileSync(await (await download).path(), 'utf8')
    .trim()
    .split('\n');
  const stepColumn = csv[0].split(',').indexOf('step');
  const steps = csv.slice(1).map((line) => Number(line.split(',')[stepColumn]));
  expect(steps.slice(1)).toEqual([0, 1, 2, 3, 4, 5]);

  // The final checkpoint exports as Hugging Face files: a safetensors file and a Qwen2 config.json.
  const files = new Map<string, string>();
  page.on('download', async (d) => files.set(d.suggestedFilename(), await d.path()));
  await page.getByTestId('export-checkpoint').click();
  await expect.poll(() => files.size, { timeout: 60_000 }).toBe(5);
  const config = JSON.parse(readFileSync(files.get('config.json')!, 'utf8'));
  expect(config.architectures).toEqual(['Qwen2ForCausalLM']);
  const weights = readFileSync(files.get('model.safetensors')!);
  const headerLength = Number(weights.readBigUInt64LE(0));
  const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8'));
  expect(header.__metadata__.step).toBe('6');
  expect(Object.keys(header)).toContain('model.embed_tokens.weight');

  // Reset, then "s": a new run that does exactly one step and waits, paused.
  await page.keyboard.press('r');
  await expect(page.getByTestId('progress-text')).toHaveText('No run yet');
  await page.keyboard.press('s');
  await expect(page.getByTestId('progress-text')).toContainText(/^Step 1 \/ 6 · paused/, {
    timeout: 300_000,
  });
  await page.waitForTimeout(3000);
  expect(await stepsDone(page)).toBe(1);
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  expect(errors).toEqual([]);
});

test('1280x720 with the engine notice shown: one screen, the notice said once, the first charts in view', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.setViewportSize({ width: 1280, height: 720 });
  // backend auto on SwiftShader: the CPU engine, with the notice saying why. Long enough to stay running.
  await page.goto('./#v=1&reward=random&prompts=2&group=2&minibatch=4&maxtokens=16&steps=400&evalsize=4');
  await page.getByRole('button', { name: '▶ Play' }).click();
  // The engine notice, not the other run-bar lines (a max-tokens warning shows up too at 16 tokens).
  const message = page.locator('.run-message').filter({ hasText: 'Running on' });
  await expect(message).toContainText('Running on the CPU engine', { timeout: 120_000 });
  // Once: the backend's notice names the engine, nothing repeats it in front.
  expect(((await message.textContent()) ?? '').match(/Running on/g)).toHaveLength(1);
  // The page is one screen: the notice shrinks the panes instead of pushing the charts down.
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollHeight - window.innerHeight,
    message: Math.max(
      ...[...document.querySelectorAll('.run-message')].map((e) => e.getBoundingClientRect().bottom),
    ),
    firstRow: [...document.querySelectorAll('figure.chart')]
      .slice(0, 3)
      .map((e) => e.getBoundingClientRect().bottom),
  }));
  expect(layout.scroll).toBeLessThanOrEqual(0);
  expect(layout.message).toBeLessThanOrEqual(720);
  for (const bottom of layout.firstRow) expect(bottom).toBeLessThanOrEqual(720);
  // Every chart is still reachable: the charts pane scrolls to the last one.
  const last = page.locator('figure.chart').last();
  await last.scrollIntoViewIfNeeded();
  await expect(last).toBeInViewport();
  await page.screenshot({ path: 'e2e/artifacts/run-notice-1280x720.png' });
  await page.getByRole('button', { name: /Pause/ }).click();
  expect(errors).toEqual([]);
});
