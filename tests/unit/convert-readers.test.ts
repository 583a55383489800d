import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { blobByteSource, bytesByteSource } from '../../src/lib/convert/byte-source';
import {
  openDirectoryByteSources,
  openFileByteSource,
} from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import {
  parseClassesTxt,
  parsePreprocessorConfig,
  parseVitConfig,
} from '../../src/lib/convert/hf-config';
import { PyDict, PyList, PyTensor, unpickle } from '../../src/lib/convert/pickle';
import { float16BitsToNumber, openSafetensors } from '../../src/lib/convert/safetensors';
import type { ByteSource, DType, TensorReader } from '../../src/lib/convert/tensors';
import { openTorchCheckpoint } from '../../src/lib/convert/torch-checkpoint';
import { openZip } from '../../src/lib/convert/zip';
import {
  encodeValues,
  float32Bits,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  hostilePickle,
  legacyTorchHeader,
  PickleWriter,
  torchStateDictPickle,
  writeSafetensors,
  writeSafetensorsRaw,
  writeTorchZip,
  writeTorchZipFromTensors,
  writeZip,
  type TensorSpec,
} from '../helpers/checkpoint-writer';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'torch');

function src(bytes: Uint8Array, name = 'model.safetensors'): ByteSource {
  return bytesByteSource(bytes, name);
}

/** A source that records every read, to check readers touch only what they need. */
function recording(inner: ByteSource): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    name: inner.name,
    size: inner.size,
    reads,
    read(offset: number, length: number) {
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
  };
}

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Expected float32 bits of values after rounding to `dtype`. */
function roundedBits(values: number[], dtype: DType): number[] {
  return values.map((v) => {
    if (dtype === 'F16') return float32Bits(float16BitsToNumber(float32ToFloat16Bits(v)));
    if (dtype === 'BF16') return (float32ToBFloat16Bits(v) << 16) >>> 0;
    return float32Bits(v);
  });
}

/** Exact float16 value of a bit pattern, from the IEEE definition (reference). */
function halfReference(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  if (exp === 0) return sign * frac * 2 ** -24;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const out = Array.from(bytes);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(out.length);
    switch (pick(5)) {
      case 0:
        out[at] = pick(256);
        break;
      case 1:
        out.splice(at, 1 + pick(8));
        break;
      case 2:
        out.splice(at, 0, ...out.slice(pick(out.length), pick(out.length)));
        break;
      case 3:
        out.length = at;
        break;
      default:
        out[at] ^= 1 << pick(8);
    }
  }
  return Uint8Array.from(out);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------- byte sources

