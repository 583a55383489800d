/** Per-patch means and the region of interest of an error map, on synthetic maps. */
import { describe, expect, it } from 'vitest';
import { modelGeometry } from '../../src/lib/imaging/preprocess';
import {
  gaussianBlur,
  patchMeans,
  percentileOf,
  regionOfInterest,
} from '../../src/lib/mae/regions';

const S = 64;
const PATCH = 8;

/** A map with Gaussian blobs at (x, y) model pixels with the given peaks. */
function blobs(list: { x: number; y: number; peak: number; sigma?: number }[]): Float32Array {
  const map = new Float32Array(S * S).fill(0.01);
  for (const { x, y, peak, sigma = 3 } of list) {
    for (let v = 0; v < S; v++) {
      for (let u = 0; u < S; u++) {
        map[v * S + u] += peak * Math.exp(-((u - x) ** 2 + (v - y) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  return map;
}

const centre = (b: { x: number; y: number; width: number; height: number }) => ({
  x: b.x + b.width / 2,
  y: b.y + b.height / 2,
});

describe('patchMeans', () => {
  const layout = { size: 8, patch: 2, channels: 3 };
  it('averages each patch over its measured pixels only', () => {
    const map = new Float32Array(64).map((_, i) => i);
    const counts = new Uint16Array(64).fill(1);
    counts[0] = 0;
    for (const i of [2, 3, 10, 11]) counts[i] = 0; // patch 1 unmeasured
    const means = patchMeans(map, layout, counts);
    expect(means[0]).toBeCloseTo((1 + 8 + 9) / 3, 6);
    expect(Number.isNaN(means[1])).toBe(true);
    expect(means[15]).toBeCloseTo((54 + 55 + 62 + 63) / 4, 6);
    expect(() => patchMeans(new Float32Array(10), layout)).toThrow('expected 8x8');
  });
});

describe('regionOfInterest', () => {
  it('boxes a single blob in the original image, square and at least a quarter of the short side', () => {
    // A 640 x 320 source stretched onto the 64 x 64 grid: 10 x 5 source pixels a model pixel.
    const g = modelGeometry(640, 320, S);
    const roi = regionOfInterest(blobs([{ x: 40, y: 20, peak: 1 }]), g, { patch: PATCH });
    expect(roi.found).toBe(true);
    expect(roi.box.width).toBe(roi.box.height);
    expect(roi.box.width).toBeGreaterThanOrEqual(80);
    const c = centre(roi.box);
    expect(Math.abs(c.x - 40.5 * 10)).toBeLessThanOrEqual(10);
    expect(Math.abs(c.y - 20.5 * 5)).toBeLessThanOrEqual(10);
  });

  it('takes the blob with the larger summed error of two', () => {
    const g = modelGeometry(S, S, S);
    const map = blobs([
      { x: 15, y: 15, peak: 1, sigma: 2 },
      { x: 45, y: 45, peak: 0.8, sigma: 4 },
    ]);
    const roi = regionOfInterest(map, g, { patch: PATCH });
    const c = centre(roi.box);
    expect(Math.hypot(c.x - 45.5, c.y - 45.5)).toBeLessThan(4);
  });

  it('gives the centred minimum square for a flat map', () => {
    const g = modelGeometry(400, 200, S);
    const roi = regionOfInterest(new Float32Array(S * S).fill(0.3), g, { patch: PATCH });
    expect(roi.found).toBe(false);
    expect(roi.box).toEqual({ x: 175, y: 75, width: 50, height: 50 });
  });

  it('keeps a region at the border inside the image', () => {
    const g = modelGeometry(S, S, S);
    const roi = regionOfInterest(blobs([{ x: 0, y: 63, peak: 1 }]), g, { patch: PATCH });
    expect(roi.found).toBe(true);
    expect(roi.box.x).toBe(0);
    expect(roi.box.y + roi.box.height).toBe(S);
    expect(roi.box.width).toBeGreaterThanOrEqual(16);
  });

  it('ignores letterbox padding and unmeasured pixels', () => {
    // A wide image letterboxed: rows outside the content are padding.
    const g = modelGeometry(128, 64, S, true);
    expect(g.offsetY).toBe(16);
    const map = blobs([
      { x: 32, y: 2, peak: 5 },
      { x: 20, y: 32, peak: 1 },
    ]); // the strong one in padding
    const roi = regionOfInterest(map, g, { patch: PATCH });
    expect(Math.abs(centre(roi.box).x - 20.5 * 2)).toBeLessThanOrEqual(4);
    // The same with the true blob unmeasured: the region moves to what is left.
    const counts = new Uint16Array(S * S).fill(1);
    for (let v = 24; v < 40; v++) for (let u = 12; u < 28; u++) counts[v * S + u] = 0;
    const other = blobs([
      { x: 20, y: 32, peak: 1 },
      { x: 50, y: 30, peak: 0.5 },
    ]);
    const moved = regionOfInterest(other, g, { patch: PATCH, counts });
    expect(Math.abs(centre(moved.box).x - 50.5 * 2)).toBeLessThanOrEqual(6);
  });

  it('refuses a map of the wrong size', () => {
    expect(() =>
      regionOfInterest(new Float32Array(10), modelGeometry(S, S, S), { patch: PATCH }),
    ).toThrow('expected 64x64');
  });
});

describe('gaussianBlur', () => {
  it('keeps a constant map constant and spreads a point symmetrically', () => {
    expect(
      gaussianBlur(new Float32Array(100).fill(3), 10, 2).every((v) => Math.abs(v - 3) < 1e-5),
    ).toBe(true);
    const point = new Float32Array(121);
    point[60] = 1;
    const out = gaussianBlur(point, 11, 1.5);
    expect(out[59]).toBeCloseTo(out[61], 6);
    expect(out[49]).toBeCloseTo(out[71], 6);
    expect(out[60]).toBeGreaterThan(out[59]);
  });

  it('equals a direct two-dimensional Gaussian, renormalised at the edges', () => {
    const size = 23;
    const sigma = 2.5;
    const radius = Math.ceil(3 * sigma);
    const map = Float32Array.from({ length: size * size }, (_, i) => Math.abs(Math.sin(i * 1.7)));
    const out = gaussianBlur(map, size, sigma);
    const g = (d: number) => Math.exp(-(d * d) / (2 * sigma * sigma));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let sum = 0;
        let weight = 0;
        for (let v = Math.max(0, y - radius); v <= Math.min(size - 1, y + radius); v++) {
          for (let u = Math.max(0, x - radius); u <= Math.min(size - 1, x + radius); u++) {
            sum += g(u - x) * g(v - y) * map[v * size + u];
            weight += g(u - x) * g(v - y);
          }
        }
        expect(Math.abs(out[y * size + x] - sum / weight)).toBeLessThan(1e-6);
      }
    }
  });
});

describe('percentileOf', () => {
  it('picks the value a sort puts at the nearest rank, with ties and any length', () => {
    let x = 7;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 2 ** 32;
    };
    for (let t = 0; t < 600; t++) {
      const n = 1 + Math.floor(next() * 400);
      // Distinct values, a few levels with many ties, or all equal.
      const value = [() => next(), () => Math.floor(next() * 4), () => 1][t % 3];
      const values = Float32Array.from({ length: n }, value);
      const p = [0, 1, 50, 99, 100, next() * 100][t % 6];
      const sorted = values.slice().sort();
      const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
      expect(percentileOf(values.slice(), p), `n ${n}, p ${p}`).toBe(sorted[rank]);
    }
  });
});
