/**
 * DICOM edge cases, each on a file the test writes itself (tests/helpers/dicom-writer.ts):
 * bit depths and masking, signedness, LUTs, windows, padding, colour, frames, spacing,
 * every uncompressed transfer syntax, and the inputs that must be refused with an InputError.
 */
import { describe, expect, it } from 'vitest';
import { openImage, type OpenOptions } from '../../src/lib/imaging/open';
import {
  modelGray8PerPixel,
  toDisplay8,
  toModality,
  toModelGray8,
} from '../../src/lib/imaging/modality';
import { InputError, type Radiograph } from '../../src/lib/imaging/radiograph';
import {
  lutItem,
  makeImage,
  tag,
  TAG,
  TS,
  writeDicom,
  type Element,
  type ImageOptions,
  type WriteOptions,
} from '../helpers/dicom-writer';

/** Write a file and open it under a name. */
function open(
  name: string,
  image: ImageOptions | Element[],
  write?: WriteOptions,
  options?: OpenOptions,
): Promise<Radiograph> {
  const elements = Array.isArray(image) ? image : makeImage(image);
  return openImage(name, writeDicom(elements, write), options);
}

/** The InputError that opening these bytes must give, checked to name the file. */
async function inputError(
  name: string,
  bytes: Uint8Array,
  options?: OpenOptions,
): Promise<InputError> {
  let caught: unknown;
  try {
    await openImage(name, bytes, options);
  } catch (e) {
    caught = e;
  }
  expect(caught, `${name} should have been refused`).toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.source).toBe(name);
  expect(err.message).toContain(name);
  expect(err.message).toBe(`${name}: ${err.reason}`);
  return err;
}

const values = (a: ArrayLike<number>): number[] => Array.from(a);

