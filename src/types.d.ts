// The Emscripten codec packages ship no types; wasm.ts describes the part we use.
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs';
declare module '@cornerstonejs/codec-charls/decodewasmjs';
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
declare module '@cornerstonejs/codec-openjph/wasmjs';
declare module 'cornerstone-core';
