/** Expands the command line's file and folder arguments into files, in a stable order. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      files.push(input); // reported as unreadable by the command, with the others going on
      continue;
    }
    if (!info.isDirectory()) {
      files.push(input);
      continue;
    }
    const entries = await readdir(input, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    const nested = entries.filter((e) => !e.name.startsWith('.')).map((e) => join(input, e.name));
    files.push(...(await expandInputs(nested)));
  }
  return files;
}
