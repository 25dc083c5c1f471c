// A terminal progress bar for long CLI runs: steps, ETA and tokens/s on one rewritten stderr line when
// stderr is a terminal, and a plain line every few percent otherwise (CI logs stay readable).

export class ProgressBar {
  private readonly started = Date.now();
  private lastPrinted = -1;

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
      if (done >= this.total) this.stream.write('\n');
      return;
    }
    const percent = Math.floor(fraction * 20);
    if (percent !== this.lastPrinted || done >= this.total) {
      this.lastPrinted = percent;
      this.stream.write(`${line}\n`);
    }
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
