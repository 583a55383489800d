/**
 * Seeded mutations of real image files, for fuzzing the decoders. A case is
 * (source file, mutator, seed): the same triple always gives the same bytes,
 * so a failing case is kept as that recipe (tests/fuzz/regressions.json), never
 * as a copy of the data.
 */
import dicomParser from 'dicom-parser';
import { mulberry32 } from '../../src/lib/mae/masking';

export type FuzzKind = 'dicom' | 'png' | 'jpeg';

export interface FuzzSource {
  /** Path under the data folder, e.g. `dicom/RG3_RLE.dcm`. */
  name: string;
  kind: FuzzKind;
  bytes: Uint8Array;
}

export interface FuzzCase {
  source: string;
  mutator: string;
  seed: number;
}

type Random = () => number;
type Mutator = (bytes: Uint8Array, random: Random, layout: Layout) => Uint8Array;

/** Where a file's structure lies: header fields worth corrupting. */
interface Layout {
  /** Bytes before the pixel data (DICOM) or the first image data (PNG IDAT, JPEG SOS). */
  headerEnd: number;
  /** Length fields: offset and width in bytes (2 or 4), little- or big-endian. */
  lengths: { offset: number; width: 2 | 4; littleEndian: boolean }[];
  /** Explicit VR fields (DICOM). */
  vrs: number[];
  /** Small integer fields: offset, width, little-endian (Rows, Columns, IHDR width, SOF height...). */
  numbers: { offset: number; width: 2 | 4; littleEndian: boolean }[];
  /** DICOM Transfer Syntax UID value: offset and length. */
  transferSyntax?: { offset: number; length: number };
}

const int = (random: Random, below: number) => Math.floor(random() * below);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)];

function writeNumber(
  bytes: Uint8Array,
  field: { offset: number; width: 2 | 4; littleEndian: boolean },
  value: number,
) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (field.width === 2) view.setUint16(field.offset, value & 0xffff, field.littleEndian);
  else view.setUint32(field.offset, value >>> 0, field.littleEndian);
}

function extremeValue(random: Random, width: 2 | 4, current: number): number {
  const max = width === 2 ? 0xffff : 0xffffffff;
  return pick(random, [
    0,
    1,
    current + 1,
    current * 2,
    max,
    max - 1,
    width === 2 ? 0x8000 : 0x80000000,
    int(random, max + 1),
  ]);
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

function dicomLayout(bytes: Uint8Array): Layout {
  const dataSet = dicomParser.parseDicom(bytes);
  const layout: Layout = { headerEnd: bytes.length, lengths: [], vrs: [], numbers: [] };
  const isUpper = (b: number) => b >= 65 && b <= 90;
  for (const [tag, element] of Object.entries(dataSet.elements)) {
    const vr = element.vr ?? '';
    const long = LONG_VRS.has(vr);
    const vrOffset = element.dataOffset - (long ? 8 : 4);
    if (tag === 'x7fe00010') layout.headerEnd = Math.min(layout.headerEnd, vrOffset - 4);
    if (vrOffset < 0 || !isUpper(bytes[vrOffset]) || !isUpper(bytes[vrOffset + 1])) continue;
    layout.vrs.push(vrOffset);
    layout.lengths.push({
      offset: element.dataOffset - (long ? 4 : 2),
      width: long ? 4 : 2,
      littleEndian: true,
    });
    if (vr === 'US' && element.length === 2 && tag.startsWith('x0028')) {
      layout.numbers.push({ offset: element.dataOffset, width: 2, littleEndian: true });
    }
    if (tag === 'x00020010')
      layout.transferSyntax = { offset: element.dataOffset, length: element.length };
  }
  return layout;
}

function pngLayout(bytes: Uint8Array): Layout {
  const layout: Layout = { headerEnd: bytes.length, lengths: [], vrs: [], numbers: [] };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    layout.lengths.push({ offset: at, width: 4, littleEndian: false });
    if (type === 'IHDR') {
      layout.numbers.push(
        { offset: at + 8, width: 4, littleEndian: false },
        { offset: at + 12, width: 4, littleEndian: false },
      );
    }
    if (type === 'IDAT') layout.headerEnd = Math.min(layout.headerEnd, at + 8);
    at += 12 + length;
  }
  return layout;
}

function jpegLayout(bytes: Uint8Array): Layout {
  const layout: Layout = { headerEnd: bytes.length, lengths: [], vrs: [], numbers: [] };
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff;) {
    const marker = bytes[at + 1];
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    layout.lengths.push({ offset: at + 2, width: 2, littleEndian: false });
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // SOFn: precision, height, width, components.
      layout.numbers.push(
        { offset: at + 5, width: 2, littleEndian: false },
        { offset: at + 7, width: 2, littleEndian: false },
      );
    }
    if (marker === 0xda) {
      layout.headerEnd = at + 2 + length;
      break;
    }
    at += 2 + length;
  }
  return layout;
}

function flipBits(bytes: Uint8Array, random: Random, end: number, count: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < count; i++) out[int(random, end)] ^= 1 << int(random, 8);
  return out;
}

