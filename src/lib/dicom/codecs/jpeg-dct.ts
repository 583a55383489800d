/**
 * Sequential-DCT JPEG decoder (ITU-T T.81 processes 1, 2 and 4: Huffman coded,
 * 8- or 12-bit samples).
 *
 * It exists for DICOM "JPEG Extended (Process 2 & 4)" (1.2.840.10008.1.2.4.51):
 * the packaged browser codecs decode only 8-bit JPEG, and many radiographs are
 * stored as 12-bit extended JPEG.
 *
 * The result is the decoded component planes, upsampled to full size and
 * interleaved. No colour conversion is done: in DICOM the Photometric
 * Interpretation says what the components are, so the caller converts.
 */
import { LIMITS } from '../../imaging/radiograph';

export interface DctJpegImage {
  width: number;
  height: number;
  components: number;
  /** Sample precision in bits: 8 or 12. */
  precision: number;
  /** Interleaved samples, `components` per pixel, each 0..2^precision-1. */
  data: Uint16Array;
}

/** Images with more pixels than this are refused before anything is allocated for them. */
const MAX_PIXELS = LIMITS.maxPixels;

/** Frame types we refuse, named in the error so the user learns what the file is. */
const UNSUPPORTED_SOF: Record<number, string> = {
  0xc2: 'progressive',
  0xc3: 'lossless',
  0xc5: 'differential sequential',
  0xc6: 'differential progressive',
  0xc7: 'differential lossless',
  0xc9: 'extended sequential, arithmetic coding',
  0xca: 'progressive, arithmetic coding',
  0xcb: 'lossless, arithmetic coding',
  0xcd: 'differential sequential, arithmetic coding',
  0xce: 'differential progressive, arithmetic coding',
  0xcf: 'differential lossless, arithmetic coding',
};

/** Natural (row-major) index of each zigzag position (T.81 figure A.6). */
const ZIGZAG = buildZigzag();

function buildZigzag(): Uint8Array {
  const order = new Uint8Array(64);
  let i = 0;
  // Walk the 15 anti-diagonals, alternating direction.
  for (let s = 0; s < 15; s++) {
    const lo = Math.max(0, s - 7);
    const hi = Math.min(s, 7);
    if (s % 2 === 0) for (let row = hi; row >= lo; row--) order[i++] = row * 8 + (s - row);
    else for (let row = lo; row <= hi; row++) order[i++] = row * 8 + (s - row);
  }
  return order;
}

export const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

// ---------------------------------------------------------------------------
// Huffman tables (T.81 annex C and F.2.2.3)

/** Codes up to this many bits are decoded with one table look-up. */
export const LOOKAHEAD = 9;

export interface HuffTable {
  /** Indexed by the next LOOKAHEAD bits: (code length << 8) | symbol, or 0 for longer codes. */
  lookup: Uint16Array;
  /** Largest code of each length (1..16), -1 where there is none; canonical codes make this enough. */
  maxCode: Int32Array;
  /** Added to a code of a given length to index `values`. */
  valOffset: Int32Array;
  values: Uint8Array;
}

export function buildHuffTable(counts: Uint8Array, values: Uint8Array): HuffTable {
  const lookup = new Uint16Array(1 << LOOKAHEAD);
  const maxCode = new Int32Array(17).fill(-1);
  const valOffset = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    valOffset[len] = k - code;
    for (let i = 0; i < n; i++, code++, k++) {
      // An over-full length would make codes ambiguous: the table is corrupt.
      if (code >= 1 << len) throw new Error('JPEG Huffman table is invalid (too many codes)');
      if (len <= LOOKAHEAD) {
        const shift = LOOKAHEAD - len;
        lookup.fill((len << 8) | values[k], code << shift, (code + 1) << shift);
      }
    }
    if (n > 0) maxCode[len] = code - 1;
    code <<= 1;
  }
  return { lookup, maxCode, valOffset, values };
}

