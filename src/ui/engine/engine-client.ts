/**
 * Main-thread side of the inference worker. Loads a model, analyses radiographs and
 * explores custom masks, all in the worker; pixels and maps cross as transferred buffers.
 *
 * `cancel()` stops the worker at once (an ONNX Runtime run cannot be interrupted) and
 * rejects the running call with an AbortError; the next call starts a fresh worker and
 * loads the last model again. A worker that crashes (an uncaught error), or whose
 * ONNX Runtime fails past trusting (a WASM trap or abort, memory exhausted: see
 * isFatalEngineError), is replaced the same way; its calls reject with an
 * EngineStoppedError and `onStopped` hears of it even when no call was running.
 */
import * as Comlink from 'comlink';
import type { InferenceApi } from '../../../workers/inference.worker';
import type { Radiograph } from '../../lib/imaging/radiograph';
import type { Rect } from '../../lib/imaging/preprocess';
import type { HeadScore } from '../../lib/model/heads';
import type {
  AnalyzeRequest,
  EngineAnalysis,
  ExploreImage,
  ExploreOutput,
  PassProgress,
} from '../../lib/engine/protocol';
import type { EnginePrefs, EngineStatus, LoadProgress, ModelSource } from '../../lib/engine/types';
import { isFatalEngineError } from '../../lib/engine/failures';

export type {
  AnalyzeRequest as AnalyzeOptions,
  EngineAnalysis,
  ExploreOutput,
  PassProgress,
  PassPictures,
} from '../../lib/engine/protocol';
export type {
  BackendName,
  BackendPreference,
  EnginePrefs,
  EngineStatus,
  GpuInfo,
  LoadProgress,
  ModelSource,
} from '../../lib/engine/types';

/** What the client needs of a worker; a real Worker, or a stand-in in tests. */
export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

export function createInferenceWorker(): WorkerLike {
  return new Worker(new URL('../../../workers/inference.worker.ts', import.meta.url), {
    type: 'module',
    name: 'skelex-inference',
  });
}

export interface EngineClientOptions {
  createWorker?: () => WorkerLike;
  /** Told when the worker dies or fails past trusting; the next call starts a new one. */
  onStopped?: (error: EngineStoppedError) => void;
}

/** The worker died or its runtime failed past trusting (`name` is "EngineStoppedError"). */
export class EngineStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineStoppedError';
  }
}

export function isEngineStopped(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'EngineStoppedError';
}

