import { describe, expect, it } from 'vitest';
import { openImage } from '../../src/lib/imaging/open';
import { modelGray8PerPixel, toDisplay8, toModelGray8 } from '../../src/lib/imaging/modality';
import type { Radiograph } from '../../src/lib/imaging/radiograph';
import { dataPath, readData } from '../helpers/data';
import { gdcmDecodedPixels } from '../helpers/native';

const open = (name: string) => openImage(name, readData('dicom', name));

/** Mean of an 8-bit image over a rectangle given in fractions of the size. */
function regionMean(
  pixels: Uint8Array,
  r: Radiograph,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(y0 * r.height); y < Math.floor(y1 * r.height); y++) {
    for (let x = Math.floor(x0 * r.width); x < Math.floor(x1 * r.width); x++) {
      sum += pixels[y * r.width + x];
      n++;
    }
  }
  return sum / n;
}

describe('shared NEMA radiographs', () => {
  const files = {
    'RG2_UNC.dcm': ['1.2.840.10008.1.2.1', 1760, 2140, 'MONOCHROME2'],
    'RG2_J2KR.dcm': ['1.2.840.10008.1.2.4.90', 1760, 2140, 'MONOCHROME2'],
    'RG2_JPLL.dcm': ['1.2.840.10008.1.2.4.70', 1760, 2140, 'MONOCHROME2'],
    'RG3_JLSL.dcm': ['1.2.840.10008.1.2.4.80', 1760, 1760, 'MONOCHROME1'],
    'RG3_RLE.dcm': ['1.2.840.10008.1.2.5', 1760, 1760, 'MONOCHROME1'],
    'RG3_JPLY.dcm': ['1.2.840.10008.1.2.4.51', 1760, 1760, 'MONOCHROME1'],
  } as const;

  for (const [name, [syntax, width, height, photometric]] of Object.entries(files)) {
    it(`opens ${name}`, async () => {
      const r = await open(name);
      expect(r.transferSyntax).toBe(syntax);
      expect([r.width, r.height, r.photometric, r.bitsStored]).toEqual([
        width,
        height,
        photometric,
        10,
      ]);
      expect(r.stored.length).toBe(width * height);
      expect(r.maxStored).toBeLessThan(1024);
      expect(r.windows[0]).toMatchObject({ width: 1024 });
      expect(r.metadata.modality).toBe('CR');
    });
  }

  it('decodes every lossless encoding of the hip to the same pixels', async () => {
    const reference = await open('RG2_UNC.dcm');
    for (const name of ['RG2_J2KR.dcm', 'RG2_JPLL.dcm']) {
      expect(Array.from((await open(name)).stored)).toEqual(Array.from(reference.stored));
    }
  });

  it('decodes both lossless encodings of the tibia to the same pixels', async () => {
    const rle = await open('RG3_RLE.dcm');
    const jls = await open('RG3_JLSL.dcm');
    expect(Array.from(jls.stored)).toEqual(Array.from(rle.stored));
  });

  it('decodes the lossy 12-bit JPEG close to its lossless original', async () => {
    const lossy = await open('RG3_JPLY.dcm');
    const original = await open('RG3_RLE.dcm');
    let squared = 0;
    for (let i = 0; i < lossy.stored.length; i++)
      squared += (lossy.stored[i] - original.stored[i]) ** 2;
    const psnr = 10 * Math.log10(1023 ** 2 / (squared / lossy.stored.length));
    expect(psnr).toBeGreaterThan(35);
  });

  it.each(['RG2_J2KR.dcm', 'RG2_JPLL.dcm', 'RG3_JLSL.dcm', 'RG3_RLE.dcm'])(
    'matches gdcm on %s',
    async (name) => {
      const ours = await open(name);
      const theirs = new Uint16Array(gdcmDecodedPixels(dataPath('dicom', name)).buffer);
      expect(theirs.length).toBe(ours.stored.length);
      let differing = 0;
      for (let i = 0; i < theirs.length; i++)
        if ((theirs[i] & 0x3ff) !== ours.stored[i]) differing++;
      expect(differing).toBe(0);
    },
  );

  it('shows MONOCHROME1 bone bright, on screen and to the model', async () => {
    const r = await open('RG3_JLSL.dcm');
    // The tibial shaft runs down the middle; right of the leg is open air (direct exposure).
    const bone = (pixels: Uint8Array) => regionMean(pixels, r, 0.46, 0.05, 0.52, 0.35);
    const air = (pixels: Uint8Array) => regionMean(pixels, r, 0.63, 0.05, 0.68, 0.35);
    for (const pixels of [toDisplay8(r, r.windows[0]), toModelGray8(r)]) {
      expect(bone(pixels)).toBeGreaterThan(air(pixels) + 100);
    }
    // Inverting on request turns it back.
    const inverted = toDisplay8(r, r.windows[0], true);
    expect(bone(inverted)).toBeLessThan(air(inverted) - 100);
  });

  it.each(['RG2_UNC.dcm', 'RG3_RLE.dcm', 'RG3_JPLY.dcm'])(
    'gives the model the same gray through the value table as pixel by pixel (%s)',
    async (name) => {
      const r = await open(name);
      const table = toModelGray8(r);
      const perPixel = modelGray8PerPixel(r);
      expect(table).toHaveLength(perPixel.length);
      // Counted by hand: a deep equality of millions of elements takes vitest seconds.
      let differing = 0;
      for (let i = 0; i < table.length; i++) if (table[i] !== perPixel[i]) differing++;
      expect(differing).toBe(0);
    },
  );

  it('reads pixel spacing and the safe metadata of the hip', async () => {
    const r = await open('RG2_UNC.dcm');
    expect(r.pixelSpacing).toEqual({ rowMm: 0.2, columnMm: 0.2, source: 'PixelSpacing' });
    expect(r.metadata.bodyPart).toBe('HIP');
  });
});
