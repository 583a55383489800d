/**
 * The exposed field (src/lib/mae/exposed-field.ts) on real radiographs and on
 * drawn ones: the NEMA hip and tibia are collimated left and right (their
 * blades' shadows measured by eye on the 224 x 224 model input: the hip's
 * field spans about columns 24-183, the tibia's 57-159), a FracAtlas image
 * with no collimation keeps the whole image, and the relative map scores no
 * patch outside the field, whose region of interest stays inside it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage } from '../../src/lib/imaging/open';
import { preprocess } from '../../src/lib/imaging/preprocess';
import { exposedField } from '../../src/lib/mae/exposed-field';
import { mapViews } from '../../src/lib/mae/map-views';
import { validateManifest } from '../../src/lib/model/manifest';
import { PROJECT_ROOT, readData } from '../helpers/data';

const manifest = validateManifest(
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'models/demo/model.json'), 'utf8')),
);
const S = 224;

async function modelGray(...parts: string[]) {
  return preprocess(await openImage(parts.at(-1)!, readData(...parts)), manifest.input);
}

/** A drawn 224 x 224 image: textured body in the middle, `band` columns of flat blade shadow each side. */
function drawn(band: number, shadow: (x: number, y: number) => number): Uint8Array {
  const gray = new Uint8Array(S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const outside = x < band || x >= S - band;
      gray[y * S + x] = outside ? shadow(x, y) : 40 + ((x * 37 + y * 91) % 13) * 12;
    }
  return gray;
}

describe('exposedField', () => {
  it.each([
    ['RG2_UNC.dcm', [20, 30], [176, 188]],
    ['RG3_RLE.dcm', [52, 64], [150, 162]],
  ])('finds the collimator blades of the NEMA %s', async (file, left, right) => {
    const { gray } = await modelGray('dicom', file);
    const field = exposedField(gray, S);
    expect(field.left).toBeGreaterThanOrEqual(left[0]);
    expect(field.left).toBeLessThanOrEqual(left[1]);
    expect(field.right).toBeGreaterThanOrEqual(right[0]);
    expect(field.right).toBeLessThanOrEqual(right[1]);
    expect([field.top, field.bottom]).toEqual([0, S]); // not collimated top and bottom
  });

  it('keeps the whole image when nothing is collimated', async () => {
    const { gray } = await modelGray('fracatlas', 'images', 'IMG0000005.jpg');
    expect(exposedField(gray, S)).toEqual({ left: 0, top: 0, right: S, bottom: S });
  });

  it('takes a flat band with a straight edge as collimation, a band with structure in it not', () => {
    const flat = exposedField(
      drawn(30, () => 200),
      S,
    );
    // The innermost line whose step spans the edge: at most 2 pixels inside it.
    expect(flat.left).toBeGreaterThanOrEqual(30);
    expect(flat.left).toBeLessThanOrEqual(32);
    expect(flat.right).toBeGreaterThanOrEqual(S - 32);
    expect(flat.right).toBeLessThanOrEqual(S - 30);
    // A blurred penumbra ramping into the edge is still the blade's shadow.
    const ramp = (x: number) => 200 - Math.max(0, 10 - Math.min(x, S - 1 - x) + 20) * 3;
    const field = exposedField(drawn(30, ramp), S);
    expect(field.left).toBeGreaterThanOrEqual(28);
    expect(field.right).toBeLessThanOrEqual(S - 28);
    // The line at 30 with a band outside it that steps the other way (dark, then bright) is
    // not the blade's edge: the field stops at the outer step, the only one with a flat band.
    const stepped = exposedField(
      drawn(30, (x) => (Math.min(x, S - 1 - x) < 12 ? 20 : 200)),
      S,
    );
    expect(stepped.left).toBeLessThanOrEqual(14);
    expect(stepped.right).toBeGreaterThanOrEqual(S - 14);
  });

  it('confines the relative map and its region of interest to the field (NEMA tibia)', async () => {
    const input = await modelGray('dicom', 'RG3_RLE.dcm');
    const field = exposedField(input.gray, S);
    // A raw map that is hottest on the blade's edge, as a small MAE's is.
    const map = new Float32Array(S * S).fill(0.01);
    for (let y = 0; y < S; y++)
      for (let x = field.left - 4; x < field.left + 4; x++) map[y * S + x] = 1;
    map[100 * S + 110] = 0.05;
    const views = mapViews(
      { map, counts: new Uint16Array(S * S).fill(1) },
      input.gray,
      input.geometry,
      { size: S, patch: 16, channels: 3 },
    );
    const side = S / 16;
    for (let p = 0; p < side * side; p++) {
      const x = (p % side) * 16;
      if (x < field.left || x + 16 > field.right)
        expect(views.relative.patchScores[p], `patch ${p}`).toBe(0);
    }
    const scale = input.geometry.scaleX;
    const box = views.roi.relative.box;
    expect(box.x).toBeGreaterThanOrEqual(Math.floor(field.left * scale));
    expect(box.x + box.width).toBeLessThanOrEqual(Math.ceil(field.right * scale));
    // The raw map's region, not confined, sits on the edge.
    const raw = views.roi.raw.box;
    expect(raw.x).toBeLessThan(field.left * scale);
  });
});
