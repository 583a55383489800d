/**
 * Main-thread side of the convert worker: one conversion per worker, so cancelling is
 * terminating it, and whatever memory it held goes with it.
 */
import * as Comlink from 'comlink';
import type {
  ConvertApi,
  ConvertedBundle,
  ConvertInput,
  ConvertProgress,
  ConvertRequest,
} from '../../../workers/convert.worker';

export type { ConvertedBundle, ConvertInput, ConvertProgress, ConvertRequest };

export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

export function createConvertWorker(): WorkerLike {
  return new Worker(new URL('../../../workers/convert.worker.ts', import.meta.url), {
    type: 'module',
    name: 'skelex-convert',
  });
}

/** The user cancelled the conversion. */
export class ConvertCancelled extends Error {
  override readonly name = 'ConvertCancelled';
  constructor() {
    super('conversion cancelled');
  }
}

export interface Conversion {
  result: Promise<ConvertedBundle>;
  /** Stops the worker now; `result` rejects with ConvertCancelled. */
  cancel(): void;
}

export function startConversion(
  files: ConvertInput[],
  request: ConvertRequest,
  onProgress: (progress: ConvertProgress) => void,
  createWorker: () => WorkerLike = createConvertWorker,
): Conversion {
  const worker = createWorker();
  const api = Comlink.wrap<ConvertApi>(worker);
  let stop: (error: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  const onError = (event: Event): void => {
    event.preventDefault();
    const message = (event as Partial<ErrorEvent>).message;
    stop(new Error(`the converter stopped (${message || 'worker error, perhaps out of memory'})`));
  };
  worker.addEventListener('error', onError);
  const finish = (): void => {
    worker.removeEventListener('error', onError);
    api[Comlink.releaseProxy]();
    worker.terminate();
  };
  const converted = api.convert(files, request, Comlink.proxy(onProgress));
  const result = Promise.race([converted, stopped]).finally(finish);
  // Whichever loses the race must not be reported as unhandled.
  converted.catch(() => undefined);
  stopped.catch(() => undefined);
  return { result, cancel: () => stop(new ConvertCancelled()) };
}
