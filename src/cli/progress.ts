/** A one-line progress bar on stderr; plain lines when stderr is not a terminal. */
export function progressBar(label: string): (stage: string, fraction: number) => void {
  const tty = process.stderr.isTTY;
  let lastStage = '';
  return (stage, fraction) => {
    const percent = Math.round(fraction * 100);
    if (tty) {
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      process.stderr.write(`\r${label} [${bar}] ${String(percent).padStart(3)}% ${stage}\x1b[K`);
      if (fraction >= 1) process.stderr.write('\n');
    } else if (stage !== lastStage) {
      process.stderr.write(`${label}: ${percent}% ${stage}\n`);
    }
    lastStage = stage;
  };
}

export interface BatchCounts {
  /** Images finished in this run and earlier ones (resumed). */
  done: number;
  failed: number;
  total: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * A long run's progress: images done, failures, rate and time left, on one
 * line that updates on a terminal; on a log (not a terminal) a line each time
 * the whole percentage moves. The rate counts only images this process
 * analysed, so a resumed run does not look faster than it is.
 */
export function batchProgress(label: string, counts: BatchCounts, now = () => performance.now()) {
  const tty = process.stderr.isTTY;
  const start = now();
  const startDone = counts.done;
  let lastPercent = -1;
  const line = () => {
    const seconds = (now() - start) / 1000;
    const analysed = counts.done - startDone;
    const rate = seconds > 0 ? analysed / seconds : 0;
    const left = rate > 0 ? (counts.total - counts.done) / rate : Infinity;
    return (
      `${label}: ${counts.done}/${counts.total} images, ${counts.failed} failed, ` +
      `${rate.toFixed(2)} images/s, ${duration(left)} left`
    );
  };
  return {
    update(): void {
      if (tty) {
        process.stderr.write(`\r${line()}\x1b[K`);
        return;
      }
      const percent = Math.floor((100 * counts.done) / Math.max(counts.total, 1));
      if (percent !== lastPercent) process.stderr.write(line() + '\n');
      lastPercent = percent;
    },
    /** Ends the updating line; what follows starts on a fresh one. */
    finish(): { seconds: number; analysed: number } {
      if (tty) process.stderr.write('\n');
      return { seconds: (now() - start) / 1000, analysed: counts.done - startDone };
    },
  };
}
