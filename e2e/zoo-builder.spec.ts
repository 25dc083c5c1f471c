// e2e: "Build a family" in the real page. A tiny family (CPU engine, a few dozen steps, a 3-problem
// measurement) starts building in its Web Worker, its progress moves, Pause holds it, a reload mid-build
// keeps the progress checkpoint so the build resumes from it, and the finished family's card survives a
// reload.
import { expect, type Page, test } from '@playwright/test';

async function openBuilder(page: Page) {
  await page.getByRole('button', { name: 'Build a family' }).click();
  const drawer = page.getByRole('complementary', { name: 'Build a family' });
  await expect(drawer).toBeVisible();
  return drawer;
}

/** The step shown in the progress text ("step 12/40 · loss …"), or -1 when none is shown. */
async function shownStep(page: Page): Promise<number> {
  const text = (await page.getByTestId('zoo-progress-text').textContent()) ?? '';
  const match = /step (\d+)\//.exec(text);
  return match ? Number(match[1]) : -1;
}

test('build a tiny family, reload mid-build, resume, and keep its card', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('./');
  let drawer = await openBuilder(page);

  // An invalid name is refused before anything runs.
  await drawer.getByLabel('family name').fill('X');
  await expect(drawer.getByTestId('zoo-problems')).toContainText('name must be');
  await expect(drawer.getByRole('button', { name: 'Build', exact: true })).toBeDisabled();

  await drawer.getByLabel('start from').selectOption('llama-tiny');
  await drawer.getByLabel('family name').fill('e2e-tiny');
  await drawer.getByLabel('steps', { exact: true }).fill('80');
  await drawer.getByLabel('eval problems').fill('3');
  await drawer.getByLabel('samples per problem').fill('1');
  await drawer.getByLabel('engine').selectOption('cpu');
  await expect(drawer.getByTestId('zoo-problems')).toHaveCount(0);
  await drawer.getByRole('button', { name: 'Build', exact: true }).click();

  // Progress moves: the step count rises, with loss, tokens/s and an ETA.
  const progress = drawer.getByTestId('zoo-progress-text');
  await expect(progress).toContainText(/step \d+\/80 · loss \d+\.\d+ · \d+\.\d+k tok\/s · ETA/);
  const early = await shownStep(page);
  await expect.poll(() => shownStep(page), { timeout: 60_000 }).toBeGreaterThan(early);
  // Pause holds the step count still; Resume carries on.
  await drawer.getByRole('button', { name: 'Pause' }).click();
  await expect(drawer.getByTestId('zoo-progress')).toContainText('e2e-tiny: paused');
  const held = await shownStep(page);
  await page.waitForTimeout(1500);
  expect(await shownStep(page)).toBeLessThanOrEqual(held + 1);
  await drawer.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect.poll(() => shownStep(page), { timeout: 60_000 }).toBeGreaterThan(held + 1);
  // Past the first progress checkpoint (every 25 steps), reload: the build is interrupted there.
  await expect.poll(() => shownStep(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(26);
  await page.reload();
  drawer = await openBuilder(page);
  const family = drawer.getByTestId('zoo-family-e2e-tiny');
  await expect(family.getByTestId('zoo-family-status')).toHaveText('interrupted');
  // Interrupted at its latest progress checkpoint (one every 25 steps).
  const saved = Number(/step (\d+)\/80/.exec((await family.textContent()) ?? '')?.[1]);
  expect([25, 50, 75]).toContain(saved);

  // Resume continues from that checkpoint, not from scratch.
  await family.getByRole('button', { name: 'Resume build' }).click();
  await expect(progress).toContainText(/step \d+\/80/);
  expect(await shownStep(page)).toBeGreaterThan(saved);
  await expect(family.getByTestId('zoo-family-status')).toHaveText('built', { timeout: 120_000 });
  const card = family.getByTestId('zoo-card');
  await expect(card).toContainText('MiniMath-500 (first 3), 1 samples each');
  await expect(card).toContainText('80 steps');
  // The resumed session ran on the engine chosen at the start, not the page's default (auto).
  await expect(card).toContainText('loss');
  await expect(card).toContainText(/, cpu, /);

  // The built family and its card survive a reload, downloadable as HF files.
  await page.reload();
  drawer = await openBuilder(page);
  const again = drawer.getByTestId('zoo-family-e2e-tiny');
  await expect(again.getByTestId('zoo-family-status')).toHaveText('built');
  await expect(again.getByTestId('zoo-card')).toContainText('80 steps');
  const download = page.waitForEvent('download');
  await again.getByRole('button', { name: 'Download HF files' }).click();
  expect((await download).suggestedFilename()).toBe('config.json');
  await drawer.evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: 'e2e/artifacts/zoo-builder.png' });

  // The built family trains with GRPO like a shipped one: its name in the experiment is enough.
  await page.goto(
    './#v=1&model=e2e-tiny&reward=format&prompts=2&group=4&minibatch=4&maxtokens=16&steps=1&evalevery=0&evalsize=2&avgk=1&backend=cpu&seed=1',
  );
  await page.reload();
  // The experiment panel suggests it next to the shipped families and shows its card from IndexedDB.
  await expect(page.locator('datalist option[value="e2e-tiny"]')).toHaveCount(1);
  await expect(page.locator('datalist option[value="qwen-math-tiny"]')).toHaveCount(1);
  await expect(page.getByTestId('model-card')).toContainText('user family started from llama-tiny');
  await page.screenshot({ path: 'e2e/artifacts/zoo-built-family-card.png' });
  await page.getByRole('button', { name: /Play/ }).click();
  await expect(page.getByTestId('progress-text')).toContainText(/Step 1 \/ 1/, { timeout: 120_000 });
  await expect(page.locator('.run-message--error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
