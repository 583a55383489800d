/** A rectangle cut out of an 8-bit gray image, for classifying a region at full resolution. */
import { preprocessGray8, type Rect } from './preprocess';
import type { InputSpec } from '../model/manifest';

/** `box` clipped to a width x height image, in whole pixels; throws when nothing is left. */
function clipBox(width: number, height: number, box: Rect): Rect {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.floor(box.x + box.width));
  const y1 = Math.min(height, Math.floor(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) {
    throw new Error(
      `crop: the box ${box.x},${box.y} ${box.width}x${box.height} lies outside the ${width}x${height} image`,
    );
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

export function cropGray8(gray: Uint8Array, width: number, height: number, box: Rect): Uint8Array {
  const c = clipBox(width, height, box);
  const out = new Uint8Array(c.width * c.height);
  for (let y = c.y; y < c.y + c.height; y++)
    out.set(gray.subarray(y * width + c.x, y * width + c.x + c.width), (y - c.y) * c.width);
  return out;
}

/** The model input for a region: the crop (clipped to the image), resized and normalised as SKELEX does. */
export function regionPixelValues(
  gray: Uint8Array,
  width: number,
  height: number,
  box: Rect,
  spec: InputSpec,
): Float32Array {
  const c = clipBox(width, height, box);
  return preprocessGray8(cropGray8(gray, width, height, c), c.width, c.height, spec).pixelValues;
}
