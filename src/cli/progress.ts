// A progress bar with rate and ETA on stderr. On a terminal it redraws one line; in a log (CI, a pipe)
// it prints a line at most every few seconds instead of flooding it.

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = performance.now(); // first line after the first interval, when the rate means something
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string, private readonly total: number, private readonly unit: string) {}

  /** `done` of `total`; `rate` in units per second (defaults to done / elapsed); `detail` is appended. */
  update(done: number, detail = '', rate?: number): void {
    const now = performance.now();
    const finished = done >= this.total;
    if (!finished && now - this.lastDraw < (this.tty ? 100 : 10_000)) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const perSecond = rate ?? done / Math.max(elapsed, 1e-9);
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const width = 24;
    const filled = Math.round((width * Math.min(done, this.total)) / this.total);
    const bar = '='.repeat(filled) + ' '.repeat(width - filled);
    const line = `${this.label} ${done}/${this.total} [${bar}] ${Math.floor((100 * done) / this.total)}% ` +
      `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en-US')} ${this.unit}/s ETA ${formatDuration(eta)} ${detail}`;
    process.stderr.write(this.tty ? `\r${line.padEnd(process.stderr.columns ? process.stderr.columns - 1 : 0)}` : `${line}\n`);
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

/** The most resident memory this process has used so far, both threads included: "412 MB". */
export function peakMemory(): string {
  return `${Math.round(process.resourceUsage().maxRSS / 1024).toLocaleString('en-US')} MB`;
}
