/**
 * Turns one frame's encoded bytes into little-endian samples, interleaved per
 * pixel, `bitsAllocated / 8` bytes each: the one layout pixels.ts reads.
 */
import { decodeWithCodec, describeCodecError, type CodecName } from './codecs/wasm';
import type { LosslessJpegImage } from './codecs/jpeg-lossless';
import { decodeRle } from './codecs/rle';
import type { TransferSyntax } from './transfer-syntax';
import { readJpegFrameHeader } from '../imaging/jpeg-header';

export interface FrameLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  planarConfiguration: number;
}

export interface DecodedFrame {
  bytes: Uint8Array;
  /** The codec already turned YCbCr into RGB (JPEG and JPEG 2000 colour transforms). */
  colourConverted: boolean;
  /** JPEG-LS NEAR parameter, 0 when lossless. */
  nearLossless?: number;
}

const bytesPer = (layout: FrameLayout) => Math.max(1, layout.bitsAllocated / 8);

/** Codec output may use fewer bytes a sample than the header allocates (8-bit JPEG in a 16-bit image). */
function widen(bytes: Uint8Array, from: number, to: number): Uint8Array {
  if (from === to) return bytes;
  if (from !== 1 || to !== 2)
    throw new Error(`codec gave ${from}-byte samples, the image needs ${to}`);
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) out[2 * i] = bytes[i];
  return out;
}

/** Planar (RRR..GGG..BBB) to interleaved (RGBRGB..). */
export function interleavePlanes(
  bytes: Uint8Array,
  pixelCount: number,
  samples: number,
  sampleBytes: number,
): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < pixelCount; p++) {
      for (let b = 0; b < sampleBytes; b++) {
        out[(p * samples + s) * sampleBytes + b] = bytes[(s * pixelCount + p) * sampleBytes + b];
      }
    }
  }
  return out;
}

function checkSize(bytes: Uint8Array, layout: FrameLayout, what: string): Uint8Array {
  const expected = layout.rows * layout.columns * layout.samplesPerPixel * bytesPer(layout);
  if (bytes.length < expected) {
    throw new Error(`${what} decoded ${bytes.length} bytes, the image needs ${expected}`);
  }
  return bytes.length === expected ? bytes : bytes.subarray(0, expected);
}

async function decodeWasm(
  name: CodecName,
  encoded: Uint8Array,
  layout: FrameLayout,
  what: string,
): Promise<DecodedFrame> {
  let result;
  try {
    result = await decodeWithCodec(name, encoded);
  } catch (error) {
    throw new Error(`${what} data could not be decoded (${describeCodecError(error)})`, {
      cause: error,
    });
  }
  const { info } = result;
  if (info.width !== layout.columns || info.height !== layout.rows) {
    throw new Error(
      `${what} stream is ${info.width}x${info.height}, the header says ${layout.columns}x${layout.rows}`,
    );
  }
  if (info.componentCount !== layout.samplesPerPixel) {
    throw new Error(
      `${what} stream has ${info.componentCount} components, the header says ${layout.samplesPerPixel}`,
    );
  }
  const codecBytes = info.bitsPerSample > 8 ? 2 : 1;
  return {
    bytes: checkSize(widen(result.bytes, codecBytes, bytesPer(layout)), layout, what),
    colourConverted: layout.samplesPerPixel === 3,
    nearLossless: result.nearLossless,
  };
}

export async function decodeFrame(
  syntax: TransferSyntax,
  encoded: Uint8Array,
  layout: FrameLayout,
): Promise<DecodedFrame> {
  const pixelCount = layout.rows * layout.columns;
  switch (syntax.encoding) {
    case 'native':
      return { bytes: encoded, colourConverted: false };
    case 'rle':
      return {
        bytes: decodeRle(encoded, pixelCount, layout.samplesPerPixel, bytesPer(layout)),
        colourConverted: false,
      };
    case 'jpeg-ls':
      return decodeWasm('charls', encoded, layout, 'JPEG-LS');
    case 'jpeg2000':
      return decodeWasm('openjpeg', encoded, layout, 'JPEG 2000');
    case 'htj2k':
      return decodeWasm('openjph', encoded, layout, 'HTJ2K');
    case 'jpeg-lossless': {
      let image: LosslessJpegImage;
      try {
        // Loaded when first needed, like the DCT decoder whose Huffman code it shares.
        const { decodeLosslessJpeg } = await import('./codecs/jpeg-lossless');
        image = decodeLosslessJpeg(encoded);
      } catch (error) {
        throw new Error(`JPEG Lossless data could not be decoded (${describeCodecError(error)})`, {
          cause: error,
        });
      }
      if (image.width !== layout.columns || image.height !== layout.rows) {
        throw new Error(
          `JPEG Lossless stream is ${image.width}x${image.height}, the header says ${layout.columns}x${layout.rows}`,
        );
      }
      if (image.components !== layout.samplesPerPixel) {
        throw new Error(
          `JPEG Lossless stream has ${image.components} components, the header says ${layout.samplesPerPixel}`,
        );
      }
      if (bytesPer(layout) === 1 && image.precision > 8) {
        throw new Error(
          `JPEG Lossless stream has ${image.precision}-bit samples, the header allocates 8 bits`,
        );
      }
      // Samples are 16-bit in the machine's byte order, which is little endian wherever this runs.
      const bytes =
        bytesPer(layout) === 1
          ? Uint8Array.from(image.data)
          : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
      return { bytes: checkSize(bytes, layout, 'JPEG Lossless'), colourConverted: false };
    }
    case 'jpeg-dct': {
      const precision = readJpegFrameHeader(encoded)?.precision;
      if (precision === 8) return decodeWasm('libjpegturbo', encoded, layout, 'JPEG');
      let image;
      try {
        // Our own 12-bit decoder is loaded only for the rare files that need it.
        const { decodeDctJpeg } = await import('./codecs/jpeg-dct');
        image = decodeDctJpeg(encoded);
      } catch (error) {
        throw new Error(`JPEG data could not be decoded (${describeCodecError(error)})`, {
          cause: error,
        });
      }
      if (image.width !== layout.columns || image.height !== layout.rows) {
        throw new Error(
          `JPEG stream is ${image.width}x${image.height}, the header says ${layout.columns}x${layout.rows}`,
        );
      }
      const sixteen = new Uint8Array(
        image.data.buffer,
        image.data.byteOffset,
        image.data.byteLength,
      );
      const bytes = bytesPer(layout) === 2 ? sixteen : Uint8Array.from(image.data);
      return { bytes: checkSize(bytes, layout, 'JPEG'), colourConverted: false };
    }
  }
}
