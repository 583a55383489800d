import { beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/lib/imaging/open';
import { toModelGray8 } from '../../src/lib/imaging/modality';
import {
  type Geometry,
  mapToSource,
  modelGeometry,
  preprocess,
  preprocessGray8,
  rectToSource,
  toModel,
  toSource,
} from '../../src/lib/imaging/preprocess';
import {
  type ResampleFilter,
  resampleCoefficients,
  resizeFloat32,
  resizeGray8,
} from '../../src/lib/imaging/resample';
import type { Radiograph } from '../../src/lib/imaging/radiograph';
import type { InputSpec } from '../../src/lib/model/manifest';
import { readData } from '../helpers/data';

const FILTERS: ResampleFilter[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

const SKELEX: InputSpec = {
  imageSize: 224,
  patchSize: 16,
  channels: 3,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resample: 'bicubic',
};

describe('resample (Pillow semantics)', () => {
  // A 7x5 image and Pillow 9.4's Image.resize outputs for it (mode "L"),
  // produced once by tools/check-resample.py's method.
  const src = Uint8Array.from([
    0, 37, 74, 111, 148, 185, 222, 91, 141, 191, 241, 35, 85, 135, 182, 245, 52, 115, 178, 241, 48,
    17, 93, 169, 245, 65, 141, 217, 108, 197, 30, 119, 208, 41, 130,
  ]);
  const pillow: Record<string, number[]> = {
    'bicubic 3x4': [45, 124, 172, 163, 151, 114, 121, 153, 161, 113, 131, 119],
    'bilinear 3x4': [58, 125, 166, 154, 151, 120, 123, 153, 155, 117, 132, 120],
    'nearest 3x4': [37, 111, 185, 141, 241, 85, 93, 245, 141, 197, 119, 41],
    'bicubic 11x9': [
      0, 5, 31, 55, 76, 100, 138, 168, 190, 216, 232, 21, 36, 66, 98, 129, 151, 124, 117, 148, 183,
      205, 76, 97, 134, 172, 217, 236, 102, 32, 80, 124, 150, 141, 172, 199, 146, 150, 189, 124,
      103, 150, 114, 78, 178, 218, 236, 93, 56, 115, 155, 202, 245, 131, 34, 82, 118, 157, 125, 144,
      191, 134, 127, 196, 172, 141, 12, 46, 101, 144, 201, 241, 126, 69, 122, 183, 224, 71, 118,
      160, 89, 94, 158, 173, 140, 68, 115, 166, 109, 163, 197, 57, 31, 109, 200, 183, 41, 75, 129,
    ],
    'bilinear 11x9': [
      0, 17, 40, 64, 87, 111, 135, 158, 182, 205, 222, 30, 49, 75, 102, 128, 154, 127, 122, 148,
      174, 193, 81, 103, 134, 164, 195, 227, 113, 61, 91, 122, 145, 131, 157, 182, 145, 149, 185,
      130, 114, 149, 123, 96, 182, 211, 227, 105, 75, 115, 155, 195, 235, 136, 48, 90, 123, 156,
      129, 143, 187, 141, 134, 179, 162, 142, 27, 63, 109, 140, 182, 231, 135, 94, 125, 172, 207,
      78, 116, 155, 100, 107, 161, 161, 137, 82, 121, 159, 108, 148, 182, 76, 62, 119, 176, 162, 56,
      90, 130,
    ],
  };

  for (const [key, expected] of Object.entries(pillow)) {
    it(`matches Pillow exactly: ${key}`, () => {
      const [filter, size] = key.split(' ');
      const [w, h] = size.split('x').map(Number);
      const out = resizeGray8(src, 7, 5, w, h, filter as ResampleFilter);
      expect(Array.from(out)).toEqual(expected);
    });
  }

  it('keeps a constant image constant, shrinking and enlarging, for every filter', () => {
    for (const filter of FILTERS) {
      for (const [w, h, ow, oh] of [
        [50, 37, 13, 20],
        [9, 11, 31, 24],
        [1, 1, 5, 3],
      ]) {
        const out8 = resizeGray8(new Uint8Array(w * h).fill(173), w, h, ow, oh, filter);
        expect(out8.every((v) => v === 173)).toBe(true);
        const outF = resizeFloat32(new Float32Array(w * h).fill(0.3), w, h, ow, oh, filter);
        for (const v of outF) expect(v).toBeCloseTo(0.3, 6);
      }
    }
  });

  it('returns an exact copy at the same size', () => {
    const img = Uint8Array.from({ length: 35 }, (_, i) => (i * 53) % 256);
    for (const filter of FILTERS) {
      const out = resizeGray8(img, 7, 5, 7, 5, filter);
      expect(out).not.toBe(img);
      expect(Array.from(out)).toEqual(Array.from(img));
    }
  });

  it('gives the step response worked out by hand from the Keys kernel (a = -0.5)', () => {
    // W(0.25) = 0.8671875, W(0.75) = 0.2265625, W(1.25) = -0.0703125, W(1.75) = -0.0234375.
    const step = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const up = resizeFloat32(step, 8, 1, 16, 1, 'bicubic');
    // Output 7 is centred at input 3.75: taps 2..5 at distances 1.25, 0.25, 0.75, 1.75.
    expect(up[7]).toBe(0.2265625 - 0.0234375);
    expect(up[8]).toBe(0.8671875 - 0.0703125);
    // Output 5 (centre 2.75) only reaches input 4 through the negative lobe: undershoot.
    expect(up[5]).toBe(-0.0234375);
    expect(up[0]).toBe(0);
    expect(up[15]).toBe(1);
    // The 8-bit path uses 22-bit fixed-point weights and clamps: 255 * 0.203125 -> 52.
    const up8 = resizeGray8(
      Uint8Array.from(step, (v) => v * 255),
      8,
      1,
      16,
      1,
      'bicubic',
    );
    expect([up8[5], up8[7], up8[8]]).toEqual([0, 52, 203]);
  });

  it('widens the kernel by the scale factor when shrinking (antialiasing)', () => {
    // 8 -> 4: output 1 is centred at input 3 with support 4; tap x weighs W((x + 0.5 - 3) / 2).
    const c = resampleCoefficients(8, 4, 'bicubic');
    expect([c.bounds[2], c.bounds[3]]).toEqual([0, 7]);
    const raw = [-0.0703125, 0.2265625, 0.8671875, 0.8671875, 0.2265625, -0.0703125, -0.0234375];
    const total = raw.reduce((a, b) => a + b); // 2.0234375 = 259 / 128
    for (let i = 0; i < 7; i++) expect(c.weights[c.ksize + i]).toBeCloseTo(raw[i] / total, 15);
    const step = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const down = resizeFloat32(step, 8, 1, 4, 1, 'bicubic');
    expect(down[1]).toBeCloseTo(17 / 259, 7);
  });

  it('averages a checkerboard when shrinking by 2', () => {
    const n = 16;
    const board = Uint8Array.from({ length: n * n }, (_, i) =>
      ((i % n) + Math.floor(i / n)) % 2 ? 255 : 0,
    );
    const boardF = Float32Array.from(board);
    for (const filter of ['box', 'bilinear', 'bicubic', 'lanczos'] as const) {
      const out = resizeFloat32(boardF, n, n, n / 2, n / 2, filter);
      const out8 = resizeGray8(board, n, n, n / 2, n / 2, filter);
      // Away from the borders every output sees both colours equally.
      const margin = filter === 'box' ? 0 : filter === 'lanczos' ? 3 : 2;
      for (let y = margin; y < n / 2 - margin; y++) {
        for (let x = margin; x < n / 2 - margin; x++) {
          expect(out[y * (n / 2) + x]).toBeCloseTo(127.5, 4);
          // Fixed-point weights: Pillow gives 128 (127 with lanczos).
          expect(Math.abs(out8[y * (n / 2) + x] - 127.5)).toBe(0.5);
        }
      }
    }
  });

  it('is mirror-symmetric and treats both axes alike', () => {
    const w = 37;
    const h = 23;
    const img = Float32Array.from({ length: w * h }, (_, i) => Math.sin(i * 0.37) * 100 + 100);
    const mirror = new Float32Array(w * h);
    const transposed = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        mirror[y * w + (w - 1 - x)] = img[y * w + x];
        transposed[x * h + y] = img[y * w + x];
      }
    }
    for (const filter of FILTERS) {
      for (const [ow, oh] of [
        [11, 9],
        [80, 51],
      ]) {
        const a = resizeFloat32(img, w, h, ow, oh, filter);
        const m = resizeFloat32(mirror, w, h, ow, oh, filter);
        const t = resizeFloat32(transposed, h, w, oh, ow, filter);
        for (let y = 0; y < oh; y++) {
          for (let x = 0; x < ow; x++) {
            expect(m[y * ow + (ow - 1 - x)]).toBeCloseTo(a[y * ow + x], 3);
            expect(t[x * oh + y]).toBeCloseTo(a[y * ow + x], 3);
          }
        }
      }
    }
  });

  it('picks nearest source pixels as Pillow does', () => {
    // floor((i + 0.5) * 5 / 3) = 0, 2, 4 ; upscaling 2 -> 5: floor((i + 0.5) * 0.4) = 0, 0, 1, 1, 1
    const row = Uint8Array.from([10, 20, 30, 40, 50]);
    expect(Array.from(resizeGray8(row, 5, 1, 3, 1, 'nearest'))).toEqual([10, 30, 50]);
    expect(Array.from(resizeGray8(Uint8Array.from([1, 2]), 2, 1, 5, 1, 'nearest'))).toEqual([
      1, 1, 2, 2, 2,
    ]);
  });

  it('rejects sizes that do not fit the data', () => {
    expect(() => resizeGray8(new Uint8Array(10), 3, 3, 2, 2)).toThrow(/3x3/);
    expect(() => resizeGray8(new Uint8Array(9), 3, 3, 0, 2)).toThrow(/output width/);
  });
});

