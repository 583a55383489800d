/** Small parts of classification: cropping a region and choosing the classifier's variant. */
import { describe, expect, it } from 'vitest';
import { classifierVariant } from '../../src/lib/engine/open-classifier';
import { cropGray8 } from '../../src/lib/imaging/crop';

describe('cropGray8', () => {
  it('cuts the rectangle out row by row and clips it to the image', () => {
    const gray = Uint8Array.from({ length: 5 * 4 }, (_, i) => i); // 5 wide, 4 high
    expect(Array.from(cropGray8(gray, 5, 4, { x: 1, y: 1, width: 2, height: 2 }))).toEqual([
      6, 7, 11, 12,
    ]);
    expect(Array.from(cropGray8(gray, 5, 4, { x: 3, y: 2, width: 9, height: 9 }))).toEqual([
      13, 14, 18, 19,
    ]);
    expect(() => cropGray8(gray, 5, 4, { x: 5, y: 0, width: 2, height: 2 })).toThrow(
      'outside the 5x4 image',
    );
  });
});

describe('classifierVariant', () => {
  it("takes the MAE's variant when the classifier has it, else the backend's best", () => {
    expect(classifierVariant(['fp32', 'int8'], 'wasm', 'int8', false)).toBe('int8');
    expect(classifierVariant(['int8'], 'wasm', 'fp32', false)).toBe('int8');
    expect(classifierVariant(['int8', 'fp32'], 'webgpu', 'fp16', false)).toBe('fp32');
    expect(classifierVariant(['fp16', 'fp32'], 'webgpu', 'q4', true)).toBe('fp16');
    expect(classifierVariant([], 'wasm', 'fp32', false)).toBeUndefined();
  });
});
