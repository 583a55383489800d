/**
 * Window helpers for the viewer: modality values, automatic windows, pixel probes.
 */
import type { Radiograph } from '../../lib/imaging/radiograph';
import { modalityOf, paddingTest } from '../../lib/imaging/stats';

export interface Window {
  center: number;
  width: number;
}

/**
 * A window over the central mass of the image: from the `lowPercent` to the
 * `100 - lowPercent` percentile of the stored values (padding left out), in modality units.
 * With `lowPercent` 0 it is the full min-max range.
 */
export function autoWindow(r: Radiograph, lowPercent = 0.5): Window {
  const min = r.minStored;
  const max = r.maxStored;
  const span = max - min;
  const bins = Math.max(1, Math.min(span + 1, 65536));
  const scale = bins / (span + 1);
  const histogram = new Uint32Array(bins);
  const isPadding = paddingTest(r.paddingValue, r.paddingRangeLimit);
  const values = r.stored;
  const step = r.samplesPerPixel;
  // Every pixel of a radiograph costs a few milliseconds; a stride keeps huge images quick.
  const stride = step * Math.max(1, Math.floor(values.length / step / 4_000_000));
  let counted = 0;
  for (let i = 0; i < values.length; i += stride) {
    const v = values[i];
    if (v < min || v > max || isPadding(v)) continue;
    histogram[Math.min(bins - 1, Math.floor((v - min) * scale))]++;
    counted++;
  }
  let lo = min;
  let hi = max;
  if (counted > 0 && lowPercent > 0) {
    const lowCount = (counted * lowPercent) / 100;
    let sum = 0;
    let bin = 0;
    for (; bin < bins; bin++) {
      sum += histogram[bin];
      if (sum > lowCount) break;
    }
    lo = min + bin / scale;
    sum = 0;
    for (bin = bins - 1; bin > 0; bin--) {
      sum += histogram[bin];
      if (sum > lowCount) break;
    }
    hi = min + (bin + 1) / scale - 1;
  }
  const toModality = modalityOf(r);
  const a = toModality(Math.round(lo));
  const b = toModality(Math.round(Math.max(hi, lo)));
  const low = Math.min(a, b);
  const high = Math.max(a, b);
  return { center: (low + high) / 2, width: Math.max(high - low, 1) };
}

export interface PixelProbe {
  x: number;
  y: number;
  /** Stored value(s): one for grayscale, three (R, G, B) for colour. */
  stored: number[];
  /** Modality value; absent for colour images. */
  modality?: number;
}

/** The value under image pixel (x, y), or undefined outside the image. */
export function probe(r: Radiograph, x: number, y: number): PixelProbe | undefined {
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (px < 0 || py < 0 || px >= r.width || py >= r.height) return undefined;
  const offset = (py * r.width + px) * r.samplesPerPixel;
  if (r.samplesPerPixel === 3) {
    return { x: px, y: py, stored: [r.stored[offset], r.stored[offset + 1], r.stored[offset + 2]] };
  }
  const stored = r.stored[offset];
  return { x: px, y: py, stored: [stored], modality: modalityOf(r)(stored) };
}