describe('byte sources', () => {
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);

  it('reads ranges from memory and from a Blob, and refuses reads past the end', async () => {
    for (const s of [bytesByteSource(bytes, 'a.bin'), blobByteSource(new Blob([bytes]), 'a.bin')]) {
      expect(s.size).toBe(100);
      expect(Array.from(await s.read(10, 3))).toEqual([10, 11, 12]);
      expect((await s.read(100, 0)).length).toBe(0);
      await expect(s.read(98, 5)).rejects.toThrow(
        'a.bin: read of 5 bytes at offset 98 runs past the end of the file (100 bytes)',
      );
      await expect(s.read(-1, 1)).rejects.toThrow('a.bin');
    }
  });

  it('reads files through a FileHandle and closes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skelex-bytes-'));
    try {
      writeFileSync(join(dir, 'x.bin'), bytes);
      const s = await openFileByteSource(join(dir, 'x.bin'));
      expect(s.size).toBe(100);
      expect(Array.from(await s.read(97, 3))).toEqual([97, 98, 99]);
      await expect(s.read(99, 2)).rejects.toThrow('runs past the end');
      await s.close();
      await expect(s.read(0, 1)).rejects.toThrow('closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- safetensors

describe('safetensors', () => {
  const values = [1, -2.5, 0.1, 1 / 3, 65504, 1e-7, -0, 3e38];

  it.each(['F32', 'F16', 'BF16'] as const)('reads %s exactly as written', async (dtype) => {
    const file = writeSafetensors([{ name: 'w', dtype, shape: [2, 4], data: values }]);
    const reader = await openSafetensors(src(file));
    expect(reader.list()).toEqual([{ name: 'w', dtype, shape: [2, 4] }]);
    expect(bitsOf(await reader.readFloat32('w'))).toEqual(roundedBits(values, dtype));
  });

  it('widens every float16 bit pattern exactly (subnormals, inf, NaN)', async () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const file = writeSafetensorsRaw(
      { all: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } },
      new Uint8Array(bits.buffer),
    );
    const out = await (await openSafetensors(src(file))).readFloat32('all');
    for (let h = 0; h < 65536; h++) {
      const want = halfReference(h);
      if (Number.isNaN(want)) expect(Number.isNaN(out[h])).toBe(true);
      else expect(Object.is(out[h], want)).toBe(true);
    }
    expect(out[0x0001]).toBe(2 ** -24); // smallest subnormal
    expect(out[0x03ff]).toBe(1023 * 2 ** -24); // largest subnormal
    expect(out[0x7c00]).toBe(Infinity);
    expect(out[0xfc00]).toBe(-Infinity);
  });

  it('rounds float16 and bfloat16 to nearest even when writing', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, to even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, to even
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie between 0 and 2^-24
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 units
    expect(float32ToFloat16Bits(2 ** -24)).toBe(1);
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // carries into normal
    expect(float32ToFloat16Bits(NaN) & 0x7e00).toBe(0x7e00);
    expect(float32ToBFloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(float32ToBFloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(float32ToBFloat16Bits(-Infinity)).toBe(0xff80);
  });

  it('converts F64 and integer dtypes numerically', async () => {
    const file = writeSafetensors([
      { name: 'f64', dtype: 'F64', shape: [3], data: [0.1, -1e300, 2] },
      { name: 'i64', dtype: 'I64', shape: [3], data: [-3, 2 ** 40, 7] },
      { name: 'i32', dtype: 'I32', shape: [2], data: [-5, 123456] },
      { name: 'i16', dtype: 'I16', shape: [1], data: [-300] },
      { name: 'i8', dtype: 'I8', shape: [1], data: [-7] },
      { name: 'u8', dtype: 'U8', shape: [2], data: [0, 255] },
      { name: 'b', dtype: 'BOOL', shape: [2], data: [1, 0] },
    ]);
    const r = await openSafetensors(src(file));
    expect(Array.from(await r.readFloat32('f64'))).toEqual([Math.fround(0.1), -Infinity, 2]);
    expect(Array.from(await r.readFloat32('i64'))).toEqual([-3, 2 ** 40, 7]);
    expect(Array.from(await r.readFloat32('i32'))).toEqual([-5, 123456]);
    expect(Array.from(await r.readFloat32('i16'))).toEqual([-300]);
    expect(Array.from(await r.readFloat32('i8'))).toEqual([-7]);
    expect(Array.from(await r.readFloat32('u8'))).toEqual([0, 255]);
    expect(Array.from(await r.readFloat32('b'))).toEqual([1, 0]);
  });

  it('reads only the header and the requested tensor, and allows __metadata__', async () => {
    const big = new Float32Array(10000).map((_, i) => i);
    const file = writeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [10000], data: big },
        { name: 'b', dtype: 'F16', shape: [3], data: [1, 2, 3] },
      ],
      { format: 'pt' },
    );
    const s = recording(src(file));
    const r = await openSafetensors(s);
    const before = s.reads.length;
    expect(Array.from(await r.readFloat32('b'))).toEqual([1, 2, 3]);
    const [, length] = s.reads[before];
    expect(s.reads.length).toBe(before + 1);
    expect(length).toBe(6);
    expect(r.entry('a')).toEqual({ name: 'a', dtype: 'F32', shape: [10000] });
    expect(r.entry('zzz')).toBeUndefined();
    await expect(r.readFloat32('zzz')).rejects.toThrow('model.safetensors: no tensor named "zzz"');
  });

  it('reads a misaligned tensor and scalars and empty tensors', async () => {
    const file = writeSafetensorsRaw(
      {
        u: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        odd: { dtype: 'F32', shape: [2], data_offsets: [1, 9] },
        s: { dtype: 'F32', shape: [], data_offsets: [9, 13] },
        e: { dtype: 'F32', shape: [0, 4], data_offsets: [13, 13] },
      },
      Uint8Array.from([7, ...encodeValues([1.5, -2], 'F32'), ...encodeValues([4], 'F32')]),
    );
    const r = await openSafetensors(src(file));
    expect(Array.from(await r.readFloat32('odd'))).toEqual([1.5, -2]);
    expect(Array.from(await r.readFloat32('s'))).toEqual([4]);
    expect((await r.readFloat32('e')).length).toBe(0);
  });

  describe('refuses malformed headers, naming the file and tensor', () => {
    const data = encodeValues([1, 2, 3, 4], 'F32');
    const good = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    const cases: [string, Uint8Array, string][] = [
      [
        'overlap',
        writeSafetensorsRaw(
          {
            'vit.a': good,
            'vit.b': { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          data,
        ),
        'model.safetensors: tensor "vit.b" data [4, 12) overlaps tensor "vit.a" data [0, 8)',
      ],
      [
        'offsets past the end',
        writeSafetensorsRaw(
          { 'vit.embeddings.cls_token': { dtype: 'F32', shape: [3], data_offsets: [8, 20] } },
          data,
        ),
        'model.safetensors: tensor "vit.embeddings.cls_token" data [8, 20) runs past the end of the file',
      ],
      [
        'wrong byte length',
        writeSafetensorsRaw({ w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, data),
        'model.safetensors: tensor "w": data [0, 8) holds 8 bytes, but F16 [2,3] needs 12',
      ],
      [
        'truncated file',
        writeSafetensors([{ name: 'w', dtype: 'F32', shape: [4], data: [1, 2, 3, 4] }]).slice(
          0,
          -3,
        ),
        'model.safetensors: tensor "w" data [0, 16) runs past the end of the file',
      ],
      [
        'bad JSON',
        writeSafetensorsRaw('{"w": {"dtype": "F32",', data),
        'model.safetensors: header is not valid JSON',
      ],
      [
        'huge header length',
        writeSafetensorsRaw({ w: good }, data, 2 ** 40),
        'model.safetensors: header length 1099511627776 is not sane',
      ],
      [
        'header past the end',
        writeSafetensorsRaw({ w: good }, data, 5000),
        'model.safetensors: header of 5000 bytes runs past the end of the file',
      ],
      [
        'unknown dtype',
        writeSafetensorsRaw({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, data),
        'model.safetensors: tensor "w": dtype "F8_E4M3" is not one we read',
      ],
      [
        'negative shape',
        writeSafetensorsRaw({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data),
        'model.safetensors: tensor "w": shape [-2] is not a list of non-negative integers',
      ],
      [
        'fractional offsets',
        writeSafetensorsRaw({ w: { dtype: 'F32', shape: [2], data_offsets: [0.5, 8] } }, data),
        'model.safetensors: tensor "w": data_offsets [0.5,8] is not a pair',
      ],
      [
        'backwards offsets',
        writeSafetensorsRaw({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, data),
        'model.safetensors: tensor "w": data [8, 0) ends before it begins',
      ],
      [
        'array header',
        writeSafetensorsRaw([1, 2], data),
        'model.safetensors: header is not a JSON object',
      ],
      ['too short', new Uint8Array(5), 'model.safetensors: 5 bytes is too short'],
    ];
    it.each(cases)('%s', async (_name, file, message) => {
      const err = await rejection(openSafetensors(src(file)));
      expect(err.message).toContain(message);
    });
  });

  it('survives 40 random corruptions with an Error naming the file or a valid reader', async () => {
    const file = writeSafetensors([
      { name: 'a', dtype: 'F32', shape: [4], data: [1, 2, 3, 4] },
      { name: 'b', dtype: 'F16', shape: [2], data: [1, 2] },
    ]);
    const random = rng(7);
    let threw = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 40; i++) {
      const bad = mutate(file, random);
      try {
        const r = await openSafetensors(src(bad));
        // Valid: every tensor it lists reads back with as many values as its shape holds.
        for (const e of r.list()) {
          const values = await r.readFloat32(e.name);
          const count = e.shape.reduce((a, b) => a * b, 1);
          if (values.length !== count)
            wrong.push(`${i}: "${e.name}" read ${values.length} of ${count}`);
        }
      } catch (err) {
        threw++;
        // The reader's own message, naming the file, not an engine error leaking out.
        if (!(err instanceof Error && err.message.startsWith('model.safetensors: ')))
          wrong.push(`${i}: threw ${String(err)}`);
      }
    }
    expect(wrong).toEqual([]);
    // Both ends are reached (seen 38 refused): most corruptions are caught, a few still read.
    expect(threw).toBeGreaterThan(20);
    expect(threw).toBeLessThan(40);
  });
});

// ---------------------------------------------------------------- zip

describe('zip', () => {
  const entries = [
    { name: 'archive/a.txt', data: new TextEncoder().encode('hello') },
    { name: 'archive/data/0', data: encodeValues([1, 2], 'F32') },
  ];

  it.each([false, true])('lists stored entries and finds their data (zip64: %s)', async (zip64) => {
    const zip = await openZip(src(writeZip(entries, { zip64 }), 'x.zip'));
    expect(zip.entries.map((e) => e.name)).toEqual(['archive/a.txt', 'archive/data/0']);
    const data = zip.entry('archive/data/0');
    expect(data?.uncompressedSize).toBe(8);
    expect((await zip.dataOffset(data!)) % 64).toBe(0);
    expect(new TextDecoder().decode(await zip.read(zip.entry('archive/a.txt')!))).toBe('hello');
    expect(Array.from(await zip.read(data!, 4, 4))).toEqual(Array.from(encodeValues([2], 'F32')));
  });

  it('refuses compressed entries, naming the entry', async () => {
    const zipped = zipSync({ 'archive/data.pkl': [new Uint8Array(1000), { level: 6 }] });
    const zip = await openZip(src(zipped, 'c.zip'));
    const err = await rejection(zip.read(zip.entry('archive/data.pkl')!));
    expect(err.message).toContain('c.zip: ZIP entry "archive/data.pkl" is compressed (deflate)');
  });

  it('refuses truncated archives and bad offsets', async () => {
    const file = writeZip(entries);
    await expect(openZip(src(file.slice(0, -10), 't.zip'))).rejects.toThrow(
      't.zip: no ZIP end-of-central-directory record',
    );
    await expect(openZip(src(file.slice(0, 40), 't.zip'))).rejects.toThrow('t.zip');
    // Point the central directory past the end records.
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(bad.length - 6, file.length, true);
    await expect(openZip(src(bad, 'o.zip'))).rejects.toThrow('o.zip: ZIP central directory');
    await expect(openZip(src(new Uint8Array(10), 's.zip'))).rejects.toThrow('s.zip: 10 bytes');
  });
});

// ---------------------------------------------------------------- pickle

describe('restricted unpickler', () => {
  const marker = join(tmpdir(), `skelex-pickle-marker-${process.pid}`);
  afterAll(() => rmSync(marker, { force: true }));

  it.each([
    ['os', 'system', 'global'],
    ['posix', 'system', 'global'],
    ['builtins', 'eval', 'global'],
    ['subprocess', 'Popen', 'global'],
    ['os', 'system', 'stack_global'],
    ['builtins', 'exec', 'stack_global'],
  ] as const)('refuses %s.%s via %s without running anything', async (module, name, how) => {
    const pickle = hostilePickle(module, name, `touch ${marker}`, how);
    expect(() => unpickle(pickle, { source: 'evil.pkl' })).toThrow(
      `evil.pkl: pickle names the global "${module}.${name}", which is not allowed (only tensor rebuilding and ordered dicts are)`,
    );
    const file = writeTorchZip({ tensors: [], storages: [], pickle });
    const err = await rejection(openTorchCheckpoint(src(file, 'pytorch_model.bin')));
    expect(err.message).toBe(
      `pytorch_model.bin: pickle names the global "${module}.${name}", which is not allowed (only tensor rebuilding and ordered dicts are)`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses _codecs.encode and calling a storage class', () => {
    const codecs = new PickleWriter().proto().global('_codecs', 'encode').stop().toBytes();
    expect(() => unpickle(codecs, { source: 'p' })).toThrow(
      '"_codecs.encode", which is not allowed',
    );
    const call = new PickleWriter()
      .proto()
      .global('torch', 'FloatStorage')
      .emptyTuple()
      .reduce()
      .stop()
      .toBytes();
    expect(() => unpickle(call, { source: 'p' })).toThrow('torch.FloatStorage cannot be called');
  });

  it('names unknown opcodes and their position', () => {
    const bytes = Uint8Array.from([0x80, 0x02, 0x4e, 0xff, 0x2e]);
    expect(() => unpickle(bytes, { source: 'data.pkl' })).toThrow(
      'data.pkl: unknown pickle opcode 0xff at byte 3',
    );
  });

  it('refuses lengths past the end, truncation and underflow', () => {
    const huge = Uint8Array.from([0x80, 0x04, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0]);
    expect(() => unpickle(huge, { source: 'p' })).toThrow('p: pickle BINUNICODE8 (0x8d) at byte 2');
    const big = Uint8Array.from([0x58, 0xff, 0xff, 0xff, 0x7f, 0x61]);
    expect(() => unpickle(big, { source: 'p' })).toThrow('only 1 are left');
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x4e]), { source: 'p' })).toThrow(
      'without a STOP',
    );
    expect(() => unpickle(Uint8Array.from([0x4e, 0x61, 0x2e]), { source: 'p' })).toThrow(
      'stack underflow',
    );
    expect(() => unpickle(Uint8Array.from([0x28, 0x2e]), { source: 'p' })).toThrow('underflow');
  });

  it('bounds opcodes, stack and memo', () => {
    const nones = new Uint8Array(1000).fill(0x4e);
    expect(() => unpickle(nones, { source: 'p', maxOps: 100 })).toThrow('past 100 opcodes');
    expect(() => unpickle(nones, { source: 'p', maxStack: 50 })).toThrow('stack deeper than 50');
    const w = new PickleWriter().none();
    for (let i = 0; i < 20; i++) w.put();
    expect(() => unpickle(w.stop().toBytes(), { source: 'p', maxMemo: 10 })).toThrow(
      'memo larger than 10',
    );
  });

  it('keeps self-referencing structures without looping', () => {
    const bytes = new PickleWriter().proto().emptyList().put().get(0).append().stop().toBytes();
    const list = unpickle(bytes, { source: 'p' });
    expect(list).toBeInstanceOf(PyList);
    expect((list as PyList).items[0]).toBe(list);
  });

  it('reads protocol 0 text opcodes', () => {
    const text = "(dp0\nVkey\np1\nI42\nsS'it\\'s'\np2\nL12345678901234567890L\nsI01\nF1.5\ns.";
    const value = unpickle(new TextEncoder().encode(text), { source: 'p' }) as PyDict;
    expect(value.items.get('key')).toBe(42);
    expect(value.items.get("it's")).toBe(12345678901234567890n);
    expect(value.items.get(true)).toBe(1.5);
  });

  it('reads a torch state-dict pickle into tensor descriptions', () => {
    const bytes = torchStateDictPickle(
      [{ name: 'w', storage: '0', shape: [2, 3], parameter: true }],
      [{ key: '0', dtype: 'F32', data: new Float32Array(6) }],
    );
    const dict = unpickle(bytes, { source: 'p' }) as PyDict;
    const t = dict.items.get('w') as PyTensor;
    expect(t).toBeInstanceOf(PyTensor);
    expect(t.size).toEqual([2, 3]);
    expect(t.stride).toEqual([3, 1]);
  });

  it('only ever throws its own Error on 50 seeded random corruptions, one opcode a byte at most', async () => {
    const bytes = torchStateDictPickle(
      [
        { name: 'a', storage: '0', shape: [2, 3] },
        { name: 'b', storage: '0', shape: [3], offset: 3 },
        { name: 'c', storage: '1', shape: [2, 2, 2, 2], parameter: true },
      ],
      [
        { key: '0', dtype: 'F32', data: new Float32Array(6) },
        { key: '1', dtype: 'F16', data: new Float32Array(16) },
      ],
      'state_dict',
    );
    const random = rng(1234);
    let threw = 0;
    for (let i = 0; i < 50; i++) {
      const bad = mutate(bytes, random);
      // Every opcode takes at least its own byte, so a pickle settles within as
      // many opcodes as it has bytes: that cap bounds the work, with no clock.
      let refusal: string | undefined;
      try {
        unpickle(bad, { source: 'p', maxOps: bad.length });
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        refusal = (err as Error).message;
        threw++;
      }
      if (refusal) {
        expect(refusal).toMatch(/^p: /);
        expect(refusal).not.toMatch(/runs past \d+ opcodes/);
      }
      // And through the whole checkpoint reader, which must refuse every case (the
      // archive holds no storages), with the unpickler's reason where that refused.
      const file = writeTorchZip({ tensors: [], storages: [], pickle: bad });
      const reason = await rejection(
        (async () => {
          const r = await openTorchCheckpoint(src(file, 'c.bin'));
          for (const e of r.list()) await r.readFloat32(e.name);
        })(),
      );
      if (refusal) expect(reason.message).toBe(refusal.replace(/^p: /, 'c.bin: '));
      else expect(reason.message).toMatch(/^c\.bin: .* is missing from the archive$/);
    }
    // Both ends are reached (seen 45 refused): most corruptions are caught, a few still parse.
    expect(threw).toBeGreaterThan(25);
    expect(threw).toBeLessThan(50);
  });
});