/** A chain of `depth` nested sequences with undefined lengths (explicit VR little endian). */
function nestedSequences(depth: number, closed: boolean): Uint8Array {
  const open = [0x40, 0x00, 0x30, 0xa7, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]; // (0040,A730) SQ
  const item = [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff];
  const itemEnd = [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0];
  const sequenceEnd = [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];
  const parts: number[] = [];
  for (let i = 0; i < depth; i++) parts.push(...open, ...item);
  if (closed) for (let i = 0; i < depth; i++) parts.push(...itemEnd, ...sequenceEnd);
  return Uint8Array.from(parts);
}

/** Same-length replacements for the Transfer Syntax UID: unknown, unsupported or not matching the pixels. */
const BOGUS_SYNTAXES = [
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.100',
  '1.2.840.10008.1.2.1.99',
  '9.9.9',
  '',
  '\u0000\u0000\u0000',
];

const COMMON: Record<string, Mutator> = {
  'flip-header-bits': (b, r, l) => flipBits(b, r, Math.max(1, l.headerEnd), 1 + int(r, 8)),
  'flip-any-bits': (b, r) => flipBits(b, r, b.length, 1 + int(r, 64)),
  truncate: (b, r, l) =>
    b.slice(0, r() < 0.5 ? int(r, Math.max(1, l.headerEnd)) : int(r, b.length)),
  'corrupt-length': (b, r, l) => {
    if (l.lengths.length === 0) return flipBits(b, r, b.length, 1);
    const out = b.slice();
    const field = pick(r, l.lengths);
    const view = new DataView(out.buffer);
    const current =
      field.width === 2
        ? view.getUint16(field.offset, field.littleEndian)
        : view.getUint32(field.offset, field.littleEndian);
    writeNumber(out, field, extremeValue(r, field.width, current));
    return out;
  },
  'huge-dimensions': (b, r, l) => {
    const out = b.slice();
    const fields = l.numbers.length ? l.numbers : l.lengths;
    for (let i = 0, n = 1 + int(r, 3); i < n && fields.length; i++) {
      const field = pick(r, fields);
      writeNumber(out, field, extremeValue(r, field.width, 0));
    }
    return out;
  },
};

const DICOM_ONLY: Record<string, Mutator> = {
  'corrupt-vr': (b, r, l) => {
    if (l.vrs.length === 0) return b.slice();
    const out = b.slice();
    const at = pick(r, l.vrs);
    const vr = pick(r, ['SQ', 'OB', 'UN', 'UT', 'US', 'FD', 'XX', '\u0000\u0000', 'ob']);
    out[at] = vr.charCodeAt(0);
    out[at + 1] = vr.charCodeAt(1);
    return out;
  },
  'bogus-transfer-syntax': (b, r, l) => {
    const out = b.slice();
    if (!l.transferSyntax) return out;
    const uid = pick(
      r,
      BOGUS_SYNTAXES.filter((u) => u.length <= l.transferSyntax!.length),
    );
    out.fill(0, l.transferSyntax.offset, l.transferSyntax.offset + l.transferSyntax.length);
    for (let i = 0; i < uid.length; i++) out[l.transferSyntax.offset + i] = uid.charCodeAt(i);
    return out;
  },
  'nested-sequences': (b, r, l) => {
    // Into the data set just before the pixel data, where a sequence is allowed.
    const depth = pick(r, [2, 64, 1000, 20000]);
    const chain = nestedSequences(depth, r() < 0.5);
    const at = Math.min(l.headerEnd, b.length);
    const out = new Uint8Array(b.length + chain.length);
    out.set(b.subarray(0, at), 0);
    out.set(chain, at);
    out.set(b.subarray(at), at + chain.length);
    return out;
  },
};

export const MUTATORS: Record<FuzzKind, string[]> = {
  dicom: [...Object.keys(COMMON), ...Object.keys(DICOM_ONLY)],
  png: Object.keys(COMMON),
  jpeg: Object.keys(COMMON),
};

const layouts = new WeakMap<Uint8Array, Layout>();

function layoutOf(source: FuzzSource): Layout {
  let layout = layouts.get(source.bytes);
  if (!layout) {
    layout =
      source.kind === 'dicom'
        ? dicomLayout(source.bytes)
        : source.kind === 'png'
          ? pngLayout(source.bytes)
          : jpegLayout(source.bytes);
    layouts.set(source.bytes, layout);
  }
  return layout;
}

/** The bytes of one case. */
export function mutate(source: FuzzSource, mutator: string, seed: number): Uint8Array {
  const apply = COMMON[mutator] ?? (source.kind === 'dicom' ? DICOM_ONLY[mutator] : undefined);
  if (!apply) throw new Error(`no mutator ${mutator} for ${source.kind}`);
  return apply(source.bytes, mulberry32(seed), layoutOf(source));
}

/** `count` cases over `sources`, spread over their mutators, from `seed`. */
export function fuzzCases(sources: FuzzSource[], count: number, seed: number): FuzzCase[] {
  const random = mulberry32(seed);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length];
    cases.push({
      source: source.name,
      mutator: pick(random, MUTATORS[source.kind]),
      seed: int(random, 2 ** 31),
    });
  }
  return cases;
}
