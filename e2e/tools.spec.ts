// e2e for the Tools tab and the benchmark page, on real WebGPU (SwiftShader) and real ONNX Runtime Web:
// the shipped qwen-math-tiny verified against ORT (max |Δ logit| small, top-1 agreement 100%), the
// playground's greedy completions from both runtimes, the .onnx download (an ONNX protobuf holding the
// HF-named weights), the cluster export's .tar (run_verl.sh and lab_reward.py inside, the caveats shown),
// a finished run's checkpoint (written to IndexedDB as the runner stores it) loaded and verified the same
// way, and a one-run smoke of bench.html's table. Screenshots land in e2e/artifacts/.
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { loadCheckpoint } from '../src/model/checkpoint';

test.setTimeout(600_000);

/** Uncaught page errors fail the test: a tool that threw past its own error display is a bug. */
function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** The entries of a ustar archive: name → text, read from the 512-byte headers. */
function tarEntries(bytes: Buffer): Map<string, string> {
  const entries = new Map<string, string>();
  let offset = 0;
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break; // end-of-archive blocks
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const body = bytes.subarray(offset + 512, offset + 512 + size).toString('utf8');
    if (header[156] === 0x30 || header[156] === 0) entries.set(name, body);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function openTools(page: Page): Promise<void> {
  await page.goto('./#v=1&model=qwen-math-tiny&reward=random&gamma=0.5&seed=3');
  await page.getByRole('tab', { name: 'Tools' }).click();
  await expect(page.getByTestId('tools-panel')).toBeVisible();
}

test('Tools: verify qwen-math-tiny with ONNX Runtime, playground on both runtimes, .onnx download', async ({
  page,
}) => {
  const errors = collectPageErrors(page);
  await openTools(page);
  // ORT (~0.5 MB of JS and 28 MB of wasm) must not come with the page: only the tool fetches it.
  const ortBeforeUse = await page.evaluate(() =>
    performance.getEntriesByType('resource').some((r) => /modelTools|ort-wasm/.test(r.name)),
  );
  expect(ortBeforeUse).toBe(false);

  await page.getByTestId('tools-checkpoint').selectOption('zoo:qwen-math-tiny');
  await page.getByTestId('tools-load').click();
  await expect(page.getByTestId('tools-loaded')).toContainText('qwen-math-tiny', { timeout: 300_000 });
  // The e2e adapter is SwiftShader, a software one: by the lab's one backend rule (chooseBackend) the
  // tools use the CPU engine there, as runs do.
  await expect(page.getByTestId('tools-loaded')).toContainText('CPU reference engine');

  await page.getByTestId('tools-verify').click();
  const report = page.getByTestId('tools-verify-report');
  await expect(report.or(page.getByTestId('tools-verify-error'))).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('tools-verify-error')).toHaveCount(0);
  await expect(page.getByTestId('tools-top1')).toContainText('100.0%');
  const maxDiff = Number(await page.getByTestId('tools-max-diff').textContent());
  expect(maxDiff).toBeGreaterThanOrEqual(0);
  expect(maxDiff).toBeLessThan(1e-3);
  await expect(page.getByTestId('tools-verify-verdict')).toContainText('agree within tolerance');
  const provider = (await page.getByTestId('tools-provider').textContent()) ?? '';
  expect(['webgpu', 'wasm']).toContain(provider);
  // SwiftShader has a WebGPU adapter, so ORT either ran its WebGPU EP or says why it fell back to wasm.
  if (provider === 'wasm') await expect(page.getByTestId('tools-webgpu-error')).toBeVisible();
  console.log(`verify: provider ${provider}, max |Δ| ${maxDiff}`);

  await page.getByTestId('tools-question').fill('What is 1+7?');
  await page.getByTestId('tools-complete').click();
  const engineBox = page.getByTestId('tools-completion-engine');
  const ortBox = page.getByTestId('tools-completion-ort');
  await expect(engineBox).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  await expect(ortBox).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  const engineText = (await engineBox.locator('pre').textContent()) ?? '';
  const ortText = (await ortBox.locator('pre').textContent()) ?? '';
  expect(engineText.length).toBeGreaterThan(0);
  // Greedy decoding of the same weights: the zoo model writes a \boxed{} answer, the same on both runtimes.
  expect(engineText).toContain('\\boxed{');
  expect(ortText).toBe(engineText);
  await expect(page.getByTestId('tools-completion-verdict')).toContainText('Identical');
  await page.screenshot({ path: 'e2e/artifacts/tools-verify.png' });
  await page.getByTestId('tools-completion-verdict').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'e2e/artifacts/tools-playground.png' });

  // A question longer than the model's context: each runtime's error is shown on its side, not swallowed.
  await page.getByTestId('tools-question').fill(`What is ${'1+'.repeat(150)}1?`);
  await page.getByTestId('tools-complete').click();
  await expect(engineBox).toHaveAttribute('data-state', 'error');
  await expect(ortBox).toHaveAttribute('data-state', 'error');
  await expect(engineBox.getByRole('alert')).toContainText("this model's context is 256");
  await expect(ortBox.getByRole('alert')).toContainText("this model's context is 256");

  const download = page.waitForEvent('download');
  await page.getByTestId('tools-download-onnx').click();
  const onnx = await download;
  expect(onnx.suggestedFilename()).toBe('qwen-math-tiny.onnx');
  const bytes = readFileSync(await onnx.path());
  // ONNX has no magic number: a ModelProto starts with field 1 (ir_version, varint), tag byte 0x08.
  expect(bytes[0]).toBe(0x08);
  expect(bytes.length).toBeGreaterThan(390_000); // the float32 weights alone are ~390 KB
  expect(bytes.includes(Buffer.from('model.embed_tokens.weight'))).toBe(true);
  expect(bytes.includes(Buffer.from('past_key_values.0.key'))).toBe(true);
  expect(errors).toEqual([]);
});

