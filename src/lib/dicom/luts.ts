/** Modality and VOI transforms as the file declares them (PS3.3 C.11). */
import type { DataSet } from 'dicom-parser';
import type { LookupTable, WindowPreset } from '../imaging/radiograph';

/** All values of a backslash-separated DS element. */
function decimals(dataSet: DataSet, tag: string): number[] {
  const count = dataSet.numStringValues(tag) ?? 0;
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(dataSet.floatString(tag, i) ?? NaN);
  return values;
}

export function readWindowPresets(dataSet: DataSet): WindowPreset[] {
  const centers = decimals(dataSet, 'x00281050');
  const widths = decimals(dataSet, 'x00281051');
  const presets: WindowPreset[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    const center = centers[i];
    const width = widths[i];
    if (!Number.isFinite(center) || !Number.isFinite(width) || width < 1) continue;
    const explanation = dataSet.string('x00281055', i)?.trim() || `Window ${i + 1}`;
    presets.push({ center, width, explanation });
  }
  return presets;
}

/**
 * One LUT item: descriptor (entries, first value mapped, bits) and data.
 * The descriptor is US or SS; under implicit VR it arrives as US, so the first
 * value mapped is reinterpreted as signed when the pixels are signed.
 */
function readLut(item: DataSet, signedPixels: boolean): LookupTable | undefined {
  const descriptor = item.elements.x00283002;
  const data = item.elements.x00283006;
  if (!descriptor || !data) return undefined;
  const declared = item.uint16('x00283002', 0) ?? 0;
  let firstValueMapped = item.uint16('x00283002', 1) ?? 0;
  if (signedPixels && firstValueMapped > 0x7fff) firstValueMapped -= 0x10000;
  const bitsPerEntry = item.uint16('x00283002', 2) ?? 16;
  const entries = declared === 0 ? 65536 : declared;
  const available = Math.floor(data.length / 2);
  const isByteData = bitsPerEntry === 8 && available * 2 < entries;
  const lut = new Uint16Array(entries);
  if (isByteData) {
    // Some writers pack 8-bit entries one a byte.
    for (let i = 0; i < Math.min(entries, data.length); i++)
      lut[i] = item.byteArray[data.dataOffset + i];
  } else {
    if (available < entries)
      throw new Error(`LUT declares ${entries} entries but holds ${available}`);
    for (let i = 0; i < entries; i++) lut[i] = item.uint16('x00283006', i) ?? 0;
  }
  return {
    firstValueMapped,
    bitsPerEntry,
    data: lut,
    explanation: item.string('x00283003')?.trim() || 'VOI LUT',
  };
}

function sequenceItems(dataSet: DataSet, tag: string): DataSet[] {
  const items = dataSet.elements[tag]?.items ?? [];
  return items.map((i) => i.dataSet).filter((d): d is DataSet => d !== undefined);
}

export function readVoiLuts(dataSet: DataSet, signedPixels: boolean): LookupTable[] {
  return sequenceItems(dataSet, 'x00283010')
    .map((item) => readLut(item, signedPixels))
    .filter((l): l is LookupTable => l !== undefined);
}

export function readModalityLut(dataSet: DataSet, signedPixels: boolean): LookupTable | undefined {
  const [item] = sequenceItems(dataSet, 'x00283000');
  return item ? readLut(item, signedPixels) : undefined;
}
