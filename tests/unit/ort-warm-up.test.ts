/**
 * The warm-up model (src/lib/engine/ort-warm-up.ts): hand-written protobuf that both
 * runtimes must accept as y = Identity(x).
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { IDENTITY_MODEL, startOrtRuntime } from '../../src/lib/engine/ort-warm-up';
import type { OrtModule } from '../../src/lib/engine/ort-runner';

describe('ORT warm-up model', () => {
  it('is y = Identity(x) on onnxruntime-node and -web', async () => {
    for (const ort of [ortNode, ortWeb] as unknown as OrtModule[]) {
      const session = await ort.InferenceSession.create(IDENTITY_MODEL);
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(2.5), [1]) });
      expect(Array.from(out.y.data as Float32Array)).toEqual([2.5]);
      await session.release();
    }
  });

  it('starts a runtime, and leaves a failure to the real session', async () => {
    // startOrtRuntime swallows errors (the model's own session reports them), so its
    // result says nothing: watch what it did instead. It must open a WASM session
    // on IDENTITY_MODEL, the session must come up, and it must be released.
    const calls: { model: unknown; providers: unknown }[] = [];
    const opened: string[] = [];
    let released = 0;
    const watched = {
      ...ortWeb,
      InferenceSession: {
        create: async (model: Uint8Array, options: ortWeb.InferenceSession.SessionOptions) => {
          calls.push({ model, providers: options.executionProviders });
          try {
            const session = await ortWeb.InferenceSession.create(model, options);
            opened.push('session');
            const release = session.release.bind(session);
            session.release = () => {
              released++;
              return release();
            };
            return session;
          } catch (err) {
            opened.push(`failed: ${String(err)}`);
            throw err;
          }
        },
      },
    } as unknown as OrtModule;
    await expect(startOrtRuntime(watched)).resolves.toBeUndefined();
    expect(calls).toEqual([{ model: IDENTITY_MODEL, providers: ['wasm'] }]);
    expect(opened).toEqual(['session']);
    expect(released).toBe(1);

    // A runtime that cannot start: tried once, and no rejection escapes.
    let tries = 0;
    const broken = {
      ...ortWeb,
      InferenceSession: {
        create: () => {
          tries++;
          return Promise.reject(new Error('no WASM here'));
        },
      },
    } as unknown as OrtModule;
    await expect(startOrtRuntime(broken)).resolves.toBeUndefined();
    expect(tries).toBe(1);
  });
});
