// The sweep's progress line: runs done / failed / running / left with their steps, and an ETA from the
// steps finished so far (a failed run's remaining steps leave the total).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressBar, SweepProgress } from './progress';

const sink = { write: () => true } as unknown as NodeJS.WriteStream;

describe('SweepProgress', () => {
  it('counts runs in every state and the steps of the whole sweep', () => {
    const runs = ['seed 1', 'seed 2', 'seed 3', 'seed 4'].map((label) => ({ label, steps: 10 }));
    const p = new SweepProgress(runs, sink);
    expect(p.line()).toMatch(/^sweep: 0 done, 0 running, 4 left · 0\/40 steps · .* ETA --$/);
    p.start('seed 1');
    p.start('seed 2');
    for (let k = 1; k <= 4; k++) p.step('seed 1', k);
    for (let k = 1; k <= 3; k++) p.step('seed 2', k);
    expect(p.line()).toMatch(/0 done, 2 running \(seed 1 4\/10, seed 2 3\/10\), 2 left · 7\/40 steps/);
    p.finish('seed 1');
    p.finish('seed 2', true);
    p.start('seed 3');
    // seed 1 counts its 10 steps; seed 2 failed: its steps leave the sweep's total.
    expect(p.line()).toMatch(/1 done, 1 failed, 1 running \(seed 3 0\/10\), 1 left · 10\/30 steps/);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('times the ETA by the steps computed, not the ones a resumed run restored from its checkpoint', () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const p = new SweepProgress([{ label: 'seed 7', steps: 100 }], sink);
    p.start('seed 7');
    // Resumed at step 30: the first step it computes here is step 31, 20 s after the start.
    vi.setSystemTime(20_000);
    p.step('seed 7', 31);
    expect(p.line()).toMatch(/31\/100 steps · 20s elapsed, ETA 23m00s$/); // 69 steps left at 20 s each
    vi.setSystemTime(40_000);
    p.step('seed 7', 32);
    expect(p.line()).toMatch(/32\/100 steps · 40s elapsed, ETA 22m40s$/);
  });

  it('a run resumed at its last step, or said resumed before it computes, adds nothing to the speed', () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const runs = ['seed 1', 'seed 2', 'seed 3'].map((label) => ({ label, steps: 12 }));
    const p = new SweepProgress(runs, sink);
    // seed 1 had finished before the interruption: it ends at once, computing nothing.
    p.start('seed 1');
    p.finish('seed 1');
    // seed 2 resumes at step 3 and is shown there before its first step.
    p.start('seed 2');
    p.resumed('seed 2', 3);
    expect(p.line()).toMatch(
      /1 done, 1 running \(seed 2 3\/12\), 1 left · 15\/36 steps · 0s elapsed, ETA --$/,
    );
    vi.setSystemTime(10_000);
    p.step('seed 2', 4);
    // One step computed in 10 s, 20 left: 3m20s (not 16 steps in 10 s, which would say 13s).
    expect(p.line()).toMatch(/16\/36 steps · 10s elapsed, ETA 3m20s$/);
  });
});

describe('ProgressBar', () => {
  it('on a terminal, ends its drawn line before another line is printed, and only then', () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (t: string) => written.push(t) };
    const bar = new ProgressBar('seed 1', 4, tty as unknown as NodeJS.WriteStream);
    bar.update(1);
    expect(written.join('')).not.toContain('\n');
    bar.breakLine(); // an eval line is about to be printed
    expect(written.join('').endsWith('\n')).toBe(true);
    const count = written.length;
    bar.breakLine(); // nothing drawn since: no empty line
    expect(written).toHaveLength(count);
    bar.update(4); // the last step ends its own line
    bar.breakLine();
    expect(written.join('').match(/\n/g)).toHaveLength(2);
  });
});
