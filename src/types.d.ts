// The Emscripten codec packages ship no types; wasm.ts describes the part we use.
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs';
declare module '@cornerstonejs/codec-charls/decodewasmjs';
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
declare module '@cornerstonejs/codec-openjph/wasmjs';
declare module 'cornerstone-core';
// Its package.json names a .d.ts it does not ship.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(
      buffer: ArrayBuffer,
      offset: number,
      length: number,
      numBytes?: number,
    ): Uint8Array | Uint16Array;
  }
}