/** Deterministic pseudo-random bytes (xorshift32). */
function randomBytes(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('stored values: bit depth, masking and sign', () => {
  it('masks garbage above BitsStored 12 in unsigned 16-bit data', async () => {
    const words = [0xf123, 0x0fff, 0xa000, 0x0001, 0x7abc, 0x8000];
    const r = await open('masked.dcm', {
      rows: 2,
      columns: 3,
      bitsStored: 12,
      pixels: Uint16Array.from(words),
    });
    expect(r.kind).toBe('dicom');
    expect(r.source).toBe('masked.dcm');
    expect([r.width, r.height, r.samplesPerPixel]).toEqual([3, 2, 1]);
    expect(r.bitsAllocated).toBe(16);
    expect(r.bitsStored).toBe(12);
    expect(r.signed).toBe(false);
    expect(values(r.stored)).toEqual(words.map((w) => w & 0x0fff));
    expect(r.minStored).toBe(0);
    expect(r.maxStored).toBe(0x0fff);
  });

  it('keeps negative values of signed 16-bit data', async () => {
    const pixels = Int16Array.from([-1000, 0, 1000, -32768, 32767, -1]);
    const r = await open('signed16.dcm', { rows: 3, columns: 2, pixels });
    expect(r.signed).toBe(true);
    expect(values(r.stored)).toEqual(values(pixels));
    expect(r.minStored).toBe(-32768);
    expect(r.maxStored).toBe(32767);
    expect(toModelGray8(r)).toEqual(modelGray8PerPixel(r));
  });

  it('sign-extends signed BitsStored 12 from bit 11, ignoring the bits above', async () => {
    // 12-bit two's complement patterns, some with garbage in bits 12-15.
    const words = [0xaffb, 0x5800, 0x07ff, 0x0000, 0xf001, 0x0fff];
    const expected = [-5, -2048, 2047, 0, 1, -1];
    const r = await open('signed12.dcm', {
      rows: 2,
      columns: 3,
      bitsStored: 12,
      pixelRepresentation: 1,
      pixels: Uint16Array.from(words),
    });
    expect(r.signed).toBe(true);
    expect(r.bitsStored).toBe(12);
    expect(values(r.stored)).toEqual(expected);
    expect(r.minStored).toBe(-2048);
    expect(r.maxStored).toBe(2047);
  });

  it('reads BitsAllocated 8', async () => {
    const pixels = Uint8Array.from([0, 7, 128, 255, 64, 3]);
    const r = await open('eight.dcm', { rows: 2, columns: 3, pixels });
    expect(r.bitsAllocated).toBe(8);
    expect(r.bitsStored).toBe(8);
    expect(r.stored).toHaveLength(6);
    expect(values(r.stored)).toEqual(values(pixels));
    expect(r.minStored).toBe(0);
    expect(r.maxStored).toBe(255);
  });
});

describe('modality and VOI transforms', () => {
  it('applies rescale slope and intercept in toModality', async () => {
    const pixels = Uint16Array.from([0, 1, 3, 4095]);
    const r = await open('rescale.dcm', {
      rows: 2,
      columns: 2,
      bitsStored: 12,
      pixels,
      rescaleSlope: 0.5,
      rescaleIntercept: -100,
    });
    expect(r.rescaleSlope).toBe(0.5);
    expect(r.rescaleIntercept).toBe(-100);
    expect(r.modalityLut).toBeUndefined();
    const m = toModality(r);
    expect(m).toBeInstanceOf(Float32Array);
    expect(values(m)).toEqual([-100, -99.5, -98.5, 1947.5]);
  });

  it('reads two window presets with their explanations, first preset first', async () => {
    const pixels = Uint16Array.from([0, 749, 1000, 1251, 4000, 2000]);
    const r = await open('windows.dcm', {
      rows: 2,
      columns: 3,
      pixels,
      windowCenter: [1000, 2000],
      windowWidth: [500, 4000],
      windowExplanation: ['SOFT', 'BONE'],
    });
    expect(r.windows.length).toBeGreaterThanOrEqual(2);
    expect(r.windows[0]).toEqual({ center: 1000, width: 500, explanation: 'SOFT' });
    expect(r.windows[1]).toEqual({ center: 2000, width: 4000, explanation: 'BONE' });

    // No window given and no VOI LUT: the first preset (1000/500) applies.
    const d = toDisplay8(r);
    expect(d).toHaveLength(6);
    expect(d[0]).toBe(0);
    expect(d[1]).toBe(0);
    expect(Math.abs(d[2] - 128)).toBeLessThanOrEqual(1);
    expect(d[3]).toBe(255);
    expect(d[4]).toBe(255);
    expect(d[5]).toBe(255);

    // An explicit window overrides it: 2000/4000 maps 0..4000 across 0..255.
    const wide = toDisplay8(r, { center: 2000, width: 4000 });
    expect(wide[0]).toBeLessThanOrEqual(1);
    expect(Math.abs(wide[2] - 64)).toBeLessThanOrEqual(1);
    expect(Math.abs(wide[5] - 128)).toBeLessThanOrEqual(1);
    expect(wide[4]).toBeGreaterThanOrEqual(254);
  });

  it('reads a VOI LUT Sequence and toDisplay8 applies it before any window preset', async () => {
    const pixels = Uint16Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const r = await open('voilut.dcm', {
      rows: 2,
      columns: 4,
      bitsStored: 12,
      pixels,
      // A preset that would give a very different picture if it were used instead.
      windowCenter: 100,
      windowWidth: 10,
      extra: [
        {
          tag: TAG.VOILUTSequence,
          vr: 'SQ',
          value: [lutItem({ descriptor: [4, 2, 8], data: [0, 50, 200, 255], explanation: 'S' })],
        },
      ],
    });
    expect(r.voiLuts).toHaveLength(1);
    const lut = r.voiLuts[0];
    expect(lut.firstValueMapped).toBe(2);
    expect(lut.bitsPerEntry).toBe(8);
    expect(values(lut.data)).toEqual([0, 50, 200, 255]);
    expect(lut.explanation).toBe('S');
    // Below the first mapped value: the first entry; above the last: the last entry.
    expect(values(toDisplay8(r))).toEqual([0, 0, 0, 50, 200, 255, 255, 255]);
  });

  it('scales a 16-bit VOI LUT to 0..255', async () => {
    const r = await open('voilut16.dcm', {
      rows: 1,
      columns: 3,
      pixels: Uint16Array.from([0, 1, 2]),
      extra: [
        {
          tag: TAG.VOILUTSequence,
          vr: 'SQ',
          value: [lutItem({ descriptor: [3, 0, 16], data: [0, 32768, 65535] })],
        },
      ],
    });
    expect(r.voiLuts[0].bitsPerEntry).toBe(16);
    const d = toDisplay8(r);
    expect(d[0]).toBe(0);
    expect(Math.abs(d[1] - 128)).toBeLessThanOrEqual(1);
    expect(d[2]).toBe(255);
  });

  it('reads a Modality LUT Sequence and toModality applies it instead of a rescale', async () => {
    const pixels = Uint16Array.from([8, 10, 11, 12, 13, 20]);
    const r = await open('modlut.dcm', {
      rows: 2,
      columns: 3,
      bitsStored: 12,
      pixels,
      extra: [
        {
          tag: TAG.ModalityLUTSequence,
          vr: 'SQ',
          value: [
            lutItem({
              descriptor: [4, 10, 16],
              data: [100, 200, 300, 40000],
              explanation: 'M',
              modalityLutType: 'US',
            }),
          ],
        },
      ],
    });
    expect(r.modalityLut).toBeDefined();
    expect(r.modalityLut?.firstValueMapped).toBe(10);
    expect(r.modalityLut?.bitsPerEntry).toBe(16);
    expect(values(r.modalityLut?.data ?? [])).toEqual([100, 200, 300, 40000]);
    expect(values(toModality(r))).toEqual([100, 100, 200, 300, 40000, 40000]);
    expect(toModelGray8(r)).toEqual(modelGray8PerPixel(r));
  });

  it('leaves Pixel Padding Value out of minStored/maxStored and toModelGray8', async () => {
    const pixels = Uint16Array.from([0, 0, 500, 1000, 2000, 0]);
    const r = await open('padding.dcm', {
      rows: 2,
      columns: 3,
      pixels,
      pixelPaddingValue: 0,
    });
    expect(r.paddingValue).toBe(0);
    expect(r.minStored).toBe(500);
    expect(r.maxStored).toBe(2000);
    const g = toModelGray8(r);
    expect(g).toHaveLength(6);
    expect([g[2], g[3], g[4]]).toEqual([0, 85, 255]);
    expect(g).toEqual(modelGray8PerPixel(r));
  });

  it('shows MONOCHROME1 with bone (low stored values) bright', async () => {
    const pixels = Uint16Array.from([0, 1000, 4095, 2048]);
    const r = await open('mono1.dcm', {
      rows: 2,
      columns: 2,
      bitsStored: 12,
      photometric: 'MONOCHROME1',
      pixels,
      windowCenter: 2048,
      windowWidth: 4096,
    });
    expect(r.photometric).toBe('MONOCHROME1');

    const d = toDisplay8(r);
    expect(d[0]).toBeGreaterThanOrEqual(254);
    expect(d[2]).toBeLessThanOrEqual(1);
    expect(d[1]).toBeGreaterThan(d[3]);

    const flipped = toDisplay8(r, undefined, true);
    expect(flipped[0]).toBeLessThanOrEqual(1);
    expect(flipped[2]).toBeGreaterThanOrEqual(254);

    const g = toModelGray8(r);
    expect(g).toEqual(modelGray8PerPixel(r));
    expect(g[0]).toBe(255);
    expect(g[2]).toBe(0);
    expect(Math.abs(g[1] - (255 - (1000 / 4095) * 255))).toBeLessThanOrEqual(1);
  });
});

describe('colour', () => {
  const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];

  it('gives the same interleaved RGB for PlanarConfiguration 0 and 1', async () => {
    const planar = Uint8Array.from([
      ...[0, 3, 6, 9].map((i) => rgb[i]),
      ...[1, 4, 7, 10].map((i) => rgb[i]),
      ...[2, 5, 8, 11].map((i) => rgb[i]),
    ]);
    const common = { rows: 2, columns: 2, samplesPerPixel: 3 as const, photometric: 'RGB' };
    const a = await open('rgb-p0.dcm', {
      ...common,
      planarConfiguration: 0,
      pixels: Uint8Array.from(rgb),
    });
    const b = await open('rgb-p1.dcm', { ...common, planarConfiguration: 1, pixels: planar });
    for (const r of [a, b]) {
      expect(r.samplesPerPixel).toBe(3);
      expect(r.photometric).toBe('RGB');
      expect(r.stored).toHaveLength(12);
    }
    expect(values(a.stored)).toEqual(rgb);
    expect(values(b.stored)).toEqual(rgb);
  });

  it('converts YBR_FULL 8-bit to RGB', async () => {
    // [Y, Cb, Cr] (rounded ITU-R BT.601 full range) -> the colour it encodes.
    const samples: [number[], number[]][] = [
      [
        [0, 128, 128],
        [0, 0, 0],
      ],
      [
        [255, 128, 128],
        [255, 255, 255],
      ],
      [
        [76, 85, 255],
        [255, 0, 0],
      ],
      [
        [150, 44, 21],
        [0, 255, 0],
      ],
      [
        [29, 255, 107],
        [0, 0, 255],
      ],
      [
        [124, 86, 182],
        [200, 100, 50],
      ],
    ];
    const r = await open('ybr.dcm', {
      rows: 2,
      columns: 3,
      samplesPerPixel: 3,
      photometric: 'YBR_FULL',
      planarConfiguration: 0,
      pixels: Uint8Array.from(samples.flatMap(([ybr]) => ybr)),
    });
    expect(r.photometric).toBe('RGB');
    expect(r.samplesPerPixel).toBe(3);
    const got = values(r.stored);
    const want = samples.flatMap(([, colour]) => colour);
    expect(got).toHaveLength(want.length);
    got.forEach((v, i) => {
      expect(Math.abs(v - want[i]), `sample ${i}: got ${v}, want ${want[i]}`).toBeLessThanOrEqual(
        1,
      );
    });
  });
});

