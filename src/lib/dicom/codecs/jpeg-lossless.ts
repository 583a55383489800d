/**
 * Lossless JPEG decoder (ITU-T T.81 annex H: process 14, SOF3, Huffman coded).
 *
 * It serves DICOM "JPEG Lossless, Non-Hierarchical (Process 14)"
 * (1.2.840.10008.1.2.4.57, any predictor) and its first-order-prediction
 * variant (1.2.840.10008.1.2.4.70, selection value 1).
 *
 * Supported: precision 2 to 16 bits, predictors 1 to 7, point transform,
 * restart intervals, any number of scans, each interleaved or not, over 1 to
 * 4 components at full resolution. Not supported: subsampled components,
 * arithmetic coding, hierarchical (differential) frames, a height given by DNL.
 *
 * The result is the components interleaved per pixel, each sample shifted left
 * by its scan's point transform, as T.81 reconstructs them: no colour
 * conversion (in DICOM the Photometric Interpretation says what the components are).
 */
import { LIMITS } from '../../imaging/radiograph';
import { ByteCursor, LOOKAHEAD, hex, readHuffmanTables, type HuffTable } from './jpeg-dct';

export interface LosslessJpegImage {
  width: number;
  height: number;
  components: number;
  /** Sample precision in bits, 2 to 16. */
  precision: number;
  /**
   * Interleaved samples, `components` per pixel, each 0..2^precision-1 (corrupt
   * data may give larger values: reconstruction is modulo 2^16, as T.81 says).
   */
  data: Uint16Array;
}

/** Images with more pixels than this are refused before anything is allocated for them. */
const MAX_PIXELS = LIMITS.maxPixels;

/** Frame types we refuse, named in the error so the user learns what the stream is. */
const OTHER_SOF: Record<number, string> = {
  0xc0: 'baseline DCT',
  0xc1: 'extended sequential DCT',
  0xc2: 'progressive DCT',
  0xc5: 'differential sequential DCT',
  0xc6: 'differential progressive DCT',
  0xc7: 'differential lossless',
  0xc9: 'extended sequential DCT, arithmetic coding',
  0xca: 'progressive DCT, arithmetic coding',
  0xcb: 'lossless, arithmetic coding',
  0xcd: 'differential sequential DCT, arithmetic coding',
  0xce: 'differential progressive DCT, arithmetic coding',
  0xcf: 'differential lossless, arithmetic coding',
};

// ---------------------------------------------------------------------------
// Huffman decoding of differences (T.81 H.1.2.2)

/**
 * Width in bits of the fast look-up: a code and its extra bits that together
 * fit in this many bits are decoded in one step, straight to the difference.
 */
const FAST_BITS = 12;
const FAST_MASK = (1 << FAST_BITS) - 1;
/*
 * A fast entry is (payload << 6) | flag | length, or 0 for a code longer than
 * FAST_BITS. Without the flag, the payload is the difference itself and the
 * length is that of the code plus its extra bits; with it, the payload is the
 * difference category, whose extra bits still have to be read after the code.
 */
const NEEDS_BITS = 32;
const LENGTH_MASK = 31;

/** Extra bits `v` of category `s` as a signed difference (T.81 F.2.2.1, EXTEND). */
const extend = (v: number, s: number): number => (v < 1 << (s - 1) ? v - (1 << s) + 1 : v);

const fastTables = new WeakMap<HuffTable, Int32Array>();

function fastTable(t: HuffTable, id: number): Int32Array {
  const cached = fastTables.get(t);
  if (cached) return cached;
  for (const s of t.values)
    if (s > 16)
      throw new Error(
        `JPEG Lossless Huffman table ${id} has difference category ${s} (16 at most)`,
      );
  const fast = new Int32Array(1 << FAST_BITS);
  for (let i = 0; i <= FAST_MASK; i++) {
    let len = 0;
    let s = 0;
    const look = t.lookup[i >> (FAST_BITS - LOOKAHEAD)];
    if (look !== 0) {
      len = look >> 8;
      s = look & 0xff;
    } else {
      for (let l = LOOKAHEAD + 1; l <= FAST_BITS; l++) {
        const code = i >> (FAST_BITS - l);
        if (code <= t.maxCode[l]) {
          len = l;
          s = t.values[code + t.valOffset[l]];
          break;
        }
      }
    }
    if (len === 0) continue; // a longer code: decoded the slow way
    if (s === 0) fast[i] = len;
    else if (s === 16)
      fast[i] = (32768 << 6) | len; // no extra bits follow category 16
    else if (len + s <= FAST_BITS) {
      const v = (i >> (FAST_BITS - len - s)) & ((1 << s) - 1);
      fast[i] = (extend(v, s) << 6) | (len + s);
    } else fast[i] = (s << 6) | NEEDS_BITS | len;
  }
  fastTables.set(t, fast);
  return fast;
}

