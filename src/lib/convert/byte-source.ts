/**
 * Random-access byte sources over memory and browser Blobs/Files (Node 20 has
 * Blob too). Every `read` returns a fresh Uint8Array the caller owns, starting
 * at byte offset 0 of its own buffer, so readers can view it as wider typed
 * arrays without copying it again. The Node file source lives in
 * `byte-source-node.ts`, out of the browser's import graph.
 */
import type { ByteSource } from './tensors';

/** Throws unless [offset, offset + length) is a valid range of a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new Error(`${name}: read offset ${offset} is not a non-negative integer`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new Error(`${name}: read length ${length} is not a non-negative integer`);
  }
  if (offset + length > size) {
    throw new Error(
      `${name}: read of ${length} bytes at offset ${offset} runs past the end of the file (${size} bytes)`,
    );
  }
}

/** Bytes already in memory. Reads copy, so callers may keep or change what they get. */
export function bytesByteSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read(offset: number, length: number): Promise<Uint8Array> {
      try {
        checkRange(name, bytes.byteLength, offset, length);
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
}

/** A browser File or Blob (or a Node Blob): only the requested slice is ever loaded. */
export function blobByteSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(name, blob.size, offset, length);
      if (length === 0) return new Uint8Array(0);
      const buffer = await blob.slice(offset, offset + length).arrayBuffer();
      if (buffer.byteLength !== length) {
        throw new Error(
          `${name}: read ${buffer.byteLength} bytes at offset ${offset} where ${length} were expected (was the file changed while open?)`,
        );
      }
      return new Uint8Array(buffer);
    },
  };
}