describe('frames', () => {
  const frame = (k: number) => Array.from({ length: 6 }, (_, i) => 1000 * k + i);
  const threeFrames = {
    rows: 2,
    columns: 3,
    numberOfFrames: 3,
    pixels: Uint16Array.from([...frame(0), ...frame(1), ...frame(2)]),
  };

  it('opens frame 0 by default and the frame asked for', async () => {
    const first = await open('frames.dcm', threeFrames);
    expect(first.frameCount).toBe(3);
    expect(first.frameIndex).toBe(0);
    expect(values(first.stored)).toEqual(frame(0));

    const second = await open('frames.dcm', threeFrames, undefined, { frame: 1 });
    expect(second.frameCount).toBe(3);
    expect(second.frameIndex).toBe(1);
    expect(second.stored).toHaveLength(6);
    expect(values(second.stored)).toEqual(frame(1));
  });

  it.each([3, -1])('refuses frame %i of 3', async (n) => {
    await inputError('frames.dcm', writeDicom(makeImage(threeFrames)), { frame: n });
  });

  it('refuses a frame that lies past the end of the pixel data', async () => {
    const short = { ...threeFrames, pixels: Uint16Array.from([...frame(0), ...frame(1)]) };
    await inputError('short-frames.dcm', writeDicom(makeImage(short)), { frame: 2 });
  });
});

