/**
 * npm run bench:convert — converts a ViT-Large-size MAE checkpoint (random
 * weights, written to a temp folder, never committed) to fp32, int8 and q4,
 * and prints the time and peak memory (max RSS) of each conversion.
 *
 * Each conversion runs in a child process so its peak memory is its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeRandomVitLargeCheckpoint } from './random-vit-large';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Runs `skelex convert` under GNU time for its wall time and peak RSS. */
function timeConversion(
  checkpoint: string,
  out: string,
  variants: string,
): { seconds: number; peakMb: number } {
  const report = `${out}.time`;
  const cli = path.join(ROOT, 'bin/skelex.js');
  const args = ['-o', report, '-f', '%e %M', process.execPath, cli, 'convert', checkpoint];
  execFileSync('/usr/bin/time', [...args, '--out', out, '--variants', variants], {
    stdio: 'ignore',
  });
  const [seconds, kb] = readFileSync(report, 'utf8').trim().split(' ').map(Number);
  return { seconds, peakMb: kb / 1024 };
}

const folderBytes = (dir: string) =>
  readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);

const work = mkdtempSync(path.join(tmpdir(), 'skelex-bench-convert-'));
try {
  const checkpoint = path.join(work, 'vit-large-mae');
  mkdirSync(checkpoint);
  const started = performance.now();
  const bytes = writeRandomVitLargeCheckpoint(checkpoint);
  console.log(
    `random ViT-L/16 MAE checkpoint: ${(bytes / 2 ** 30).toFixed(2)} GiB F32 (written in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  console.log('variant  time s  peak RSS MB  bundle MB');
  for (const variant of (process.env.BENCH_VARIANTS ?? 'fp32,int8,q4').split(',')) {
    const out = path.join(work, `bundle-${variant}`);
    const { seconds, peakMb } = timeConversion(checkpoint, out, variant);
    console.log(
      `${variant.padEnd(7)}  ${seconds.toFixed(1).padStart(6)}  ${peakMb.toFixed(0).padStart(11)}  ${(folderBytes(out) / 2 ** 20).toFixed(0).padStart(9)}`,
    );
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