/** Reads a DHT segment's tables into the DC (class 0) and AC (class 1) slots they name. */
export function readHuffmanTables(
  c: ByteCursor,
  dcTables: (HuffTable | null)[],
  acTables: (HuffTable | null)[],
): void {
  while (c.left > 0) {
    const tcth = c.u8();
    const tc = tcth >> 4;
    const th = tcth & 15;
    if (tc > 1 || th > 3) throw new Error(`JPEG DHT has invalid table class/id ${hex(tcth)}`);
    const counts = c.bytes(16);
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i];
    if (total > 256) throw new Error('JPEG Huffman table is invalid (more than 256 codes)');
    const table = buildHuffTable(counts, c.bytes(total));
    (tc === 0 ? dcTables : acTables)[th] = table;
  }
}

// ---------------------------------------------------------------------------
// Entropy-coded data

const END_OF_DATA = 0x100;

/** Per-block scratch, shared: decoding is synchronous and never re-entered. */
const coef = new Float64Array(64);
const touched = new Uint8Array(64);
const work = new Float64Array(64);

class EntropyReader {
  data: Uint8Array;
  pos: number;
  /** Bit buffer: the low `count` bits are unread, most significant first. */
  bits = 0;
  count = 0;
  /**
   * Zero bits fed in after the data stopped (at a marker or the end): decoding
   * runs a little past the last real byte when refilling, and only if it
   * actually consumes these bits was the scan short.
   */
  pad = 0;
  /** The marker (or END_OF_DATA) that stopped the reader, -1 while reading data. */
  marker = -1;

  constructor(data: Uint8Array, pos: number) {
    this.data = data;
    this.pos = pos;
  }

  /** Real bits remaining in the buffer went negative: the scan needed more data than it had. */
  get overrun(): boolean {
    return this.count < this.pad;
  }

