// The study script loads and reports as a user runs it (`npx tsx scripts/study.ts report`): its modules
// are loaded as ES modules outside vitest, where, for example, __dirname does not exist. --smoke reports
// on runs/study-smoke (git-ignored), so the committed reports are never touched.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

describe('scripts/study.ts', () => {
  it('report --smoke runs under tsx and writes a report', () => {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/study.ts', 'report', '--smoke'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    const report = join(root, 'runs', 'study-smoke', 'docs', 'results.md');
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toMatch(/^# Study 1 — results/);
  }, 60_000);
});
