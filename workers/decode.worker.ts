/**
 * Decode worker: bytes of one file in, a Radiograph and a small thumbnail out.
 * Pixel buffers come back transferred, never copied.
 */
import * as Comlink from 'comlink';
import '../src/lib/dicom/codecs/wasm-urls.browser';
import { openImage } from '../src/lib/imaging/open';
import { toDisplay8 } from '../src/lib/imaging/modality';
import { InputError, type Radiograph } from '../src/lib/imaging/radiograph';

/** Long side of a thumbnail in pixels. */
export const THUMBNAIL_SIZE = 96;

export interface Thumbnail {
  width: number;
  height: number;
  /** 8-bit gray, row-major, display-ready (MONOCHROME1 already inverted). */
  gray: Uint8Array;
}

export type DecodeResult =
  { ok: true; image: Radiograph; thumbnail: Thumbnail } | { ok: false; error: string };

/** Box-filter downsample of an 8-bit image so its long side is at most `size`. */
export function shrinkGray(
  gray: Uint8Array,
  width: number,
  height: number,
  size: number = THUMBNAIL_SIZE,
): Thumbnail {
  const factor = Math.max(width, height) / size;
  if (factor <= 1) return { width, height, gray: gray.slice() };
  const tw = Math.max(1, Math.round(width / factor));
  const th = Math.max(1, Math.round(height / factor));
  const out = new Uint8Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const y0 = Math.floor((ty * height) / th);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / th));
    for (let tx = 0; tx < tw; tx++) {
      const x0 = Math.floor((tx * width) / tw);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / tw));
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        for (let x = x0; x < x1; x++) sum += gray[row + x];
      }
      out[ty * tw + tx] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { width: tw, height: th, gray: out };
}

/** The stored pixels on a buffer of their own, so transferring them moves nothing else. */
function ownBuffer(r: Radiograph): Radiograph {
  const s = r.stored;
  if (
    s.byteOffset === 0 &&
    s.byteLength === s.buffer.byteLength &&
    s.buffer instanceof ArrayBuffer
  ) {
    return r;
  }
  return { ...r, stored: s.slice() };
}

function describe(name: string, error: unknown): string {
  if (error instanceof InputError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${name}:`) ? message : `${name}: ${message}`;
}

const api = {
  async open(name: string, bytes: ArrayBuffer, frame?: number): Promise<DecodeResult> {
    try {
      const image = ownBuffer(await openImage(name, new Uint8Array(bytes), { frame }));
      const thumbnail = shrinkGray(toDisplay8(image), image.width, image.height);
      const result: DecodeResult = { ok: true, image, thumbnail };
      return Comlink.transfer(result, [image.stored.buffer as ArrayBuffer, thumbnail.gray.buffer]);
    } catch (error) {
      return { ok: false, error: describe(name, error) };
    }
  },
};

export type DecodeApi = typeof api;

Comlink.expose(api);
