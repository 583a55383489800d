/**
 * Node-only byte sources: files read through `fs/promises` FileHandles, so a
 * 1.3 GB checkpoint is read one tensor at a time. Keep this module out of
 * anything the browser imports.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { checkRange } from './byte-source';
import type { ByteSource } from './tensors';

export type ClosableByteSource = ByteSource & { close(): Promise<void> };

/**
 * Opens `path` for random-access reads. `name` (default: the path as given) is
 * what error messages call the file. Close it when done.
 */
export async function openFileByteSource(path: string, name = path): Promise<ClosableByteSource> {
  const handle = await open(path, 'r');
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${name}: not a regular file`);
    size = stat.size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  let closed = false;
  return {
    name,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (closed) throw new Error(`${name}: read after the file was closed`);
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw new Error(
            `${name}: file ended after ${offset + done} bytes where ${size} were expected (was it changed while open?)`,
          );
        }
        done += bytesRead;
      }
      return out;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/**
 * Opens every regular file under `dir` (recursively, to `maxDepth` levels) as
 * a byte source keyed by its path relative to `dir`, with '/' separators: the
 * shape `openCheckpointFolder` takes. Files are opened lazily on first read,
 * so a folder with many files costs no descriptors until used.
 */
export async function openDirectoryByteSources(
  dir: string,
  maxDepth = 2,
): Promise<{ files: Map<string, ByteSource>; close(): Promise<void> }> {
  const files = new Map<string, ByteSource>();
  const opened: ClosableByteSource[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (depth < maxDepth) await walk(full, depth + 1);
      } else if (entry.isFile()) {
        const key = relative(dir, full).split(sep).join('/');
        files.set(key, await lazyFile(full, opened));
      }
    }
  };
  await walk(dir, 0);
  return {
    files,
    async close(): Promise<void> {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    },
  };
}

async function lazyFile(path: string, opened: ClosableByteSource[]): Promise<ByteSource> {
  const size = (await stat(path)).size;
  let source: Promise<ClosableByteSource> | undefined;
  return {
    name: path,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (!source) {
        source = openFileByteSource(path).then((s) => {
          opened.push(s);
          return s;
        });
      }
      return (await source).read(offset, length);
    },
  };
}
