// e2e: the lab page loads in real Chromium, finds a WebGPU adapter (SwiftShader here) and shows it.
import { expect, test } from '@playwright/test';

test('@smoke page loads and the device badge shows a WebGPU adapter', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('./');
  await expect(page.getByRole('heading', { name: 'Spurious Rewards Lab' })).toBeVisible();
  const badge = page.getByTestId('device-badge');
  await expect(badge).toHaveAttribute('data-state', 'ready');
  await expect(badge).toContainText('WebGPU');
  // The badge names the engine the experiment will use: on a software adapter 'auto' means the CPU engine.
  if (!process.env.LAB_NATIVE_GPU) await expect(badge).toContainText('CPU engine · WebGPU here:');
  // Here there is no GPU: Chromium's WebGPU runs on SwiftShader, reported as a software adapter.
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture}` : null;
  });
  expect(adapter).toBeTruthy();
  if (!process.env.LAB_NATIVE_GPU) expect(adapter).toContain('swiftshader');
  await page.screenshot({ path: `e2e/artifacts/shell-${testInfo.project.name}.png`, fullPage: true });
  expect(errors).toEqual([]);
});
