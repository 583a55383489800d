/**
 * Where the shared public radiograph data set lives (never copied into the project):
 * $SKELEX_DATA when set, else ../shared/data beside the project root.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: two levels up from tests/helpers/data.ts. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const DATA_DIR = process.env.SKELEX_DATA
  ? path.resolve(process.env.SKELEX_DATA)
  : path.resolve(PROJECT_ROOT, '../shared/data');

/** Absolute path of a file in the data set; throws a clear error when it is not there. */
export function dataPath(...parts: string[]): string {
  const p = path.join(DATA_DIR, ...parts);
  if (!existsSync(p)) {
    throw new Error(
      `Shared radiograph data missing at ${p}: set SKELEX_DATA or place the data set at ../shared/data (see its README)`,
    );
  }
  return p;
}

/** A data-set file's bytes (a plain Uint8Array, not a Node Buffer). */
export function readData(...parts: string[]): Uint8Array {
  const buf = readFileSync(dataPath(...parts));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