describe('pixel spacing', () => {
  const base = { rows: 2, columns: 2, pixels: new Uint16Array(4) };

  it('prefers PixelSpacing and says so', async () => {
    const r = await open('ps.dcm', {
      ...base,
      pixelSpacing: [0.1, 0.2],
      imagerPixelSpacing: [0.15, 0.15],
    });
    expect(r.pixelSpacing).toEqual({ rowMm: 0.1, columnMm: 0.2, source: 'PixelSpacing' });
  });

  it('falls back to ImagerPixelSpacing and says so', async () => {
    const r = await open('ips.dcm', { ...base, imagerPixelSpacing: [0.139, 0.14] });
    expect(r.pixelSpacing).toEqual({
      rowMm: 0.139,
      columnMm: 0.14,
      source: 'ImagerPixelSpacing',
    });
  });

  it('has none when the file has neither', async () => {
    const r = await open('nops.dcm', base);
    expect(r.pixelSpacing).toBeUndefined();
  });
});

describe('transfer syntaxes give identical stored values', () => {
  /** Elements of many VRs around the image, so that each syntax's parsing is exercised. */
  const extra: Element[] = [
    {
      tag: TAG.VOILUTSequence,
      vr: 'SQ',
      value: [lutItem({ descriptor: [3, 0, 16], data: [1, 0x1234, 0xfedc], explanation: 'L' })],
    },
    { tag: TAG.StudyDate, vr: 'DA', value: '20240102' },
    { tag: tag(0x0008, 0x0050), vr: 'SH', value: 'ACC1' },
    { tag: tag(0x0018, 0x0050), vr: 'DS', value: 0.5 },
    { tag: tag(0x0018, 0x1150), vr: 'IS', value: 12 },
    { tag: tag(0x0018, 0x1153), vr: 'SL', value: -7 },
    { tag: tag(0x0018, 0x7062), vr: 'FL', value: [1.5, -2] },
    { tag: tag(0x0020, 0x4000), vr: 'LT', value: 'odd' },
    { tag: TAG.FrameIncrementPointer, vr: 'AT', value: TAG.NumberOfFrames },
    { tag: tag(0x0028, 0x0107), vr: 'UL', value: 70000 },
    { tag: tag(0x0040, 0x9225), vr: 'FD', value: 2.25 },
  ];
  const meta = {
    rows: 2,
    columns: 3,
    rescaleSlope: 0.5,
    rescaleIntercept: -3,
    windowCenter: [40, 400],
    windowWidth: [400, 2000],
    windowExplanation: ['SOFT', 'BONE'],
    modality: 'DX',
    bodyPart: 'HAND',
    viewPosition: 'PA',
    patientName: 'Doe^Jane',
    seriesDescription: 'edge',
    extra,
  };
  const images: [string, ImageOptions][] = [
    ['16-bit unsigned', { ...meta, pixels: Uint16Array.from([0, 1, 0x1234, 0xfffe, 65535, 300]) }],
    ['16-bit signed', { ...meta, pixels: Int16Array.from([-32768, -2, 0x1234, 2, 32767, -300]) }],
    ['8-bit', { ...meta, pixels: Uint8Array.from([0, 1, 0x12, 0xfe, 255, 30]) }],
  ];
  const syntaxes: [string, WriteOptions][] = [
    ['Implicit VR LE', { transferSyntax: TS.implicitLE }],
    ['Explicit VR LE', { transferSyntax: TS.explicitLE }],
    ['Explicit VR BE', { transferSyntax: TS.explicitBE }],
    ['Deflated Explicit VR LE', { transferSyntax: TS.deflatedLE }],
    ['no preamble, Implicit VR LE', { transferSyntax: TS.implicitLE, preamble: false }],
    ['no preamble, Explicit VR LE', { transferSyntax: TS.explicitLE, preamble: false }],
  ];
  const cases = images.flatMap(([image, opts]) =>
    syntaxes.map(([syntax, write]) => ({ image, opts, syntax, write })),
  );

  it.each(cases)('$image in $syntax', async ({ opts, write }) => {
    const r = await open('syntax.dcm', opts, write);
    const pixels = opts.pixels as Uint8Array | Uint16Array | Int16Array;
    expect([r.width, r.height]).toEqual([3, 2]);
    expect(r.signed).toBe(pixels instanceof Int16Array);
    expect(values(r.stored)).toEqual(values(pixels));
    if (write.preamble !== false) expect(r.transferSyntax).toBe(write.transferSyntax);
    expect(r.rescaleSlope).toBe(0.5);
    expect(r.rescaleIntercept).toBe(-3);
    expect(r.windows[0]).toEqual({ center: 40, width: 400, explanation: 'SOFT' });
    expect(r.windows[1]).toEqual({ center: 400, width: 2000, explanation: 'BONE' });
    expect(values(r.voiLuts[0]?.data ?? [])).toEqual([1, 0x1234, 0xfedc]);
    expect(r.metadata).toMatchObject({
      modality: 'DX',
      bodyPart: 'HAND',
      viewPosition: 'PA',
      seriesDescription: 'edge',
    });
    expect(r.patient.patientName).toBe('Doe^Jane');
  });
});