// ---------------------------------------------------------------- torch checkpoints

const TORCH_TENSORS: TensorSpec[] = [
  { name: 'f32', dtype: 'F32', shape: [2, 3], data: [1.5, -2, 3.25, 0.1, 1e-8, -0] },
  { name: 'f16', dtype: 'F16', shape: [4], data: [1, 2 ** -24, Infinity, -0.333251953125] },
  { name: 'bf16', dtype: 'BF16', shape: [3], data: [1, -3.140625, 0.1] },
  { name: 'i64', dtype: 'I64', shape: [2], data: [-3, 2 ** 40] },
  { name: 'scalar', dtype: 'F32', shape: [], data: [2.5] },
];

describe('torch checkpoints', () => {
  it.each([
    ['plain', {}],
    ['zip64', { zip64: true }],
    ['prefix "pytorch_model", no byteorder', { prefix: 'pytorch_model', byteorder: null }],
    ['nested under state_dict', { nestUnder: 'state_dict' }],
    ['nested under model', { nestUnder: 'model' }],
  ] as const)('reads F32/F16/BF16/I64 tensors (%s)', async (_label, options) => {
    const file = writeTorchZipFromTensors(TORCH_TENSORS, options);
    const r = await openTorchCheckpoint(src(file, 'pytorch_model.bin'));
    expect(r.source).toBe('pytorch_model.bin');
    expect(r.list()).toEqual(
      TORCH_TENSORS.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    );
    for (const t of TORCH_TENSORS) {
      expect(bitsOf(await r.readFloat32(t.name))).toEqual(roundedBits(Array.from(t.data), t.dtype));
    }
  });

  it('honours strides, storage offsets and shared storages, reading only what is needed', async () => {
    const base = Array.from({ length: 20 }, (_, i) => i - 7); // a 4x5 grid
    const file = writeTorchZip({
      storages: [
        { key: '0', dtype: 'F32', data: base },
        { key: '1', dtype: 'F16', data: [0, 1, 2, 3, 4, 5] },
        { key: 'big', dtype: 'F32', data: new Float32Array(5000) },
      ],
      tensors: [
        { name: 'grid', storage: '0', shape: [4, 5] },
        { name: 'transposed', storage: '0', shape: [5, 4], stride: [1, 5] },
        { name: 'sliced', storage: '0', shape: [2, 3], stride: [5, 1], offset: 7 },
        { name: 'row', storage: '0', shape: [5], offset: 10 },
        { name: 'column', storage: '0', shape: [4, 1], stride: [5, 1], offset: 3 },
        { name: 'expanded', storage: '0', shape: [3, 2], stride: [0, 1], offset: 1 },
        { name: 'h_t', storage: '1', shape: [3, 2], stride: [1, 3] },
        { name: 'tail', storage: 'big', shape: [2], offset: 4998 },
      ],
    });
    const s = recording(src(file, 'views.bin'));
    const r = await openTorchCheckpoint(s);
    const at = (i: number, j: number) => base[i * 5 + j];
    const read = async (name: string) => Array.from(await r.readFloat32(name));
    expect(await read('grid')).toEqual(base);
    expect(await read('transposed')).toEqual(
      [0, 1, 2, 3, 4].flatMap((j) => [0, 1, 2, 3].map((i) => at(i, j))),
    );
    expect(await read('sliced')).toEqual([
      at(1, 2),
      at(1, 3),
      at(1, 4),
      at(2, 2),
      at(2, 3),
      at(2, 4),
    ]);
    expect(await read('row')).toEqual([at(2, 0), at(2, 1), at(2, 2), at(2, 3), at(2, 4)]);
    expect(await read('column')).toEqual([at(0, 3), at(1, 3), at(2, 3), at(3, 3)]);
    expect(await read('expanded')).toEqual([-6, -5, -6, -5, -6, -5]);
    expect(await read('h_t')).toEqual([0, 3, 1, 4, 2, 5]);
    const before = s.reads.length;
    expect(await read('tail')).toEqual([0, 0]);
    // The storage's local ZIP header (once), then just the 8 bytes of the view.
    expect(s.reads.slice(before).map(([, n]) => n)).toEqual([30, 8]);
  });

  it('refuses views past their storage, missing storages and big-endian files', async () => {
    const storages = [{ key: '0', dtype: 'F32' as const, data: [1, 2, 3, 4] }];
    const past = writeTorchZip({
      storages,
      tensors: [{ name: 'w', storage: '0', shape: [2, 2], offset: 1 }],
    });
    await expect(openTorchCheckpoint(src(past, 'p.bin'))).rejects.toThrow(
      'p.bin: tensor "w": size [2,2], stride [2,1] and offset 1 reach element 4, past the storage\'s 4',
    );
    const missing = writeTorchZip({
      storages,
      tensors: [{ name: 'w', storage: '0', shape: [4] }],
      pickle: torchStateDictPickle(
        [{ name: 'w', storage: '7', shape: [4] }],
        [{ key: '7', dtype: 'F32', data: [1, 2, 3, 4] }],
      ),
    });
    await expect(openTorchCheckpoint(src(missing, 'm.bin'))).rejects.toThrow(
      'm.bin: tensor "w": storage archive/data/7 is missing from the archive',
    );
    const big = writeTorchZip({ storages, tensors: [], byteorder: 'big' });
    await expect(openTorchCheckpoint(src(big, 'b.bin'))).rejects.toThrow(
      'b.bin: the checkpoint was saved big-endian',
    );
  });

  it('explains legacy, safetensors, non-zip and non-checkpoint inputs', async () => {
    await expect(openTorchCheckpoint(src(legacyTorchHeader(), 'old.bin'))).rejects.toThrow(
      'old.bin: legacy PyTorch format not supported, re-save with torch>=1.6',
    );
    const st = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: [1] }]);
    await expect(openTorchCheckpoint(src(st, 'x.bin'))).rejects.toThrow(
      'looks like a safetensors file',
    );
    await expect(openTorchCheckpoint(src(new Uint8Array(64), 'z.bin'))).rejects.toThrow(
      'z.bin: not a PyTorch checkpoint (not a ZIP archive)',
    );
    const other = writeZip([{ name: 'readme.txt', data: new Uint8Array(3) }]);
    await expect(openTorchCheckpoint(src(other, 'o.bin'))).rejects.toThrow(
      'o.bin: ZIP archive has no <folder>/data.pkl',
    );
    const noTensors = writeTorchZip({
      tensors: [],
      storages: [],
      pickle: new PickleWriter().proto().emptyDict().str('epoch').int(3).setitem().stop().toBytes(),
    });
    await expect(openTorchCheckpoint(src(noTensors, 'n.bin'))).rejects.toThrow(
      'n.bin: no tensors at the top level of the checkpoint or under "state_dict", "model", "model_state_dict" (keys: "epoch")',
    );
  });

  it('refuses a deflated checkpoint with a clear message', async () => {
    const zipped = zipSync({
      'archive/data.pkl': [torchStateDictPickle([], []), { level: 6 }],
    });
    await expect(openTorchCheckpoint(src(zipped, 'd.bin'))).rejects.toThrow(
      'd.bin: ZIP entry "archive/data.pkl" is compressed (deflate)',
    );
  });
});

