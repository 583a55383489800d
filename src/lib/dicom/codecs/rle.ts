/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets,
 * then one PackBits segment per byte plane, most significant byte first.
 * Returns little-endian bytes, samples interleaved per pixel.
 */
export function decodeRle(
  encoded: Uint8Array,
  pixelCount: number,
  samplesPerPixel: number,
  bytesPerSample: number,
): Uint8Array {
  if (encoded.length < 64) throw new Error('RLE frame is shorter than its 64-byte header');
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const segmentCount = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segmentCount !== expected) {
    throw new Error(`RLE frame has ${segmentCount} segments, the image needs ${expected}`);
  }
  const out = new Uint8Array(pixelCount * expected);
  for (let segment = 0; segment < segmentCount; segment++) {
    const start = view.getUint32(4 + 4 * segment, true);
    const end = segment + 1 < segmentCount ? view.getUint32(8 + 4 * segment, true) : encoded.length;
    if (start < 64 || start > end || end > encoded.length) {
      throw new Error(`RLE segment ${segment + 1} lies outside the frame`);
    }
    const sample = Math.floor(segment / bytesPerSample);
    // Segment 0 of a sample is its most significant byte; little-endian puts that last.
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample);
    unpackBits(
      encoded,
      start,
      end,
      out,
      sample * bytesPerSample + byteInSample,
      expected,
      pixelCount,
    );
  }
  return out;
}

/** PackBits into every `stride`-th byte of `out` from `offset`, at most `count` values. */
function unpackBits(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  offset: number,
  stride: number,
  count: number,
): void {
  let written = 0;
  let pos = start;
  let dst = offset;
  while (pos < end && written < count) {
    const header = src[pos++];
    if (header < 128) {
      // Literal run of header+1 bytes.
      const n = Math.min(header + 1, count - written, end - pos);
      for (let i = 0; i < n; i++, dst += stride) out[dst] = src[pos + i];
      pos += header + 1;
      written += n;
    } else if (header > 128) {
      // Repeat the next byte 257-header times.
      if (pos >= end) break;
      const value = src[pos++];
      const n = Math.min(257 - header, count - written);
      for (let i = 0; i < n; i++, dst += stride) out[dst] = value;
      written += n;
    }
    // 128 is a no-op.
  }
  if (written < count) throw new Error(`RLE segment ends after ${written} of ${count} pixels`);
}
