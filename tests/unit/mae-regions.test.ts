/** Per-patch means and the region of interest of an error map. */
import { describe, expect, it } from 'vitest';
import { patchMeans, regionOfInterest } from '../../src/lib/mae/regions';

const LAYOUT = { size: 8, patch: 2, channels: 3 }; // a 4 x 4 grid of patches

describe('patchMeans', () => {
  it('averages each patch over its measured pixels only', () => {
    const map = new Float32Array(64).map((_, i) => i);
    const counts = new Uint16Array(64).fill(1);
    counts[0] = 0; // pixel (0,0) of patch 0 was never masked
    counts[2] = 0;
    counts[3] = 0;
    counts[10] = 0;
    counts[11] = 0; // patch 1 (pixels 2,3,10,11) entirely unmeasured
    const means = patchMeans(map, LAYOUT, counts);
    expect(means[0]).toBeCloseTo((1 + 8 + 9) / 3, 6);
    expect(Number.isNaN(means[1])).toBe(true);
    expect(means[15]).toBeCloseTo((54 + 55 + 62 + 63) / 4, 6);
  });

  it('refuses a map of the wrong size', () => {
    expect(() => patchMeans(new Float32Array(10), LAYOUT)).toThrow('expected 8x8');
  });
});

describe('regionOfInterest', () => {
  it('finds the window with the highest sum, in model-grid pixels', () => {
    const scores = new Float32Array(16);
    scores[2 * 4 + 3] = 5; // patch (3, 2)
    scores[3 * 4 + 3] = 1;
    expect(regionOfInterest(scores, LAYOUT, 2)).toEqual({ x: 4, y: 4, width: 4, height: 4 });
    expect(regionOfInterest(scores, LAYOUT, 1)).toEqual({ x: 6, y: 4, width: 2, height: 2 });
  });

  it('treats unmeasured patches as 0 and breaks ties by the first window', () => {
    const scores = new Float32Array(16).fill(NaN);
    expect(regionOfInterest(scores, LAYOUT, 3)).toEqual({ x: 0, y: 0, width: 6, height: 6 });
    scores[15] = 0.1;
    expect(regionOfInterest(scores, LAYOUT, 3)).toEqual({ x: 2, y: 2, width: 6, height: 6 });
  });

  it('clamps the window to the grid and refuses a wrong score count', () => {
    expect(regionOfInterest(new Float32Array(16), LAYOUT, 9)).toEqual({
      x: 0,
      y: 0,
      width: 8,
      height: 8,
    });
    expect(() => regionOfInterest(new Float32Array(15), LAYOUT)).toThrow(
      'expected 16 patch scores',
    );
  });
});
