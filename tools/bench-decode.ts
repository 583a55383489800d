/**
 * npm run bench:decode — decode time of each shared DICOM, ours beside a
 * native decoder (dcmtk, gdcm) on the same file, with the ratio.
 *
 * Native tools run as processes that also read and write files, so their
 * start-up and I/O cost is measured by running the same tool on an
 * uncompressed copy of the same image (which it passes through), and taken
 * off. Each figure is the median of several runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openImage } from '../src/lib/imaging/open';

const DATA = process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../shared/data');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/** The native command that decodes each file, and which tool it is. */
const NATIVE: Record<string, [string, string[]] | undefined> = {
  'RG2_UNC.dcm': undefined, // uncompressed: nothing to decode natively
  'RG2_J2KR.dcm': ['gdcmconv', ['--raw']],
  'RG2_JPLL.dcm': ['dcmdjpeg', []],
  'RG3_JLSL.dcm': ['dcmdjpls', []],
  'RG3_RLE.dcm': ['dcmdrle', []],
  'RG3_JPLY.dcm': ['dcmdjpeg', []],
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeOurs(file: string): Promise<number> {
  const bytes = new Uint8Array(readFileSync(file));
  await openImage(file, bytes); // warm-up: compiles the codec's WASM once
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await openImage(file, bytes);
    times.push(performance.now() - start);
  }
  return median(times);
}

function available(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function timeNative(tool: string, args: string[], file: string, out: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    execFileSync(tool, [...args, file, out], { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  return median(times);
}

const dir = mkdtempSync(path.join(tmpdir(), 'skelex-bench-'));
const out = path.join(dir, 'out.dcm');
const rows: string[][] = [];
try {
  for (const [name, command] of Object.entries(NATIVE)) {
    const file = path.join(DATA, 'dicom', name);
    const ours = await timeOurs(file);
    let native = command ? `${command[0]} not installed` : 'no decoding';
    let ratio = '';
    if (command && available(command[0])) {
      const [tool, args] = command;
      const plain = path.join(dir, `plain-${name}`);
      execFileSync('gdcmconv', ['--raw', file, plain], { stdio: 'ignore' });
      const startup = timeNative(tool, args, plain, out);
      const total = timeNative(tool, args, file, out);
      const decode = Math.max(1, total - startup);
      native = `${decode.toFixed(0)} (${tool}: ${total.toFixed(0)} - ${startup.toFixed(0)} start-up/IO)`;
      ratio = (ours / decode).toFixed(2);
    }
    rows.push([name, ours.toFixed(0), native, ratio]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const header = ['file', 'ours ms (Node)', 'native ms', 'ours/native'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(`decode of one frame to stored values, median of ${RUNS} runs`);
console.log(line(header));
for (const row of rows) console.log(line(row));
