/** PNG (8/16-bit, gray or colour) and JPEG files to a Radiograph, full bit depth kept. */
import { decode as decodePng, convertIndexedToRgb } from 'fast-png';
import { decodeWithCodec, describeCodecError } from '../dicom/codecs/wasm';
import { readJpegFrameHeader } from './jpeg-header';
import { fullRangeWindow, storedRange } from './stats';
import { LIMITS, type Radiograph, type StoredPixels } from './radiograph';

export const isPng = (b: Uint8Array) =>
  b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
export const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

function checkSize(width: number, height: number): void {
  if (width === 0 || height === 0) throw new Error(`image size ${width}x${height} is empty`);
  if (width * height > LIMITS.maxPixels) {
    throw new Error(
      `image size ${width}x${height} is over the ${LIMITS.maxPixels / 1e6}-megapixel limit`,
    );
  }
}

/** Drops alpha and keeps 1 or 3 samples a pixel. */
function dropAlpha(
  data: Uint8Array | Uint16Array,
  channels: number,
  keep: 1 | 3,
): Uint8Array | Uint16Array {
  if (channels === keep) return data;
  const count = data.length / channels;
  const out =
    data instanceof Uint16Array ? new Uint16Array(count * keep) : new Uint8Array(count * keep);
  for (let p = 0; p < count; p++)
    for (let c = 0; c < keep; c++) out[p * keep + c] = data[p * channels + c];
  return out;
}

/**
 * Radiographs are often saved as colour with three equal channels: keep them as
 * gray. `tolerance` absorbs the chroma noise of lossy JPEG.
 */
function collapseGrayRgb(rgb: StoredPixels, tolerance: number): StoredPixels | undefined {
  const count = rgb.length / 3;
  for (let p = 0; p < count; p++) {
    const r = rgb[3 * p];
    if (Math.abs(r - rgb[3 * p + 1]) > tolerance || Math.abs(r - rgb[3 * p + 2]) > tolerance)
      return undefined;
  }
  const gray = rgb instanceof Uint16Array ? new Uint16Array(count) : new Uint8Array(count);
  for (let p = 0; p < count; p++) {
    gray[p] = Math.round(0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2]);
  }
  return gray;
}

function rasterRadiograph(
  source: string,
  kind: 'png' | 'jpeg',
  width: number,
  height: number,
  pixels: StoredPixels,
  samples: 1 | 3,
  bits: number,
  formatName: string,
): Radiograph {
  let stored = pixels;
  let samplesPerPixel = samples;
  if (samples === 3) {
    const gray = collapseGrayRgb(pixels, kind === 'jpeg' ? 2 : 0);
    if (gray) {
      stored = gray;
      samplesPerPixel = 1;
    }
  }
  const { min, max } = storedRange(stored, samplesPerPixel);
  const r: Radiograph = {
    source,
    kind,
    width,
    height,
    samplesPerPixel,
    photometric: samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
    bitsAllocated: bits > 8 ? 16 : 8,
    bitsStored: bits,
    signed: false,
    stored,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    minStored: min,
    maxStored: max,
    windows: [],
    voiLuts: [],
    frameCount: 1,
    frameIndex: 0,
    transferSyntax: kind,
    transferSyntaxName: formatName,
    metadata: {},
    patient: {},
  };
  if (samplesPerPixel === 1) r.windows.push(fullRangeWindow(r));
  return r;
}

export function readPng(source: string, bytes: Uint8Array): Radiograph {
  if (bytes.length < 24) throw new Error('PNG file ends inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkSize(view.getUint32(16), view.getUint32(20));
  let png;
  try {
    png = decodePng(bytes);
  } catch (error) {
    throw new Error(
      `PNG data could not be decoded (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  let data: Uint8Array | Uint16Array =
    png.data instanceof Uint8ClampedArray ? new Uint8Array(png.data.buffer) : png.data;
  let channels = png.channels;
  let depth: number = png.depth;
  if (png.palette) {
    data = convertIndexedToRgb(png);
    channels = data.length / (png.width * png.height);
    depth = 8;
  } else if (depth < 8) {
    // fast-png leaves 1/2/4-bit gray packed; widen so each sample has its own value.
    throw new Error(`${depth}-bit PNG is not supported`);
  }
  const gray = channels <= 2;
  const pixels = dropAlpha(data, channels, gray ? 1 : 3);
  return rasterRadiograph(
    source,
    'png',
    png.width,
    png.height,
    pixels,
    gray ? 1 : 3,
    depth,
    `PNG ${depth}-bit ${gray ? 'grayscale' : 'colour'}`,
  );
}

export async function readJpeg(source: string, bytes: Uint8Array): Promise<Radiograph> {
  const header = readJpegFrameHeader(bytes);
  if (!header) throw new Error('JPEG file has no frame header (SOF) before its end');
  checkSize(header.width, header.height);
  if (header.precision !== 8)
    throw new Error(`${header.precision}-bit JPEG files are supported only inside DICOM`);
  let decoded;
  try {
    decoded = await decodeWithCodec('libjpegturbo', bytes);
  } catch (error) {
    throw new Error(`JPEG data could not be decoded (${describeCodecError(error)})`, {
      cause: error,
    });
  }
  const { width, height, componentCount } = decoded.info;
  if (componentCount !== 1 && componentCount !== 3)
    throw new Error(`JPEG with ${componentCount} components is not supported`);
  const expected = width * height * componentCount;
  if (decoded.bytes.length < expected)
    throw new Error('JPEG data ends before the image is complete');
  return rasterRadiograph(
    source,
    'jpeg',
    width,
    height,
    decoded.bytes.subarray(0, expected),
    componentCount,
    8,
    'JPEG',
  );
}
