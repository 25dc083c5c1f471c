// A terminal progress bar for long CLI runs: steps, ETA and tokens/s on one rewritten stderr line when
// stderr is a terminal, and a plain line every few percent otherwise (CI logs stay readable).

export class ProgressBar {
  private readonly started = Date.now();
  private lastPrinted = -1;
  /** A terminal line is drawn and not yet ended (another line printed now would be glued to it). */
  private open = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, extra = ''): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : Number.NaN;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const line = `${this.label} [${bar}] ${done}/${this.total} ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}${extra ? ` · ${extra}` : ''}`;
    if (this.stream.isTTY) {
      this.stream.write(
        `\r${line.slice(0, (this.stream.columns ?? 120) - 1).padEnd(Math.min(119, this.stream.columns ?? 120))}`,
      );
      this.open = done < this.total;
      if (!this.open) this.stream.write('\n');
      return;
    }
    const percent = Math.floor(fraction * 20);
    if (percent !== this.lastPrinted || done >= this.total) {
      this.lastPrinted = percent;
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the drawn line, so a log line printed next starts on a line of its own. */
  breakLine(): void {
    if (!this.open) return;
    this.stream.write('\n');
    this.open = false;
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Progress of a sweep as one line: runs done / failed / running / left, the running runs' steps, and
 * one ETA for the whole sweep from the steps finished so far (whichever runs they came from).
 */
export class SweepProgress {
  private readonly started = Date.now();
  private readonly stepsOf = new Map<string, number>();
  private readonly stepsDone = new Map<string, number>();
  /**
   * Steps a run restored from a checkpoint rather than computed here: said by resumed(), or else by its
   * first report (a run reports every step it computes, so step k + 1 after resuming at k), or, for a
   * run that ends without computing a step, all of them. They count as done, not as speed, or the ETA
   * right after a resume would be far too short.
   */
  private readonly restored = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly finished = new Set<string>();
  private readonly failed = new Set<string>();
  private lastPrint = 0;

  constructor(
    runs: readonly { label: string; steps: number }[],
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 2000,
  ) {
    for (const r of runs) this.stepsOf.set(r.label, r.steps);
  }

  start(label: string): void {
    this.running.add(label);
    this.print(true);
  }

  step(label: string, done: number): void {
    if (!this.restored.has(label)) this.restored.set(label, Math.max(0, done - 1));
    this.stepsDone.set(label, done);
    this.print(false);
  }

  /** The run continues from a checkpoint after `done` steps, which it does not compute again. */
  resumed(label: string, done: number): void {
    this.restored.set(label, done);
    this.stepsDone.set(label, done);
    this.print(false);
  }

  /** A failed run counts as failed, and its remaining steps leave the ETA. */
  finish(label: string, failed = false): void {
    this.running.delete(label);
    (failed ? this.failed : this.finished).add(label);
    if (!failed) {
      const steps = this.stepsOf.get(label) ?? 0;
      if (!this.restored.has(label)) this.restored.set(label, steps);
      this.stepsDone.set(label, steps);
    }
    this.print(true);
  }

  /** The line as it would print now (for tests). */
  line(): string {
    let total = 0;
    let done = 0;
    let computed = 0;
    for (const [label, steps] of this.stepsOf) {
      if (this.failed.has(label)) continue;
      total += steps;
      const d = this.stepsDone.get(label) ?? 0;
      done += d;
      computed += d - (this.restored.get(label) ?? 0);
    }
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = computed > 0 ? (elapsed / computed) * (total - done) : Number.NaN;
    const left = this.stepsOf.size - this.finished.size - this.failed.size - this.running.size;
    const runningSteps = [...this.running]
      .map((label) => `${label} ${this.stepsDone.get(label) ?? 0}/${this.stepsOf.get(label) ?? 0}`)
      .join(', ');
    return (
      `sweep: ${this.finished.size} done${this.failed.size ? `, ${this.failed.size} failed` : ''}, ${this.running.size} running${runningSteps ? ` (${runningSteps})` : ''}, ${left} left` +
      ` · ${done}/${total} steps · ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}`
    );
  }

  private print(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastPrint < this.intervalMs) return;
    this.lastPrint = now;
    this.stream.write(`${this.line()}\n`);
  }
}
