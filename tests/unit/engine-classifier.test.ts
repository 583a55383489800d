/** The classifier graph through OrtClassifierRunner, on onnxruntime-node and -web, against the reference. */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { buildClassifierGraph, buildMaeGraphs } from '../../src/lib/convert/graphs/index.ts';
import { OrtClassifierRunner } from '../../src/lib/engine/ort-classifier';
import { MemoryTensors } from '../helpers/memory-tensors.ts';
import { graphConfig } from '../helpers/graph-config';
import {
  flatten,
  randomClassifierWeights,
  randomMaeWeights,
  randomPixels,
  vitClassifier,
  SMALL_MAE_CONFIG,
  SMALL_CLASSIFIER_CONFIG,
  type HfVitConfig,
  type RefWeights,
} from '../helpers/reference-vit.ts';

ortWeb.env.wasm.numThreads = 1;

const CONFIG: HfVitConfig = { ...SMALL_CLASSIFIER_CONFIG, layer_norm_eps: 1e-6, num_labels: 6 };

function reader(weights: RefWeights): MemoryTensors {
  const r = new MemoryTensors('classifier');
  for (const [name, t] of weights) r.set(name, t.shape, t.data);
  return r;
}

const ORTS = [
  ['onnxruntime-node', ortNode],
  ['onnxruntime-web', ortWeb],
] as const;

describe('OrtClassifierRunner', () => {
  for (const [name, ort] of ORTS) {
    it(`gives the reference logits for a batch of 3 on ${name}`, async () => {
      const weights = randomClassifierWeights(CONFIG, 5);
      const graph = await buildClassifierGraph(graphConfig(CONFIG), reader(weights));
      const runner = await OrtClassifierRunner.create(
        ort,
        { name: 'classifier.fp32.onnx', model: graph.toModelBytes() },
        { channels: 3, size: 32 },
      );
      const pixels = randomPixels(CONFIG, 3, 6);
      const logits = await runner.classify(pixels, 3);
      const expected = flatten(vitClassifier(CONFIG, weights, pixels, 3));
      expect(logits.length).toBe(18);
      let worst = 0;
      logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]))));
      expect(worst).toBeLessThan(1e-4);
      await expect(runner.classify(pixels, 2)).rejects.toThrow(
        'classifier.fp32.onnx: 9216 pixel values for [2,3,32,32]',
      );
      await runner.release();
      await expect(runner.classify(pixels, 3)).rejects.toThrow('unloaded');
    });
  }

  it('refuses a graph that is not a classifier, naming it', async () => {
    const graphs = await buildMaeGraphs(
      graphConfig(SMALL_MAE_CONFIG),
      reader(randomMaeWeights(SMALL_MAE_CONFIG, 1)),
    );
    await expect(
      OrtClassifierRunner.create(
        ortNode,
        { name: 'encoder.fp32.onnx', model: graphs.encoder.toModelBytes() },
        { channels: 3, size: SMALL_MAE_CONFIG.image_size },
      ),
    ).rejects.toThrow('encoder.fp32.onnx: no output "logits"');
  });
});