  private fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker < 0) {
        const p = this.pos;
        if (p >= data.length) {
          this.marker = END_OF_DATA;
        } else {
          byte = data[p];
          if (byte !== 0xff) {
            this.pos = p + 1;
          } else if (p + 1 < data.length && data[p + 1] === 0) {
            this.pos = p + 2; // stuffed zero after a data 0xFF
          } else {
            // A marker ends the entropy-coded segment; leave pos on its 0xFF.
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

  decodeHuff(t: HuffTable): number {
    if (this.count < 16) this.fill();
    const look = t.lookup[(this.bits >>> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (look !== 0) {
      this.count -= look >> 8;
      return look & 0xff;
    }
    const code16 = (this.bits >>> (this.count - 16)) & 0xffff;
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      const code = code16 >>> (16 - len);
      if (code <= t.maxCode[len]) {
        this.count -= len;
        return t.values[code + t.valOffset[len]];
      }
    }
    throw new Error(
      'JPEG entropy-coded data holds a code missing from its Huffman table (corrupt data)',
    );
  }

  /** Reads s bits and maps them to a signed value (T.81 F.2.2.1, RECEIVE and EXTEND). */
  receiveExtend(s: number): number {
    if (this.count < s) this.fill();
    const v = (this.bits >>> (this.count - s)) & ((1 << s) - 1);
    this.count -= s;
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /**
   * Decodes one block's coefficients into `coef` (natural order, dequantised).
   * Returns how many AC entries it set, listed in `touched`, so the caller can
   * take the DC-only shortcut and clear just those entries afterwards.
   */
  decodeBlock(dc: HuffTable, ac: HuffTable, q: Float64Array, comp: Component): number {
    const t = this.decodeHuff(dc);
    if (t > 15) throw new Error('JPEG DC difference category out of range (corrupt data)');
    const pred = comp.pred + (t === 0 ? 0 : this.receiveExtend(t));
    comp.pred = pred;
    coef[0] = pred * q[0];
    let n = 0;
    for (let k = 1; k < 64;) {
      const rs = this.decodeHuff(ac);
      const s = rs & 15;
      const r = rs >> 4;
      if (s === 0) {
        if (r !== 15) break; // end of block
        k += 16; // sixteen zeros
        continue;
      }
      k += r;
      if (k > 63)
        throw new Error('JPEG AC coefficients run past the end of a block (corrupt data)');
      const z = ZIGZAG[k];
      coef[z] = this.receiveExtend(s) * q[k];
      touched[n++] = z;
      k++;
    }
    return n;
  }

  /** Skips to the restart marker that must come next (bits left over are byte padding). */
  restart(): void {
    const data = this.data;
    let p = this.pos;
    if (this.marker < 0) {
      // Still inside data: tolerate stray bytes before the marker, as libjpeg does.
      while (
        p + 1 < data.length &&
        !(data[p] === 0xff && data[p + 1] !== 0 && data[p + 1] !== 0xff)
      )
        p++;
    } else {
      while (p + 1 < data.length && data[p] === 0xff && data[p + 1] === 0xff) p++;
    }
    if (p + 1 >= data.length) throw new Error('JPEG data ends inside the scan');
    const m = data[p + 1];
    if (m < 0xd0 || m > 0xd7)
      throw new Error(`JPEG scan: expected a restart marker, found FF${hex(m)}`);
    this.pos = p + 2;
    this.bits = 0;
    this.count = 0;
    this.pad = 0;
    this.marker = -1;
  }

  /** Position of the marker that follows the scan. */
  endOfScan(): number {
    const data = this.data;
    let p = this.pos;
    while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] !== 0)) p++;
    return p + 1 < data.length ? p : data.length;
  }
}

// ---------------------------------------------------------------------------
// Inverse DCT

// 1-D 8-point IDCT: x[n] = sum_k a_k X[k] cos((2n+1) k pi / 16), a_0 = 1/(2 sqrt 2), a_k = 1/2.
// Two passes of it give T.81's 2-D IDCT (A.3.3). Outputs n and 7-n share the even-k
// terms and negate the odd-k ones, which halves the multiplies; float keeps it exact
// enough for 12-bit samples.
const cos16 = (m: number): number => 0.5 * Math.cos((m * Math.PI) / 16);
const A4 = Math.SQRT1_2 / 2;
const A2 = cos16(2);
const A6 = cos16(6);
const C1 = cos16(1);
const C3 = cos16(3);
const C5 = cos16(5);
const C7 = cos16(7);

function idct1d(
  src: Float64Array,
  si: number,
  ss: number,
  dst: Float64Array,
  di: number,
  ds: number,
): void {
  const x0 = src[si];
  const x1 = src[si + ss];
  const x2 = src[si + 2 * ss];
  const x3 = src[si + 3 * ss];
  const x4 = src[si + 4 * ss];
  const x5 = src[si + 5 * ss];
  const x6 = src[si + 6 * ss];
  const x7 = src[si + 7 * ss];
  const ee0 = (x0 + x4) * A4;
  const ee1 = (x0 - x4) * A4;
  const eo0 = x2 * A2 + x6 * A6;
  const eo1 = x2 * A6 - x6 * A2;
  const e0 = ee0 + eo0;
  const e1 = ee1 + eo1;
  const e2 = ee1 - eo1;
  const e3 = ee0 - eo0;
  const o0 = x1 * C1 + x3 * C3 + x5 * C5 + x7 * C7;
  const o1 = x1 * C3 - x3 * C7 - x5 * C1 - x7 * C5;
  const o2 = x1 * C5 - x3 * C1 + x5 * C7 + x7 * C3;
  const o3 = x1 * C7 - x3 * C5 + x5 * C3 - x7 * C1;
  dst[di] = e0 + o0;
  dst[di + ds] = e1 + o1;
  dst[di + 2 * ds] = e2 + o2;
  dst[di + 3 * ds] = e3 + o3;
  dst[di + 4 * ds] = e3 - o3;
  dst[di + 5 * ds] = e2 - o2;
  dst[di + 6 * ds] = e1 - o1;
  dst[di + 7 * ds] = e0 - o0;
}

/** IDCT of `coef` into an 8x8 block of `out`, level-shifted, rounded and clamped. */
function idctBlock(
  out: Uint16Array,
  off: number,
  stride: number,
  shift: number,
  max: number,
): void {
  for (let c = 0; c < 8; c++) {
    // Columns with no AC terms are flat: common, and cheap to spot.
    if (
      coef[8 + c] === 0 &&
      coef[16 + c] === 0 &&
      coef[24 + c] === 0 &&
      coef[32 + c] === 0 &&
      coef[40 + c] === 0 &&
      coef[48 + c] === 0 &&
      coef[56 + c] === 0
    ) {
      const v = coef[c] * A4;
      for (let r = 0; r < 64; r += 8) work[r + c] = v;
    } else {
      idct1d(coef, c, 8, work, c, 8);
    }
  }
  for (let r = 0; r < 64; r += 8) idct1d(work, r, 1, work, r, 1);
  for (let r = 0; r < 8; r++) {
    const o = off + r * stride;
    for (let c = 0; c < 8; c++) {
      const v = work[r * 8 + c] + shift;
      // Uint16Array stores truncate, so +0.5 rounds.
      out[o + c] = v <= 0 ? 0 : v >= max ? max : v + 0.5;
    }
  }
}

function fillBlock(out: Uint16Array, off: number, stride: number, value: number): void {
  for (let r = 0; r < 8; r++) out.fill(value, off + r * stride, off + r * stride + 8);
}

// ---------------------------------------------------------------------------
// Frame and scans

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Samples in the component (T.81 A.1.1). */
  width: number;
  height: number;
  /** Blocks coded in a non-interleaved scan of it (A.2.2). */
  blocksW: number;
  blocksH: number;
  /** Samples in its plane, padded to whole MCUs of an interleaved scan (A.2.3). */
  planeW: number;
  planeH: number;
  plane: Uint16Array | null;
  pred: number;
}

