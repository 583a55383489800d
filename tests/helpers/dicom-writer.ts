/**
 * A small DICOM Part 10 writer for tests: builds files in memory so that edge
 * cases are made by the test that needs them, never committed as binaries.
 *
 * Supports the uncompressed transfer syntaxes (Implicit VR LE, Explicit VR LE,
 * Explicit VR BE, Deflated Explicit VR LE), explicit-length sequences, and
 * encapsulated pixel data (for any other transfer syntax UID, which is then
 * treated as Explicit VR LE, as every encapsulated syntax is).
 */
import { deflateSync } from 'fflate';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
} as const;

export const SOP_CLASS = {
  /** Digital X-Ray Image Storage - For Presentation. */
  dx: '1.2.840.10008.5.1.4.1.1.1.1',
  /** Computed Radiography Image Storage. */
  cr: '1.2.840.10008.5.1.4.1.1.1',
} as const;

export type Vr =
  | 'AE'
  | 'AS'
  | 'AT'
  | 'CS'
  | 'DA'
  | 'DS'
  | 'DT'
  | 'FD'
  | 'FL'
  | 'IS'
  | 'LO'
  | 'LT'
  | 'OB'
  | 'OW'
  | 'PN'
  | 'SH'
  | 'SL'
  | 'SQ'
  | 'SS'
  | 'ST'
  | 'TM'
  | 'UI'
  | 'UL'
  | 'UN'
  | 'US'
  | 'UT';

export type ElementValue =
  string | number | number[] | Uint8Array | Uint16Array | Int16Array | Element[][];

/**
 * One data element. Value forms by VR:
 * - text VRs (CS, LO, SH, PN, UI, DA, LT, ...): a string (multiple values joined with `\`);
 *   DS and IS also take a number or number[];
 * - US, SS, UL, SL, FL, FD: a number, number[], Uint16Array or Int16Array;
 * - AT: a tag number or number[] of tags;
 * - OB: Uint8Array or number[] of bytes;
 * - OW: Uint16Array, Int16Array or number[] of 16-bit words (written in the dataset's byte
 *   order), or a Uint8Array of raw bytes written as they are;
 * - SQ: Element[][] (one Element[] per item).
 */
export interface Element {
  /** (group << 16) | element, see {@link tag}. */
  tag: number;
  vr: Vr;
  value: ElementValue;
}

export interface WriteOptions {
  /** Transfer syntax UID of the dataset; default Explicit VR Little Endian. */
  transferSyntax?: string;
  /** Default true: 128 zero bytes, 'DICM' and the file meta group. false: the bare dataset. */
  preamble?: boolean;
  /**
   * Write Pixel Data (7FE0,0010) as encapsulated fragments (one a frame) with an empty basic
   * offset table; any Pixel Data element in `elements` is left out.
   */
  encapsulatedFrames?: Uint8Array[];
  /** Media Storage SOP Class UID; default the dataset's SOP Class UID (0008,0016), else DX. */
  sopClassUid?: string;
}

/** (group, element) as one number: (group << 16) | element. */
export function tag(group: number, element: number): number {
  return ((group & 0xffff) * 0x10000 + (element & 0xffff)) >>> 0;
}

/** Tags the tests use, by keyword. */
export const TAG = {
  SOPClassUID: tag(0x0008, 0x0016),
  SOPInstanceUID: tag(0x0008, 0x0018),
  StudyDate: tag(0x0008, 0x0020),
  Modality: tag(0x0008, 0x0060),
  SeriesDescription: tag(0x0008, 0x103e),
  PatientName: tag(0x0010, 0x0010),
  PatientID: tag(0x0010, 0x0020),
  BodyPartExamined: tag(0x0018, 0x0015),
  ImagerPixelSpacing: tag(0x0018, 0x1164),
  ViewPosition: tag(0x0018, 0x5101),
  StudyInstanceUID: tag(0x0020, 0x000d),
  SeriesInstanceUID: tag(0x0020, 0x000e),
  SamplesPerPixel: tag(0x0028, 0x0002),
  PhotometricInterpretation: tag(0x0028, 0x0004),
  PlanarConfiguration: tag(0x0028, 0x0006),
  NumberOfFrames: tag(0x0028, 0x0008),
  FrameIncrementPointer: tag(0x0028, 0x0009),
  Rows: tag(0x0028, 0x0010),
  Columns: tag(0x0028, 0x0011),
  PixelSpacing: tag(0x0028, 0x0030),
  BitsAllocated: tag(0x0028, 0x0100),
  BitsStored: tag(0x0028, 0x0101),
  HighBit: tag(0x0028, 0x0102),
  PixelRepresentation: tag(0x0028, 0x0103),
  PixelPaddingValue: tag(0x0028, 0x0120),
  PixelPaddingRangeLimit: tag(0x0028, 0x0121),
  WindowCenter: tag(0x0028, 0x1050),
  WindowWidth: tag(0x0028, 0x1051),
  RescaleIntercept: tag(0x0028, 0x1052),
  RescaleSlope: tag(0x0028, 0x1053),
  RescaleType: tag(0x0028, 0x1054),
  WindowCenterWidthExplanation: tag(0x0028, 0x1055),
  ModalityLUTSequence: tag(0x0028, 0x3000),
  LUTDescriptor: tag(0x0028, 0x3002),
  LUTExplanation: tag(0x0028, 0x3003),
  ModalityLUTType: tag(0x0028, 0x3004),
  LUTData: tag(0x0028, 0x3006),
  VOILUTSequence: tag(0x0028, 0x3010),
  PixelData: tag(0x7fe0, 0x0010),
} as const;

