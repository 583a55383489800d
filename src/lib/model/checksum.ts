/**
 * A fast checksum for cached model files: xxHash32 (as its specification defines it) under
 * two seeds, 64 bits in all, computed in one pass.
 *
 * Why not SHA-256 on every cache read: a model's SHA-256 proves its bytes are the ones
 * model.json names when they arrive (download or import). What a cache read has to catch
 * is a file damaged at rest, and this checksum, recorded once the SHA-256 has passed,
 * catches that in a fraction of the time: SHA-256 through Web Crypto copies the whole file
 * first (a 308 MB ViT-L encoder: about 1.2 s on the reference VM, most of the cache load),
 * while this reads the bytes where they are. It is no defence against someone who can
 * write to the browser's storage, but neither is the SHA-256 kept beside it there.
 */

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;
/** Seeds of the two hashes. */
const SEEDS = [0, 1] as const;
/** Tag before the hex digits, so a later algorithm can tell old records apart. */
export const CHECKSUM_TAG = 'xxh32x2:';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const round = (acc: number, lane: number): number =>
  Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);

function avalanche(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Streaming xxHash32 under both seeds: `update` with any chunks, then `digest`. */
export class FileChecksum {
  // Four lanes per seed.
  private a = new Int32Array(8);
  private length = 0;
  /** Bytes short of a 16-byte stripe, carried to the next update. */
  private tail = new Uint8Array(16);
  private tailLength = 0;

  constructor() {
    SEEDS.forEach((seed, s) => {
      this.a[s * 4] = seed + P1 + P2;
      this.a[s * 4 + 1] = seed + P2;
      this.a[s * 4 + 2] = seed;
      this.a[s * 4 + 3] = seed - P1;
    });
  }

  update(bytes: Uint8Array): this {
    this.length += bytes.length;
    let offset = 0;
    if (this.tailLength > 0) {
      const take = Math.min(16 - this.tailLength, bytes.length);
      this.tail.set(bytes.subarray(0, take), this.tailLength);
      this.tailLength += take;
      offset = take;
      if (this.tailLength < 16) return this;
      this.stripes(this.tail, 0, 16);
      this.tailLength = 0;
    }
    const whole = offset + ((bytes.length - offset) & ~15);
    this.stripes(bytes, offset, whole);
    this.tail.set(bytes.subarray(whole), 0);
    this.tailLength = bytes.length - whole;
    return this;
  }

  /** Runs the lanes over bytes[start, end), a whole number of 16-byte stripes. */
  private stripes(bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    const a = this.a;
    let a0 = a[0],
      a1 = a[1],
      a2 = a[2],
      a3 = a[3];
    let b0 = a[4],
      b1 = a[5],
      b2 = a[6],
      b3 = a[7];
    const at = bytes.byteOffset + start;
    const count = (end - start) >> 2;
    let words: Int32Array;
    if (LITTLE_ENDIAN && at % 4 === 0) {
      // Read the words where they are: the path every cache read takes.
      words = new Int32Array(bytes.buffer, at, count);
    } else {
      // Unaligned (or a big-endian host): copy out little-endian words first.
      const view = new DataView(bytes.buffer, at, end - start);
      words = new Int32Array(count);
      for (let i = 0; i < count; i++) words[i] = view.getInt32(i * 4, true);
    }
    for (let i = 0; i < count; i += 4) {
      const w0 = words[i];
      const w1 = words[i + 1];
      const w2 = words[i + 2];
      const w3 = words[i + 3];
      a0 = round(a0, w0);
      a1 = round(a1, w1);
      a2 = round(a2, w2);
      a3 = round(a3, w3);
      b0 = round(b0, w0);
      b1 = round(b1, w1);
      b2 = round(b2, w2);
      b3 = round(b3, w3);
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
    a[4] = b0;
    a[5] = b1;
    a[6] = b2;
    a[7] = b3;
  }

  /** The 64-bit checksum as `xxh32x2:` and 16 hex digits. */
  digest(): string {
    const tail = new DataView(this.tail.buffer, 0, this.tailLength);
    const hex = SEEDS.map((seed, s) => {
      const a = this.a.subarray(s * 4, s * 4 + 4);
      let h =
        this.length >= 16
          ? (rotl(a[0], 1) + rotl(a[1], 7) + rotl(a[2], 12) + rotl(a[3], 18)) | 0
          : (seed + P5) | 0;
      h = (h + this.length) | 0;
      let i = 0;
      for (; i + 4 <= this.tailLength; i += 4) {
        h = Math.imul(rotl((h + Math.imul(tail.getInt32(i, true), P3)) | 0, 17), P4);
      }
      for (; i < this.tailLength; i++) {
        h = Math.imul(rotl((h + Math.imul(tail.getUint8(i), P5)) | 0, 11), P1);
      }
      return avalanche(h).toString(16).padStart(8, '0');
    });
    return CHECKSUM_TAG + hex.join('');
  }
}

/** The checksum of bytes in memory. */
export function fileChecksum(bytes: Uint8Array): string {
  return new FileChecksum().update(bytes).digest();
}
