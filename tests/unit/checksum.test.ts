/**
 * The cache checksum (src/lib/model/checksum.ts): xxHash32 as its specification defines
 * it, under seeds 0 and 1, one-shot or streamed, aligned or not.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_TAG, FileChecksum, fileChecksum } from '../../src/lib/model/checksum';
import { digestBlob } from '../../src/lib/model/hash';

function data(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * xxHash32 (seed 0) of `data(n)` as an independent implementation computes it: the
 * content checksum lz4 1.9.4 writes at the end of a frame (`lz4 -c -z`).
 */
const LZ4_XXH32: Record<number, string> = {
  0: '02cc5d05',
  1: '731329e9',
  3: 'be674751',
  4: 'ba289f58',
  15: '2a537547',
  16: 'b226ae13',
  17: '4447445a',
  100: '09f3f275',
  65_537: '55395b86',
};

describe('cache checksum', () => {
  it('is xxHash32 under seed 0 in its first half, for every tail length', () => {
    for (const [n, want] of Object.entries(LZ4_XXH32)) {
      const sum = fileChecksum(data(Number(n)));
      expect(sum).toMatch(/^xxh32x2:[0-9a-f]{16}$/);
      expect(sum.slice(CHECKSUM_TAG.length, CHECKSUM_TAG.length + 8), `${n} bytes`).toBe(want);
    }
  });

  it('gives the same streamed in odd chunks as at once, aligned or not', () => {
    for (const n of [0, 5, 16, 33, 1000, 65_537]) {
      const bytes = data(n);
      const whole = fileChecksum(bytes);
      for (const chunk of [1, 7, 16, 4096]) {
        const streamed = new FileChecksum();
        for (let i = 0; i < n; i += chunk) streamed.update(bytes.subarray(i, i + chunk));
        expect(streamed.digest(), `${n} bytes in chunks of ${chunk}`).toBe(whole);
      }
      const shifted = new Uint8Array(n + 3);
      shifted.set(bytes, 3);
      expect(fileChecksum(shifted.subarray(3))).toBe(whole);
    }
  });

  it('changes with any one byte, and its two halves differ', () => {
    const bytes = data(10_000);
    const sum = fileChecksum(bytes);
    expect(sum.slice(8, 16)).not.toBe(sum.slice(16));
    for (const at of [0, 1, 2, 3, 15, 16, 4095, 9_983, 9_999]) {
      const changed = bytes.slice();
      changed[at] ^= 1;
      expect(fileChecksum(changed), `byte ${at}`).not.toBe(sum);
    }
    expect(fileChecksum(bytes.subarray(0, 9_999))).not.toBe(sum);
  });

  it('comes with the SHA-256 from one pass over a Blob in slices', async () => {
    const bytes = data(100_000);
    const done: number[] = [];
    const digests = await digestBlob(new Blob([bytes]), (n) => done.push(n), 4096);
    expect(digests.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(digests.checksum).toBe(fileChecksum(bytes));
    expect(done.at(-1)).toBe(100_000);
  });
});
