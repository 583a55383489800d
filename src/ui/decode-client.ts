/**
 * Main-thread side of the decode worker: one file at a time, each under a time bound.
 * A file that takes too long costs its worker; the next file gets a fresh one.
 */
import * as Comlink from 'comlink';
import type { DecodeApi, DecodeResult } from '../../workers/decode.worker';

export type { DecodeResult, Thumbnail } from '../../workers/decode.worker';

export const DEFAULT_TIMEOUT_MS = 20_000;

interface Job {
  name: string;
  read: () => Promise<ArrayBuffer>;
  frame?: number;
  resolve: (result: DecodeResult) => void;
}

interface Outcome {
  result: DecodeResult;
  workerLost: boolean;
}

/** What the client needs of a worker; a real Worker, or a stand-in in tests. */
export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

interface WorkerHandle {
  worker: WorkerLike;
  api: Comlink.Remote<DecodeApi>;
}

export function createDecodeWorker(): WorkerLike {
  return new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), {
    type: 'module',
    name: 'skelex-decode',
  });
}

export interface DecodeClientOptions {
  /** Longest a file may take to decode before its worker is stopped (default 20 s). */
  timeoutMs?: number;
  createWorker?: () => WorkerLike;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export class DecodeClient {
  private handle: WorkerHandle | undefined;
  private readonly queue: Job[] = [];
  private running = false;

  private readonly timeoutMs: number;
  private readonly createWorker: () => WorkerLike;

  constructor(options: DecodeClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.createWorker = options.createWorker ?? createDecodeWorker;
  }

  /** Files waiting or decoding now. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /**
   * Queues one file. `read` is called only when its turn comes, so a large folder
   * never holds more than one file's bytes at a time. `urgent` jobs (the image the user
   * is waiting to see) go ahead of the queue. Never rejects.
   */
  open(
    name: string,
    read: () => Promise<ArrayBuffer>,
    options: { frame?: number; urgent?: boolean } = {},
  ): Promise<DecodeResult> {
    return new Promise((resolve) => {
      const job = { name, read, frame: options.frame, resolve };
      if (options.urgent) this.queue.unshift(job);
      else this.queue.push(job);
      void this.pump();
    });
  }

  /** Stops the worker and answers every waiting file with an error. */
  dispose(): void {
    for (const job of this.queue.splice(0)) {
      job.resolve({ ok: false, error: `${job.name}: cancelled` });
    }
    this.stopWorker();
  }

  private stopWorker(): void {
    if (!this.handle) return;
    this.handle.api[Comlink.releaseProxy]();
    this.handle.worker.terminate();
    this.handle = undefined;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        job.resolve(await this.run(job));
      }
    } finally {
      this.running = false;
    }
  }

  private async run(job: Job): Promise<DecodeResult> {
    let bytes: ArrayBuffer;
    try {
      bytes = await job.read();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, error: `${job.name}: could not be read (${reason})` };
    }
    if (!this.handle) {
      const worker = this.createWorker();
      this.handle = { worker, api: Comlink.wrap<DecodeApi>(worker) };
    }
    const handle = this.handle;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        const error = `${job.name}: decoding took longer than ${seconds(this.timeoutMs)} and was stopped`;
        resolve({ result: { ok: false, error }, workerLost: true });
      }, this.timeoutMs);
    });
    let onError: ((event: Event) => void) | undefined;
    const crashed = new Promise<Outcome>((resolve) => {
      onError = (event: Event) => {
        event.preventDefault();
        const message = (event as Partial<ErrorEvent>).message;
        const detail = typeof message === 'string' && message ? message : 'worker error';
        resolve({
          result: { ok: false, error: `${job.name}: the decoder stopped (${detail})` },
          workerLost: true,
        });
      };
      handle.worker.addEventListener('error', onError);
    });
    const decoded = handle.api.open(job.name, Comlink.transfer(bytes, [bytes]), job.frame).then(
      (result): Outcome => ({ result, workerLost: false }),
      (error: unknown): Outcome => {
        const reason = error instanceof Error ? error.message : String(error);
        const message = reason.startsWith(`${job.name}:`) ? reason : `${job.name}: ${reason}`;
        return { result: { ok: false, error: message }, workerLost: false };
      },
    );
    const { result, workerLost } = await Promise.race([decoded, timedOut, crashed]);
    clearTimeout(timer);
    if (onError) handle.worker.removeEventListener('error', onError);
    // A worker that overran or crashed may still be busy or broken: the next file gets a new one.
    if (workerLost && this.handle === handle) this.stopWorker();
    return result;
  }
}