const ITEM = tag(0xfffe, 0xe000);
const SEQUENCE_DELIMITER = tag(0xfffe, 0xe0dd);
const UNDEFINED_LENGTH = 0xffffffff;
const IMPLEMENTATION_CLASS_UID = '2.25.302871460392105846412296390171238490919';

/** VRs whose explicit header has 2 reserved bytes and a 4-byte length. */
const LONG_VRS = new Set<Vr>(['OB', 'OW', 'SQ', 'UN', 'UT']);
const TEXT_VRS = new Set<Vr>([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UI',
  'UT',
]);

interface Syntax {
  explicit: boolean;
  littleEndian: boolean;
  deflated: boolean;
}

function syntaxOf(uid: string): Syntax {
  switch (uid) {
    case TS.implicitLE:
      return { explicit: false, littleEndian: true, deflated: false };
    case TS.explicitBE:
      return { explicit: true, littleEndian: false, deflated: false };
    case TS.deflatedLE:
      return { explicit: true, littleEndian: true, deflated: true };
    default:
      // Explicit VR LE and every encapsulated (compressed) syntax.
      return { explicit: true, littleEndian: true, deflated: false };
  }
}

/** A growable byte buffer that writes numbers in one byte order. */
class ByteSink {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  constructor(readonly littleEndian: boolean) {}

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(0, at));
      this.buffer = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v, this.littleEndian);
  }
  i16(v: number): void {
    const at = this.reserve(2);
    this.view.setInt16(at, v, this.littleEndian);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, this.littleEndian);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, this.littleEndian);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, this.littleEndian);
  }
  f64(v: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, this.littleEndian);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buffer.set(b, at);
  }
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i) & 0xff);
  }
  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** A decimal string of at most 16 characters (the DS limit). */
function formatDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`DS value must be finite, got ${n}`);
  let s = String(n);
  if (s.length > 16) s = String(Number(n.toPrecision(10)));
  if (s.length > 16) s = n.toExponential(8);
  return s;
}

function isSequenceValue(value: ElementValue): value is Element[][] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => Array.isArray(item));
}

function numbersOf(el: Element): number[] {
  const v = el.value;
  if (typeof v === 'number') return [v];
  if (typeof v === 'string' || isSequenceValue(v)) {
    throw new Error(`${hex(el.tag)} ${el.vr}: expected numbers, got ${typeof v}`);
  }
  return Array.from(v as ArrayLike<number>);
}

function hex(t: number): string {
  const s = t.toString(16).toUpperCase().padStart(8, '0');
  return `(${s.slice(0, 4)},${s.slice(4)})`;
}

function textOf(el: Element): string {
  const v = el.value;
  if (typeof v === 'string') return v;
  if (el.vr === 'DS' || el.vr === 'IS') {
    return numbersOf(el)
      .map((n) => (el.vr === 'IS' ? String(Math.trunc(n)) : formatDecimal(n)))
      .join('\\');
  }
  throw new Error(`${hex(el.tag)} ${el.vr}: expected a string`);
}

