/**
 * Engine failures: which errors mean the worker's runtime cannot be trusted,
 * which variant to offer next, and the client replacing a worker whose
 * ONNX Runtime trapped (a stand-in worker behind a real MessageChannel and
 * Comlink, since a real WASM trap cannot be summoned on demand; the browser
 * test worker-failure.test.ts kills the real worker).
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { isFatalEngineError, smallerVariant } from '../../src/lib/engine/failures';
import { InputError } from '../../src/lib/imaging/radiograph';
import { EngineClient, isEngineStopped, type WorkerLike } from '../../src/ui/engine/engine-client';
import type { Radiograph } from '../../src/lib/imaging/radiograph';

describe('isFatalEngineError', () => {
  it('knows WASM traps, aborts, exhausted memory and lost GPU devices', () => {
    expect(isFatalEngineError(new WebAssembly.RuntimeError('unreachable'))).toBe(true);
    expect(isFatalEngineError(new Error('Aborted(). Build with -sASSERTIONS for more info.'))).toBe(
      true,
    );
    expect(isFatalEngineError(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isFatalEngineError(new Error('WebGPU device was lost: reason unknown'))).toBe(true);
    expect(isFatalEngineError(new Error('failed to allocate a buffer: out of memory'))).toBe(true);
  });

  it('leaves ordinary failures alone', () => {
    expect(isFatalEngineError(new Error('no model is loaded'))).toBe(false);
    expect(isFatalEngineError(new InputError('a.dcm', 'the file is empty'))).toBe(false);
    expect(isFatalEngineError(new Error('the model has no int8 variant'))).toBe(false);
    expect(isFatalEngineError(undefined)).toBe(false);
  });
});

describe('smallerVariant', () => {
  it('offers the next smaller variant the model has', () => {
    expect(smallerVariant(['fp32', 'int8'], 'fp32')).toBe('int8');
    expect(smallerVariant(['fp32', 'fp16', 'int8', 'q4'], 'fp16')).toBe('int8');
    expect(smallerVariant(['fp32', 'q4'], 'fp32')).toBe('q4');
    expect(smallerVariant(['fp32', 'int8'], 'int8')).toBeUndefined();
    expect(smallerVariant(['int8', 'q4'], 'q4')).toBeUndefined();
  });
});

const STATUS = { backend: 'wasm', variant: 'fp32', threads: 1 };

/** A worker stand-in: `api` behind Comlink on a real MessageChannel. */
function standIn(api: object, onTerminate?: () => void): WorkerLike {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(api, port2);
  return Object.assign(port1, {
    terminate: () => {
      onTerminate?.();
      port1.close();
      port2.close();
    },
  }) as unknown as WorkerLike;
}

describe('EngineClient and a runtime that traps', () => {
  it('rejects with EngineStoppedError, tells onStopped, and starts a fresh worker', async () => {
    let made = 0;
    let loads = 0;
    const terminated: number[] = [];
    const createWorker = (): WorkerLike => {
      const id = ++made;
      return standIn(
        {
          load: () => {
            loads++;
            return STATUS;
          },
          analyze: () => {
            if (id === 1) throw new WebAssembly.RuntimeError('memory access out of bounds');
            return { meanError: 0.5, status: STATUS };
          },
        },
        () => terminated.push(id),
      );
    };
    const stops: string[] = [];
    const client = new EngineClient({ createWorker, onStopped: (e) => stops.push(e.message) });
    const radiograph = {} as Radiograph;
    const options = {
      schedule: 'complementary',
      passes: 4,
      seed: 0,
      metric: 'l2',
      letterbox: false,
    } as const;
    try {
      await client.load({ kind: 'url', baseUrl: '/m/' }, { backend: 'wasm' });
      const error = await client.analyze(radiograph, options).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(isEngineStopped(error)).toBe(true);
      expect(error!.message).toMatch(/failed \(.*memory access out of bounds\).*restarts/);
      expect(stops).toEqual([error!.message]);
      expect(terminated).toEqual([1]);
      expect(client.status).toBeUndefined();

      // The next call starts a new worker and loads the model into it again.
      const again = await client.analyze(radiograph, options);
      expect(again.meanError).toBe(0.5);
      expect(made).toBe(2);
      expect(loads).toBe(2);
    } finally {
      client.dispose();
    }
  });

  it('does not stop the worker for an ordinary failure', async () => {
    let made = 0;
    const createWorker = (): WorkerLike => {
      made++;
      return standIn({
        load: () => STATUS,
        analyze: () => {
          throw new Error('the image is too small');
        },
      });
    };
    const client = new EngineClient({ createWorker });
    const options = {
      schedule: 'random',
      passes: 1,
      seed: 0,
      metric: 'l2',
      letterbox: false,
    } as const;
    try {
      await client.load({ kind: 'url', baseUrl: '/m/' }, { backend: 'wasm' });
      for (let i = 0; i < 2; i++) {
        await expect(client.analyze({} as Radiograph, options)).rejects.toThrow('too small');
      }
      expect(made).toBe(1);
      expect(client.status).toBeDefined();
    } finally {
      client.dispose();
    }
  });
});
