/** Vite resolves these to same-origin asset URLs; import only from bundled (browser) code. */
import openjpeg from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import charls from '@cornerstonejs/codec-charls/decodewasm?url';
import libjpegturbo from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import openjph from '@cornerstonejs/codec-openjph/wasm?url';
import { setCodecWasmUrls } from './wasm';

setCodecWasmUrls({ openjpeg, charls, libjpegturbo, openjph });
