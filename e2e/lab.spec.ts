// e2e: the lab page in real Chromium (WebGPU on SwiftShader) without training: the 1280x720 layout,
// malformed and hostile experiment links, copy-link round trip, presets, the Learn panel's clip plot,
// keyboard shortcuts, and runs surviving a reload (IndexedDB). Screenshots go to e2e/artifacts/.
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { runStyleToySeeds, STYLE_TOY_DEFAULTS } from '../src/rl/styleToy';
import { CHART_SPECS } from '../src/ui/charts/chartSpecs';
import { clearSavedRuns } from './savedRuns';

/** Page errors and console errors, except missing optional files (a model card not published yet). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes('404')) errors.push(msg.text());
  });
  return errors;
}

test('@smoke the lab layout fits 1280x720: experiment panel, run bar, charts, inspector', async ({
  page,
}, testInfo) => {
  const errors = collectErrors(page);
  await page.goto('./');
  await expect(page.getByRole('heading', { name: 'Spurious Rewards Lab' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Experiment' })).toHaveAttribute('aria-selected', 'true');
  // Controls come from the field-spec table: the basic knobs are visible with the paper's values.
  await expect(page.getByLabel('Model family')).toBeVisible();
  await expect(page.locator('[data-field="reward"]')).toContainText('Paper:');
  await expect(page.locator('[data-field="groupSize"] input')).toHaveValue('16');
  for (const name of ['▶ Play', 'Step', 'Reset'])
    await expect(page.getByRole('button', { name })).toBeVisible();
  await expect(page.getByTestId('progress-text')).toHaveText('No run yet');
  await expect(page.getByTestId('device-badge')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('figure.chart')).toHaveCount(CHART_SPECS.length);
  await expect(page.getByTestId('rollout-inspector')).toBeVisible();
  // Nothing overflows sideways at 1280 px.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `e2e/artifacts/lab-layout-${testInfo.project.name}.png` });
  expect(errors).toEqual([]);
});

test('a malformed, hostile link opens with a banner listing each bad field, defaults used, no script run', async ({
  page,
}) => {
  const errors = collectErrors(page);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const hostile = encodeURIComponent(
    '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
  );
  await page.goto(
    `./#v=1&group=abc&reward=not_a_reward&steps=-5&lr=1e9&model=${hostile}&bogus=1&temp=NaN&seed=7`,
  );
  const banner = page.getByTestId('url-banner');
  await expect(banner).toBeVisible();
  const rows = banner.getByTestId('url-error');
  const fields = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
  for (const field of ['groupSize', 'reward', 'steps', 'lr', 'model', 'temperature'])
    expect(fields).toContain(field);
  await expect(banner.locator('[data-field="groupSize"]')).toContainText('not a number');
  await expect(banner.locator('[data-field="steps"]')).toContainText('out of range');
  await expect(banner).toContainText('bogus');
  // The hostile value is shown as inert text, and the controls fall back to the defaults.
  await expect(banner.locator('[data-field="model"]')).toContainText('\\u003cimg');
  await expect(page.locator('[data-field="groupSize"] input')).toHaveValue('16');
  await expect(page.locator('[data-field="model"] input')).toHaveValue('qwen-math-tiny');
  await expect(page.locator('[data-field="seed"] input')).toHaveValue('7'); // good fields still apply
  // The address bar holds what was loaded, not the refused text (the banner keeps that).
  const hash = await page.evaluate(() => location.hash);
  expect(hash).toContain('seed=7');
  expect(hash).not.toContain('group=abc');
  expect(hash).not.toContain('bogus');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(dialogs).toEqual([]);
  await page.screenshot({ path: 'e2e/artifacts/lab-bad-url.png' });
  // Dismissing keeps the page usable.
  await banner.getByRole('button', { name: /dismiss/i }).click();
  await expect(banner).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('edits go into the URL, and the copied link reopens the same experiment', async ({ page, context }) => {
  await page.goto('./#v=1&reward=random&gamma=0.3&seed=11');
  await expect(page.locator('[data-field="reward"] input')).toHaveValue('random');
  const group = page.locator('[data-field="groupSize"] input');
  await group.fill('8');
  await group.press('Enter');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('group=8');
  // A refused value says why and leaves the config as it was.
  await group.fill('banana');
  await group.press('Enter');
  await expect(page.locator('[data-field="groupSize"] [role="alert"]')).toContainText('not a number');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('group=8');
  // While it is on screen nothing can be shared; back to a valid value, the link is offered again.
  await expect(page.getByRole('button', { name: 'Copy link' })).toBeDisabled();
  await group.fill('8');
  await group.press('Enter');

  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toContain('gamma=0.3');
  expect(link).toContain('seed=11');
  const reopened = await context.newPage();
  await reopened.goto(link);
  await expect(reopened.locator('[data-field="reward"] input')).toHaveValue('random');
  await expect(reopened.locator('[data-field="gamma"] input')).toHaveValue('0.3');
  await expect(reopened.locator('[data-field="groupSize"] input')).toHaveValue('8');
  await expect(reopened.locator('[data-field="seed"] input')).toHaveValue('11');
  await expect(reopened.getByTestId('url-banner')).toHaveCount(0);
});

test('hide= keys hide controls for classroom embeds', async ({ page }) => {
  await page.goto('./#v=1&reward=random&hide=reward,gamma,seed');
  await expect(page.locator('[data-field="groupSize"]')).toBeVisible();
  await expect(page.locator('[data-field="reward"]')).toHaveCount(0);
  await expect(page.locator('[data-field="gamma"]')).toHaveCount(0);
  await expect(page.locator('[data-field="seed"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Copy link' }).click();
  expect(await page.getByTestId('share-link').inputValue()).toContain('hide=reward,gamma,seed');
  // The projected page still names what is being tested, read-only.
  await expect(page.getByTestId('classroom-summary')).toHaveText(
    /This lesson fixes Reward: random · .*γ.*: 0\.5 · Seed: 1/,
  );
  // Presets and the Learn panel's links keep the hidden controls hidden.
  await page.getByRole('tab', { name: 'Presets' }).click();
  const presetLink = page.locator('a.preset-link').first();
  expect(await presetLink.getAttribute('href')).toContain('hide=reward,gamma,seed');
  await presetLink.click();
  await expect(page.locator('[data-field="reward"]')).toHaveCount(0);
  expect(page.url()).toContain('hide=reward,gamma,seed');
  await page.getByRole('tab', { name: 'Learn' }).click();
  expect(
    await page.getByTestId('learn-panel').locator('a[data-preset]').first().getAttribute('href'),
  ).toContain('hide=reward,gamma,seed');
});

test('a preset is one click: the experiment loads from its link', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('tab', { name: 'Presets' }).click();
  await expect(page.getByTestId('presets-gallery')).toContainText('Figure 1');
  await page.locator('[data-preset="fig1-random"]').first().click();
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('reward=random');
  await page.getByRole('tab', { name: 'Experiment' }).click();
  await expect(page.locator('[data-field="reward"] input')).toHaveValue('random');
  await page.screenshot({ path: 'e2e/artifacts/lab-preset.png' });
});

test('Learn panel: the pi_old slider moves the clip band; 0.85 can only be stopped going down', async ({
  page,
}) => {
  await page.goto('./');
  await expect(page.getByTestId('lab-app')).toBeVisible(); // the shortcut listener is attached on mount
  await page.keyboard.press('3'); // shortcut for the Learn panel
  await expect(page.getByTestId('learn-panel')).toContainText('What the paper claims');
  const verdict = page.getByTestId('clip-verdict');
  await expect(page.getByTestId('clip-pi-old')).toHaveText('0.85');
  await expect(verdict).toHaveAttribute('data-upper-reachable', 'false');
  await expect(verdict).toContainText('1.02 is above 1 and can never be reached');
  await page.screenshot({ path: 'e2e/artifacts/lab-learn-085.png' });
  await page.getByTestId('clip-slider').fill('0.3');
  await expect(page.getByTestId('clip-pi-old')).toHaveText('0.30');
  await expect(verdict).toHaveAttribute('data-upper-reachable', 'true');
  await expect(verdict).toContainText('[0.24, 0.36]');
  await expect(page.getByTestId('learn-panel').locator('a[data-preset="mechanism-no-clip"]')).toBeVisible();
});

test('Learn panel: the live toy runs 40 seeds and redraws when the clip is switched off', async ({
  page,
}) => {
  // The page must show what the toy's core computes for the same settings (no numbers typed in here).
  const expected = (clip: boolean) => {
    const s = runStyleToySeeds({ ...STYLE_TOY_DEFAULTS, clip }, 40);
    return `median ${s.medianEnd.toFixed(2)}, mean ${s.meanEnd.toFixed(2)}; ${s.up} of 40 seeds up, ${s.down} down`;
  };
  await page.goto('./');
  await expect(page.getByTestId('lab-app')).toBeVisible();
  await page.keyboard.press('3');
  const verdict = page.getByTestId('toy-verdict');
  await expect(verdict).toContainText(expected(true));
  await expect(page.getByTestId('toy-strip').locator('circle')).toHaveCount(40);
  await page.getByTestId('style-toy').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'e2e/artifacts/lab-learn-toy.png' });
  await page.getByTestId('style-toy').getByLabel('clip', { exact: true }).uncheck();
  await expect(verdict).toContainText(expected(false));
});

test('keyboard: the first Tab offers "Skip to the charts", which keeps the experiment in the address bar', async ({
  page,
}) => {
  await page.goto('./#v=1&reward=random&seed=3');
  await expect(page.getByTestId('lab-app')).toBeVisible();
  const before = page.url();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('skip-to-charts')).toBeFocused();
  // A focus ring of at least 3:1 on white (WCAG 2.2 focus appearance): #a35200.
  const outline = await page
    .getByTestId('skip-to-charts')
    .evaluate((el) => getComputedStyle(el).outlineColor);
  expect(outline).toBe('rgb(163, 82, 0)');
  await page.keyboard.press('Enter');
  await expect(page.locator('#charts')).toBeFocused();
  expect(page.url()).toBe(before);
  const favicon = await page.request.get('./favicon.svg');
  expect(favicon.status()).toBe(200);
});

test('a model name this browser has no files for blocks Play at once, next to the field', async ({
  page,
}) => {
  await page.goto('./#v=1&model=gpt-5');
  await expect(page.getByTestId('lab-app')).toBeVisible();
  await expect(page.locator('[data-field="model"] .field-problem')).toContainText('not a shipped family');
  await expect(page.getByRole('button', { name: '▶ Play' })).toBeDisabled();
  await expect(page.getByTestId('run-blocked')).toContainText('"gpt-5"');
  const model = page.locator('[data-field="model"] input');
  await model.fill('llama-tiny');
  await model.press('Enter');
  await expect(page.getByTestId('run-blocked')).toHaveCount(0);
  await expect(page.getByRole('button', { name: '▶ Play' })).toBeEnabled();
});

test('a refused value blocks Play, Step and Copy link with the reason until it is fixed', async ({
  page,
}) => {
  await page.goto('./');
  await expect(page.getByTestId('lab-app')).toBeVisible();
  const group = page.locator('[data-field="groupSize"] input');
  await group.fill('1');
  await group.press('Enter');
  await expect(page.locator('[data-field="groupSize"] .field-problem')).toBeVisible();
  await expect(page.getByRole('button', { name: '▶ Play' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Step' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Copy link' })).toBeDisabled();
  await expect(page.getByTestId('run-blocked')).toContainText('"1"');
  // The address bar never took the refused value.
  expect(page.url()).not.toContain('group=1');
  await page.keyboard.press('Escape');
  await page.locator('body').click();
  await page.keyboard.press(' ');
  await expect(page.getByTestId('progress-text')).toHaveText('No run yet');
  await group.fill('8');
  await group.press('Enter');
  await expect(page.getByTestId('run-blocked')).toHaveCount(0);
  await expect(page.getByRole('button', { name: '▶ Play' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Copy link' })).toBeEnabled();
});

for (const [width, height] of [
  [390, 844],
  [1280, 720],
  [1920, 1080],
] as const)
  test(`layout at ${width}x${height}: nothing wider than the screen, every chart readable`, async ({
    page,
  }) => {
    await page.setViewportSize({ width, height });
    await page.goto('./#v=1&reward=random');
    await expect(page.getByTestId('lab-app')).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // No chart is squeezed into a sliver (the phone layout once gave 10-px columns).
    const widths = await page
      .locator('figure.chart')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(Math.min(...widths)).toBeGreaterThan(Math.min(250, width - 40));
    await page.screenshot({ path: `e2e/artifacts/layout-${width}x${height}.png`, fullPage: width < 600 });
  });

test('keyboard: p toggles projector mode, ? lists the shortcuts', async ({ page }) => {
  await page.goto('./');
  await expect(page.getByTestId('lab-app')).toBeVisible();
  await page.keyboard.press('p');
  await expect(page.getByTestId('lab-app')).toHaveClass(/app--projector/);
  await page.screenshot({ path: 'e2e/artifacts/lab-projector.png' });
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText('play / pause');
  await page.keyboard.press('p');
  await expect(page.getByTestId('lab-app')).not.toHaveClass(/app--projector/);
});

test('imported runs are saved in IndexedDB and survive a reload, charts included', async ({ page }) => {
  await page.goto('./');
  await clearSavedRuns(page);
  await page.reload();
  const runsFile = readFileSync('e2e/fixtures/two-runs.json');
  await page.getByRole('tab', { name: /Runs/ }).click();
  await page
    .getByTestId('import-runs')
    .setInputFiles({ name: 'runs.json', mimeType: 'application/json', buffer: runsFile });
  await expect(page.getByRole('status').filter({ hasText: 'Imported 2 runs.' })).toBeVisible();
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await expect(page.getByTestId('chart-code')).not.toHaveAttribute('data-points', '0');

  await page.reload();
  await page.getByRole('tab', { name: /Runs/ }).click();
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  const points = Number(await page.getByTestId('chart-code').getAttribute('data-points'));
  expect(points).toBeGreaterThan(0);
  // Comparing both runs draws them together and adds the before/after table.
  for (const box of await page.getByRole('checkbox', { name: /^Compare/ }).all()) await box.check();
  await expect(page.getByTestId('comparison-table')).toContainText('fixture run A');
  await expect(page.getByTestId('comparison-table')).toContainText('fixture run B');
  // The view (which runs are compared, the open panel) is remembered across a reload too.
  await page.reload();
  await expect(page.getByRole('tab', { name: /Runs/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('comparison-table')).toContainText('fixture run A');
  await page.screenshot({ path: 'e2e/artifacts/lab-reloaded-runs.png', fullPage: true });

  // Charts download as SVG (self-contained, titled) and PNG.
  const chart = page.getByTestId('chart-code');
  const svgDownload = page.waitForEvent('download');
  await chart.getByRole('button', { name: 'SVG' }).click();
  const svg = readFileSync(await (await svgDownload).path(), 'utf8');
  expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg).toContain('Code-reasoning frequency');
  const pngDownload = page.waitForEvent('download');
  await chart.getByRole('button', { name: 'PNG' }).click();
  const png = readFileSync(await (await pngDownload).path());
  writeFileSync('e2e/artifacts/lab-chart-export.png', png);
  writeFileSync('e2e/artifacts/lab-chart-export.svg', svg);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(png.length).toBeGreaterThan(2000);
  await clearSavedRuns(page);
});
