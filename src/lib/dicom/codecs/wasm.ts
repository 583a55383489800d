/**
 * Loads the Emscripten-built image codecs once and shares them.
 * In Node each module finds its .wasm beside its own .js; in a bundled page or
 * worker the app tells us the asset URLs (see wasm-urls.browser.ts).
 */
import openjpegFactory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import charlsFactory from '@cornerstonejs/codec-charls/decodewasmjs';
import libjpegTurboFactory from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
import openjphFactory from '@cornerstonejs/codec-openjph/wasmjs';

export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The shape all four codec classes share. */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  readHeader?(): void;
  getNearLossless?(): number;
  delete(): void;
}

export type CodecName = 'openjpeg' | 'charls' | 'libjpegturbo' | 'openjph';

interface CodecModule {
  J2KDecoder?: new () => WasmDecoder;
  JpegLSDecoder?: new () => WasmDecoder;
  JPEGDecoder?: new () => WasmDecoder;
  HTJ2KDecoder?: new () => WasmDecoder;
}

interface FactoryOptions {
  locateFile?: (file: string, dir: string) => string;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}

type Factory = (options: FactoryOptions) => Promise<CodecModule>;

const factories: Record<CodecName, Factory> = {
  openjpeg: openjpegFactory as unknown as Factory,
  charls: charlsFactory as unknown as Factory,
  libjpegturbo: libjpegTurboFactory as unknown as Factory,
  openjph: openjphFactory as unknown as Factory,
};

const decoderClass: Record<CodecName, keyof CodecModule> = {
  openjpeg: 'J2KDecoder',
  charls: 'JpegLSDecoder',
  libjpegturbo: 'JPEGDecoder',
  openjph: 'HTJ2KDecoder',
};

let wasmUrls: Partial<Record<CodecName, string>> = {};
const modules = new Map<CodecName, Promise<CodecModule>>();

/** Where each codec's .wasm is served from; needed in bundled browser code only. */
export function setCodecWasmUrls(urls: Partial<Record<CodecName, string>>): void {
  wasmUrls = urls;
  modules.clear();
}

function loadModule(name: CodecName): Promise<CodecModule> {
  let loading = modules.get(name);
  if (!loading) {
    const url = wasmUrls[name];
    // Codecs log progress ("[INFO] ...") to stdout; that must not reach the CLI's JSON output.
    const options: FactoryOptions = { print: () => {}, printErr: () => {} };
    if (url) options.locateFile = (file, dir) => (file.endsWith('.wasm') ? url : dir + file);
    loading = factories[name](options);
    loading.catch(() => modules.delete(name));
    modules.set(name, loading);
  }
  return loading;
}

/**
 * A codec failure in words. The WASM codecs throw a bare number (a C++
 * exception with no message exported), which says only that the data is bad.
 */
export function describeCodecError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'number') return `damaged or incomplete data; codec error ${error}`;
  return String(error);
}

/**
 * Runs one encoded frame through a codec and returns its raw decoded bytes
 * (copied out of WASM memory) with the codec's frame description.
 */
export async function decodeWithCodec(
  name: CodecName,
  encoded: Uint8Array,
): Promise<{ bytes: Uint8Array; info: FrameInfo; nearLossless?: number }> {
  const module = await loadModule(name);
  const Decoder = module[decoderClass[name]];
  if (!Decoder) throw new Error(`codec ${name} has no decoder class`);
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    const nearLossless = decoder.getNearLossless?.();
    return { bytes, info: { ...info }, nearLossless };
  } finally {
    decoder.delete();
  }
}
