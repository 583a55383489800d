import { describe, expect, it } from 'vitest';
import {
  applyColormap,
  colormapColor,
  colormapTable,
  COLORMAPS,
  LUT_SIZE,
  niceTicks,
  percentile,
  valueRange,
} from '../../src/lib/imaging/colormaps';

/** Relative luminance (WCAG / sRGB) of 8-bit sRGB. */
function luminance([r, g, b]: number[]): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function entry(table: Uint8Array, i: number): number[] {
  return [table[i * 3], table[i * 3 + 1], table[i * 3 + 2]];
}

describe('colormap tables', () => {
  it('have 256 RGB entries each', () => {
    for (const name of COLORMAPS) expect(colormapTable(name).length).toBe(LUT_SIZE * 3);
  });

  it('start and end at the published colours', () => {
    expect(entry(colormapTable('hot'), 0)).toEqual([0, 0, 0]);
    expect(entry(colormapTable('hot'), 255)).toEqual([255, 255, 255]);
    expect(entry(colormapTable('viridis'), 0)).toEqual([0x44, 0x01, 0x54]);
    expect(entry(colormapTable('viridis'), 255)).toEqual([0xfd, 0xe7, 0x25]);
    expect(entry(colormapTable('inferno'), 0)).toEqual([0x00, 0x00, 0x04]);
    expect(entry(colormapTable('inferno'), 255)).toEqual([0xfc, 0xff, 0xa4]);
  });

  it('stay close to matplotlib in the middle', () => {
    // matplotlib's viridis(0.5) is #21918c and inferno(0.5) #bc3754.
    const close = (a: number[], b: number[]) =>
      a.every((v, c) => Math.abs(v - b[c]) <= 12) || `${a} vs ${b}`;
    expect(close(colormapColor('viridis', 0.5), [0x21, 0x91, 0x8c])).toBe(true);
    expect(close(colormapColor('inferno', 0.5), [0xbc, 0x37, 0x54])).toBe(true);
  });

  it('inferno and viridis grow brighter all the way', () => {
    for (const name of ['inferno', 'viridis'] as const) {
      const table = colormapTable(name);
      for (let i = 1; i < LUT_SIZE; i++) {
        expect(luminance(entry(table, i))).toBeGreaterThanOrEqual(luminance(entry(table, i - 1)));
      }
    }
  });

  it('hot goes black -> red -> yellow -> white, each channel rising in turn', () => {
    const table = colormapTable('hot');
    const at = (t: number) => entry(table, Math.round(t * 255));
    expect(at(0)).toEqual([0, 0, 0]);
    // Within a level or two: 3/8 and 3/4 fall between table entries.
    const near = (a: number[], b: number[]) => a.every((v, c) => Math.abs(v - b[c]) <= 2);
    expect(near(at(3 / 8), [255, 0, 0])).toBe(true);
    expect(near(at(3 / 4), [255, 255, 0])).toBe(true);
    expect(at(1)).toEqual([255, 255, 255]);
    for (let i = 1; i < LUT_SIZE; i++) {
      const [a, b] = [entry(table, i - 1), entry(table, i)];
      for (let c = 0; c < 3; c++) expect(b[c]).toBeGreaterThanOrEqual(a[c]);
    }
    // Red saturates before green starts, green before blue.
    const [, g] = at(0.3);
    const [, , b] = at(0.7);
    expect(g).toBe(0);
    expect(b).toBe(0);
  });
});

describe('applyColormap', () => {
  it('maps lo to the first colour and hi to the last, clamping outside', () => {
    const rgba = applyColormap(Float32Array.of(-1, 0, 0.5, 1, 2), 0, 1, 'hot');
    expect(Array.from(rgba.slice(0, 4))).toEqual([0, 0, 0, 255]);
    expect(Array.from(rgba.slice(4, 8))).toEqual([0, 0, 0, 255]);
    expect(Array.from(rgba.slice(12, 16))).toEqual([255, 255, 255, 255]);
    expect(Array.from(rgba.slice(16, 20))).toEqual([255, 255, 255, 255]);
    expect(Array.from(rgba.slice(8, 11))).toEqual(colormapColor('hot', 0.5));
  });

  it('leaves NaN transparent and takes alpha from a function of the scaled value', () => {
    const rgba = applyColormap(Float32Array.of(Number.NaN, 10, 20), 10, 20, 'viridis', (t) => t);
    expect(rgba[3]).toBe(0);
    expect(rgba[7]).toBe(0);
    expect(rgba[11]).toBe(255);
  });

  it('maps everything to the first colour when the range is empty', () => {
    const rgba = applyColormap(Float32Array.of(1, 5), 3, 3, 'inferno');
    expect(Array.from(rgba.slice(0, 3))).toEqual([0, 0, 4]);
    expect(Array.from(rgba.slice(4, 7))).toEqual([0, 0, 4]);
  });
});

describe('scaling helpers', () => {
  it('percentile and range of the finite values', () => {
    const values = Float32Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 50)).toBe(50);
    expect(valueRange(Float32Array.of(Number.NaN, 3, -2, Infinity))).toEqual([-2, 3]);
    expect(percentile(Float32Array.of(Number.NaN), 50)).toBeNaN();
  });

  it('nice ticks cover the range in round steps', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 10, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.013, 0.087, 4)).toEqual([0.02, 0.04, 0.06, 0.08]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });
});