interface Frame {
  precision: number;
  width: number;
  height: number;
  hMax: number;
  vMax: number;
  mcusX: number;
  mcusY: number;
  components: Component[];
}

/** Bounds-checked big-endian reads inside one marker segment. */
export class ByteCursor {
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.end) throw new Error(`JPEG ${this.what} segment is too short`);
  }
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    this.need(1);
    return this.data[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = (this.data[this.pos] << 8) | this.data[this.pos + 1];
    this.pos += 2;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function parseFrame(c: ByteCursor, marker: number): Frame {
  const precision = c.u8();
  const height = c.u16();
  const width = c.u16();
  const n = c.u8();
  if (marker === 0xc0 && precision !== 8)
    throw new Error(`JPEG SOF0 (baseline) must have 8-bit samples, not ${precision}`);
  if (precision !== 8 && precision !== 12)
    throw new Error(`JPEG SOF1 with ${precision}-bit samples is not supported (8 or 12 only)`);
  if (height === 0)
    throw new Error('JPEG with its height given after the first scan (DNL) is not supported');
  if (width === 0) throw new Error('JPEG frame has zero width');
  if (width * height > MAX_PIXELS)
    throw new Error(`JPEG frame ${width}x${height} is too large (limit ${MAX_PIXELS} pixels)`);
  if (n < 1 || n > 4) throw new Error(`JPEG frame has ${n} components (1 to 4 supported)`);
  const comps: Component[] = [];
  for (let i = 0; i < n; i++) {
    const id = c.u8();
    const hv = c.u8();
    const tq = c.u8();
    const h = hv >> 4;
    const v = hv & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4)
      throw new Error(`JPEG component ${id} has invalid sampling factors ${h}x${v}`);
    if (tq > 3) throw new Error(`JPEG component ${id} uses invalid quantisation table ${tq}`);
    if (comps.some((x) => x.id === id)) throw new Error(`JPEG frame repeats component ${id}`);
    comps.push({
      id,
      h,
      v,
      tq,
      width: 0,
      height: 0,
      blocksW: 0,
      blocksH: 0,
      planeW: 0,
      planeH: 0,
      plane: null,
      pred: 0,
    });
  }
  const hMax = Math.max(...comps.map((x) => x.h));
  const vMax = Math.max(...comps.map((x) => x.v));
  const mcusX = Math.ceil(width / (8 * hMax));
  const mcusY = Math.ceil(height / (8 * vMax));
  for (const x of comps) {
    x.width = Math.ceil((width * x.h) / hMax);
    x.height = Math.ceil((height * x.v) / vMax);
    x.blocksW = Math.ceil(x.width / 8);
    x.blocksH = Math.ceil(x.height / 8);
    x.planeW = mcusX * x.h * 8;
    x.planeH = mcusY * x.v * 8;
  }
  return { precision, width, height, hMax, vMax, mcusX, mcusY, components: comps };
}

