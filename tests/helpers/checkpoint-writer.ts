/**
 * Writers for checkpoint files in tests: safetensors, the ZIP + pickle that
 * torch.save produces (protocol 2, stored entries, 64-byte aligned data,
 * optional ZIP64 records), and raw pickles for hostile-input tests. Files are
 * made by the test that needs them, never committed as binaries.
 *
 * The torch layout follows torch.save: `<prefix>/data.pkl` holds an
 * OrderedDict of `_rebuild_tensor_v2(persistent_load(('storage',
 * torch.FloatStorage, key, 'cpu', numel)), offset, size, stride, False,
 * OrderedDict())`, storages are `<prefix>/data/<key>`, plus `<prefix>/version`
 * and `<prefix>/byteorder`.
 */
import type { DType } from '../../src/lib/convert/tensors';

// ---------------------------------------------------------------- numbers

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32Bits(value: number): number {
  f32[0] = value;
  return u32[0];
}

export function float32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/** float16 bit pattern of a number (first rounded to float32), round-to-nearest-even. */
export function float32ToFloat16Bits(value: number): number {
  const bits = float32Bits(value);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++; // may carry into inf: correct
  return sign | half;
}

/** bfloat16 bit pattern of a number (first rounded to float32), round-to-nearest-even. */
export function float32ToBFloat16Bits(value: number): number {
  const bits = float32Bits(value);
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    return (bits >>> 16) | 0x40; // NaN stays NaN (quiet)
  }
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return Math.floor(rounded / 65536) & 0xffff;
}

const DTYPE_SIZE: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Little-endian bytes of `values` as `dtype` (floats rounded to nearest even; ints truncated). */
export function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (dtype) {
      case 'F64':
        view.setFloat64(i * 8, v, true);
        break;
      case 'F32':
        view.setFloat32(i * 4, v, true);
        break;
      case 'F16':
        view.setUint16(i * 2, float32ToFloat16Bits(v), true);
        break;
      case 'BF16':
        view.setUint16(i * 2, float32ToBFloat16Bits(v), true);
        break;
      case 'I64':
        view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
        break;
      case 'I32':
        view.setInt32(i * 4, v, true);
        break;
      case 'I16':
        view.setInt16(i * 2, v, true);
        break;
      case 'I8':
        view.setInt8(i, v);
        break;
      case 'U8':
        view.setUint8(i, v);
        break;
      case 'BOOL':
        view.setUint8(i, v ? 1 : 0);
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- byte building

class Bytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  u8(v: number): this {
    return this.raw(Uint8Array.of(v & 0xff));
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    return this.raw(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.raw(b);
  }
  i32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return this.raw(b);
  }
  u64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return this.raw(b);
  }
  raw(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
    return this;
  }
  text(s: string): this {
    return this.raw(new TextEncoder().encode(s));
  }
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

// ---------------------------------------------------------------- safetensors

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: number[];
  data: ArrayLike<number>;
}

/** A safetensors file as the reference library writes it (header padded to 8 bytes). */
export function writeSafetensors(
  tensors: TensorSpec[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = encodeValues(t.data, t.dtype);
    header[t.name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    blobs.push(bytes);
    offset += bytes.length;
  }
  const data = new Bytes();
  for (const b of blobs) data.raw(b);
  return writeSafetensorsRaw(header, data.toBytes());
}

/**
 * A safetensors file from any header (object or literal JSON text) and data
 * area, for malformed files. `headerLength` overrides the length prefix.
 */
export function writeSafetensorsRaw(
  header: unknown,
  data: Uint8Array,
  headerLength?: number,
): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const text = new TextEncoder().encode(json);
  return new Bytes()
    .u64(headerLength ?? text.length)
    .raw(text)
    .raw(data)
    .toBytes();
}

// ---------------------------------------------------------------- pickle

/** Emits pickle opcodes; methods chain. Only what tests need, nothing clever. */
export class PickleWriter {
  private readonly out = new Bytes();
  private memo = 0;