describe('refused inputs', () => {
  it('says "no pixel data" for an image without Pixel Data', async () => {
    const bytes = writeDicom(makeImage({ rows: 2, columns: 2 }));
    const err = await inputError('nopix.dcm', bytes);
    expect(err.reason).toMatch(/no pixel data/i);
  });

  it('refuses a file cut in the middle of its pixel data, before decoding it', async () => {
    const full = writeDicom(
      makeImage({ rows: 512, columns: 512, pixels: new Uint16Array(512 * 512).fill(777) }),
    );
    const cut = full.slice(0, full.length - 512 * 256);
    // Refused by the parser (the element runs past the end) or the frame's length
    // check, both before any pixel is touched: no clock needed to know it was cheap.
    const err = await inputError('cut.dcm', cut);
    expect(err.reason).toMatch(
      /^DICOM structure is damaged: .*overrun|^pixel data holds \d+ bytes/,
    );
  });

  it('refuses a file cut inside its header', async () => {
    const full = writeDicom(makeImage({ rows: 2, columns: 2, pixels: new Uint16Array(4) }));
    await inputError('cut-header.dcm', full.slice(0, 200));
  });

  it('refuses 20000x20000 (400 megapixels) before allocating, naming the size', async () => {
    const bytes = writeDicom(
      makeImage({ rows: 20000, columns: 20000, pixels: new Uint16Array(8) }),
    );
    const err = await inputError('huge.dcm', bytes);
    expect(err.reason).toMatch(/20\s?000|400/);
    // The header's size check, made before any frame is read or allocated.
    expect(err.reason).toMatch(/is over the \d+-megapixel limit$/);
  });

  it('refuses 65535x65535 x3 frames with an InputError, not a RangeError', async () => {
    const bytes = writeDicom(
      makeImage({ rows: 65535, columns: 65535, numberOfFrames: 3, pixels: new Uint16Array(8) }),
    );
    const err = await inputError('huger.dcm', bytes);
    // The same size check, before any frame is read or allocated.
    expect(err.reason).toMatch(/^image size 65535x65535 .* is over the \d+-megapixel limit$/);
  });

  it('refuses a frame larger than the pixel data', async () => {
    const bytes = writeDicom(makeImage({ rows: 64, columns: 64, pixels: new Uint16Array(50) }));
    await inputError('small-pixels.dcm', bytes);
  });

  it('refuses an unsupported transfer syntax, naming it', async () => {
    const mpeg2 = '1.2.840.10008.1.2.4.100';
    const bytes = writeDicom(makeImage({ rows: 2, columns: 2, bitsAllocated: 8 }), {
      transferSyntax: mpeg2,
      encapsulatedFrames: [Uint8Array.from([0, 0, 1, 0xb3, 1, 2, 3, 4])],
    });
    const err = await inputError('video.dcm', bytes);
    expect(err.reason).toMatch(/1\.2\.840\.10008\.1\.2\.4\.100|MPEG-?2/i);
  });

  it.each([
    ['random.bin', randomBytes(4096)],
    ['empty.dcm', new Uint8Array(0)],
    ['text.dcm', new TextEncoder().encode('hello, this is not a radiograph\n'.repeat(20))],
  ])('refuses non-DICOM bytes (%s)', async (name, bytes) => {
    await inputError(name, bytes);
  });

  it('refuses a DICM prefix followed by garbage', async () => {
    const bytes = randomBytes(2048, 7);
    bytes.fill(0, 0, 128);
    bytes.set([0x44, 0x49, 0x43, 0x4d], 128);
    await inputError('garbage-after-dicm.dcm', bytes);
  });
});

describe('text', () => {
  it('keeps markup in PatientName verbatim, as text', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const r = await open('xss.dcm', {
      rows: 1,
      columns: 2,
      pixels: new Uint16Array(2),
      patientName: name,
    });
    expect(r.patient.patientName).toBe(name);
  });
});