describe('real torch.save fixtures', () => {
  interface Expected {
    dtype: DType;
    shape: number[];
    bits: number[];
  }
  const doc = JSON.parse(readFileSync(join(FIXTURES, 'tiny.json'), 'utf8')) as {
    torch: string;
    files: Record<string, Record<string, Expected>>;
  };

  it.each(Object.keys(doc.files))('%s reads exactly as torch wrote it', async (name) => {
    const s = await openFileByteSource(join(FIXTURES, name), name);
    try {
      const r = await openTorchCheckpoint(s);
      const expected = doc.files[name];
      expect(r.list().map((e) => e.name)).toEqual(Object.keys(expected));
      for (const [tensor, want] of Object.entries(expected)) {
        expect(r.entry(tensor)).toEqual({ name: tensor, dtype: want.dtype, shape: want.shape });
        expect(bitsOf(await r.readFloat32(tensor)), tensor).toEqual(want.bits);
      }
    } finally {
      await s.close();
    }
  });

  it('refuses the real legacy (pre-1.6) file', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'legacy.bin')));
    await expect(openTorchCheckpoint(src(bytes, 'legacy.bin'))).rejects.toThrow(
      'legacy.bin: legacy PyTorch format not supported, re-save with torch>=1.6',
    );
  });
});

