/**
 * An error map over the radiograph as one RGBA picture, for exports: the
 * 8-bit gray image, the map through a colormap blended at `opacity`, and the
 * region of interest outlined. DOM-free (PNG encoding is the caller's).
 */
import { applyColormap, type ColormapName } from './colormaps';
import type { Rect } from './preprocess';

export interface OverlayOptions {
  /** Map values at lo and hi take the colormap's ends. */
  lo: number;
  hi: number;
  colormap: ColormapName;
  /** 0..1 */
  opacity: number;
  roi?: Rect;
  /** The outline's colour. */
  roiColor?: [number, number, number];
  /** Outline width in pixels (default: 0.4% of the longer side, at least 2). */
  roiWidth?: number;
}

export function composeOverlay(
  gray: Uint8Array,
  width: number,
  height: number,
  map: Float32Array,
  options: OverlayOptions,
): Uint8Array {
  if (gray.length !== width * height || map.length !== width * height) {
    throw new Error(`composeOverlay: the image and the map must both be ${width}x${height}`);
  }
  const colours = applyColormap(map, options.lo, options.hi, options.colormap);
  const a = Math.min(1, Math.max(0, options.opacity));
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < gray.length; i++) {
    const o = i * 4;
    const visible = colours[o + 3] > 0 ? a : 0; // an unmeasured (NaN) pixel shows the image
    for (let c = 0; c < 3; c++)
      out[o + c] = Math.round(gray[i] * (1 - visible) + colours[o + c] * visible);
    out[o + 3] = 255;
  }
  const roi = options.roi;
  if (roi) {
    const [r, g, b] = options.roiColor ?? [56, 189, 248];
    const line = options.roiWidth ?? Math.max(2, Math.round(0.004 * Math.max(width, height)));
    const x0 = Math.max(0, roi.x);
    const y0 = Math.max(0, roi.y);
    const x1 = Math.min(width, roi.x + roi.width);
    const y1 = Math.min(height, roi.y + roi.height);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const edge = x < x0 + line || x >= x1 - line || y < y0 + line || y >= y1 - line;
        if (!edge) continue;
        const o = (y * width + x) * 4;
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
      }
    }
  }
  return out;
}
