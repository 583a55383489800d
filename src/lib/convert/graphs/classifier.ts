/** ViTForImageClassification: `pixel_values` -> `logits` [B, num_labels] from the CLS token. */
import { GraphBuilder, type OnnxGraph } from '../onnx/graph-builder.ts';
import { attr } from '../onnx/types.ts';
import type { TensorReader } from '../tensors.ts';
import { vitSizes, type VitGraphConfig } from './config.ts';
import { linear, vitEncoder } from './layers.ts';
import { WeightLoader } from './weights.ts';

export interface ClassifierPrefixes {
  /** Prefix of the ViT's tensors (default `vit.`). */
  encoder?: string;
  /** Name of the classification Linear (default `classifier`). */
  head?: string;
}

export async function buildClassifierGraph(
  config: VitGraphConfig,
  reader: TensorReader,
  prefixes: ClassifierPrefixes = {},
): Promise<OnnxGraph> {
  const v = vitSizes(config);
  const labels = config.numLabels;
  if (labels === undefined || !Number.isInteger(labels) || labels <= 0) {
    throw new Error(`config: numLabels must be a positive integer, got ${String(labels)}`);
  }
  const w = new WeightLoader(reader);
  const b = new GraphBuilder('vit_classifier');
  b.metadata['skelex.graph'] = 'classifier';
  const pixels = b.input('pixel_values', 'float32', [
    'batch',
    v.channels,
    v.imageSize,
    v.imageSize,
  ]);
  const sequence = await vitEncoder(b, w, pixels, prefixes.encoder ?? 'vit.', v);
  const head = await w.linear(prefixes.head ?? 'classifier', v.encoder.hidden, labels);
  const logits = b.scope('head', () => {
    const cls = b.op('Gather', [sequence, b.int64([0], [])], { axis: attr.int(1) }); // [B, D]
    return linear(b, cls, head);
  });
  b.output(logits, 'logits', 'float32', ['batch', labels]);
  return b.finish();
}