/** The error a cancelled call rejects with (`name` is "AbortError"). */
export function abortError(message = 'cancelled'): Error {
  return new DOMException(message, 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}

interface Handle {
  worker: WorkerLike;
  api: Comlink.Remote<InferenceApi>;
  /** The model load this worker is doing or did; cleared when it fails. */
  loading?: Promise<EngineStatus>;
  /** A model load was sent: ONNX Runtime has started (or is starting) in the worker. */
  started: boolean;
  /** The threads preference it started with (fixed for the worker's life). */
  threads?: number;
  /** The worker holds the last analysed image (for explore). */
  hasImage: boolean;
  onError: (event: Event) => void;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class EngineClient {
  private handle: Handle | undefined;
  private readonly pending = new Set<(error: Error) => void>();
  private lastLoad: { source: ModelSource; prefs: EnginePrefs } | undefined;
  private lastImage: ExploreImage | undefined;
  private current: EngineStatus | undefined;
  private disposed = false;
  private readonly createWorker: () => WorkerLike;
  private readonly onStopped: ((error: EngineStoppedError) => void) | undefined;

  constructor(options: EngineClientOptions = {}) {
    this.createWorker = options.createWorker ?? createInferenceWorker;
    this.onStopped = options.onStopped;
  }

  /** The loaded model's engine status (backend, threads, variant, fallback reason...). */
  get status(): EngineStatus | undefined {
    return this.current;
  }

  /** Loads a model (replacing the current one) and says how it runs. */
  async load(
    source: ModelSource,
    prefs: EnginePrefs,
    onProgress?: LoadProgress,
  ): Promise<EngineStatus> {
    this.checkOpen();
    // ORT's thread count is fixed once it has started: another count needs a new worker.
    if (this.handle?.started && this.handle.threads !== prefs.threads) {
      this.stopWorker(this.handle);
    }
    const handle = this.handle ?? this.startWorker();
    this.lastLoad = { source, prefs };
    this.current = undefined;
    const loading = this.startLoad(handle, onProgress);
    try {
      return await loading;
    } catch (error) {
      // A failed load leaves no model to reload; a cancelled one is loaded again on the next call.
      if (!isAbortError(error) && this.lastLoad?.source === source) this.lastLoad = undefined;
      throw error;
    }
  }

  /** Runs the error-map analysis of one image. */
  async analyze(
    radiograph: Radiograph,
    options: AnalyzeRequest,
    onPass?: (progress: PassProgress) => void,
  ): Promise<EngineAnalysis> {
    const handle = await this.ready();
    const image: ExploreImage = {
      input: { radiograph },
      letterbox: options.letterbox,
      metric: options.metric,
    };
    this.lastImage = image;
    handle.hasImage = false;
    const request: AnalyzeRequest = {
      schedule: options.schedule,
      passes: options.passes,
      seed: options.seed,
      metric: options.metric,
      letterbox: options.letterbox,
      ...(options.keepPasses !== undefined ? { keepPasses: options.keepPasses } : {}),
    };
    const callback = this.whileCurrent(handle, onPass);
    const { status, ...analysis } = await this.track(
      handle,
      handle.api.analyze(image.input, request, callback && Comlink.proxy(callback)),
    );
    handle.hasImage = true;
    this.current = status;
    return analysis;
  }

  /** One pass on the last analysed image with the encoder seeing only `keptPatches`. */
  async explore(keptPatches: number[]): Promise<ExploreOutput> {
    const handle = await this.ready();
    if (!handle.hasImage && !this.lastImage) throw new Error('analyse an image first');
    const again = handle.hasImage ? undefined : this.lastImage;
    const result = await this.track(handle, handle.api.explore([...keptPatches], again));
    handle.hasImage = true;
    return result;
  }

  /** The classifier's head scores for a box (image pixels) of the last analysed image. */
  async classifyRegion(box: Rect): Promise<HeadScore[]> {
    const handle = await this.ready();
    if (!handle.hasImage && !this.lastImage) throw new Error('analyse an image first');
    const again = handle.hasImage ? undefined : this.lastImage;
    const result = await this.track(handle, handle.api.classifyRegion({ ...box }, again));
    handle.hasImage = true;
    return result;
  }

  /** Stops whatever runs now: its call rejects with an AbortError. */
  cancel(): void {
    const handle = this.handle;
    if (!handle) return;
    this.stopWorker(handle);
    this.rejectAll(abortError('cancelled'));
  }

  /** Stops the worker for good. */
  dispose(): void {
    this.disposed = true;
    if (this.handle) this.stopWorker(this.handle);
    this.rejectAll(abortError('the engine was closed'));
    this.current = undefined;
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('the engine was closed');
  }

  private startWorker(): Handle {
    const worker = this.createWorker();
    const handle: Handle = {
      worker,
      api: Comlink.wrap<InferenceApi>(worker),
      hasImage: false,
      started: false,
      onError: (event: Event) => {
        event.preventDefault();
        const message = (event as Partial<ErrorEvent>).message;
        const detail = typeof message === 'string' && message ? `: ${message}` : '';
        if (this.handle !== handle) return;
        this.stopped(
          handle,
          `The inference worker stopped${detail}. It restarts with the model on the next request.`,
        );
      },
    };
    worker.addEventListener('error', handle.onError);
    this.handle = handle;
    return handle;
  }

  private stopWorker(handle: Handle): void {
    handle.worker.removeEventListener('error', handle.onError);
    handle.api[Comlink.releaseProxy]();
    handle.worker.terminate();
    if (this.handle === handle) this.handle = undefined;
  }

  /** Replaces a dead or untrustworthy worker: its calls fail, the next call starts anew. */
  private stopped(handle: Handle, message: string): EngineStoppedError {
    const error = new EngineStoppedError(message);
    this.stopWorker(handle);
    this.current = undefined;
    this.rejectAll(error);
    this.onStopped?.(error);
    return error;
  }

  private rejectAll(error: Error): void {
    for (const fail of [...this.pending]) fail(error);
  }

  /**
   * `callback`, silenced once its worker is stopped: progress messages already on their
   * way must not reach a caller that has cancelled (and may have started anew).
   */
  private whileCurrent<A extends unknown[]>(
    handle: Handle,
    callback: ((...args: A) => void) | undefined,
  ): ((...args: A) => void) | undefined {
    if (!callback) return undefined;
    return (...args: A) => {
      if (this.handle === handle) callback(...args);
    };
  }

  /** `promise` as a call that cancel(), dispose() or a crash can end early. */
  private track<T>(handle: Handle, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error) => {
        this.pending.delete(fail);
        reject(error);
      };
      if (this.handle !== handle) {
        fail(abortError('cancelled'));
        return;
      }
      this.pending.add(fail);
      promise.then(
        (value) => {
          if (!this.pending.delete(fail)) return;
          resolve(value);
        },
        (error: unknown) => {
          if (!this.pending.delete(fail)) return;
          if (isFatalEngineError(error) && this.handle === handle) {
            const why = toError(error).message.split('\n')[0];
            reject(
              this.stopped(
                handle,
                `The inference worker failed (${why}) and was stopped. It restarts with the model on the next request.`,
              ),
            );
          } else reject(toError(error));
        },
      );
    });
  }

  private startLoad(handle: Handle, onProgress?: LoadProgress): Promise<EngineStatus> {
    const { source, prefs } = this.lastLoad!;
    if (!handle.started) {
      handle.started = true;
      handle.threads = prefs.threads;
    }
    handle.hasImage = false;
    const callback = this.whileCurrent(handle, onProgress);
    const loading = this.track(
      handle,
      handle.api.load(source, prefs, callback && Comlink.proxy(callback)),
    ).then((status) => {
      if (this.handle === handle) this.current = status;
      return status;
    });
    handle.loading = loading;
    loading.catch(() => {
      if (handle.loading === loading) handle.loading = undefined;
    });
    return loading;
  }

  /** A worker with the last model loaded (a fresh worker loads it again). */
  private async ready(): Promise<Handle> {
    this.checkOpen();
    const handle = this.handle ?? this.startWorker();
    if (!handle.loading) {
      if (!this.lastLoad) throw new Error('no model is loaded: load one first');
      this.startLoad(handle);
    }
    await handle.loading;
    if (this.handle !== handle) throw abortError('cancelled');
    return handle;
  }
}
