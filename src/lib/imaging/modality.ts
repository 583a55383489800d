/**
 * From stored values to what people and the model see: modality values,
 * 8-bit display through a window or VOI LUT, and the model's 8-bit input.
 * MONOCHROME1 is inverted in both, so bone is bright on screen and to the model.
 */
import { modalityOf, paddingTest } from './stats';
import type { Radiograph } from './radiograph';

export interface Window {
  center: number;
  width: number;
}

/** Gray modality value a pixel; colour images give their luminance. */
export function toModality(r: Radiograph): Float32Array {
  const count = r.width * r.height;
  const out = new Float32Array(count);
  const s = r.stored;
  if (r.samplesPerPixel === 3) {
    for (let i = 0; i < count; i++)
      out[i] = 0.299 * s[3 * i] + 0.587 * s[3 * i + 1] + 0.114 * s[3 * i + 2];
    return out;
  }
  const modality = modalityOf(r);
  for (let i = 0; i < count; i++) out[i] = modality(s[i]);
  return out;
}

/** The DICOM linear window function (PS3.3 C.11.2.1.2) onto 0..255. */
export function windowFunction({ center, width }: Window): (x: number) => number {
  const w = Math.max(1, width);
  const low = center - 0.5 - (w - 1) / 2;
  const high = center - 0.5 + (w - 1) / 2;
  return (x) => (x <= low ? 0 : x > high ? 255 : ((x - (center - 0.5)) / (w - 1 || 1) + 0.5) * 255);
}

/**
 * 8-bit display values. With no window given, the file's first VOI LUT is
 * used when there is one, else its first window preset.
 */
export function toDisplay8(r: Radiograph, window?: Window, invert = false): Uint8Array {
  const modality = toModality(r);
  const out = new Uint8Array(modality.length);
  const flip = (r.photometric === 'MONOCHROME1') !== invert;
  let voi: (x: number) => number;
  const lut = r.voiLuts[0];
  if (r.samplesPerPixel === 3) {
    const scale = 255 / (2 ** r.bitsStored - 1);
    voi = (x) => x * scale;
  } else if (!window && lut) {
    const last = lut.data.length - 1;
    const scale = 255 / (2 ** lut.bitsPerEntry - 1);
    voi = (x) =>
      lut.data[Math.min(last, Math.max(0, Math.round(x) - lut.firstValueMapped))] * scale;
  } else {
    voi = windowFunction(window ?? r.windows[0] ?? { center: 127.5, width: 256 });
  }
  for (let i = 0; i < modality.length; i++) {
    const v = Math.round(voi(modality[i]));
    out[i] = flip ? 255 - v : v;
  }
  return out;
}

/**
 * The model's gray input: modality values min-max scaled to 0..255 (padding
 * left out of the range and set to black), MONOCHROME1 inverted.
 */
export function toModelGray8(r: Radiograph): Uint8Array {
  return (r.samplesPerPixel === 1 ? modelGray8ByTable(r) : undefined) ?? modelGray8PerPixel(r);
}

/** toModelGray8 pixel by pixel: colour images, wide stored ranges, and the reference in tests. */
export function modelGray8PerPixel(r: Radiograph): Uint8Array {
  const modality = toModality(r);
  const isPadding =
    r.samplesPerPixel === 1 ? paddingTest(r.paddingValue, r.paddingRangeLimit) : () => false;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < modality.length; i++) {
    if (isPadding(r.stored[i])) continue;
    if (modality[i] < min) min = modality[i];
    if (modality[i] > max) max = modality[i];
  }
  const span = max > min ? max - min : 1;
  const invert = r.photometric === 'MONOCHROME1';
  const out = new Uint8Array(modality.length);
  for (let i = 0; i < modality.length; i++) {
    if (isPadding(r.stored[i])) continue;
    const v = Math.round(((modality[i] - min) / span) * 255);
    out[i] = invert ? 255 - v : v;
  }
  return out;
}

/** Stored values spanning more integers than this take the per-pixel path. */
const TABLE_LIMIT = 1 << 20;

/**
 * toModelGray8 for one-sample images through a table over the stored values
 * that occur: the same arithmetic (float32 modality values, the range over
 * non-padding values present) done once a value instead of once a pixel.
 * Undefined when the stored values span too much for a table.
 */
function modelGray8ByTable(r: Radiograph): Uint8Array | undefined {
  const s = r.stored;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < s.length; i++) {
    const v = s[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi - lo < TABLE_LIMIT) || !Number.isInteger(lo) || !Number.isInteger(hi)) return undefined;
  const size = hi - lo + 1;
  const present = new Uint8Array(size);
  for (let i = 0; i < s.length; i++) present[s[i] - lo] = 1;
  const modality = modalityOf(r);
  const isPadding = paddingTest(r.paddingValue, r.paddingRangeLimit);
  const values = new Float32Array(size);
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < size; k++) {
    values[k] = modality(lo + k);
    if (!present[k] || isPadding(lo + k)) continue;
    if (values[k] < min) min = values[k];
    if (values[k] > max) max = values[k];
  }
  const span = max > min ? max - min : 1;
  const invert = r.photometric === 'MONOCHROME1';
  const gray = new Uint8Array(size);
  for (let k = 0; k < size; k++) {
    if (isPadding(lo + k)) continue;
    const v = Math.round(((values[k] - min) / span) * 255);
    gray[k] = invert ? 255 - v : v;
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = gray[s[i] - lo];
  return out;
}
