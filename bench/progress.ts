/**
 * Progress on stderr, so stdout carries only the results table. On a terminal the current status rewrites one
 * line; elsewhere (CI logs) a status is printed at most every few seconds.
 */
export class Progress {
  private readonly started = performance.now();
  private readonly tty = process.stderr.isTTY;
  private lastStatusAt = 0;
  private statusShown = false;

  private stamp(): string {
    return `[${((performance.now() - this.started) / 1000).toFixed(1).padStart(6)}s]`;
  }

  /** A line that stays. */
  line(text: string): void {
    this.clearStatus();
    process.stderr.write(`${this.stamp()} ${text}\n`);
  }

  /** A transient status (counts while a phase runs). */
  status(text: string): void {
    const now = performance.now();
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${this.stamp()} ${text}`);
      this.statusShown = true;
    } else if (now - this.lastStatusAt >= 5_000) {
      process.stderr.write(`${this.stamp()}   ${text}\n`);
      this.lastStatusAt = now;
    }
  }

  private clearStatus(): void {
    if (this.tty && this.statusShown) process.stderr.write('\r\x1b[2K');
    this.statusShown = false;
  }
}
