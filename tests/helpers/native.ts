/** Native reference decoders from Debian (gdcm, dcmtk), for comparing our pixels with theirs. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function requireTool(tool: string, debianPackage: string): string {
  try {
    return execFileSync('which', [tool], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${tool} not found: install it with \`apt-get install ${debianPackage}\``);
  }
}

/** gdcm's decoded pixel data of a DICOM file, as raw little-endian bytes. */
export function gdcmDecodedPixels(file: string): Uint8Array {
  requireTool('gdcmconv', 'libgdcm-tools');
  const dir = mkdtempSync(path.join(tmpdir(), 'skelex-gdcm-'));
  try {
    const raw = path.join(dir, 'raw.dcm');
    const out = path.join(dir, 'pixels.bin');
    execFileSync('gdcmconv', ['--raw', file, raw]);
    execFileSync('gdcmraw', ['-t', '7fe0,0010', '-i', raw, '-o', out]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
