#!/usr/bin/env node
// `npm test`: typecheck, lint, build, then the three test tiers (unit, kernels, e2e), each run even if an
// earlier one failed, ending with one summary table and a closing "N passed, N failed" line of tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env = { ...process.env };
if (!env.VK_ICD_FILENAMES && env.LAB_NATIVE_GPU !== '1' && existsSync(swiftShaderIcd)) {
  env.VK_ICD_FILENAMES = swiftShaderIcd;
}
mkdirSync('test-results', { recursive: true });

/** Each stage: a command, and optionally a JSON report to count tests from. */
const stages = [
  { name: 'typecheck', cmd: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'] },
  { name: 'lint', cmd: ['npx', 'biome', 'check', '.'] },
  { name: 'build', cmd: ['npx', 'vite', 'build', '--logLevel', 'warn'] },
  {
    name: 'unit',
    cmd: [
      'npx',
      'vitest',
      'run',
      '--project',
      'unit',
      '--reporter=default',
      '--reporter=json',
      '--outputFile=test-results/unit.json',
    ],
    report: 'test-results/unit.json',
    kind: 'vitest',
  },
  {
    name: 'kernels',
    cmd: [
      'npx',
      'vitest',
      'run',
      '--project',
      'kernels',
      '--reporter=default',
      '--reporter=json',
      '--outputFile=test-results/kernels.json',
    ],
    report: 'test-results/kernels.json',
    kind: 'vitest',
  },
  {
    name: 'e2e',
    cmd: ['npx', 'playwright', 'test'],
    report: 'test-results/e2e-report.json',
    kind: 'playwright',
  },
];

const only = process.argv.slice(2);
const results = [];
for (const stage of stages) {
  if (only.length && !only.includes(stage.name)) continue;
  if (stage.report) rmSync(stage.report, { force: true });
  console.log(`\n=== ${stage.name}: ${stage.cmd.join(' ')}`);
  const started = Date.now();
  const run = spawnSync(stage.cmd[0], stage.cmd.slice(1), { stdio: 'inherit', env });
  const seconds = (Date.now() - started) / 1000;
  const counts = stage.report ? countTests(stage.kind, stage.report) : null;
  const ok = run.status === 0 && (counts === null || (counts.passed > 0 && counts.failed === 0));
  results.push({ name: stage.name, ok, seconds, counts, status: run.status });
}

console.log('\n=== summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  const detail = r.counts
    ? `${r.counts.passed} passed, ${r.counts.failed} failed${r.counts.skipped ? `, ${r.counts.skipped} skipped` : ''}`
    : r.status === 0
      ? 'ok'
      : `exit ${r.status}`;
  console.log(
    `${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(10)} ${detail.padEnd(40)} ${r.seconds.toFixed(1)}s`,
  );
  if (r.counts) {
    passed += r.counts.passed;
    failed += r.counts.failed;
  }
  if (!r.ok && !r.counts) failed += 1; // a failed typecheck/lint/build counts as one failure
  if (r.counts && r.counts.passed === 0) console.log(`      ${r.name}: no test executed — that is a failure`);
}
const allOk = results.every((r) => r.ok);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(allOk ? 0 : 1);

function countTests(kind, path) {
  if (!existsSync(path)) return { passed: 0, failed: 1, skipped: 0 };
  const report = JSON.parse(readFileSync(path, 'utf8'));
  if (kind === 'vitest') {
    return {
      passed: report.numPassedTests ?? 0,
      failed: (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0),
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    };
  }
  const s = report.stats ?? {};
  return { passed: s.expected ?? 0, failed: (s.unexpected ?? 0) + (s.flaky ?? 0), skipped: s.skipped ?? 0 };
}