/** The element's value bytes, padded to even length, in the syntax's byte order. */
function encodeValue(el: Element, syntax: Syntax): Uint8Array {
  const out = new ByteSink(syntax.littleEndian);
  const { vr } = el;
  if (vr === 'SQ') {
    const items = el.value;
    if (!Array.isArray(items) || !(items.length === 0 || isSequenceValue(items))) {
      throw new Error(`${hex(el.tag)} SQ: expected Element[][]`);
    }
    for (const item of items as Element[][]) {
      const body = encodeElements(item, syntax);
      writeTag(out, ITEM);
      out.u32(body.length);
      out.bytes(body);
    }
    return out.result();
  }
  if (TEXT_VRS.has(vr)) {
    out.bytes(new TextEncoder().encode(textOf(el)));
    if (out.length % 2) out.u8(vr === 'UI' ? 0x00 : 0x20);
    return out.result();
  }
  if ((vr === 'OB' || vr === 'OW' || vr === 'UN') && el.value instanceof Uint8Array) {
    out.bytes(el.value);
    if (out.length % 2) out.u8(0);
    return out.result();
  }
  const values = numbersOf(el);
  for (const n of values) {
    switch (vr) {
      case 'OB':
      case 'UN':
        out.u8(n);
        break;
      case 'US':
        out.u16(n);
        break;
      case 'OW':
        // Words of either sign: Int16Array values are written as their 16-bit pattern.
        out.u16(n & 0xffff);
        break;
      case 'SS':
        out.i16(n);
        break;
      case 'UL':
        out.u32(n);
        break;
      case 'SL':
        out.i32(n);
        break;
      case 'FL':
        out.f32(n);
        break;
      case 'FD':
        out.f64(n);
        break;
      case 'AT':
        out.u16(n >>> 16);
        out.u16(n & 0xffff);
        break;
      default:
        throw new Error(`${hex(el.tag)}: VR ${vr} cannot hold numbers`);
    }
  }
  if (out.length % 2) out.u8(0);
  return out.result();
}

function writeTag(out: ByteSink, t: number): void {
  out.u16(t >>> 16);
  out.u16(t & 0xffff);
}

function writeHeader(out: ByteSink, t: number, vr: Vr, length: number, explicit: boolean): void {
  writeTag(out, t);
  if (!explicit) {
    out.u32(length);
    return;
  }
  out.ascii(vr);
  if (LONG_VRS.has(vr)) {
    out.u16(0);
    out.u32(length);
  } else {
    if (length > 0xffff) throw new Error(`${hex(t)} ${vr}: value of ${length} bytes is too long`);
    out.u16(length);
  }
}

function sorted(elements: Element[]): Element[] {
  return [...elements].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
}

function encodeElements(elements: Element[], syntax: Syntax): Uint8Array {
  const out = new ByteSink(syntax.littleEndian);
  for (const el of sorted(elements)) {
    const value = encodeValue(el, syntax);
    writeHeader(out, el.tag, el.vr, value.length, syntax.explicit);
    out.bytes(value);
  }
  return out.result();
}

function encodeEncapsulatedPixelData(frames: Uint8Array[], syntax: Syntax): Uint8Array {
  if (!syntax.explicit || !syntax.littleEndian) {
    throw new Error('encapsulated pixel data needs an explicit VR little endian transfer syntax');
  }
  const out = new ByteSink(true);
  writeHeader(out, TAG.PixelData, 'OB', UNDEFINED_LENGTH, true);
  writeTag(out, ITEM); // empty basic offset table
  out.u32(0);
  for (const frame of frames) {
    writeTag(out, ITEM);
    out.u32(frame.length + (frame.length % 2));
    out.bytes(frame);
    if (frame.length % 2) out.u8(0);
  }
  writeTag(out, SEQUENCE_DELIMITER);
  out.u32(0);
  return out.result();
}

