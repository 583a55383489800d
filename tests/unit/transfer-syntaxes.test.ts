/**
 * Every transfer syntax we accept, on real radiograph pixels: a crop of the
 * NEMA tibia is written uncompressed, then encoded by Debian's dcmtk and gdcm
 * (and OpenJPH for HTJ2K), and each encoding must decode back exactly
 * (lossless) or close, and agree with gdcm's own decode (lossy).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/lib/imaging/open';
import type { Radiograph } from '../../src/lib/imaging/radiograph';
import { readData } from '../helpers/data';
import { makeImage, writeDicom } from '../helpers/dicom-writer';
import { gdcmDecodedPixels, requireTool } from '../helpers/native';

const SIZE = 384;
let dir: string;
let original10: Uint16Array; // 10-bit MONOCHROME1 crop
let original8: Uint8Array;
let originalRgb: Uint8Array;

const file = (name: string) => path.join(dir, name);
const open = async (name: string): Promise<Radiograph> =>
  openImage(name, new Uint8Array(readFileSync(file(name))));

function run(tool: string, debianPackage: string, args: string[]): void {
  requireTool(tool, debianPackage);
  execFileSync(tool, args, { stdio: 'pipe' });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak: number): number {
  let squared = 0;
  for (let i = 0; i < a.length; i++) squared += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((peak * peak) / (squared / a.length));
}

/** Pearson correlation: dcmtk's lossy JPEG rescales values to the full range, so compare shape, not level. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Encodes 10-bit gray frames as HTJ2K with OpenJPH's encoder (no Debian tool writes HTJ2K). */
async function encodeHtj2k(pixels: Uint16Array): Promise<Uint8Array> {
  const factory = createRequire(import.meta.url)('@cornerstonejs/codec-openjph/wasmjs');
  const codec = await factory({ print: () => {}, printErr: () => {} });
  const encoder = new codec.HTJ2KEncoder();
  const input = encoder.getDecodedBuffer({
    width: SIZE,
    height: SIZE,
    bitsPerSample: 10,
    componentCount: 1,
    isSigned: false,
    isUsingColorTransform: false,
  });
  input.set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
  encoder.encode();
  const encoded = encoder.getEncodedBuffer().slice();
  encoder.delete();
  return encoded;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skelex-ts-'));
  const tibia = await openImage('RG3_RLE.dcm', readData('dicom', 'RG3_RLE.dcm'));
  original10 = new Uint16Array(SIZE * SIZE);
  original8 = new Uint8Array(SIZE * SIZE);
  originalRgb = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const v = tibia.stored[(200 + y) * tibia.width + 700 + x];
      const i = y * SIZE + x;
      original10[i] = v;
      original8[i] = v >> 2;
      // A colour image with smooth chroma, as a photo of a radiograph might have.
      originalRgb.set(
        [v >> 2, (v >> 2) * 0.8 + x / 8, 255 - (v >> 2) * 0.5 - y / 8].map(Math.round),
        3 * i,
      );
    }
  }
  const common = { rows: SIZE, columns: SIZE, modality: 'CR' };
  writeFileSync(
    file('plain.dcm'),
    writeDicom(
      makeImage({ ...common, pixels: original10, bitsStored: 10, photometric: 'MONOCHROME1' }),
    ),
  );
  writeFileSync(file('plain8.dcm'), writeDicom(makeImage({ ...common, pixels: original8 })));
  writeFileSync(
    file('rgb.dcm'),
    writeDicom(
      makeImage({ ...common, pixels: originalRgb, samplesPerPixel: 3, planarConfiguration: 0 }),
    ),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lossless transfer syntaxes give the original pixels exactly', () => {
  const cases: [string, string, () => void][] = [
    [
      '1.2.840.10008.1.2',
      'implicit.dcm',
      () => run('dcmconv', 'dcmtk', ['+ti', file('plain.dcm'), file('implicit.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.2',
      'big.dcm',
      () => run('dcmconv', 'dcmtk', ['+tb', file('plain.dcm'), file('big.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.1.99',
      'deflated.dcm',
      () => run('dcmconv', 'dcmtk', ['+td', file('plain.dcm'), file('deflated.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.5',
      'rle.dcm',
      () => run('dcmcrle', 'dcmtk', [file('plain.dcm'), file('rle.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.4.57',
      'jpll6.dcm',
      () => run('dcmcjpeg', 'dcmtk', ['+el', '+sv', '6', file('plain.dcm'), file('jpll6.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.4.70',
      'jpll1.dcm',
      () => run('dcmcjpeg', 'dcmtk', ['+e1', file('plain.dcm'), file('jpll1.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.4.80',
      'jls.dcm',
      () => run('dcmcjpls', 'dcmtk', [file('plain.dcm'), file('jls.dcm')]),
    ],
    [
      '1.2.840.10008.1.2.4.90',
      'j2k.dcm',
      () => run('gdcmconv', 'libgdcm-tools', ['--j2k', file('plain.dcm'), file('j2k.dcm')]),
    ],
  ];

  it.each(cases)('%s (%s)', async (syntax, name, make) => {
    make();
    const r = await open(name);
    expect(r.transferSyntax).toBe(syntax);
    expect(r.photometric).toBe('MONOCHROME1');
    expect(maxDifference(r.stored, original10)).toBe(0);
  });

  it('1.2.840.10008.1.2.4.201 (HTJ2K, two frames)', async () => {
    const frame0 = await encodeHtj2k(original10);
    const flipped = original10.slice().reverse();
    const frame1 = await encodeHtj2k(flipped);
    const image = makeImage({
      rows: SIZE,
      columns: SIZE,
      bitsStored: 10,
      photometric: 'MONOCHROME1',
      numberOfFrames: 2,
    });
    writeFileSync(
      file('htj2k.dcm'),
      writeDicom(image, {
        transferSyntax: '1.2.840.10008.1.2.4.201',
        encapsulatedFrames: [frame0, frame1],
      }),
    );
    const bytes = new Uint8Array(readFileSync(file('htj2k.dcm')));
    const first = await openImage('htj2k.dcm', bytes);
    const second = await openImage('htj2k.dcm', bytes, { frame: 1 });
    expect(first.frameCount).toBe(2);
    expect(maxDifference(first.stored, original10)).toBe(0);
    expect(maxDifference(second.stored, flipped)).toBe(0);
  });
});

describe('lossy transfer syntaxes decode close to the original and to gdcm', () => {
  it('JPEG-LS near-lossless stays within its NEAR bound', async () => {
    run('dcmcjpls', 'dcmtk', ['+en', '+md', '3', file('plain.dcm'), file('jls-near.dcm')]);
    const r = await open('jls-near.dcm');
    expect(r.transferSyntax).toBe('1.2.840.10008.1.2.4.81');
    expect(r.transferSyntaxName).toContain('NEAR=3');
    const error = maxDifference(r.stored, original10);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThanOrEqual(3);
  });

  it('JPEG extended 12-bit (process 4) matches gdcm within 1', async () => {
    run('dcmcjpeg', 'dcmtk', ['+ee', file('plain.dcm'), file('extended.dcm')]);
    const r = await open('extended.dcm');
    expect(r.transferSyntax).toBe('1.2.840.10008.1.2.4.51');
    const theirs = new Uint16Array(gdcmDecodedPixels(file('extended.dcm')).buffer);
    expect(maxDifference(r.stored, theirs)).toBeLessThanOrEqual(1);
    expect(correlation(r.stored, original10)).toBeGreaterThan(0.999);
  });

  it('JPEG baseline 8-bit gray matches gdcm within 1', async () => {
    run('dcmcjpeg', 'dcmtk', ['+eb', file('plain8.dcm'), file('baseline.dcm')]);
    const r = await open('baseline.dcm');
    expect(r.transferSyntax).toBe('1.2.840.10008.1.2.4.50');
    expect(maxDifference(r.stored, gdcmDecodedPixels(file('baseline.dcm')))).toBeLessThanOrEqual(1);
    expect(correlation(r.stored, original8)).toBeGreaterThan(0.99);
  });

  it('JPEG baseline YBR_FULL_422 colour comes back as RGB', async () => {
    run('dcmcjpeg', 'dcmtk', ['+eb', file('rgb.dcm'), file('baseline-rgb.dcm')]);
    const r = await open('baseline-rgb.dcm');
    expect(r.photometric).toBe('RGB');
    expect(r.samplesPerPixel).toBe(3);
    expect(psnr(r.stored, originalRgb, 255)).toBeGreaterThan(30);
  });

  it('JPEG 2000 lossy stays close', async () => {
    run('gdcmconv', 'libgdcm-tools', [
      '--j2k',
      '--lossy',
      '-r',
      '10',
      file('plain.dcm'),
      file('j2k-lossy.dcm'),
    ]);
    const r = await open('j2k-lossy.dcm');
    expect(r.transferSyntax).toBe('1.2.840.10008.1.2.4.91');
    expect(maxDifference(r.stored, original10)).toBeGreaterThan(0);
    expect(psnr(r.stored, original10, 1023)).toBeGreaterThan(35);
    const theirs = new Uint16Array(gdcmDecodedPixels(file('j2k-lossy.dcm')).buffer);
    expect(maxDifference(r.stored, theirs)).toBeLessThanOrEqual(1);
  });
});
