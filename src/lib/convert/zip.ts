/**
 * A minimal ZIP reader over a ByteSource, enough for PyTorch checkpoints:
 * finds the central directory (ZIP64 included, as torch.save writes for big
 * files), lists entries, and locates the data of stored (uncompressed)
 * entries so they can be read in place. Compressed entries are refused.
 * Every offset and size is checked against the file before it is used.
 */
import type { ByteSource } from './tensors';

export interface ZipEntry {
  /** Path inside the archive, '/'-separated. */
  name: string;
  /** 0 = stored; anything else is compressed and cannot be read here. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  readonly source: string;
  readonly entries: readonly ZipEntry[];
  entry(name: string): ZipEntry | undefined;
  /** Absolute file offset of a stored entry's data (reads its local header). */
  dataOffset(entry: ZipEntry): Promise<number>;
  /** A stored entry's whole data, or `length` bytes of it from `offset`. */
  read(entry: ZipEntry, offset?: number, length?: number): Promise<Uint8Array>;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** Central directories of real checkpoints are kilobytes; refuse absurd ones. */
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;

const METHOD_NAMES: Record<number, string> = {
  8: 'deflate',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstandard',
  95: 'xz',
};

function u64(view: DataView, at: number, what: string, file: string): number {
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  const value = high * 2 ** 32 + low;
  if (!Number.isSafeInteger(value)) throw new Error(`${file}: ZIP ${what} ${value} is too large`);
  return value;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads a ZIP archive's central directory. Throws on anything malformed. */
export async function openZip(source: ByteSource): Promise<ZipArchive> {
  const file = source.name;
  const size = source.size;
  if (size < EOCD_SIZE) {
    throw new Error(`${file}: ${size} bytes is too short for a ZIP archive`);
  }
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const tailView = dataView(tail);
  let eocd = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (tailView.getUint32(i, true) !== SIG_EOCD) continue;
    const commentLength = tailView.getUint16(i + 20, true);
    if (i + EOCD_SIZE + commentLength <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new Error(
      `${file}: no ZIP end-of-central-directory record found; not a ZIP archive, or a truncated one`,
    );
  }
  const eocdOffset = tailStart + eocd;
  const disk = tailView.getUint16(eocd + 4, true);
  const cdDisk = tailView.getUint16(eocd + 6, true);
  let entryCount = tailView.getUint16(eocd + 10, true);
  let cdSize = tailView.getUint32(eocd + 12, true);
  let cdOffset = tailView.getUint32(eocd + 16, true);
  let cdEndLimit = eocdOffset;

  const hasLocator =
    eocdOffset >= 20 &&
    (eocd >= 20
      ? tailView.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR
      : dataView(await source.read(eocdOffset - 20, 4)).getUint32(0, true) === SIG_ZIP64_LOCATOR);
  const needs64 = entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
  if (hasLocator) {
    const locator = dataView(await source.read(eocdOffset - 20, 20));
    const recordOffset = u64(locator, 8, 'zip64 record offset', file);
    if (recordOffset + 56 > eocdOffset - 20) {
      throw new Error(`${file}: ZIP64 end record offset ${recordOffset} is outside the file`);
    }
    const record = dataView(await source.read(recordOffset, 56));
    if (record.getUint32(0, true) !== SIG_ZIP64_EOCD) {
      throw new Error(`${file}: no ZIP64 end-of-central-directory record at ${recordOffset}`);
    }
    if (record.getUint32(16, true) !== 0 || record.getUint32(20, true) !== 0) {
      throw new Error(`${file}: multi-disk ZIP archives are not supported`);
    }
    entryCount = u64(record, 32, 'entry count', file);
    cdSize = u64(record, 40, 'central directory size', file);
    cdOffset = u64(record, 48, 'central directory offset', file);
    cdEndLimit = recordOffset;
  } else if (needs64) {
    throw new Error(`${file}: ZIP archive needs ZIP64 fields, but has no ZIP64 locator`);
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new Error(`${file}: multi-disk ZIP archives are not supported`);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY) {
    throw new Error(`${file}: ZIP central directory of ${cdSize} bytes is implausibly large`);
  }
  if (cdOffset + cdSize > cdEndLimit) {
    throw new Error(
      `${file}: ZIP central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end records at ${cdEndLimit}; the file is truncated or corrupt`,
    );
  }
  if (entryCount * 46 > cdSize) {
    throw new Error(
      `${file}: ZIP central directory of ${cdSize} bytes cannot hold ${entryCount} entries`,
    );
  }
  const cd = await source.read(cdOffset, cdSize);
  const entries = parseCentralDirectory(file, cd, entryCount, cdOffset);
  const byName = new Map<string, ZipEntry>();
  for (const e of entries) {
    if (e.localHeaderOffset + 30 > cdOffset) {
      throw new Error(
        `${file}: ZIP entry "${e.name}" header at ${e.localHeaderOffset} lies outside the data area`,
      );
    }
    if (!byName.has(e.name)) byName.set(e.name, e);
  }

  const dataOffsets = new Map<ZipEntry, number>();
  const dataOffset = async (entry: ZipEntry): Promise<number> => {
    const known = dataOffsets.get(entry);
    if (known !== undefined) return known;
    const where = `${file}: ZIP entry "${entry.name}"`;
    if (entry.flags & 1) throw new Error(`${where} is encrypted`);
    if (entry.method !== 0) {
      const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
      throw new Error(
        `${where} is compressed (${method}); only stored entries can be read, as torch.save writes them. Re-save the checkpoint with torch.save, or unzip and re-zip it with "zip -0"`,
      );
    }
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new Error(
        `${where} is stored, but its sizes differ (${entry.compressedSize} vs ${entry.uncompressedSize})`,
      );
    }
    const local = dataView(await source.read(entry.localHeaderOffset, 30));
    if (local.getUint32(0, true) !== SIG_LOCAL) {
      throw new Error(`${where}: no local header at offset ${entry.localHeaderOffset}`);
    }
    const nameLength = local.getUint16(26, true);
    const extraLength = local.getUint16(28, true);
    const offset = entry.localHeaderOffset + 30 + nameLength + extraLength;
    if (offset + entry.compressedSize > cdOffset) {
      throw new Error(
        `${where}: data [${offset}, ${offset + entry.compressedSize}) runs into the central directory at ${cdOffset}; the file is truncated or corrupt`,
      );
    }
    dataOffsets.set(entry, offset);
    return offset;
  };

  return {
    source: file,
    entries,
    entry: (name: string) => byName.get(name),
    dataOffset,
    async read(entry: ZipEntry, offset = 0, length?: number): Promise<Uint8Array> {
      const start = await dataOffset(entry);
      const n = length ?? entry.uncompressedSize - offset;
      if (
        !Number.isSafeInteger(offset) ||
        !Number.isSafeInteger(n) ||
        offset < 0 ||
        n < 0 ||
        offset + n > entry.uncompressedSize
      ) {
        throw new Error(
          `${file}: read [${offset}, ${offset + n}) is outside ZIP entry "${entry.name}" (${entry.uncompressedSize} bytes)`,
        );
      }
      return source.read(start + offset, n);
    },
  };
}

function parseCentralDirectory(
  file: string,
  cd: Uint8Array,
  count: number,
  cdOffset: number,
): ZipEntry[] {
  const view = dataView(cd);
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const where = `${file}: ZIP central directory entry ${i} (at ${cdOffset + at})`;
    if (at + 46 > cd.byteLength) throw new Error(`${where} runs past the directory's end`);
    if (view.getUint32(at, true) !== SIG_CENTRAL) throw new Error(`${where} has no signature`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const diskStart = view.getUint16(at + 34, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > cd.byteLength) throw new Error(`${where} runs past the directory's end`);
    const name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field: only the fields saturated in the fixed header, in this order.
    let x = at + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = view.getUint16(x, true);
      const length = view.getUint16(x + 2, true);
      const body = x + 4;
      if (body + length > extraEnd) {
        throw new Error(`${where} ("${name}") has an extra field running past its end`);
      }
      if (id === 0x0001) {
        let p = body;
        const take = (what: string): number => {
          if (p + 8 > body + length) {
            throw new Error(`${where} ("${name}") has a short ZIP64 extra field`);
          }
          const value = u64(view, p, what, file);
          p += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      x = body + length;
    }
    if (diskStart !== 0 && diskStart !== 0xffff) {
      throw new Error(`${where}: multi-disk ZIP archives are not supported`);
    }
    if (
      compressedSize === 0xffffffff ||
      uncompressedSize === 0xffffffff ||
      localHeaderOffset === 0xffffffff
    ) {
      throw new Error(`${where} ("${name}") needs a ZIP64 extra field it does not have`);
    }
    entries.push({
      name,
      method,
      flags,
      crc32,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
    at = end;
  }
  return entries;
}
