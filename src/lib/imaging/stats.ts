/** Ranges over an image's values, with padding left out. */
import type { Radiograph, StoredPixels, WindowPreset } from './radiograph';

/** True when a stored value is Pixel Padding (a single value, or a range with its limit). */
export function paddingTest(padding?: number, limit?: number): (value: number) => boolean {
  if (padding === undefined) return () => false;
  if (limit === undefined) return (v) => v === padding;
  const lo = Math.min(padding, limit);
  const hi = Math.max(padding, limit);
  return (v) => v >= lo && v <= hi;
}

/** Smallest and largest stored sample; for colour over all channels. */
export function storedRange(
  stored: StoredPixels,
  samplesPerPixel: number,
  padding?: number,
  limit?: number,
): { min: number; max: number } {
  const isPadding = samplesPerPixel === 1 ? paddingTest(padding, limit) : () => false;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i];
    if (isPadding(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { min: 0, max: 0 };
  return { min, max };
}

/** Modality value of one stored value: the modality LUT when present, else the linear rescale. */
export function modalityOf(r: Radiograph): (stored: number) => number {
  const lut = r.modalityLut;
  if (lut) {
    const last = lut.data.length - 1;
    return (v) => lut.data[Math.min(last, Math.max(0, v - lut.firstValueMapped))];
  }
  const { rescaleSlope: slope, rescaleIntercept: intercept } = r;
  return (v) => v * slope + intercept;
}

/** A window spanning every non-padding value. */
export function fullRangeWindow(r: Radiograph): WindowPreset {
  const toModality = modalityOf(r);
  const a = toModality(r.minStored);
  const b = toModality(r.maxStored);
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return { center: (lo + hi) / 2, width: Math.max(1, hi - lo + 1), explanation: 'Full range' };
}
