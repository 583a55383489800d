/**
 * Safetensors reader: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and [begin, end) byte range in the data
 * area that follows, then the data. Everything in the header is checked before
 * any tensor is read; a tensor is read on demand, alone.
 *
 * Also home of the dtype conversions every reader shares (little-endian bytes
 * to Float32Array, with exact float16 and bfloat16 widening).
 */
import type { ByteSource, DType, TensorEntry, TensorReader } from './tensors';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
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

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Uint32Array | undefined;

/** float32 bit patterns of all 65536 float16 values: exact, subnormals, ±inf and NaN payloads kept. */
function halfToFloatBits(): Uint32Array {
  if (halfTable) return halfTable;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    let frac = h & 0x3ff;
    let bits: number;
    if (exp === 0x1f) {
      bits = sign | 0x7f800000 | (frac << 13);
    } else if (exp !== 0) {
      bits = sign | ((exp + 112) << 23) | (frac << 13);
    } else if (frac === 0) {
      bits = sign;
    } else {
      // Subnormal half: normalise. Value = frac * 2^-24.
      let e = 113;
      while ((frac & 0x400) === 0) {
        frac <<= 1;
        e--;
      }
      bits = sign | (e << 23) | ((frac & 0x3ff) << 13);
    }
    table[h] = bits >>> 0;
  }
  halfTable = table;
  return table;
}

/** One float16 bit pattern as a number (exact). */
export function float16BitsToNumber(h: number): number {
  const out = new Float32Array(1);
  new Uint32Array(out.buffer)[0] = halfToFloatBits()[h & 0xffff];
  return out[0];
}

/**
 * Converts `bytes` (little-endian elements of `dtype`) to float32. Integers and
 * float64 convert numerically (rounded to the nearest float32). The result may
 * be a view of `bytes`' buffer when no conversion is needed.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new Error(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const n = bytes.byteLength / size;
  if (!HOST_LITTLE_ENDIAN && size > 1) return toFloat32ViaDataView(bytes, dtype, n);
  const src = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = src;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer, byteOffset, n);
    case 'F16': {
      const table = halfToFloatBits();
      const input = new Uint16Array(buffer, byteOffset, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = table[input[i]];
      return out;
    }
    case 'BF16': {
      const input = new Uint16Array(buffer, byteOffset, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = input[i] << 16;
      return out;
    }
    case 'F64':
      return new Float32Array(new Float64Array(buffer, byteOffset, n));
    case 'I64': {
      const input = new BigInt64Array(buffer, byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(input[i]);
      return out;
    }
    case 'I32':
      return new Float32Array(new Int32Array(buffer, byteOffset, n));
    case 'I16':
      return new Float32Array(new Int16Array(buffer, byteOffset, n));
    case 'I8':
      return new Float32Array(new Int8Array(buffer, byteOffset, n));
    case 'U8':
      return new Float32Array(new Uint8Array(buffer, byteOffset, n));
    case 'BOOL': {
      const input = new Uint8Array(buffer, byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = input[i] === 0 ? 0 : 1;
      return out;
    }
  }
}

function toFloat32ViaDataView(bytes: Uint8Array, dtype: DType, n: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  const table = dtype === 'F16' ? halfToFloatBits() : undefined;
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F64':
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 'F32':
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 'F16':
        bits[i] = (table as Uint32Array)[view.getUint16(i * 2, true)];
        break;
      case 'BF16':
        bits[i] = view.getUint16(i * 2, true) << 16;
        break;
      case 'I64':
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case 'I32':
        out[i] = view.getInt32(i * 4, true);
        break;
      case 'I16':
        out[i] = view.getInt16(i * 2, true);
        break;
      default:
        out[i] = view.getUint8(i);
    }
  }
  return out;
}

/** Largest header we accept: real ones are a few hundred kilobytes. */
export const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

interface SafetensorsTensor extends TensorEntry {
  begin: number;
  end: number;
}

/** Opens a safetensors file, validating its whole header; tensors are read on demand. */
export async function openSafetensors(source: ByteSource): Promise<TensorReader> {
  const file = source.name;
  if (source.size < 8) {
    throw new Error(
      `${file}: ${source.size} bytes is too short for a safetensors file (it starts with an 8-byte header length)`,
    );
  }
  const prefix = await source.read(0, 8);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low;
  if (headerLength > MAX_SAFETENSORS_HEADER || high !== 0) {
    throw new Error(
      `${file}: header length ${headerLength} is not sane (limit ${MAX_SAFETENSORS_HEADER} bytes); not a safetensors file, or a corrupt one`,
    );
  }
  if (headerLength < 2) {
    throw new Error(`${file}: header length ${headerLength} is too short for a JSON header`);
  }
  if (8 + headerLength > source.size) {
    throw new Error(
      `${file}: header of ${headerLength} bytes runs past the end of the file (${source.size} bytes); the file is truncated or not safetensors`,
    );
  }
  const headerBytes = await source.read(8, headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${file}: header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: header is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Error(`${file}: header is not a JSON object`);
  }
  const dataStart = 8 + headerLength;
  const dataSize = source.size - dataStart;
  const tensors = parseHeader(file, header as Record<string, unknown>, dataSize, source.size);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    source: file,
    list: () => tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] })),
    entry(name: string): TensorEntry | undefined {
      const t = byName.get(name);
      return t && { name: t.name, dtype: t.dtype, shape: [...t.shape] };
    },
    async readFloat32(name: string): Promise<Float32Array> {
      const t = byName.get(name);
      if (!t) throw new Error(`${file}: no tensor named "${name}"`);
      const bytes = await source.read(dataStart + t.begin, t.end - t.begin);
      return toFloat32(bytes, t.dtype);
    },
  };
}

function parseHeader(
  file: string,
  header: Record<string, unknown>,
  dataSize: number,
  fileSize: number,
): SafetensorsTensor[] {
  const tensors: SafetensorsTensor[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new Error(`${file}: "__metadata__" is not a JSON object`);
      }
      continue;
    }
    const where = `${file}: tensor "${name}"`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${where}: header entry is not a JSON object`);
    }
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isDType(dtype)) {
      throw new Error(
        `${where}: dtype ${JSON.stringify(dtype)} is not one we read (${Object.keys(DTYPE_BYTES).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(
        `${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new Error(
        `${where}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new Error(`${where}: data [${begin}, ${end}) ends before it begins`);
    const dims = shape as number[];
    const expected = shapeSize(dims) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw new Error(
        `${where}: data [${begin}, ${end}) holds ${end - begin} bytes, but ${dtype} ${JSON.stringify(dims)} needs ${expected}`,
      );
    }
    if (end > dataSize) {
      throw new Error(
        `${where} data [${begin}, ${end}) runs past the end of the file (${fileSize} bytes, ${Math.max(dataSize, 0)} of them data); the file is truncated or corrupt`,
      );
    }
    tensors.push({ name, dtype, shape: dims, begin, end });
  }
  const byOffset = tensors.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (cur.begin < prev.end) {
      throw new Error(
        `${file}: tensor "${cur.name}" data [${cur.begin}, ${cur.end}) overlaps tensor "${prev.name}" data [${prev.begin}, ${prev.end})`,
      );
    }
  }
  return tensors;
}