test("Tools: a finished run's checkpoint from IndexedDB loads onto the engine and verifies against ORT", async ({
  page,
}) => {
  const errors = collectPageErrors(page);
  // A "trained" policy: the zoo weights scaled, so it is not the zoo model, stored as the runner stores
  // its final checkpoint ({ runId, step, data: { params } } under the run id).
  const dir = 'public/models/qwen-math-tiny';
  const zoo = loadCheckpoint({
    configJson: readFileSync(`${dir}/config.json`, 'utf8'),
    safetensorsBytes: new Uint8Array(readFileSync(`${dir}/model.safetensors`)),
    tokenizerJson: readFileSync(`${dir}/tokenizer.json`, 'utf8'),
  });
  const trained = Array.from(zoo.params, (x) => x * 0.9);
  await page.goto('./');
  await expect(page.getByTestId('lab-app')).toBeVisible();
  await page.evaluate(async (params) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('spurious-rewards-lab');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    tx.objectStore('runs').put({
      id: 'e2e-tools-run',
      name: 'e2e tools run',
      createdAt: Date.now(),
      hash: 'v=1&model=qwen-math-tiny&seed=1',
      config: { model: 'qwen-math-tiny' },
      seed: 1,
      sweepId: null,
      state: 'finished',
      message: null,
      totalSteps: 6,
      synthetic: false,
    });
    tx.objectStore('checkpoints').put(
      { runId: 'e2e-tools-run', step: 6, data: { params: Float32Array.from(params) } },
      'e2e-tools-run',
    );
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, trained);
  // The lab reads IndexedDB when the page loads (a hash change would not re-read it).
  await page.reload();
  await openTools(page);
  await expect(page.locator('option[value="run:e2e-tools-run"]')).toHaveCount(1);
  await page.getByTestId('tools-checkpoint').selectOption('run:e2e-tools-run');
  await page.getByTestId('tools-load').click();
  await expect(page.getByTestId('tools-loaded')).toContainText('run "e2e tools run" at step 6', {
    timeout: 300_000,
  });
  await page.getByTestId('tools-verify').click();
  await expect(
    page.getByTestId('tools-verify-report').or(page.getByTestId('tools-verify-error')),
  ).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('tools-verify-error')).toHaveCount(0);
  await expect(page.getByTestId('tools-top1')).toContainText('100.0%');
  await expect(page.getByTestId('tools-verify-verdict')).toContainText('agree within tolerance');
  const download = page.waitForEvent('download');
  await page.getByTestId('tools-download-onnx').click();
  expect((await download).suggestedFilename()).toBe('qwen-math-tiny-run-step6.onnx');
  expect(errors).toEqual([]);
});

