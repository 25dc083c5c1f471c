// Vite config for the lab page, plus the vitest projects for the unit and kernel test tiers.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  plugins: [react()],
  // Relative base so the built page also works from a sub-path (GitHub Pages, a file share).
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    // Two pages: the lab, and the benchmark page (bench.html) that compares our engine with ONNX Runtime.
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
  },
  server: { fs: { allow: ['.'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.gpu.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'kernels',
          include: ['src/**/*.gpu.test.ts'],
          environment: 'node',
          // SwiftShader runs on the CPU: shader compilation and dispatches are slow.
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Kernel files share one CPU-bound software GPU; running them side by side only thrashes.
          fileParallelism: false,
          env: { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? swiftShaderIcd },
        },
      },
    ],
  },
});