describe('preprocess', () => {
  let rg3: Radiograph;
  let rg2: Radiograph;
  beforeAll(async () => {
    rg3 = await openImage('RG3_RLE.dcm', readData('dicom', 'RG3_RLE.dcm'));
    rg2 = await openImage('RG2_UNC.dcm', readData('dicom', 'RG2_UNC.dcm'));
  });

  /** Mean over a rectangle given in fractions of the side, in the S x S grid. */
  function regionMean(
    plane: ArrayLike<number>,
    S: number,
    x0: number,
    x1: number,
    y0: number,
    y1: number,
  ) {
    let sum = 0;
    let n = 0;
    for (let y = Math.floor(y0 * S); y < Math.floor(y1 * S); y++) {
      for (let x = Math.floor(x0 * S); x < Math.floor(x1 * S); x++) {
        sum += plane[y * S + x];
        n++;
      }
    }
    return sum / n;
  }

  it('makes SKELEX input from a real radiograph: shape, channels and value range', () => {
    const { pixelValues, gray, geometry } = preprocess(rg3, SKELEX);
    const S = 224;
    expect(pixelValues.length).toBe(3 * S * S);
    expect(gray.length).toBe(S * S);
    // The gray image is toModelGray8 resized the way Pillow resizes it.
    const expected = resizeGray8(toModelGray8(rg3), 1760, 1760, S, S, 'bicubic');
    expect(Buffer.from(gray).equals(Buffer.from(expected))).toBe(true);
    for (let c = 0; c < 3; c++) {
      const lo = (0 - SKELEX.mean[c]) / SKELEX.std[c];
      const hi = (1 - SKELEX.mean[c]) / SKELEX.std[c];
      const plane = pixelValues.subarray(c * S * S, (c + 1) * S * S);
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < plane.length; i++) {
        min = Math.min(min, plane[i]);
        max = Math.max(max, plane[i]);
        if (i % 97 === 0)
          expect(plane[i]).toBeCloseTo((gray[i] / 255 - SKELEX.mean[c]) / SKELEX.std[c], 5);
      }
      expect(min).toBeGreaterThanOrEqual(lo - 1e-6);
      expect(max).toBeCloseTo(hi, 5); // min-max scaling puts white at 255
      expect(min).toBeLessThan(lo + 0.02);
    }
    expect(geometry).toMatchObject({
      sourceWidth: 1760,
      sourceHeight: 1760,
      size: S,
      offsetX: 0,
      offsetY: 0,
    });
    expect(geometry.scaleX).toBeCloseTo(1760 / 224, 12);
  });

  it('shows MONOCHROME1 bone bright to the model', () => {
    expect(rg3.photometric).toBe('MONOCHROME1');
    const { pixelValues, gray } = preprocess(rg3, SKELEX);
    const S = 224;
    const shaft = regionMean(gray, S, 0.46, 0.52, 0.05, 0.35);
    const air = regionMean(gray, S, 0.63, 0.68, 0.05, 0.35);
    expect(shaft).toBeGreaterThan(air + 80);
    const red = pixelValues.subarray(0, S * S);
    expect(regionMean(red, S, 0.46, 0.52, 0.05, 0.35)).toBeGreaterThan(
      regionMean(red, S, 0.63, 0.68, 0.05, 0.35) + 1,
    );
  });

  it('letterboxes a non-square image: aspect kept, centred, black padding', () => {
    const { pixelValues, gray, geometry: g } = preprocess(rg2, SKELEX, { letterbox: true });
    const S = 224;
    // 1760 x 2140 -> 184 x 224 (1760 * 224 / 2140 = 184.2), 20 columns of padding each side.
    expect(g).toMatchObject({ contentWidth: 184, contentHeight: 224, offsetX: 20, offsetY: 0 });
    expect(g.scaleX).toBeCloseTo(1760 / 184, 12);
    expect(g.scaleY).toBeCloseTo(2140 / 224, 12);
    for (let y = 0; y < S; y++) {
      for (const x of [0, 19, 204, 223]) {
        expect(gray[y * S + x]).toBe(0);
        expect(pixelValues[y * S + x]).toBeCloseTo(-0.485 / 0.229, 5);
      }
    }
    // The content is the image resized to 184 x 224 with Pillow's bicubic.
    const content = resizeGray8(toModelGray8(rg2), 1760, 2140, 184, 224, 'bicubic');
    for (let y = 0; y < S; y += 7) {
      for (let x = 0; x < 184; x += 5) expect(gray[y * S + 20 + x]).toBe(content[y * 184 + x]);
    }
    expect(toSource(g, 20, 0)).toEqual({ x: 0, y: 0 });
    const corner = toSource(g, 204, 224);
    expect(corner.x).toBeCloseTo(1760, 9);
    expect(corner.y).toBeCloseTo(2140, 9);
  });

  it('maps points both ways (toModel inverts toSource)', () => {
    for (const g of [
      modelGeometry(1760, 2140, 224),
      modelGeometry(1760, 2140, 224, true),
      modelGeometry(2140, 1760, 224, true),
    ]) {
      for (const [x, y] of [
        [0, 0],
        [13.5, 200.25],
        [111, 57],
        [224, 224],
      ]) {
        const s = toSource(g, x, y);
        const back = toModel(g, s.x, s.y);
        expect(back.x).toBeCloseTo(x, 9);
        expect(back.y).toBeCloseTo(y, 9);
      }
    }
    expect(modelGeometry(2140, 1760, 224, true)).toMatchObject({
      offsetX: 0,
      offsetY: 20,
      contentHeight: 184,
    });
  });

  it('maps model-grid rectangles to source pixels', () => {
    const g = modelGeometry(1760, 2140, 224);
    expect(rectToSource(g, { x: 0, y: 0, width: 224, height: 224 })).toEqual({
      x: 0,
      y: 0,
      width: 1760,
      height: 2140,
    });
    // Patch (row 3, column 10): model x 160..176, y 48..64.
    expect(rectToSource(g, { x: 160, y: 48, width: 16, height: 16 })).toEqual({
      x: Math.floor((160 * 1760) / 224),
      y: Math.floor((48 * 2140) / 224),
      width: Math.ceil((176 * 1760) / 224) - Math.floor((160 * 1760) / 224),
      height: Math.ceil((64 * 2140) / 224) - Math.floor((48 * 2140) / 224),
    });
    const lb = modelGeometry(1760, 2140, 224, true);
    expect(rectToSource(lb, { x: 0, y: 0, width: 20, height: 224 }).width).toBe(0);
  });

  function hotPatchCheck(g: Geometry, col: number, row: number) {
    const S = g.size;
    const map = new Float32Array(S * S);
    for (let y = row * 16; y < row * 16 + 16; y++)
      map.fill(1, y * S + col * 16, y * S + col * 16 + 16);
    const out = mapToSource(g, map);
    expect(out.length).toBe(g.sourceWidth * g.sourceHeight);
    const rect = rectToSource(g, { x: col * 16, y: row * 16, width: 16, height: 16 });
    let mass = 0;
    let cx = 0;
    let cy = 0;
    let outside = 0;
    for (let y = 0; y < g.sourceHeight; y++) {
      for (let x = 0; x < g.sourceWidth; x++) {
        const v = out[y * g.sourceWidth + x];
        mass += v;
        cx += v * (x + 0.5);
        cy += v * (y + 0.5);
        // One model pixel of blur at most.
        const near =
          x >= rect.x - g.scaleX &&
          x < rect.x + rect.width + g.scaleX &&
          y >= rect.y - g.scaleY &&
          y < rect.y + rect.height + g.scaleY;
        if (!near) outside = Math.max(outside, v);
      }
    }
    expect(outside).toBe(0);
    expect(
      out[
        Math.floor(rect.y + rect.height / 2) * g.sourceWidth + Math.floor(rect.x + rect.width / 2)
      ],
    ).toBe(1);
    expect(cx / mass).toBeCloseTo(rect.x + rect.width / 2, -1);
    expect(cy / mass).toBeCloseTo(rect.y + rect.height / 2, -1);
    expect(mass).toBeCloseTo(rect.width * rect.height, -3);
  }

  it('puts a hot patch back on the right part of the original image', () => {
    hotPatchCheck(modelGeometry(1760, 2140, 224), 10, 3);
    hotPatchCheck(modelGeometry(1760, 2140, 224, true), 10, 3);
    hotPatchCheck(modelGeometry(1760, 1760, 224), 0, 13);
  });

  it('keeps letterbox padding out of the upsampled map', () => {
    const g = modelGeometry(1760, 2140, 224, true);
    const map = new Float32Array(224 * 224).fill(5);
    for (let y = 0; y < 224; y++) map.fill(1, y * 224 + 20, y * 224 + 204);
    const out = mapToSource(g, map);
    expect(out.every((v) => v === 1)).toBe(true);
  });

  it('preprocesses plain gray images with other specs', () => {
    const gray = Uint8Array.from({ length: 40 * 30 }, (_, i) => i % 256);
    const spec: InputSpec = {
      imageSize: 32,
      patchSize: 8,
      channels: 1,
      mean: [0.5],
      std: [0.5],
      resample: 'nearest',
    };
    const out = preprocessGray8(gray, 40, 30, spec);
    expect(out.pixelValues.length).toBe(32 * 32);
    for (let i = 0; i < out.gray.length; i++)
      expect(out.pixelValues[i]).toBeCloseTo(out.gray[i] / 127.5 - 1, 6);
    expect(() => preprocessGray8(gray, 40, 30, { ...spec, mean: [0.5, 0.5] })).toThrow(
      /mean and std/,
    );
  });
});
