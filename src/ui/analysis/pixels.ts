/**
 * Model-grid images for the panels, as 8-bit gray or RGBA: the engine's [C, S, S]
 * reconstructions averaged over channels, the input with masked patches blanked,
 * and error maps through a colormap.
 */
import { applyColormap, type ColormapName } from '../../lib/imaging/colormaps';

/** [C, S, S] values in 0..1 to S x S 8-bit gray (mean over channels). */
export function planesToGray(values: Float32Array, size: number): Uint8Array {
  const plane = size * size;
  const channels = Math.max(1, Math.round(values.length / plane));
  const out = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += values[c * plane + i];
    out[i] = Math.round(Math.min(1, Math.max(0, sum / channels)) * 255);
  }
  return out;
}

/** Patches per side of an S x S grid of N patches. */
export function gridSideOf(patches: number): number {
  return Math.round(Math.sqrt(patches)) || 1;
}

/** A copy of `gray` with each masked patch filled with `fill`. */
export function maskGray(
  gray: Uint8Array,
  size: number,
  masked: Uint8Array,
  fill: number,
): Uint8Array {
  const out = gray.slice();
  const side = gridSideOf(masked.length);
  const p = size / side;
  for (let n = 0; n < masked.length; n++) {
    if (!masked[n]) continue;
    const x0 = Math.round((n % side) * p);
    const y0 = Math.round(Math.floor(n / side) * p);
    const x1 = Math.round((n % side) * p + p);
    const y1 = Math.round(Math.floor(n / side) * p + p);
    for (let y = y0; y < y1; y++) out.fill(fill, y * size + x0, y * size + x1);
  }
  return out;
}

/** 8-bit gray to opaque RGBA. */
export function grayToRgba(gray: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(gray.length * 4);
  for (let i = 0, o = 0; i < gray.length; i++, o += 4) {
    out[o] = out[o + 1] = out[o + 2] = gray[i];
    out[o + 3] = 255;
  }
  return out;
}

/** Puts RGBA pixels on a canvas, sizing the canvas to them. */
export function paint(
  canvas: HTMLCanvasElement,
  rgba: Uint8ClampedArray<ArrayBuffer>,
  width: number,
  height: number,
): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  canvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0);
}

/** An error map through a colormap, as RGBA. */
export function mapToRgba(
  map: Float32Array,
  lo: number,
  hi: number,
  colormap: ColormapName,
): Uint8ClampedArray<ArrayBuffer> {
  return applyColormap(map, lo, hi, colormap);
}