const END_OF_DATA = 0x100;

/**
 * Reads the entropy-coded data. The hot loops below copy its fields into
 * locals and inline the common refill; the rare paths use its methods.
 */
class BitReader {
  /** Bit buffer: the low `count` bits are unread, most significant first. */
  bits = 0;
  count = 0;
  /**
   * Zero bits fed in after the data stopped (at a marker or the end): the
   * reader runs ahead of the decoder, and only if the decoder actually uses
   * these bits was the data short.
   */
  pad = 0;
  /** The marker (or END_OF_DATA) that stopped the reader, -1 while reading data. */
  marker = -1;

  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}

  /** The decoder used bits that were not in the data. */
  get overrun(): boolean {
    return this.count < this.pad;
  }

  /** Refills the buffer to at least 25 bits; past the data, with zero bits (counted in pad). */
  fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker < 0) {
        const p = this.pos;
        if (p >= data.length) this.marker = END_OF_DATA;
        else {
          byte = data[p];
          if (byte !== 0xff) this.pos = p + 1;
          else if (p + 1 < data.length && data[p + 1] === 0)
            this.pos = p + 2; // stuffed zero
          else {
            // A marker ends the entropy-coded segment; pos stays on its 0xFF.
            this.marker = p + 1 < data.length ? data[p + 1] : END_OF_DATA;
            byte = 0;
          }
        }
      }
      if (this.marker >= 0) this.pad += 8;
      this.bits = (this.bits << 8) | byte;
      this.count += 8;
    }
  }

  /**
   * The difference whose fast entry `e` did not complete it: a code longer
   * than FAST_BITS (e = 0) or one whose extra bits are still to be read.
   * The buffer holds at least 16 bits (the hot loops refill below that).
   */
  slowDifference(t: HuffTable, e: number): number {
    let s = -1;
    if (e !== 0) {
      this.count -= e & LENGTH_MASK;
      s = e >> 6;
    } else {
      // Canonical codes of each length are consecutive, below maxCode.
      const code16 = (this.bits >>> (this.count - 16)) & 0xffff;
      for (let len = FAST_BITS + 1; len <= 16; len++) {
        const code = code16 >>> (16 - len);
        if (code <= t.maxCode[len]) {
          this.count -= len;
          s = t.values[code + t.valOffset[len]];
          break;
        }
      }
      if (s < 0)
        throw new Error(
          'JPEG Lossless data holds a code missing from its Huffman table (corrupt data)',
        );
      if (s === 0) return 0;
      if (s === 16) return 32768;
    }
    if (this.count < s) this.fill();
    this.count -= s;
    return extend((this.bits >>> this.count) & ((1 << s) - 1), s);
  }
}

/**
 * Decodes `n` samples of one line of a single-component scan into `out` at
 * `o`, `o + nf`, ...: each is its prediction plus its decoded difference,
 * modulo 2^16 (H.1.2.1). `p` is the predictor, `ra` the sample left of the
 * first (or the starting prediction), `u` the index of the sample above the
 * first. Predictions use full integer precision, so 4 to 7 may leave 16 bits
 * before the modulo. One loop for all predictors: the switch costs less than
 * writing differences to a buffer and predicting in a second pass (measured).
 */
