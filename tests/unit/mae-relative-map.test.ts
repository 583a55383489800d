/** The relative error map: worse than the neighbours, on the body, away from borders and white. */
import { describe, expect, it } from 'vitest';
import {
  otsuThreshold,
  patchGridToPixels,
  patchShareAtLeast,
  relativeErrorMap,
} from '../../src/lib/mae/relative-map';

const LAYOUT = { size: 160, patch: 16, channels: 3 }; // a 10 x 10 grid
const SIDE = 10;

/** Dark background with a bright body over patch columns 2..7 (pixels 32..127). */
function bodyImage(): Uint8Array {
  const gray = new Uint8Array(160 * 160).fill(10);
  for (let y = 0; y < 160; y++) for (let x = 32; x < 128; x++) gray[y * 160 + x] = 140;
  return gray;
}

const at = (x: number, y: number) => y * SIDE + x;

describe('relativeErrorMap', () => {
  it('scores a patch rebuilt worse than its neighbours, on the body', () => {
    const errors = new Float32Array(100).fill(0.01);
    errors[at(4, 5)] = 0.1;
    const { patchScores, map } = relativeErrorMap(errors, bodyImage(), LAYOUT);
    // log(0.1) - median log(0.01) = log 10
    expect(patchScores[at(4, 5)]).toBeCloseTo(Math.log(10), 5);
    const others = patchScores.filter((_, p) => p !== at(4, 5));
    expect(Math.max(...others)).toBe(0);
    expect(map.length).toBe(160 * 160);
    // The map peaks inside that patch, near the full score (the centre lies between pixels).
    const peak = map.indexOf(Math.max(...map));
    expect(Math.floor((peak % 160) / 16)).toBe(4);
    expect(Math.floor(peak / 160 / 16)).toBe(5);
    expect(map[peak]).toBeGreaterThan(0.9 * Math.log(10));
  });

  it('gives 0 on background, near the border and on burned-in white', () => {
    const gray = bodyImage();
    // A white marker filling patch (6, 4).
    for (let y = 64; y < 80; y++) for (let x = 96; x < 112; x++) gray[y * 160 + x] = 255;
    const errors = new Float32Array(100).fill(0.01);
    errors[at(8, 5)] = 1; // background (column 8 is outside the body)
    errors[at(4, 1)] = 1; // within 2 patches of the top edge
    errors[at(6, 4)] = 1; // the marker
    const { patchScores } = relativeErrorMap(errors, gray, LAYOUT);
    expect(patchScores[at(8, 5)]).toBe(0);
    expect(patchScores[at(4, 1)]).toBe(0);
    expect(patchScores[at(6, 4)]).toBe(0);
    // With no border and the marker allowed, the same errors count.
    const loose = relativeErrorMap(errors, gray, LAYOUT, { border: 0, saturatedShare: 1 });
    expect(loose.patchScores[at(4, 1)]).toBeGreaterThan(0);
    expect(loose.patchScores[at(6, 4)]).toBeGreaterThan(0);
  });

  it('scores an unmeasured patch 0 and refuses a wrong patch count', () => {
    const errors = new Float32Array(100).fill(0.01);
    errors[at(4, 4)] = NaN;
    expect(relativeErrorMap(errors, bodyImage(), LAYOUT).patchScores[at(4, 4)]).toBe(0);
    expect(() => relativeErrorMap(new Float32Array(99), bodyImage(), LAYOUT)).toThrow(
      '99 patch errors',
    );
  });
});

describe('helpers', () => {
  it('otsuThreshold parts a two-level image between its levels', () => {
    const t = otsuThreshold(bodyImage());
    expect(t).toBeGreaterThan(10);
    expect(t).toBeLessThanOrEqual(140);
  });

  it('patchShareAtLeast counts the share of bright pixels per patch', () => {
    const share = patchShareAtLeast(bodyImage(), LAYOUT, 100);
    expect(share[at(0, 0)]).toBe(0);
    expect(share[at(3, 3)]).toBe(1);
  });

  it('patchGridToPixels keeps a constant grid constant and interpolates between centres', () => {
    const flat = patchGridToPixels(new Float32Array(100).fill(2), LAYOUT);
    expect(flat.every((v) => v === 2)).toBe(true);
    const ramp = patchGridToPixels(
      Float32Array.from({ length: 100 }, (_, p) => p % SIDE),
      LAYOUT,
    );
    // Pixel x's centre is (x + 0.5) / 16 - 0.5 patch centres from column 0's, clamped.
    expect(ramp[7]).toBe(0);
    expect(ramp[16]).toBeCloseTo(0.53125, 6);
    expect(ramp[100]).toBeCloseTo(100.5 / 16 - 0.5, 5);
    expect(ramp[159]).toBe(9);
  });
});
