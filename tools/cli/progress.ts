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