function decodeRun(
  r: BitReader,
  huff: HuffTable,
  fast: Int32Array,
  out: Uint16Array,
  o: number,
  u: number,
  nf: number,
  n: number,
  p: number,
  ra: number,
): void {
  // Tell the optimiser these are small integers: without it, `ra` (carried
  // from sample to sample) stays a generic number and the loop runs ~15% slower.
  ra |= 0;
  o |= 0;
  u |= 0;
  nf |= 0;
  n |= 0;
  p |= 0;
  const data = r.data;
  const size = data.length;
  let bits = r.bits;
  let count = r.count;
  let pos = r.pos;
  let pad = r.pad;
  let marker = r.marker;
  // Rc, the sample above-left; only predictors 3 to 7 read it, and only away from column 0.
  let rc = p >= 3 ? out[u - nf] : 0;
  for (const end = o + n * nf; o < end; o += nf, u += nf) {
    if (count < 16) {
      // The refill of BitReader.fill, inlined on locals: most of the time goes here.
      while (count <= 24) {
        let byte = 0;
        if (marker < 0) {
          if (pos >= size) marker = END_OF_DATA;
          else {
            byte = data[pos];
            if (byte !== 0xff) pos++;
            else if (pos + 1 < size && data[pos + 1] === 0) pos += 2;
            else {
              marker = pos + 1 < size ? data[pos + 1] : END_OF_DATA;
              byte = 0;
            }
          }
        }
        if (marker >= 0) pad += 8;
        bits = (bits << 8) | byte;
        count += 8;
      }
    }
    const e = fast[(bits >>> (count - FAST_BITS)) & FAST_MASK];
    let diff: number;
    if ((e & NEEDS_BITS) === 0 && e !== 0) {
      count -= e & LENGTH_MASK;
      diff = e >> 6;
    } else {
      r.bits = bits;
      r.count = count;
      r.pos = pos;
      r.pad = pad;
      r.marker = marker;
      diff = r.slowDifference(huff, e);
      bits = r.bits;
      count = r.count;
      pos = r.pos;
      pad = r.pad;
      marker = r.marker;
    }
    let px: number;
    switch (p) {
      case 1:
        px = ra;
        break;
      case 2:
        px = out[u];
        break;
      case 3:
        px = rc;
        rc = out[u];
        break;
      case 4: {
        const rb = out[u];
        px = ra + rb - rc;
        rc = rb;
        break;
      }
      case 5: {
        const rb = out[u];
        px = ra + ((rb - rc) >> 1);
        rc = rb;
        break;
      }
      case 6: {
        const rb = out[u];
        px = rb + ((ra - rc) >> 1);
        rc = rb;
        break;
      }
      default: {
        const rb = out[u];
        px = (ra + rb) >> 1;
        rc = rb;
      }
    }
    out[o] = ra = (px + diff) & 0xffff;
  }
  r.bits = bits;
  r.count = count;
  r.pos = pos;
  r.pad = pad;
  r.marker = marker;
}

/** One component of a scan, with its Huffman table. */
interface ScanPart {
  /** Index of the component in the frame (and in each output pixel). */
  index: number;
  huff: HuffTable;
  fast: Int32Array;
}

/**
 * Decodes one line of an interleaved scan into `diffs`: the differences of
 * each pixel's samples in turn, in the scan's component order.
 */
function decodeInterleaved(r: BitReader, parts: ScanPart[], diffs: Int32Array): void {
  const ns = parts.length;
  let k = 0;
  for (let i = 0; i < diffs.length; i++) {
    const part = parts[k];
    if (++k === ns) k = 0;
    if (r.count < 16) r.fill();
    const e = part.fast[(r.bits >>> (r.count - FAST_BITS)) & FAST_MASK];
    if ((e & NEEDS_BITS) === 0 && e !== 0) {
      r.count -= e & LENGTH_MASK;
      diffs[i] = e >> 6;
    } else diffs[i] = r.slowDifference(part.huff, e);
  }
}

/**
 * Reconstructs `n` samples of one line of one component of an interleaved
 * scan, like decodeRun but from differences decoded already (`ds` apart from
 * `d`): at `o`, `o + nf`, ..., with the sample left of the first at `o - nf`
 * and the one above it at `u`.
 */
