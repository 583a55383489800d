/**
 * Decoded frame bytes to stored values: byte order, planar layout, the bits
 * that hold the value (Bits Stored, High Bit) and two's-complement sign.
 */
import type { StoredPixels } from '../imaging/radiograph';
import { interleavePlanes } from './decode-frame';

export interface SampleFormat {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  planarConfiguration: number;
  bigEndian: boolean;
}

function swapBytes16(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1];
    out[i + 1] = bytes[i];
  }
  return out;
}

function swapBytes32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}

function unpackBits1(bytes: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return out;
}

/** A fresh, aligned array of the right type holding the raw sample words. */
function readWords(bytes: Uint8Array, format: SampleFormat, count: number): StoredPixels {
  const copy = new Uint8Array(count * (format.bitsAllocated / 8));
  copy.set(bytes.subarray(0, copy.length));
  switch (format.bitsAllocated) {
    case 8:
      return format.signed ? new Int8Array(copy.buffer) : copy;
    case 16:
      return format.signed ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
    case 32:
      return format.signed ? new Int32Array(copy.buffer) : new Uint32Array(copy.buffer);
    default:
      throw new Error(`Bits Allocated ${format.bitsAllocated} is not supported`);
  }
}

/** Keeps only the Bits Stored bits at High Bit, sign-extending when signed. */
function maskStored(words: StoredPixels, format: SampleFormat): void {
  const { bitsStored, highBit, bitsAllocated, signed } = format;
  if (bitsStored >= bitsAllocated && highBit === bitsAllocated - 1) return;
  const shift = highBit + 1 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
  const signBit = 1 << (bitsStored - 1);
  for (let i = 0; i < words.length; i++) {
    let value = (words[i] >>> shift) & mask;
    if (signed && value & signBit) value -= signBit * 2;
    words[i] = value;
  }
}

export function checkSampleFormat(format: SampleFormat): void {
  const { bitsAllocated, bitsStored, highBit } = format;
  if (![1, 8, 16, 32].includes(bitsAllocated))
    throw new Error(`Bits Allocated ${bitsAllocated} is not supported`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new Error(`Bits Stored ${bitsStored} does not fit in Bits Allocated ${bitsAllocated}`);
  }
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new Error(
      `High Bit ${highBit} does not fit Bits Stored ${bitsStored} in Bits Allocated ${bitsAllocated}`,
    );
  }
}

/** Frame bytes (little-endian after codecs; file order for native data) to stored values. */
export function toStoredValues(
  bytes: Uint8Array,
  format: SampleFormat,
  native: boolean,
): StoredPixels {
  checkSampleFormat(format);
  const pixelCount = format.rows * format.columns;
  const count = pixelCount * format.samplesPerPixel;
  if (format.bitsAllocated === 1) return unpackBits1(bytes, count);
  let raw = bytes;
  if (native && format.bigEndian) {
    raw =
      format.bitsAllocated === 16
        ? swapBytes16(raw)
        : format.bitsAllocated === 32
          ? swapBytes32(raw)
          : raw;
  }
  if (native && format.samplesPerPixel > 1 && format.planarConfiguration === 1) {
    raw = interleavePlanes(raw, pixelCount, format.samplesPerPixel, format.bitsAllocated / 8);
  }
  const words = readWords(raw, format, count);
  maskStored(words, format);
  return words;
}

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** YCbCr (full range, PS3.3 C.7.6.3.1.2) to RGB, in place on interleaved 8-bit samples. */
export function ybrFullToRgb(pixels: StoredPixels): void {
  for (let i = 0; i + 2 < pixels.length; i += 3) {
    const y = pixels[i];
    const cb = pixels[i + 1] - 128;
    const cr = pixels[i + 2] - 128;
    pixels[i] = clamp8(y + 1.402 * cr);
    pixels[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
    pixels[i + 2] = clamp8(y + 1.772 * cb);
  }
}

/** Native YBR_FULL_422: each pair of pixels is stored as Y1 Y2 Cb Cr; expand to full YCbCr triples. */
export function expandYbr422(bytes: Uint8Array, rows: number, columns: number): Uint8Array {
  const out = new Uint8Array(rows * columns * 3);
  const pairs = Math.ceil(columns / 2);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < pairs; p++) {
      const src = (r * pairs + p) * 4;
      const cb = bytes[src + 2];
      const cr = bytes[src + 3];
      for (let k = 0; k < 2 && 2 * p + k < columns; k++) {
        const dst = (r * columns + 2 * p + k) * 3;
        out[dst] = bytes[src + k];
        out[dst + 1] = cb;
        out[dst + 2] = cr;
      }
    }
  }
  return out;
}