interface ScanPart {
  comp: Component;
  dc: HuffTable;
  ac: HuffTable;
  /** Dequantisation factors in zigzag order. */
  q: Float64Array;
}

/** Decodes one scan starting at `pos` (just after the SOS header); returns the position of the next marker. */
function decodeScan(
  data: Uint8Array,
  pos: number,
  frame: Frame,
  parts: ScanPart[],
  restartInterval: number,
): number {
  const shift = 1 << (frame.precision - 1);
  const max = (1 << frame.precision) - 1;
  const single = parts.length === 1;
  const mcuCount = single
    ? parts[0].comp.blocksW * parts[0].comp.blocksH
    : frame.mcusX * frame.mcusY;
  let blocks = 0;
  for (const p of parts) blocks += single ? mcuCount : mcuCount * p.comp.h * p.comp.v;
  // Every block costs at least two bits (a DC and an end-of-block code): a
  // cheap check that stops a tiny corrupt file from allocating huge planes.
  if ((data.length - pos) * 4 < blocks)
    throw new Error(`JPEG data is too short for a ${frame.width}x${frame.height} image`);
  for (const p of parts) {
    p.comp.pred = 0;
    if (!p.comp.plane) p.comp.plane = new Uint16Array(p.comp.planeW * p.comp.planeH);
  }

  const reader = new EntropyReader(data, pos);
  const decodeOne = (p: ScanPart, bx: number, by: number): void => {
    const plane = p.comp.plane as Uint16Array;
    const stride = p.comp.planeW;
    const off = by * 8 * stride + bx * 8;
    const n = reader.decodeBlock(p.dc, p.ac, p.q, p.comp);
    if (n === 0) {
      // DC only: the block is flat (the 2-D IDCT of F(0,0) alone is F(0,0)/8).
      const v = coef[0] / 8 + shift;
      fillBlock(plane, off, stride, v <= 0 ? 0 : v >= max ? max : v + 0.5);
    } else {
      idctBlock(plane, off, stride, shift, max);
      for (let i = 0; i < n; i++) coef[touched[i]] = 0;
    }
  };

  // Past a marker or the end the reader feeds zero bits, so a short scan still
  // "decodes": check after each MCU whether it used any of them.
  const cutShort = (m: number, cause?: unknown): Error => {
    const where = `after ${m} of ${mcuCount} MCUs`;
    return new Error(
      reader.marker === END_OF_DATA
        ? `JPEG data ends inside the scan (${where})`
        : `JPEG scan cut short by marker FF${hex(reader.marker)} (${where})`,
      { cause },
    );
  };
  for (let m = 0; m < mcuCount; m++) {
    try {
      if (restartInterval > 0 && m > 0 && m % restartInterval === 0) {
        reader.restart();
        for (const p of parts) p.comp.pred = 0;
      }
      if (single) {
        const bw = parts[0].comp.blocksW;
        decodeOne(parts[0], m % bw, Math.floor(m / bw));
      } else {
        const mx = m % frame.mcusX;
        const my = Math.floor(m / frame.mcusX);
        for (const p of parts) {
          const { h, v } = p.comp;
          for (let y = 0; y < v; y++)
            for (let x = 0; x < h; x++) decodeOne(p, mx * h + x, my * v + y);
        }
      }
    } catch (err) {
      // Garbage decoded from that zero padding means the data ran out, not that it is corrupt.
      if (reader.marker >= 0 && reader.count - reader.pad < 16) throw cutShort(m, err);
      throw err;
    }
    if (reader.overrun) throw cutShort(m);
  }
  return reader.endOfScan();
}

