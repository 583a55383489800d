/**
 * Convert worker: the files of a Hugging Face checkpoint folder in, a model bundle out
 * (its model.json and ONNX files as Blobs), so the page stays responsive while a large
 * model converts. One conversion per worker: cancelling is terminating it.
 */
import * as Comlink from 'comlink';
import {
  convertFolderFiles,
  type ConvertedBundle,
  type ConvertInput,
  type ConvertProgress,
  type ConvertRequest,
} from '../src/lib/model/convert-folder';

export type { ConvertedBundle, ConvertInput, ConvertProgress, ConvertRequest };

const api = {
  convert(
    files: ConvertInput[],
    request: ConvertRequest,
    onProgress?: (progress: ConvertProgress) => void,
  ): Promise<ConvertedBundle> {
    // A proxied callback answers with a promise; progress needs no answer.
    return convertFolderFiles(files, request, onProgress && ((p) => void onProgress(p)));
  },
};

export type ConvertApi = typeof api;

Comlink.expose(api);