function encodeDataset(elements: Element[], syntax: Syntax, frames?: Uint8Array[]): Uint8Array {
  if (!frames) return encodeElements(elements, syntax);
  const rest = elements.filter((el) => el.tag !== TAG.PixelData);
  const before = encodeElements(
    rest.filter((el) => el.tag >>> 0 < TAG.PixelData),
    syntax,
  );
  const pixels = encodeEncapsulatedPixelData(frames, syntax);
  const after = encodeElements(
    rest.filter((el) => el.tag >>> 0 > TAG.PixelData),
    syntax,
  );
  return concat([before, pixels, after]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function stringValue(elements: Element[], t: number): string | undefined {
  const el = elements.find((e) => e.tag === t);
  return el && typeof el.value === 'string' ? el.value : undefined;
}

/** File meta information group (0002), always Explicit VR Little Endian, with its group length. */
function encodeFileMeta(elements: Element[], transferSyntax: string, options: WriteOptions) {
  const explicitLE: Syntax = { explicit: true, littleEndian: true, deflated: false };
  const sopClass = options.sopClassUid ?? stringValue(elements, TAG.SOPClassUID) ?? SOP_CLASS.dx;
  const sopInstance = stringValue(elements, TAG.SOPInstanceUID) ?? '2.25.1';
  const body = encodeElements(
    [
      { tag: tag(0x0002, 0x0001), vr: 'OB', value: new Uint8Array([0x00, 0x01]) },
      { tag: tag(0x0002, 0x0002), vr: 'UI', value: sopClass },
      { tag: tag(0x0002, 0x0003), vr: 'UI', value: sopInstance },
      { tag: tag(0x0002, 0x0010), vr: 'UI', value: transferSyntax },
      { tag: tag(0x0002, 0x0012), vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
      { tag: tag(0x0002, 0x0013), vr: 'SH', value: 'SKELEX_TEST' },
    ],
    explicitLE,
  );
  const groupLength = encodeElements(
    [{ tag: tag(0x0002, 0x0000), vr: 'UL', value: body.length }],
    explicitLE,
  );
  return concat([groupLength, body]);
}

/** A whole Part 10 file (or, with `preamble: false`, the bare dataset) in memory. */
export function writeDicom(elements: Element[], options: WriteOptions = {}): Uint8Array {
  const transferSyntax = options.transferSyntax ?? TS.explicitLE;
  const syntax = syntaxOf(transferSyntax);
  let dataset = encodeDataset(elements, syntax, options.encapsulatedFrames);
  if (syntax.deflated) {
    dataset = deflateSync(dataset);
    // PS3.5 A.5: an odd-length deflated stream is padded with one trailing NUL.
    if (dataset.length % 2) dataset = concat([dataset, new Uint8Array(1)]);
  }
  if (options.preamble === false) return dataset;
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128); // 'DICM'
  return concat([preamble, encodeFileMeta(elements, transferSyntax, options), dataset]);
}

export interface LutItem {
  /** Number of entries, first stored (or modality) value mapped, bits per entry. */
  descriptor: [number, number, number];
  data: number[] | Uint16Array;
  explanation?: string;
  /** Modality LUT Type (0028,3004), for modality LUT items. */
  modalityLutType?: string;
}

/** One LUT item for a Modality LUT Sequence or VOI LUT Sequence. */
export function lutItem(item: LutItem): Element[] {
  const elements: Element[] = [
    { tag: TAG.LUTDescriptor, vr: 'US', value: [...item.descriptor] },
    { tag: TAG.LUTData, vr: 'OW', value: Uint16Array.from(item.data) },
  ];
  if (item.explanation !== undefined) {
    elements.push({ tag: TAG.LUTExplanation, vr: 'LO', value: item.explanation });
  }
  if (item.modalityLutType !== undefined) {
    elements.push({ tag: TAG.ModalityLUTType, vr: 'LO', value: item.modalityLutType });
  }
  return elements;
}

export interface ImageOptions {
  rows: number;
  columns: number;
  /** Pixel Data as stored: all frames, in the order the planar configuration says. */
  pixels?: Uint8Array | Uint16Array | Int16Array;
  samplesPerPixel?: 1 | 3;
  /** Default MONOCHROME2 for one sample, RGB for three. */
  photometric?: string;
  /** Default 8 for a Uint8Array, else 16. */
  bitsAllocated?: number;
  /** Default bitsAllocated. */
  bitsStored?: number;
  /** Default bitsStored - 1. */
  highBit?: number;
  /** Default 1 for an Int16Array, else 0. */
  pixelRepresentation?: 0 | 1;
  planarConfiguration?: 0 | 1;
  numberOfFrames?: number;
  rescaleSlope?: number;
  rescaleIntercept?: number;
  windowCenter?: number | number[];
  windowWidth?: number | number[];
  windowExplanation?: string | string[];
  pixelPaddingValue?: number;
  /** Row spacing then column spacing, in mm. */
  pixelSpacing?: [number, number];
  imagerPixelSpacing?: [number, number];
  /** Default 'DX'. */
  modality?: string;
  bodyPart?: string;
  viewPosition?: string;
  patientName?: string;
  seriesDescription?: string;
  /** Default DX; also written as the Media Storage SOP Class UID. */
  sopClassUid?: string;
  /** Further elements; one with the tag of a generated element replaces it. */
  extra?: Element[];
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** A minimal image dataset (one Element a tag, unsorted: writeDicom sorts). */
export function makeImage(opts: ImageOptions): Element[] {
  const samples = opts.samplesPerPixel ?? 1;
  const bitsAllocated = opts.bitsAllocated ?? (opts.pixels instanceof Uint8Array ? 8 : 16);
  const bitsStored = opts.bitsStored ?? bitsAllocated;
  const pixelRepresentation =
    opts.pixelRepresentation ?? (opts.pixels instanceof Int16Array ? 1 : 0);
  const us = (t: number, value: number): Element => ({ tag: t, vr: 'US', value });
  const els: Element[] = [
    { tag: TAG.SOPClassUID, vr: 'UI', value: opts.sopClassUid ?? SOP_CLASS.dx },
    { tag: TAG.SOPInstanceUID, vr: 'UI', value: '2.25.1001' },
    { tag: TAG.StudyInstanceUID, vr: 'UI', value: '2.25.1002' },
    { tag: TAG.SeriesInstanceUID, vr: 'UI', value: '2.25.1003' },
    { tag: TAG.Modality, vr: 'CS', value: opts.modality ?? 'DX' },
    us(TAG.SamplesPerPixel, samples),
    {
      tag: TAG.PhotometricInterpretation,
      vr: 'CS',
      value: opts.photometric ?? (samples === 3 ? 'RGB' : 'MONOCHROME2'),
    },
    us(TAG.Rows, opts.rows),
    us(TAG.Columns, opts.columns),
    us(TAG.BitsAllocated, bitsAllocated),
    us(TAG.BitsStored, bitsStored),
    us(TAG.HighBit, opts.highBit ?? bitsStored - 1),
    us(TAG.PixelRepresentation, pixelRepresentation),
  ];
  if (opts.planarConfiguration !== undefined) {
    els.push(us(TAG.PlanarConfiguration, opts.planarConfiguration));
  }
  if (opts.numberOfFrames !== undefined) {
    els.push({ tag: TAG.NumberOfFrames, vr: 'IS', value: opts.numberOfFrames });
  }
  if (opts.rescaleSlope !== undefined) {
    els.push({ tag: TAG.RescaleSlope, vr: 'DS', value: opts.rescaleSlope });
  }
  if (opts.rescaleIntercept !== undefined) {
    els.push({ tag: TAG.RescaleIntercept, vr: 'DS', value: opts.rescaleIntercept });
  }
  if (opts.windowCenter !== undefined) {
    els.push({ tag: TAG.WindowCenter, vr: 'DS', value: asList(opts.windowCenter) });
  }
  if (opts.windowWidth !== undefined) {
    els.push({ tag: TAG.WindowWidth, vr: 'DS', value: asList(opts.windowWidth) });
  }
  if (opts.windowExplanation !== undefined) {
    els.push({
      tag: TAG.WindowCenterWidthExplanation,
      vr: 'LO',
      value: asList(opts.windowExplanation).join('\\'),
    });
  }
  if (opts.pixelPaddingValue !== undefined) {
    els.push({
      tag: TAG.PixelPaddingValue,
      vr: pixelRepresentation === 1 ? 'SS' : 'US',
      value: opts.pixelPaddingValue,
    });
  }
  if (opts.pixelSpacing) {
    els.push({ tag: TAG.PixelSpacing, vr: 'DS', value: [...opts.pixelSpacing] });
  }
  if (opts.imagerPixelSpacing) {
    els.push({ tag: TAG.ImagerPixelSpacing, vr: 'DS', value: [...opts.imagerPixelSpacing] });
  }
  if (opts.bodyPart !== undefined) {
    els.push({ tag: TAG.BodyPartExamined, vr: 'CS', value: opts.bodyPart });
  }
  if (opts.viewPosition !== undefined) {
    els.push({ tag: TAG.ViewPosition, vr: 'CS', value: opts.viewPosition });
  }
  if (opts.patientName !== undefined) {
    els.push({ tag: TAG.PatientName, vr: 'PN', value: opts.patientName });
  }
  if (opts.seriesDescription !== undefined) {
    els.push({ tag: TAG.SeriesDescription, vr: 'LO', value: opts.seriesDescription });
  }
  if (opts.pixels) {
    els.push({ tag: TAG.PixelData, vr: bitsAllocated === 8 ? 'OB' : 'OW', value: opts.pixels });
  }
  const extra = opts.extra ?? [];
  const replaced = new Set(extra.map((e) => e.tag));
  return [...els.filter((e) => !replaced.has(e.tag)), ...extra];
}
