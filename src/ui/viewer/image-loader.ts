/**
 * Cornerstone image loader for the `skelex:` scheme: turns a decoded Radiograph
 * (already in memory on the main thread) into a cornerstone image object.
 */
import type { LookupTable, Radiograph } from '../../lib/imaging/radiograph';
import { fullRangeWindow, storedRange } from '../../lib/imaging/stats';
import { cornerstone, type CornerstoneImage, type CornerstoneLut } from './cornerstone';

export const SCHEME = 'skelex';

const radiographs = new Map<string, Radiograph>();
let registered = false;

/** Registers the loader with cornerstone once; safe to call again. */
export function registerSkelexLoader(): void {
  if (registered) return;
  cornerstone.registerImageLoader(SCHEME, (imageId) => {
    const radiograph = radiographs.get(imageId);
    const promise = radiograph
      ? Promise.resolve(toCornerstoneImage(imageId, radiograph))
      : Promise.reject(new Error(`${imageId}: no decoded image with this id`));
    return { promise };
  });
  registered = true;
}

/** Makes a Radiograph loadable as `skelex:<key>`; returns the image id. */
export function provideRadiograph(key: string, radiograph: Radiograph): string {
  const imageId = `${SCHEME}:${key}`;
  radiographs.set(imageId, radiograph);
  return imageId;
}

/** Lets the loader drop a Radiograph it no longer needs to serve. */
export function forgetRadiograph(imageId: string): void {
  radiographs.delete(imageId);
}

/** Cornerstone ignores numBitsPerEntry and derives it from the largest entry; we pass it anyway. */
function toCornerstoneLut(table: LookupTable): CornerstoneLut {
  return {
    firstValueMapped: table.firstValueMapped,
    numBitsPerEntry: table.bitsPerEntry,
    lut: table.data,
  };
}

/**
 * cornerstone-core 2.6 indexes a modality LUT by the stored value itself, ignoring
 * firstValueMapped, so we hand it a table that starts at 0 and covers every stored value.
 */
function modalityLutFromZero(table: LookupTable, maxStored: number): CornerstoneLut | undefined {
  if (
    table.firstValueMapped < 0 ||
    maxStored < 0 ||
    maxStored > 0xffffff ||
    table.data.length === 0
  ) {
    return undefined;
  }
  const size = Math.max(maxStored, table.firstValueMapped + table.data.length - 1) + 1;
  const lut = new Float32Array(size);
  const last = table.data.length - 1;
  for (let value = 0; value < size; value++) {
    const index = Math.min(Math.max(value - table.firstValueMapped, 0), last);
    lut[value] = table.data[index];
  }
  return { firstValueMapped: 0, numBitsPerEntry: table.bitsPerEntry, lut };
}

/**
 * Interleaved RGB to opaque 8-bit RGBA, the layout cornerstone's colour renderer
 * reads; 16-bit colour (PNG) keeps its top 8 bits.
 */
export function rgbToRgba(rgb: ArrayLike<number>, pixelCount: number, bits = 8): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(pixelCount * 4);
  const scale = 2 ** -Math.max(0, bits - 8);
  for (let i = 0, j = 0; i < pixelCount; i++, j += 3) {
    const o = i * 4;
    rgba[o] = rgb[j] * scale;
    rgba[o + 1] = rgb[j + 1] * scale;
    rgba[o + 2] = rgb[j + 2] * scale;
    rgba[o + 3] = 255;
  }
  return rgba;
}

export function toCornerstoneImage(imageId: string, r: Radiograph): CornerstoneImage {
  const color = r.samplesPerPixel === 3;
  // Every stored value, padding included: cornerstone builds its lookup table over
  // [minPixelValue, maxPixelValue] and paints values outside it black.
  const range = color ? { min: 0, max: 255 } : storedRange(r.stored, 1);
  const pixelCount = r.width * r.height;
  let rgba: Uint8ClampedArray | undefined;
  const getPixelData = color
    ? () => (rgba ??= rgbToRgba(r.stored, pixelCount, r.bitsStored))
    : () => r.stored;
  const window = color ? { center: 127.5, width: 256 } : (r.windows[0] ?? fullRangeWindow(r));
  const voi = r.voiLuts[0];
  const modality = r.modalityLut ? modalityLutFromZero(r.modalityLut, range.max) : undefined;
  return {
    imageId,
    minPixelValue: range.min,
    maxPixelValue: range.max,
    slope: r.rescaleSlope,
    intercept: r.rescaleIntercept,
    windowCenter: window.center,
    windowWidth: window.width,
    getPixelData,
    rows: r.height,
    columns: r.width,
    height: r.height,
    width: r.width,
    color,
    rgba: false,
    invert: r.photometric === 'MONOCHROME1',
    columnPixelSpacing: r.pixelSpacing?.columnMm,
    rowPixelSpacing: r.pixelSpacing?.rowMm,
    sizeInBytes: color ? pixelCount * 4 : r.stored.byteLength,
    voiLUT: color || !voi ? undefined : toCornerstoneLut(voi),
    modalityLUT: color ? undefined : modality,
  };
}