  op(code: number): this {
    this.out.u8(code);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.out.raw(bytes);
    return this;
  }
  proto(n = 2): this {
    return this.op(0x80).op(n);
  }
  global(module: string, name: string): this {
    this.out.u8(0x63).text(`${module}\n${name}\n`);
    return this;
  }
  /** STACK_GLOBAL (protocol 4): module and name as strings on the stack. */
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).op(0x93);
  }
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.out.u8(0x58).u32(bytes.length).raw(bytes);
    return this;
  }
  int(n: number): this {
    if (n >= 0 && n < 256) this.out.u8(0x4b).u8(n);
    else if (n >= 0 && n < 65536) this.out.u8(0x4d).u16(n);
    else if (n >= -(2 ** 31) && n < 2 ** 31) this.out.u8(0x4a).i32(n);
    else {
      // LONG1: little-endian two's complement, minimal length.
      let v = BigInt(n);
      const bytes: number[] = [];
      for (;;) {
        const b = Number(v & 0xffn);
        bytes.push(b);
        v >>= 8n;
        if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
      }
      this.out.u8(0x8a).u8(bytes.length).raw(Uint8Array.from(bytes));
    }
    return this;
  }
  bool(b: boolean): this {
    return this.op(b ? 0x88 : 0x89);
  }
  none(): this {
    return this.op(0x4e);
  }
  mark(): this {
    return this.op(0x28);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  /** A tuple of the last `n` stack items (TUPLE1-3), or of everything since MARK. */
  tuple(n?: number): this {
    if (n === 0) return this.emptyTuple();
    if (n === 1) return this.op(0x85);
    if (n === 2) return this.op(0x86);
    if (n === 3) return this.op(0x87);
    return this.op(0x74);
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  setitem(): this {
    return this.op(0x73);
  }
  setitems(): this {
    return this.op(0x75);
  }
  append(): this {
    return this.op(0x61);
  }
  appends(): this {
    return this.op(0x65);
  }
  binpersid(): this {
    return this.op(0x51);
  }
  /** BINPUT the top of the stack at the next memo index; returns the index through `into`. */
  put(into?: { index: number }): this {
    if (into) into.index = this.memo;
    this.out.u8(0x71).u8(this.memo++);
    return this;
  }
  get(index: number): this {
    this.out.u8(0x68).u8(index);
    return this;
  }
  stop(): this {
    return this.op(0x2e);
  }
  toBytes(): Uint8Array {
    return this.out.toBytes();
  }
}

/** The torch storage class pickled for each dtype. */
export const STORAGE_CLASS: Record<DType, string> = {
  F64: 'DoubleStorage',
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  I64: 'LongStorage',
  I32: 'IntStorage',
  I16: 'ShortStorage',
  I8: 'CharStorage',
  U8: 'ByteStorage',
  BOOL: 'BoolStorage',
};

export interface TorchStorageSpec {
  key: string;
  dtype: DType;
  data: ArrayLike<number>;
}

export interface TorchTensorSpec {
  name: string;
  /** Key of a storage in `storages`. */
  storage: string;
  shape: number[];
  /** Default: contiguous. */
  stride?: number[];
  offset?: number;
  /** Pickle it as an nn.Parameter (`_rebuild_parameter`). */
  parameter?: boolean;
}

export interface TorchZipOptions {
  tensors: TorchTensorSpec[];
  storages: TorchStorageSpec[];
  /** Archive folder; torch >= 2 writes "archive", 1.x the file's stem. */
  prefix?: string;
  /** Nest the state dict under this key of a plain dict (like {'state_dict': ...}). */
  nestUnder?: string;
  /** Write ZIP64 records and extra fields, as torch does for big files. */
  zip64?: boolean;
  /** Content of `<prefix>/byteorder`; null leaves it out (torch < 2 does). */
  byteorder?: string | null;
  /** Use this as data.pkl instead of the generated pickle. */
  pickle?: Uint8Array;
}

function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= shape[d];
  }
  return stride;
}

function intTuple(w: PickleWriter, values: number[]): void {
  if (values.length <= 3) {
    for (const v of values) w.int(v);
    w.tuple(values.length);
  } else {
    w.mark();
    for (const v of values) w.int(v);
    w.tuple();
  }
}

/** The data.pkl torch.save writes for a state dict (protocol 2, memoised like Python's). */
export function torchStateDictPickle(
  tensors: TorchTensorSpec[],
  storages: TorchStorageSpec[],
  nestUnder?: string,
): Uint8Array {
  const w = new PickleWriter().proto(2);
  const byKey = new Map(storages.map((s) => [s.key, s]));
  if (nestUnder) w.emptyDict().put().str(nestUnder).put();
  const od = { index: 0 };
  w.global('collections', 'OrderedDict').put(od).emptyTuple().reduce().put();
  w.mark();
  for (const t of tensors) {
    const storage = byKey.get(t.storage);
    if (!storage) throw new Error(`no storage ${t.storage}`);
    w.str(t.name).put();
    if (t.parameter) w.global('torch._utils', '_rebuild_parameter').put();
    w.global('torch._utils', '_rebuild_tensor_v2').put();
    w.mark();
    w.mark()
      .str('storage')
      .global('torch', STORAGE_CLASS[storage.dtype])
      .str(storage.key)
      .str('cpu')
      .int(storage.data.length)
      .tuple()
      .put()
      .binpersid();
    w.int(t.offset ?? 0);
    intTuple(w, t.shape);
    intTuple(w, t.stride ?? contiguousStride(t.shape));
    w.bool(false).get(od.index).emptyTuple().reduce().put();
    w.tuple().put().reduce().put();
    if (t.parameter) w.bool(false).get(od.index).emptyTuple().reduce().tuple(3).reduce().put();
  }
  w.setitems();
  if (nestUnder) w.setitem();
  return w.stop().toBytes();
}