test('@smoke Tools: export for a cluster downloads a verl .tar with the launch script and reward module', async ({
  page,
}, testInfo) => {
  const errors = collectPageErrors(page);
  await openTools(page);
  await expect(page.getByTestId('tools-real-model')).toHaveAttribute('placeholder', 'Qwen/Qwen2.5-Math-7B');
  await page.getByTestId('tools-engine-verl').check();
  const download = page.waitForEvent('download');
  await page.getByTestId('tools-cluster-export').click();
  const tar = await download;
  expect(tar.suggestedFilename()).toBe('spurious-rewards-verl-qwen-math-tiny-random-seed3.tar');
  const entries = tarEntries(readFileSync(await tar.path()));
  const names = [...entries.keys()];
  expect(names).toContain('lab-export-verl/run_verl.sh');
  expect(names).toContain('lab-export-verl/lab_reward.py');
  const script = entries.get('lab-export-verl/run_verl.sh') ?? '';
  expect(script).toContain('verl.trainer.main_ppo');
  expect(script).toContain('Qwen/Qwen2.5-Math-7B');
  expect(entries.get('lab-export-verl/lab_reward.py')).toContain('def compute_score');
  // The settings that do not map exactly are on the page, not only in the archive's README.
  const caveats = page.getByTestId('tools-caveats').locator('li');
  expect(await caveats.count()).toBeGreaterThan(0);
  await expect(page.getByTestId('tools-caveats')).toContainText('unmapped');
  await page.getByTestId('tools-cluster-result').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `e2e/artifacts/tools-cluster-export-${testInfo.project.name}.png` });

  // The model override reaches the launch script.
  await page.getByTestId('tools-engine-openrlhf').check();
  await page.getByTestId('tools-real-model').fill('Qwen/Qwen2.5-Math-1.5B');
  const second = page.waitForEvent('download');
  await page.getByTestId('tools-cluster-export').click();
  const openrlhf = tarEntries(readFileSync(await (await second).path()));
  const openrlhfScript = openrlhf.get('lab-export-openrlhf/run_openrlhf.sh') ?? '';
  expect(openrlhfScript).toContain('Qwen/Qwen2.5-Math-1.5B');
  expect(openrlhfScript).not.toContain('Qwen/Qwen2.5-Math-7B');
  expect(errors).toEqual([]);
});

// Build project only: in the dev server, Vite may optimise onnxruntime-web on its first dynamic import
// and reload the page mid-run (seen once; a dev-server hiccup, not the page's).
test('bench.html: a one-run smoke fills the engine vs ONNX Runtime table', async ({ page }, testInfo) => {
  const errors = collectPageErrors(page);
  await page.goto('./bench.html');
  await expect(page.getByTestId('bench-adapter')).toContainText('WebGPU adapter');
  await expect(page.getByTestId('bench-table')).toHaveCount(0); // nothing runs by itself
  await page.getByTestId('bench-iterations').fill('1');
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-table').or(page.getByTestId('bench-error'))).toBeVisible({
    timeout: 400_000,
  });
  await expect(page.getByTestId('bench-error')).toHaveCount(0);
  const runtimes = await page
    .getByTestId('bench-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-runtime')));
  expect(runtimes).toEqual(['engine', 'ort webgpu', 'ort wasm']);
  for (const cell of await page.locator('[data-testid="bench-row"] td:nth-child(2)').allTextContents())
    expect(Number(cell)).toBeGreaterThan(0);
  await page.screenshot({ path: `e2e/artifacts/bench-table-${testInfo.project.name}.png` });
  expect(errors).toEqual([]);
});
