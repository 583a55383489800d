/** summary.csv writing and the overlay picture the exports use. */
import { describe, expect, it } from 'vitest';
import { composeOverlay } from '../../src/lib/imaging/overlay';
import { csvField, summaryCsv } from '../../src/lib/report/summary';

describe('summaryCsv', () => {
  it('quotes fields with commas, quotes or line breaks, and leaves missing values empty', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "x"')).toBe('"say ""x"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(NaN)).toBe('');
    expect(csvField(0.5)).toBe('0.5');
  });

  it('writes the fixed columns, then each head column, for good and bad rows', () => {
    const heads = [
      {
        column: 'fracture/fracture',
        head: 'fracture',
        activation: 'sigmoid' as const,
        label: 'fracture',
        probability: 0.25,
      },
    ];
    const csv = summaryCsv([
      { file: 'bad.dcm', ok: false, error: 'bad.dcm: truncated, at byte 12' },
      {
        file: 'a.png',
        ok: true,
        width: 10,
        height: 8,
        meanError: 0.1,
        top1Error: 0.4,
        roi: { x: 1, y: 2, width: 3, height: 3 },
        heads,
      },
    ]);
    expect(csv.split('\n')).toEqual([
      'file,ok,error,width,height,mean_error,top1_error,roi_x,roi_y,roi_w,roi_h,fracture/fracture',
      'bad.dcm,false,"bad.dcm: truncated, at byte 12",,,,,,,,,',
      'a.png,true,,10,8,0.1,0.4,1,2,3,3,0.25',
      '',
    ]);
  });
});

describe('composeOverlay', () => {
  const gray = new Uint8Array([0, 100, 200, 255]);
  it('blends the colour map over the image at the opacity and shows the image where the map is NaN', () => {
    const map = new Float32Array([0, 1, NaN, 1]);
    const clear = composeOverlay(gray, 2, 2, map, { lo: 0, hi: 1, colormap: 'hot', opacity: 0 });
    expect(Array.from(clear.filter((_, i) => i % 4 === 0))).toEqual([0, 100, 200, 255]);
    const full = composeOverlay(gray, 2, 2, map, { lo: 0, hi: 1, colormap: 'hot', opacity: 1 });
    expect(Array.from(full.slice(4, 8))).toEqual([255, 255, 255, 255]); // hot at its top is white
    expect(Array.from(full.slice(8, 12))).toEqual([200, 200, 200, 255]); // NaN: the image itself
  });

  it('outlines the region of interest', () => {
    const big = new Uint8Array(10 * 10);
    const out = composeOverlay(big, 10, 10, new Float32Array(100), {
      lo: 0,
      hi: 1,
      colormap: 'hot',
      opacity: 0,
      roi: { x: 2, y: 2, width: 6, height: 6 },
      roiWidth: 1,
    });
    const at = (x: number, y: number) =>
      Array.from(out.slice((y * 10 + x) * 4, (y * 10 + x) * 4 + 3));
    expect(at(2, 2)).toEqual([56, 189, 248]);
    expect(at(7, 5)).toEqual([56, 189, 248]);
    expect(at(4, 4)).toEqual([0, 0, 0]);
    expect(at(1, 1)).toEqual([0, 0, 0]);
  });
});
