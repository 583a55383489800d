/**
 * Where a converted bundle's files go. Each file is written whole from its
 * chunks and hashed on the way, so model.json can list size and SHA-256.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export interface WrittenFile {
  sha256: string;
  bytes: number;
}

export interface BundleSink {
  writeFile(path: string, chunks: Iterable<Uint8Array>): Promise<WrittenFile>;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Incremental SHA-256 over chunks (Web Crypto has no streaming digest). */
export class ChunkHasher {
  private readonly hash = sha256.create();
  bytes = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  finish(): WrittenFile {
    return { sha256: hex(this.hash.digest()), bytes: this.bytes };
  }
}

/** Keeps the bundle in memory as Blobs: the browser's import path, and tests. */
export class MemoryBundleSink implements BundleSink {
  readonly files = new Map<string, Blob>();

  async writeFile(path: string, chunks: Iterable<Uint8Array>): Promise<WrittenFile> {
    const hasher = new ChunkHasher();
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (const chunk of chunks) {
      hasher.update(chunk);
      parts.push(chunk as Uint8Array<ArrayBuffer>);
    }
    this.files.set(path, new Blob(parts));
    return hasher.finish();
  }
}
