/** A DICOM file's bytes to a Radiograph: header checks first, then one frame decoded. */
import type { DataSet } from 'dicom-parser';
import { LIMITS, type Photometric, type Radiograph } from '../imaging/radiograph';
import { storedRange, fullRangeWindow } from '../imaging/stats';
import { parseDicomBytes } from './parse';
import { encapsulatedFrame, nativeFrame, type FrameGeometry } from './frames';
import { decodeFrame } from './decode-frame';
import {
  checkSampleFormat,
  expandYbr422,
  toStoredValues,
  ybrFullToRgb,
  type SampleFormat,
} from './pixels';
import { readModalityLut, readVoiLuts, readWindowPresets } from './luts';
import {
  readPatientMetadata,
  readPixelSpacing,
  readRecordPlace,
  readSafeMetadata,
} from './metadata';

const GRAY = new Set(['MONOCHROME1', 'MONOCHROME2']);
const COLOUR = new Set([
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
  'YBR_ICT',
  'YBR_RCT',
  'YBR_PARTIAL_420',
]);

function required(dataSet: DataSet, tag: string, name: string): number {
  const value = dataSet.uint16(tag);
  if (value === undefined)
    throw new Error(
      `${name} ${tag.replace('x', '(').replace(/(....)(....)/, '$1,$2')}) is missing`,
    );
  return value;
}

function readFormat(
  dataSet: DataSet,
  bigEndian: boolean,
): { format: SampleFormat; photometric: string; frameCount: number } {
  const rows = required(dataSet, 'x00280010', 'Rows');
  const columns = required(dataSet, 'x00280011', 'Columns');
  if (rows === 0 || columns === 0) throw new Error(`image size ${columns}x${rows} is empty`);
  const samplesPerPixel = dataSet.uint16('x00280002') ?? 1;
  const bitsAllocated = required(dataSet, 'x00280100', 'Bits Allocated');
  const bitsStored = dataSet.uint16('x00280101') ?? bitsAllocated;
  const highBit = dataSet.uint16('x00280102') ?? bitsStored - 1;
  const photometric = (
    dataSet.string('x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')
  ).trim();
  const frameCount = Math.max(1, dataSet.intString('x00280008') ?? 1);
  const pixels = rows * columns;
  if (pixels > LIMITS.maxPixels) {
    throw new Error(
      `image size ${columns}x${rows} (${(pixels / 1e6).toFixed(0)} megapixels) is over the ${LIMITS.maxPixels / 1e6}-megapixel limit`,
    );
  }
  if (frameCount > LIMITS.maxFrames)
    throw new Error(`${frameCount} frames is over the ${LIMITS.maxFrames}-frame limit`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3)
    throw new Error(`Samples per Pixel ${samplesPerPixel} is not supported`);
  if (samplesPerPixel === 1 && !GRAY.has(photometric)) {
    throw new Error(
      `photometric interpretation ${photometric} is not supported for one sample a pixel`,
    );
  }
  if (samplesPerPixel === 3 && !COLOUR.has(photometric)) {
    throw new Error(
      `photometric interpretation ${photometric} is not supported for three samples a pixel`,
    );
  }
  const format: SampleFormat = {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: dataSet.uint16('x00280103') === 1,
    planarConfiguration: dataSet.uint16('x00280006') ?? 0,
    bigEndian,
  };
  checkSampleFormat(format);
  return { format, photometric, frameCount };
}

export interface DicomReadOptions {
  frame?: number;
}