function predictLine(
  out: Uint16Array,
  o: number,
  u: number,
  nf: number,
  n: number,
  p: number,
  diffs: Int32Array,
  d: number,
  ds: number,
): void {
  let ra = out[o - nf];
  let rc = p >= 3 ? out[u - nf] : 0;
  for (const end = o + n * nf; o < end; o += nf, u += nf, d += ds) {
    let px: number;
    switch (p) {
      case 1:
        px = ra;
        break;
      case 2:
        px = out[u];
        break;
      case 3:
        px = rc;
        rc = out[u];
        break;
      case 4: {
        const rb = out[u];
        px = ra + rb - rc;
        rc = rb;
        break;
      }
      case 5: {
        const rb = out[u];
        px = ra + ((rb - rc) >> 1);
        rc = rb;
        break;
      }
      case 6: {
        const rb = out[u];
        px = rb + ((ra - rc) >> 1);
        rc = rb;
        break;
      }
      default: {
        const rb = out[u];
        px = (ra + rb) >> 1;
        rc = rb;
      }
    }
    out[o] = ra = (px + diffs[d]) & 0xffff;
  }
}

// ---------------------------------------------------------------------------
// Frame and scans

interface FrameComponent {
  id: number;
  h: number;
  v: number;
  /** Decoded by a scan already. */
  done: boolean;
}

interface Frame {
  precision: number;
  width: number;
  height: number;
  components: FrameComponent[];
}

function parseFrame(c: ByteCursor): Frame {
  const precision = c.u8();
  const height = c.u16();
  const width = c.u16();
  const n = c.u8();
  if (precision < 2 || precision > 16)
    throw new Error(`JPEG Lossless frame has ${precision}-bit samples (2 to 16 allowed)`);
  if (height === 0)
    throw new Error(
      'JPEG Lossless with its height given after the first scan (DNL) is not supported',
    );
  if (width === 0) throw new Error('JPEG Lossless frame has zero width');
  if (width * height > MAX_PIXELS)
    throw new Error(
      `JPEG Lossless frame ${width}x${height} is too large (limit ${MAX_PIXELS} pixels)`,
    );
  if (n < 1 || n > 4) throw new Error(`JPEG Lossless frame has ${n} components (1 to 4 supported)`);
  const components: FrameComponent[] = [];
  for (let i = 0; i < n; i++) {
    const id = c.u8();
    const hv = c.u8();
    c.u8(); // Tq: no quantisation in lossless coding
    const h = hv >> 4;
    const v = hv & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4)
      throw new Error(`JPEG Lossless component ${id} has invalid sampling factors ${h}x${v}`);
    if (components.some((x) => x.id === id))
      throw new Error(`JPEG Lossless frame repeats component ${id}`);
    components.push({ id, h, v, done: false });
  }
  // Equal factors everywhere mean every component is full size; anything else is subsampling.
  const first = components[0];
  const odd = components.find((x) => x.h !== first.h || x.v !== first.v);
  if (odd)
    throw new Error(
      `JPEG Lossless with subsampled components is not supported (component ${odd.id} is ${odd.h}x${odd.v}, component ${first.id} ${first.h}x${first.v})`,
    );
  return { precision, width, height, components };
}

/** Skips to the restart marker that must come next and resets the reader after it. */
function restart(data: Uint8Array, r: BitReader, expected: number): void {
  let p = r.pos;
  if (r.marker < 0) {
    // Still inside data: tolerate stray bytes before the marker, as libjpeg does.
    while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] !== 0 && data[p + 1] !== 0xff))
      p++;
  } else {
    while (p + 1 < data.length && data[p] === 0xff && data[p + 1] === 0xff) p++;
  }
  if (p + 1 >= data.length)
    throw new Error('JPEG Lossless data ends inside the scan (before a restart marker)');
  const m = data[p + 1];
  if (m !== 0xd0 + expected)
    throw new Error(
      `JPEG Lossless scan: expected restart marker FF${hex(0xd0 + expected)}, found FF${hex(m)}`,
    );
  r.pos = p + 2;
  r.bits = 0;
  r.count = 0;
  r.pad = 0;
  r.marker = -1;
}

/** Position of the marker that follows the scan. */
function endOfScan(data: Uint8Array, r: BitReader): number {
  let p = r.pos;
  while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] !== 0)) p++;
  return p + 1 < data.length ? p : data.length;
}

/**
 * Decodes one scan whose entropy-coded data starts at `pos` into `out`;
 * returns the position of the marker after it.
 */