// ---------------------------------------------------------------------------
// Upsampling

/**
 * Writes component `ci` of the output at full size. Factor-2 subsampling is
 * interpolated with the triangle filter IJG libjpeg uses by default ("fancy
 * upsampling", sample values weighted 3:1 toward the nearer one), so results
 * match what other DICOM tools show; other ratios are replicated.
 */
function writeComponent(frame: Frame, comp: Component, ci: number, out: Uint16Array): void {
  const { width, height, hMax, vMax } = frame;
  const n = frame.components.length;
  const plane = comp.plane as Uint16Array;
  const stride = comp.planeW;
  const fh = hMax / comp.h;
  const fv = vMax / comp.v;
  const lastX = comp.width - 1;
  const lastY = comp.height - 1;
  if (fh === 1 && fv === 1) {
    for (let y = 0; y < height; y++) {
      let o = y * width * n + ci;
      const row = y * stride;
      for (let x = 0; x < width; x++, o += n) out[o] = plane[row + x];
    }
  } else if (fh === 2 && fv === 2) {
    const sums = new Int32Array(comp.width);
    for (let y = 0; y < height; y++) {
      const sy = y >> 1;
      const near = sy * stride;
      const far = ((y & 1) === 0 ? Math.max(sy - 1, 0) : Math.min(sy + 1, lastY)) * stride;
      for (let x = 0; x <= lastX; x++) sums[x] = 3 * plane[near + x] + plane[far + x];
      let o = y * width * n + ci;
      for (let x = 0; x < width; x++, o += n) {
        const sx = x >> 1;
        // Biases 8 and 7 alternate so rounding does not drift one way.
        out[o] =
          (x & 1) === 0
            ? (3 * sums[sx] + sums[Math.max(sx - 1, 0)] + 8) >> 4
            : (3 * sums[sx] + sums[Math.min(sx + 1, lastX)] + 7) >> 4;
      }
    }
  } else if (fh === 2 && fv === 1) {
    for (let y = 0; y < height; y++) {
      const row = y * stride;
      let o = y * width * n + ci;
      for (let x = 0; x < width; x++, o += n) {
        const sx = x >> 1;
        out[o] =
          (x & 1) === 0
            ? (3 * plane[row + sx] + plane[row + Math.max(sx - 1, 0)] + 1) >> 2
            : (3 * plane[row + sx] + plane[row + Math.min(sx + 1, lastX)] + 2) >> 2;
      }
    }
  } else if (fh === 1 && fv === 2) {
    for (let y = 0; y < height; y++) {
      const sy = y >> 1;
      const near = sy * stride;
      const odd = (y & 1) === 1;
      const far = (odd ? Math.min(sy + 1, lastY) : Math.max(sy - 1, 0)) * stride;
      const bias = odd ? 2 : 1;
      let o = y * width * n + ci;
      for (let x = 0; x < width; x++, o += n)
        out[o] = (3 * plane[near + x] + plane[far + x] + bias) >> 2;
    }
  } else {
    for (let y = 0; y < height; y++) {
      const row = Math.min(Math.floor((y * comp.v) / vMax), lastY) * stride;
      let o = y * width * n + ci;
      for (let x = 0; x < width; x++, o += n)
        out[o] = plane[row + Math.min(Math.floor((x * comp.h) / hMax), lastX)];
    }
  }
}

// ---------------------------------------------------------------------------
// Markers

