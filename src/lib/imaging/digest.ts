/** Content hashes that work the same in Node and the browser (Web Crypto). */
import type { StoredPixels } from './radiograph';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of stored values as little-endian int32: equal for equal pixels whatever the encoding. */
export function pixelSha256(stored: StoredPixels): Promise<string> {
  const words = Int32Array.from(stored);
  const bytes = new Uint8Array(words.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    // Big-endian host: swap to the little-endian order the contract names.
    for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  }
  return sha256Hex(bytes);
}
