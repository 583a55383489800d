/** Expands the command line's file and folder arguments into files, in a stable order. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface InputFile {
  /** The path as the command reads it (the argument, joined with the folder's entries). */
  file: string;
  /** The path below the argument it came from ('a/b.dcm' for folder `x` holding x/a/b.dcm; the
   *  file's own name for a file argument): the same wherever the data is mounted. */
  relative: string;
}

/** `relative` is undefined for an argument itself: a file is then known by its own name. */
async function expand(
  file: string,
  relative: string | undefined,
  into: InputFile[],
): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch {
    // Not there: listed, and reported as unreadable by the command, with the others going on.
    into.push({ file, relative: relative ?? path.basename(file) });
    return;
  }
  if (!info.isDirectory()) {
    into.push({ file, relative: relative ?? path.basename(file) });
    return;
  }
  const entries = await readdir(file, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    await expand(
      path.join(file, entry.name),
      relative ? `${relative}/${entry.name}` : entry.name,
      into,
    );
  }
}

/**
 * Every file under the arguments, in argument order, each folder's entries
 * sorted by name; a file named twice (a folder and a file in it) is kept once.
 */
export async function expandInputFiles(inputs: string[]): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const input of inputs) await expand(input, undefined, files);
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(f.file) && seen.add(f.file));
}

export async function expandInputs(inputs: string[]): Promise<string[]> {
  return (await expandInputFiles(inputs)).map((f) => f.file);
}
