/**
 * SHA-256 (and the cache checksum) of a Blob read in slices, so a gigabyte-sized model
 * file is never one buffer. Web Crypto has no incremental digest; @noble/hashes does.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FileChecksum } from './checksum';

/**
 * Lower-case hex SHA-256 of bytes already in memory: Web Crypto when the page
 * has it (a secure context; native, about ten times faster than hashing in
 * JS), else @noble/hashes.
 */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return bytesToHex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
  return bytesToHex(sha256(bytes));
}

/** Bytes read and hashed at a time. */
export const HASH_SLICE_BYTES = 8 * 1024 * 1024;

/** Lower-case hex SHA-256 of `blob`; `onBytes` hears how many bytes are done after each slice. */
export async function sha256OfBlob(
  blob: Blob,
  onBytes?: (done: number) => void,
  sliceBytes = HASH_SLICE_BYTES,
): Promise<string> {
  return (await digestBlob(blob, onBytes, sliceBytes)).sha256;
}

/**
 * `blob`'s SHA-256 and its cache checksum (./checksum.ts) in one pass over slices;
 * `onBytes` hears how many bytes are done after each slice.
 */
export async function digestBlob(
  blob: Blob,
  onBytes?: (done: number) => void,
  sliceBytes = HASH_SLICE_BYTES,
): Promise<{ sha256: string; checksum: string }> {
  const hash = sha256.create();
  const checksum = new FileChecksum();
  for (let offset = 0; offset < blob.size; offset += sliceBytes) {
    const end = Math.min(blob.size, offset + sliceBytes);
    const bytes = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
    if (bytes.length !== end - offset) {
      throw new Error(
        `read ${bytes.length} bytes at offset ${offset} where ${end - offset} were expected`,
      );
    }
    hash.update(bytes);
    checksum.update(bytes);
    onBytes?.(end);
  }
  return { sha256: bytesToHex(hash.digest()), checksum: checksum.digest() };
}
