/** Writes a file whole or not at all: to a side file first, then renamed over the target. */
import { rename, writeFile } from 'node:fs/promises';

export async function writeAtomically(target: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${target}.partial`, data);
  await rename(`${target}.partial`, target);
}