// ---------------------------------------------------------------- configs

const MAE_CONFIG = {
  architectures: ['ViTMAEForPreTraining'],
  model_type: 'vit_mae',
  hidden_size: 1024,
  num_hidden_layers: 24,
  num_attention_heads: 16,
  intermediate_size: 4096,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  qkv_bias: true,
  decoder_hidden_size: 512,
  decoder_num_hidden_layers: 8,
  decoder_num_attention_heads: 16,
  decoder_intermediate_size: 2048,
  mask_ratio: 0.75,
  norm_pix_loss: true,
};

describe('config.json', () => {
  it('reads a full ViTMAE config', () => {
    const c = parseVitConfig(JSON.stringify(MAE_CONFIG));
    expect(c).toMatchObject({
      architecture: 'ViTMAEForPreTraining',
      modelType: 'vit_mae',
      hiddenSize: 1024,
      numHiddenLayers: 24,
      numAttentionHeads: 16,
      intermediateSize: 4096,
      hiddenAct: 'gelu',
      layerNormEps: 1e-12,
      imageSize: 224,
      patchSize: 16,
      numChannels: 3,
      qkvBias: true,
      decoder: {
        hiddenSize: 512,
        numHiddenLayers: 8,
        numAttentionHeads: 16,
        intermediateSize: 2048,
      },
      maskRatio: 0.75,
      normPixLoss: true,
    });
  });

  it("fills Hugging Face's defaults", () => {
    const mae = parseVitConfig('{"architectures": ["ViTMAEModel"]}');
    expect(mae).toMatchObject({
      architecture: 'ViTMAEModel',
      modelType: 'vit_mae',
      hiddenSize: 768,
      numHiddenLayers: 12,
      numAttentionHeads: 12,
      intermediateSize: 3072,
      layerNormEps: 1e-12,
      imageSize: 224,
      patchSize: 16,
      numChannels: 3,
      qkvBias: true,
      decoder: {
        hiddenSize: 512,
        numHiddenLayers: 8,
        numAttentionHeads: 16,
        intermediateSize: 2048,
      },
      maskRatio: 0.75,
      normPixLoss: false,
      numLabels: 2,
      labels: ['LABEL_0', 'LABEL_1'],
    });
    const vit = parseVitConfig('{"model_type": "vit"}');
    expect(vit.architecture).toBe('ViTModel');
    expect(vit.decoder).toBeUndefined();
    expect(vit.maskRatio).toBeUndefined();
  });

  it('reads classifier labels', () => {
    const c = parseVitConfig(
      JSON.stringify({
        architectures: ['ViTForImageClassification'],
        model_type: 'vit',
        id2label: { '1': 'fracture', '0': 'normal' },
        label2id: { normal: 0, fracture: 1 },
      }),
    );
    expect(c.labels).toEqual(['normal', 'fracture']);
    expect(c.numLabels).toBe(2);
    expect(parseVitConfig('{"model_type": "vit", "num_labels": 3}').labels).toEqual([
      'LABEL_0',
      'LABEL_1',
      'LABEL_2',
    ]);
  });

  it.each([
    [
      { hidden_act: 'gelu_new' },
      'config.json: hidden_act is "gelu_new"; only "gelu" (the exact erf GELU) is supported',
    ],
    [{ hidden_act: 'relu' }, 'hidden_act is "relu"'],
    [
      { architectures: ['SwinForImageClassification'] },
      'config.json: architecture "SwinForImageClassification" is not supported; supported architectures: ViTMAEForPreTraining, ViTForImageClassification, ViTMAEModel, ViTModel',
    ],
    [
      { model_type: 'vit' },
      'config.json: model_type is "vit", but ViTMAEForPreTraining is a "vit_mae" model',
    ],
    [{ hidden_size: 1000 }, 'hidden_size 1000 is not a multiple of num_attention_heads 16'],
    [{ hidden_size: '1024' }, 'config.json: hidden_size is "1024"; expected a positive integer'],
    [{ image_size: 225 }, 'image_size 225 is not a multiple of patch_size 16'],
    [{ image_size: [224, 256] }, 'only square sizes'],
    [{ mask_ratio: 1.5 }, 'mask_ratio is 1.5; expected a number in [0, 1)'],
    [{ qkv_bias: 'yes' }, 'qkv_bias is "yes"; expected true or false'],
    [
      { decoder_hidden_size: 500 },
      'decoder_hidden_size 500 is not a multiple of decoder_num_attention_heads 16',
    ],
    [{ id2label: { '0': 'a', '2': 'b' } }, 'id2label has id "2"; ids must be 0..1'],
    [{ id2label: { '0': 'a' }, num_labels: 2 }, 'num_labels is 2, but id2label names 1 classes'],
    [{ label2id: { a: 5 } }, 'label2id maps "a" to 5'],
  ])('refuses %j', (patch, message) => {
    expect(() => parseVitConfig(JSON.stringify({ ...MAE_CONFIG, ...patch }))).toThrow(message);
  });

  it('refuses non-JSON and unknown model types', () => {
    expect(() => parseVitConfig('{', 'ckpt/config.json')).toThrow(
      'ckpt/config.json: not valid JSON',
    );
    expect(() => parseVitConfig('[]')).toThrow('config.json: not a JSON object');
    expect(() => parseVitConfig('{"model_type": "swin"}')).toThrow(
      'config.json: names no architectures and model_type "swin" is not "vit_mae" or "vit"',
    );
  });
});