function decodeScan(
  data: Uint8Array,
  pos: number,
  frame: Frame,
  out: Uint16Array,
  parts: ScanPart[],
  predictor: number,
  pointTransform: number,
  restartInterval: number,
): number {
  const { width, height } = frame;
  const nf = frame.components.length;
  const ns = parts.length;
  const rowStride = width * nf;
  const diffs = new Int32Array(ns > 1 ? width * ns : 0);
  const initial = 1 << (frame.precision - pointTransform - 1);
  const r = new BitReader(data, pos);

  const cutShort = (y: number, cause?: unknown): Error => {
    const where = `in line ${y + 1} of ${height}`;
    return new Error(
      r.marker === END_OF_DATA
        ? `JPEG Lossless data ends inside the scan (${where})`
        : `JPEG Lossless scan cut short by marker FF${hex(r.marker)} (${where})`,
      { cause },
    );
  };

  // In lossless coding the MCU is one sample of each scan component (A.2), and
  // a restart interval is a whole number of lines (checked by the caller).
  const linesPerInterval = restartInterval > 0 ? restartInterval / width : height;
  let nextRestart = 0;
  for (let y = 0; y < height; y++) {
    const line = y * rowStride;
    // The first line of the scan and of each restart interval starts from the
    // default prediction and is predicted from the left; the others start from
    // the sample above and use the scan's predictor (H.1.2.1).
    const first = y % linesPerInterval === 0;
    if (first && y > 0) {
      restart(data, r, nextRestart);
      nextRestart = (nextRestart + 1) & 7;
    }
    try {
      if (ns === 1) {
        const { index, huff, fast } = parts[0];
        const o = line + index;
        if (first) decodeRun(r, huff, fast, out, o, o - rowStride, nf, width, 1, initial);
        else {
          decodeRun(r, huff, fast, out, o, o - rowStride, nf, 1, 2, 0);
          if (width > 1)
            decodeRun(
              r,
              huff,
              fast,
              out,
              o + nf,
              o + nf - rowStride,
              nf,
              width - 1,
              predictor,
              out[o],
            );
        }
      } else {
        decodeInterleaved(r, parts, diffs);
      }
    } catch (err) {
      // Garbage decoded from the zero padding means the data ran out, not that it is corrupt.
      if (r.marker >= 0 && r.count - r.pad < 16) throw cutShort(y, err);
      throw err;
    }
    if (r.overrun) throw cutShort(y);
    for (let k = 0; k < ns && ns > 1; k++) {
      const o = line + parts[k].index;
      out[o] = ((first ? initial : out[o - rowStride]) + diffs[k]) & 0xffff;
      if (width > 1)
        predictLine(
          out,
          o + nf,
          o + nf - rowStride,
          nf,
          width - 1,
          first ? 1 : predictor,
          diffs,
          k + ns,
          ns,
        );
    }
  }

  if (pointTransform > 0) {
    for (const { index } of parts)
      for (let i = index; i < out.length; i += nf) out[i] <<= pointTransform;
  }
  return endOfScan(data, r);
}

// ---------------------------------------------------------------------------
// Markers

