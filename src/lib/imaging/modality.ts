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