describe('preprocessor_config.json', () => {
  it('reads the ViTMAE preprocessor and maps resample numbers to names', () => {
    const p = parsePreprocessorConfig(
      JSON.stringify({
        do_normalize: true,
        do_resize: true,
        image_mean: [0.485, 0.456, 0.406],
        image_std: [0.229, 0.224, 0.225],
        resample: 3,
        size: 224,
      }),
    );
    expect(p).toEqual({
      doResize: true,
      size: { height: 224, width: 224 },
      resample: 'bicubic',
      doRescale: true,
      rescaleFactor: 1 / 255,
      doNormalize: true,
      imageMean: [0.485, 0.456, 0.406],
      imageStd: [0.229, 0.224, 0.225],
    });
    const q = parsePreprocessorConfig(
      '{"size": {"height": 384, "width": 384}, "resample": 0, "image_mean": 0.5}',
    );
    expect(q.size).toEqual({ height: 384, width: 384 });
    expect(q.resample).toBe('nearest');
    expect(q.imageMean).toEqual([0.5, 0.5, 0.5]);
    expect(parsePreprocessorConfig('{}').resample).toBe('bilinear');
    expect(parsePreprocessorConfig('{"resample": 2}').resample).toBe('bilinear');
  });

  it.each([
    [
      '{"resample": 9}',
      'preprocessor_config.json: resample is 9; expected a PIL filter number 0-5',
    ],
    ['{"size": {"shortest_edge": 224}}', 'size is {"shortest_edge":224}'],
    ['{"image_std": [0.2, 0, 0.2]}', 'image_std is [0.2,0,0.2]; expected 3 positive numbers'],
    ['{"image_mean": [0.5, 0.5]}', 'image_mean is [0.5,0.5]; expected 3 numbers'],
    ['{"do_rescale": 1}', 'do_rescale is 1'],
  ])('refuses %s', (text, message) => {
    expect(() => parsePreprocessorConfig(text)).toThrow(message);
  });
});