/** Decodes a sequential-DCT (baseline or extended, Huffman) JPEG. Throws on anything else or on corrupt data. */
export function decodeDctJpeg(bytes: Uint8Array): DctJpegImage {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    throw new Error('Not a JPEG stream (no SOI marker at the start)');
  const quant: (Uint16Array | null)[] = [null, null, null, null];
  const dcTables: (HuffTable | null)[] = [null, null, null, null];
  const acTables: (HuffTable | null)[] = [null, null, null, null];
  let restartInterval = 0;
  let frame: Frame | null = null;
  let scans = 0;
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
    if (pos + 2 > bytes.length) throw new Error(`JPEG data ends inside marker FF${hex(marker)}`);
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    const end = pos + length;
    if (length < 2 || end > bytes.length)
      throw new Error(`JPEG segment FF${hex(marker)} runs past the end of the data`);
    const c = new ByteCursor(bytes, pos + 2, end, `FF${hex(marker)}`);

    if (marker === 0xc0 || marker === 0xc1) {
      if (frame) throw new Error('JPEG has more than one frame header');
      frame = parseFrame(c, marker);
    } else if (UNSUPPORTED_SOF[marker]) {
      throw new Error(`JPEG SOF${marker - 0xc0} (${UNSUPPORTED_SOF[marker]}) is not supported`);
    } else if (marker === 0xc4) {
      readHuffmanTables(c, dcTables, acTables);
    } else if (marker === 0xdb) {
      while (c.left > 0) {
        const pqtq = c.u8();
        const pq = pqtq >> 4;
        const tq = pqtq & 15;
        if (pq > 1 || tq > 3) throw new Error(`JPEG DQT has invalid precision/id ${hex(pqtq)}`);
        // 16-bit entries are what 12-bit images usually need.
        const table = new Uint16Array(64);
        for (let i = 0; i < 64; i++) table[i] = pq === 0 ? c.u8() : c.u16();
        quant[tq] = table;
      }
    } else if (marker === 0xdd) {
      restartInterval = c.u16();
    } else if (marker === 0xda) {
      if (!frame) throw new Error('JPEG scan comes before the frame header');
      const ns = c.u8();
      if (ns < 1 || ns > 4 || length !== 6 + 2 * ns)
        throw new Error(`JPEG SOS header is malformed (${ns} components)`);
      const parts: ScanPart[] = [];
      for (let i = 0; i < ns; i++) {
        const id = c.u8();
        const tdta = c.u8();
        const comp = frame.components.find((x) => x.id === id);
        if (!comp) throw new Error(`JPEG scan names component ${id}, not in the frame`);
        if (parts.some((p) => p.comp === comp))
          throw new Error(`JPEG scan repeats component ${id}`);
        const dc = dcTables[tdta >> 4];
        const ac = acTables[tdta & 15];
        const qt = quant[comp.tq];
        if (!dc || !ac) throw new Error(`JPEG scan uses an undefined Huffman table (${hex(tdta)})`);
        if (!qt)
          throw new Error(`JPEG component ${id} uses undefined quantisation table ${comp.tq}`);
        parts.push({ comp, dc, ac, q: Float64Array.from(qt) });
      }
      // Ss, Se, Ah/Al mean nothing in sequential mode; some encoders write Se=0
      // (the RG3 test image does), so like libjpeg we ignore them.
      if (ns > 1 && parts.reduce((s, p) => s + p.comp.h * p.comp.v, 0) > 10)
        throw new Error('JPEG interleaved scan has more than 10 blocks per MCU');
      pos = decodeScan(bytes, end, frame, parts, restartInterval);
      scans++;
      continue;
    }
    // Anything else (APPn, COM, DNL, ...) carries nothing we need.
    pos = end;
  }

  if (!frame) throw new Error('JPEG has no frame header (SOF0/SOF1)');
  if (scans === 0) throw new Error('JPEG has no scan');
  const f = frame;
  const comps = f.components;
  const missing = comps.find((x) => !x.plane);
  if (missing) throw new Error(`JPEG has no scan for component ${missing.id}`);
  const data = new Uint16Array(f.width * f.height * comps.length);
  comps.forEach((comp, i) => writeComponent(f, comp, i, data));
  return {
    width: f.width,
    height: f.height,
    components: comps.length,
    precision: f.precision,
    data,
  };
}
