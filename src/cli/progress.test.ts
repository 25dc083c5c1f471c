// The sweep's progress line: runs done / failed / running / left with their steps, and an ETA from the
// steps finished so far (a failed run's remaining steps leave the total).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SweepProgress } from './progress';

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
});