describe('classes.txt', () => {
  it('reads id: name lines with CRLF, blank lines and any order', () => {
    expect(
      parseClassesTxt('\uFEFF1: malignant\r\n\r\n0: abnormal\r\n2:  benign tumour \n\n'),
    ).toEqual(['abnormal', 'malignant', 'benign tumour']);
  });

  it.each([
    ['0: a\nb\n', 'classes.txt: line 2 ("b") is not "id: name"'],
    ['0: a\n\n0: b\n', 'classes.txt: line 3 names class 0 again (it was "a")'],
    ['0: a\n2: c\n', 'classes.txt: class ids must be 0..1, but 1 is missing'],
    ['0:\n', 'classes.txt: line 1 gives class 0 no name'],
    ['\n\n', 'classes.txt: no classes listed'],
  ])('refuses %j', (text, message) => {
    expect(() => parseClassesTxt(text)).toThrow(message);
  });
});

// ---------------------------------------------------------------- folders

describe('checkpoint folders', () => {
  const weights: TensorSpec[] = [
    { name: 'vit.embeddings.cls_token', dtype: 'F32', shape: [1, 1, 4], data: [1, 2, 3, 4] },
    { name: 'vit.layernorm.weight', dtype: 'F16', shape: [4], data: [1, 1, 1, 1] },
    { name: 'decoder.decoder_pred.bias', dtype: 'F32', shape: [2], data: [0.5, -0.5] },
  ];
  const text = (s: string, name: string) => bytesByteSource(new TextEncoder().encode(s), name);
  const config = JSON.stringify({ ...MAE_CONFIG, hidden_size: 64, num_attention_heads: 4 });

  async function readAll(r: TensorReader): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const e of r.list()) out[e.name] = Array.from(await r.readFloat32(e.name));
    return out;
  }
  const expected = {
    'vit.embeddings.cls_token': [1, 2, 3, 4],
    'vit.layernorm.weight': [1, 1, 1, 1],
    'decoder.decoder_pred.bias': [0.5, -0.5],
  };

  it('finds config, safetensors weights, preprocessor and classes', async () => {
    const files = new Map<string, ByteSource>([
      ['ckpt/config.json', text(config, 'ckpt/config.json')],
      ['ckpt/model.safetensors', src(writeSafetensors(weights), 'ckpt/model.safetensors')],
      ['ckpt/pytorch_model.bin', src(writeTorchZipFromTensors(weights), 'ckpt/pytorch_model.bin')],
      ['ckpt/preprocessor_config.json', text('{"resample": 3, "size": 224}', 'p')],
      ['ckpt/classes.txt', text('0: abnormal\n1: normal\n', 'c')],
      ['ckpt/sub/config.json', text('{', 'ckpt/sub/config.json')],
    ]);
    const f = await openCheckpointFolder(files, 'ckpt');
    expect(f.weightsFile).toBe('ckpt/model.safetensors');
    expect(f.config.architecture).toBe('ViTMAEForPreTraining');
    expect(f.preprocessor?.resample).toBe('bicubic');
    expect(f.classes).toEqual(['abnormal', 'normal']);
    expect(await readAll(f.weights)).toEqual(expected);
  });

  it('combines sharded safetensors through the index', async () => {
    const index = {
      metadata: { total_size: 30 },
      weight_map: {
        'vit.embeddings.cls_token': 'model-00001-of-00002.safetensors',
        'vit.layernorm.weight': 'model-00002-of-00002.safetensors',
        'decoder.decoder_pred.bias': 'model-00002-of-00002.safetensors',
      },
    };
    const files = {
      'config.json': text(config, 'config.json'),
      'model.safetensors.index.json': text(JSON.stringify(index), 'model.safetensors.index.json'),
      'model-00001-of-00002.safetensors': src(writeSafetensors(weights.slice(0, 1)), 's1'),
      'model-00002-of-00002.safetensors': src(writeSafetensors(weights.slice(1)), 's2'),
    };
    const f = await openCheckpointFolder(files, 'sharded');
    expect(f.weightsFile).toBe('model.safetensors.index.json');
    expect(f.preprocessor).toBeUndefined();
    expect(f.classes).toBeUndefined();
    expect(f.weights.entry('vit.layernorm.weight')).toEqual({
      name: 'vit.layernorm.weight',
      dtype: 'F16',
      shape: [4],
    });
    expect(await readAll(f.weights)).toEqual(expected);

    const partial = Object.fromEntries(
      Object.entries(files).filter(([k]) => k !== 'model-00002-of-00002.safetensors'),
    );
    await expect(openCheckpointFolder(partial, 'sharded')).rejects.toThrow(
      'sharded: model.safetensors.index.json lists shards that are missing: model-00002-of-00002.safetensors',
    );
    const wrong = {
      ...files,
      'model.safetensors.index.json': text(
        JSON.stringify({
          weight_map: { ...index.weight_map, extra: 'model-00001-of-00002.safetensors' },
        }),
        'model.safetensors.index.json',
      ),
    };
    await expect(openCheckpointFolder(wrong, 'sharded')).rejects.toThrow(
      'model.safetensors.index.json: maps tensor "extra" to model-00001-of-00002.safetensors, which has no such tensor',
    );
  });

  it('combines sharded pytorch_model.bin files, read from Blobs', async () => {
    const index = {
      weight_map: {
        'vit.embeddings.cls_token': 'pytorch_model-00001-of-00002.bin',
        'vit.layernorm.weight': 'pytorch_model-00002-of-00002.bin',
        'decoder.decoder_pred.bias': 'pytorch_model-00002-of-00002.bin',
      },
    };
    const blob = (bytes: Uint8Array, name: string) =>
      blobByteSource(new Blob([new Uint8Array(bytes)]), name);
    const f = await openCheckpointFolder(
      {
        'config.json': text(config, 'config.json'),
        'pytorch_model.bin.index.json': text(JSON.stringify(index), 'i'),
        'pytorch_model-00001-of-00002.bin': blob(
          writeTorchZipFromTensors(weights.slice(0, 1)),
          'a',
        ),
        'pytorch_model-00002-of-00002.bin': blob(writeTorchZipFromTensors(weights.slice(1)), 'b'),
      },
      'bins',
    );
    expect(f.weightsFile).toBe('pytorch_model.bin.index.json');
    expect(await readAll(f.weights)).toEqual(expected);
  });

  it('falls back to pytorch_model.bin', async () => {
    const f = await openCheckpointFolder(
      {
        'config.json': text(config, 'config.json'),
        'pytorch_model.bin': src(writeTorchZipFromTensors(weights), 'pytorch_model.bin'),
      },
      'bin',
    );
    expect(f.weightsFile).toBe('pytorch_model.bin');
    expect(await readAll(f.weights)).toEqual(expected);
  });

  it('names the folder and what is missing', async () => {
    await expect(
      openCheckpointFolder({ 'model.safetensors': src(writeSafetensors(weights)) }, 'my-model'),
    ).rejects.toThrow(
      'my-model: no config.json, so this is not a Hugging Face checkpoint (found: model.safetensors)',
    );
    await expect(
      openCheckpointFolder({ 'config.json': text(config, 'config.json') }, 'my-model'),
    ).rejects.toThrow(
      'my-model: no weights beside config.json: expected model.safetensors, model.safetensors.index.json with its shards, or pytorch_model.bin',
    );
    await expect(
      openCheckpointFolder(
        {
          'config.json': text(
            '{"architectures": ["BeitForMaskedImageModeling"]}',
            'my-model/config.json',
          ),
          'model.safetensors': src(writeSafetensors(weights)),
        },
        'my-model',
      ),
    ).rejects.toThrow(
      'my-model/config.json: architecture "BeitForMaskedImageModeling" is not supported; supported architectures: ViTMAEForPreTraining, ViTForImageClassification, ViTMAEModel, ViTModel',
    );
    await expect(
      openCheckpointFolder(
        { 'a/config.json': text(config, 'a'), 'b/config.json': text(config, 'b') },
        'two',
      ),
    ).rejects.toThrow('two: several checkpoints (a/config.json, b/config.json)');
  });

  it('opens a folder on disk through Node file sources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skelex-ckpt-'));
    try {
      mkdirSync(join(dir, 'model'));
      writeFileSync(join(dir, 'model', 'config.json'), config);
      writeFileSync(join(dir, 'model', 'model.safetensors'), writeSafetensors(weights));
      const listing = await openDirectoryByteSources(dir);
      try {
        expect([...listing.files.keys()].sort()).toEqual([
          'model/config.json',
          'model/model.safetensors',
        ]);
        const f = await openCheckpointFolder(listing.files, dir);
        expect(f.weightsFile).toBe('model/model.safetensors');
        expect(await readAll(f.weights)).toEqual(expected);
      } finally {
        await listing.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
