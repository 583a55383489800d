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
    await expect(startOrtRuntime(ortWeb as unknown as OrtModule)).resolves.toBeUndefined();
    const broken = {
      ...ortWeb,
      InferenceSession: { create: () => Promise.reject(new Error('no WASM here')) },
    } as unknown as OrtModule;
    await expect(startOrtRuntime(broken)).resolves.toBeUndefined();
  });
});