/** Decodes a lossless (SOF3, Huffman) JPEG. Throws on anything else or on corrupt data. */
export function decodeLosslessJpeg(bytes: Uint8Array): LosslessJpegImage {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    throw new Error('Not a JPEG stream (no SOI marker at the start)');
  const dcTables: (HuffTable | null)[] = [null, null, null, null];
  const acTables: (HuffTable | null)[] = [null, null, null, null];
  let restartInterval = 0;
  let frame: Frame | null = null;
  let out: Uint16Array | null = null;
  let pos = 2;

  while (pos < bytes.length) {
    // Like libjpeg, skip stray bytes between segments rather than give up.
    while (pos < bytes.length && bytes[pos] !== 0xff) pos++;
    while (pos + 1 < bytes.length && bytes[pos + 1] === 0xff) pos++; // fill bytes
    if (pos + 1 >= bytes.length) break;
    const marker = bytes[pos + 1];
    pos += 2;
    if (marker === 0xd9) break; // EOI
    // Markers without a length: stray RSTn, TEM, a repeated SOI.
    if ((marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) continue;
    if (pos + 2 > bytes.length)
      throw new Error(`JPEG Lossless data ends inside marker FF${hex(marker)}`);
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    const end = pos + length;
    if (length < 2 || end > bytes.length)
      throw new Error(`JPEG Lossless segment FF${hex(marker)} runs past the end of the data`);
    const c = new ByteCursor(bytes, pos + 2, end, `FF${hex(marker)}`);

    if (marker === 0xc3) {
      if (frame) throw new Error('JPEG Lossless has more than one frame header');
      frame = parseFrame(c);
    } else if (OTHER_SOF[marker]) {
      throw new Error(
        `JPEG SOF${marker - 0xc0} (${OTHER_SOF[marker]}) is not lossless Huffman JPEG (SOF3)`,
      );
    } else if (marker === 0xc4) {
      readHuffmanTables(c, dcTables, acTables);
    } else if (marker === 0xdd) {
      restartInterval = c.u16();
    } else if (marker === 0xda) {
      if (!frame) throw new Error('JPEG Lossless scan comes before the frame header');
      const f: Frame = frame;
      const ns = c.u8();
      if (ns < 1 || ns > f.components.length || length !== 6 + 2 * ns)
        throw new Error(`JPEG Lossless SOS header is malformed (${ns} components)`);
      const parts: ScanPart[] = [];
      for (let i = 0; i < ns; i++) {
        const id = c.u8();
        const td = c.u8() >> 4; // Ta (the low half) means nothing in lossless coding
        const index = f.components.findIndex((x) => x.id === id);
        if (index < 0)
          throw new Error(`JPEG Lossless scan names component ${id}, not in the frame`);
        const comp = f.components[index];
        if (comp.done || parts.some((p) => p.index === index))
          throw new Error(`JPEG Lossless component ${id} is coded twice`);
        if (ns > 1 && (comp.h !== 1 || comp.v !== 1))
          throw new Error(
            `JPEG Lossless interleaved scan with sampling factors ${comp.h}x${comp.v} is not supported (1x1 only)`,
          );
        const huff = td < 4 ? dcTables[td] : null;
        if (!huff)
          throw new Error(
            `JPEG Lossless scan uses undefined Huffman table ${td} (component ${id})`,
          );
        parts.push({ index, huff, fast: fastTable(huff, td) });
      }
      if (restartInterval % f.width !== 0)
        throw new Error(
          `JPEG Lossless restart interval of ${restartInterval} samples is not a whole number of ${f.width}-sample lines (not supported, as in IJG libjpeg)`,
        );
      const predictor = c.u8(); // Ss
      c.u8(); // Se: always 0 in lossless coding
      const pointTransform = c.u8() & 15; // Al; Ah is unused
      if (predictor < 1 || predictor > 7)
        throw new Error(
          `JPEG Lossless scan has predictor ${predictor} (1 to 7 allowed; 0 is for hierarchical coding)`,
        );
      if (pointTransform >= f.precision)
        throw new Error(
          `JPEG Lossless point transform ${pointTransform} leaves nothing of ${f.precision}-bit samples`,
        );
      // Every sample costs at least one bit: a cheap check that stops a tiny
      // corrupt stream from allocating a huge image.
      const samples = f.width * f.height * ns;
      if ((bytes.length - end) * 8 < samples)
        throw new Error(
          `JPEG Lossless data is too short for a ${f.width}x${f.height} image (${bytes.length - end} bytes for ${samples} samples)`,
        );
      out ??= new Uint16Array(f.width * f.height * f.components.length);
      pos = decodeScan(bytes, end, f, out, parts, predictor, pointTransform, restartInterval);
      for (const p of parts) f.components[p.index].done = true;
      continue;
    }
    // Anything else (APPn, COM, DQT, DNL, ...) carries nothing we need.
    pos = end;
  }

  if (!frame) throw new Error('JPEG Lossless has no frame header (SOF3)');
  if (!out) throw new Error('JPEG Lossless has no scan');
  const missing = frame.components.find((x) => !x.done);
  if (missing) throw new Error(`JPEG Lossless has no scan for component ${missing.id}`);
  return {
    width: frame.width,
    height: frame.height,
    components: frame.components.length,
    precision: frame.precision,
    data: out,
  };
}