/** A checkpoint as torch.save writes it. */
export function writeTorchZip(options: TorchZipOptions): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const entries: { name: string; data: Uint8Array }[] = [
    {
      name: `${prefix}/data.pkl`,
      data:
        options.pickle ??
        torchStateDictPickle(options.tensors, options.storages, options.nestUnder),
    },
  ];
  const byteorder = options.byteorder === undefined ? 'little' : options.byteorder;
  if (byteorder !== null) {
    entries.push({ name: `${prefix}/byteorder`, data: new TextEncoder().encode(byteorder) });
  }
  for (const s of options.storages) {
    entries.push({ name: `${prefix}/data/${s.key}`, data: encodeValues(s.data, s.dtype) });
  }
  entries.push({ name: `${prefix}/version`, data: new TextEncoder().encode('3\n') });
  return writeZip(entries, { zip64: options.zip64 });
}

/** A checkpoint with one contiguous storage a tensor. */
export function writeTorchZipFromTensors(
  tensors: TensorSpec[],
  options: Omit<TorchZipOptions, 'tensors' | 'storages'> = {},
): Uint8Array {
  return writeTorchZip({
    ...options,
    storages: tensors.map((t, i) => ({ key: String(i), dtype: t.dtype, data: t.data })),
    tensors: tensors.map((t, i) => ({ name: t.name, storage: String(i), shape: t.shape })),
  });
}

/** A pickle that would run `module.name(arg)` if a real unpickler loaded it. */
export function hostilePickle(
  module: string,
  name: string,
  arg: string,
  how: 'global' | 'stack_global' = 'global',
): Uint8Array {
  const w = new PickleWriter().proto(how === 'global' ? 2 : 4);
  if (how === 'global') w.global(module, name);
  else w.stackGlobal(module, name);
  return w.str(arg).tuple(1).reduce().stop().toBytes();
}

/** The start of a pre-1.6 torch.save file: protocol 2 then the legacy magic number. */
export function legacyTorchHeader(): Uint8Array {
  return Uint8Array.from([
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
  ]);
}

// ---------------------------------------------------------------- zip

let crcTable: Uint32Array | undefined;

export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A ZIP of stored entries, data aligned to 64 bytes with an "FB" padding extra
 * field as PyTorch's writer does. `zip64` saturates the 32-bit fields and
 * writes ZIP64 extra fields, end record and locator.
 */
export function writeZip(
  entries: { name: string; data: Uint8Array }[],
  options: { zip64?: boolean; align?: number } = {},
): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const align = options.align ?? 64;
  const out = new Bytes();
  const central = new Bytes();
  const version = zip64 ? 45 : 20;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const crc = crc32(e.data);
    const offset = out.length;
    const z64Local = zip64
      ? new Bytes().u16(0x0001).u16(16).u64(e.data.length).u64(e.data.length)
      : undefined;
    const fixedEnd = offset + 30 + name.length + (z64Local?.length ?? 0);
    const pad = (align - ((fixedEnd + 4) % align)) % align;
    const extra = new Bytes();
    if (z64Local) extra.raw(z64Local.toBytes());
    if (align > 1) extra.u16(0x4246).u16(pad).raw(new Uint8Array(pad).fill(0x5a));
    out
      .u32(0x04034b50)
      .u16(version)
      .u16(0)
      .u16(0)
      .u16(0)
      .u16(0x21)
      .u32(crc)
      .u32(zip64 ? 0xffffffff : e.data.length)
      .u32(zip64 ? 0xffffffff : e.data.length)
      .u16(name.length)
      .u16(extra.length)
      .raw(name)
      .raw(extra.toBytes())
      .raw(e.data);
    const cdExtra = zip64
      ? new Bytes().u16(0x0001).u16(24).u64(e.data.length).u64(e.data.length).u64(offset)
      : new Bytes();
    central
      .u32(0x02014b50)
      .u16(version)
      .u16(version)
      .u16(0)
      .u16(0)
      .u16(0)
      .u16(0x21)
      .u32(crc)
      .u32(zip64 ? 0xffffffff : e.data.length)
      .u32(zip64 ? 0xffffffff : e.data.length)
      .u16(name.length)
      .u16(cdExtra.length)
      .u16(0)
      .u16(0)
      .u16(0)
      .u32(0)
      .u32(zip64 ? 0xffffffff : offset)
      .raw(name)
      .raw(cdExtra.toBytes());
  }
  const cdOffset = out.length;
  out.raw(central.toBytes());
  const cdSize = central.length;
  if (zip64) {
    const recordOffset = out.length;
    out
      .u32(0x06064b50)
      .u64(44)
      .u16(45)
      .u16(45)
      .u32(0)
      .u32(0)
      .u64(entries.length)
      .u64(entries.length)
      .u64(cdSize)
      .u64(cdOffset);
    out.u32(0x07064b50).u32(0).u64(recordOffset).u32(1);
  }
  out
    .u32(0x06054b50)
    .u16(0)
    .u16(0)
    .u16(zip64 ? 0xffff : entries.length)
    .u16(zip64 ? 0xffff : entries.length)
    .u32(zip64 ? 0xffffffff : cdSize)
    .u32(zip64 ? 0xffffffff : cdOffset)
    .u16(0);
  return out.toBytes();
}