/** Throws Error with a reason (no file name: the caller adds it). */
export async function readDicom(
  source: string,
  bytes: Uint8Array,
  options: DicomReadOptions = {},
): Promise<Radiograph> {
  const { dataSet, transferSyntax } = parseDicomBytes(bytes);
  const { format, photometric, frameCount } = readFormat(
    dataSet,
    transferSyntax.bigEndian === true,
  );
  const frame = options.frame ?? 0;
  if (!Number.isInteger(frame) || frame < 0 || frame >= frameCount) {
    throw new Error(`frame ${frame + 1} was asked for, the file has ${frameCount}`);
  }
  const element = dataSet.elements.x7fe00010;
  if (!element) {
    const other = dataSet.elements.x7fe00008 || dataSet.elements.x7fe00009;
    throw new Error(
      other ? 'float pixel data is not supported' : 'no pixel data (7FE0,0010) in the file',
    );
  }
  const geometry: FrameGeometry = { ...format, frameCount };
  const native = transferSyntax.encoding === 'native';
  const ybr422Native = native && photometric === 'YBR_FULL_422';
  if (native && element.encapsulatedPixelData)
    throw new Error('pixel data is encapsulated but the transfer syntax is uncompressed');
  if (!native && !element.encapsulatedPixelData)
    throw new Error(`pixel data is not encapsulated, as ${transferSyntax.name} requires`);
  let encoded: Uint8Array;
  if (ybr422Native) {
    const frameBytes = Math.ceil(format.columns / 2) * 4 * format.rows;
    const start = element.dataOffset + frame * frameBytes;
    if (
      start + frameBytes > Math.min(bytes.length, element.dataOffset + element.length) ||
      format.bitsAllocated !== 8
    ) {
      throw new Error('YBR_FULL_422 pixel data is shorter than the image');
    }
    encoded = expandYbr422(
      dataSet.byteArray.subarray(start, start + frameBytes),
      format.rows,
      format.columns,
    );
  } else {
    encoded = native
      ? nativeFrame(dataSet, element, geometry, frame)
      : encapsulatedFrame(dataSet, element, frameCount, frame);
  }
  const decoded = await decodeFrame(transferSyntax, encoded, format);
  const stored = toStoredValues(decoded.bytes, format, native && !ybr422Native);
  const colour = format.samplesPerPixel === 3;
  if (colour && photometric.startsWith('YBR_FULL') && !decoded.colourConverted)
    ybrFullToRgb(stored);
  const outPhotometric: Photometric = colour ? 'RGB' : (photometric as Photometric);

  const paddingValue = readPadding(dataSet, 'x00280120', format.signed);
  const paddingRangeLimit = readPadding(dataSet, 'x00280121', format.signed);
  const { min, max } = storedRange(stored, format.samplesPerPixel, paddingValue, paddingRangeLimit);
  const rescaleSlope = dataSet.floatString('x00281053') ?? 1;
  const rescaleIntercept = dataSet.floatString('x00281052') ?? 0;
  const modalityLut = colour ? undefined : readModalityLut(dataSet, format.signed);
  const radiograph: Radiograph = {
    source,
    kind: 'dicom',
    width: format.columns,
    height: format.rows,
    samplesPerPixel: colour ? 3 : 1,
    photometric: outPhotometric,
    bitsAllocated: format.bitsAllocated,
    bitsStored: format.bitsStored,
    signed: format.signed,
    stored,
    rescaleSlope: rescaleSlope || 1,
    rescaleIntercept,
    modalityLut,
    minStored: min,
    maxStored: max,
    windows: colour ? [] : readWindowPresets(dataSet),
    voiLuts: colour ? [] : readVoiLuts(dataSet, format.signed),
    paddingValue,
    paddingRangeLimit,
    pixelSpacing: readPixelSpacing(dataSet),
    frameCount,
    frameIndex: frame,
    transferSyntax: transferSyntax.uid,
    transferSyntaxName:
      decoded.nearLossless && decoded.nearLossless > 0
        ? `${transferSyntax.name} (NEAR=${decoded.nearLossless})`
        : transferSyntax.name,
    metadata: readSafeMetadata(dataSet),
    place: readRecordPlace(dataSet),
    patient: readPatientMetadata(dataSet),
  };
  if (!colour) radiograph.windows.push(fullRangeWindow(radiograph));
  return radiograph;
}

/** Pixel Padding Value is US or SS; under implicit VR it arrives as US. */
function readPadding(dataSet: DataSet, tag: string, signed: boolean): number | undefined {
  const value = dataSet.uint16(tag);
  if (value === undefined) return undefined;
  return signed && value > 0x7fff ? value - 0x10000 : value;
}
