// Playwright config for the e2e tier: Debian's chromium (never a downloaded browser), headless, with
// WebGPU on SwiftShader. Tests run against the production build (vite preview) and the dev server.
import { defineConfig } from '@playwright/test';

// Ports are fixed (strictPort: a busy port fails loudly rather than testing another server's page);
// set E2E_PREVIEW_PORT / E2E_DEV_PORT to run two e2e tiers side by side (each also needs its own
// checkout, since the build tier serves dist/).
const previewPort = Number(process.env.E2E_PREVIEW_PORT ?? 4173);
const devPort = Number(process.env.E2E_DEV_PORT ?? 5173);

const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-sandbox',
];

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-report.json' }]],
  use: {
    headless: true,
    viewport: { width: 1280, height: 720 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'build', use: { baseURL: `http://127.0.0.1:${previewPort}/` } },
    { name: 'dev', use: { baseURL: `http://127.0.0.1:${devPort}/` }, grep: /@smoke/ },
  ],
  webServer: [
    {
      command: `npx vite preview --host 127.0.0.1 --port ${previewPort} --strictPort`,
      url: `http://127.0.0.1:${previewPort}/`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: `npx vite --host 127.0.0.1 --port ${devPort} --strictPort`,
      url: `http://127.0.0.1:${devPort}/`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
