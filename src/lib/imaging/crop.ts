/** A rectangle cut out of an 8-bit gray image, for classifying a region at full resolution. */
import type { Rect } from './preprocess';

export function cropGray8(gray: Uint8Array, width: number, height: number, box: Rect): Uint8Array {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.floor(box.x + box.width));
  const y1 = Math.min(height, Math.floor(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) {
    throw new Error(
      `crop: the box ${box.x},${box.y} ${box.width}x${box.height} lies outside the ${width}x${height} image`,
    );
  }
  const out = new Uint8Array((x1 - x0) * (y1 - y0));
  for (let y = y0; y < y1; y++)
    out.set(gray.subarray(y * width + x0, y * width + x1), (y - y0) * (x1 - x0));
  return out;
}
