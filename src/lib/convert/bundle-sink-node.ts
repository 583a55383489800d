/**
 * Writes a bundle into a folder atomically: files go to a hidden sibling
 * folder first and it is renamed into place only when the whole bundle is
 * written, so a failed conversion leaves nothing half-written behind.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ChunkHasher, type BundleSink, type WrittenFile } from './bundle-sink';

export class FolderBundleSink implements BundleSink {
  private constructor(
    readonly outDir: string,
    private readonly workDir: string,
  ) {}

  /** Refuses an output folder that already holds files. */
  static async create(outDir: string): Promise<FolderBundleSink> {
    const existing = await stat(outDir).catch(() => undefined);
    if (existing && (!existing.isDirectory() || (await readdir(outDir)).length > 0)) {
      throw new Error(`${outDir}: the output folder already exists and is not empty`);
    }
    const workDir = path.join(
      path.dirname(outDir),
      `.${path.basename(outDir)}.partial-${process.pid}`,
    );
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    return new FolderBundleSink(outDir, workDir);
  }

  async writeFile(name: string, chunks: Iterable<Uint8Array>): Promise<WrittenFile> {
    const target = path.join(this.workDir, name);
    await mkdir(path.dirname(target), { recursive: true });
    const hasher = new ChunkHasher();
    const handle = await open(target, 'w');
    try {
      for (const chunk of chunks) {
        hasher.update(chunk);
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    return hasher.finish();
  }

  /** Moves the finished bundle into place. */
  async commit(): Promise<void> {
    await rm(this.outDir, { recursive: true, force: true }); // only ever an empty folder here
    await rename(this.workDir, this.outDir);
  }

  async abort(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }
}
