/**
 * Image features from any ViT / ViTMAE encoder: `pixel_values` -> `cls` [B, D] (the CLS token)
 * and `mean` [B, D] (mean of the patch tokens), both after the final layer norm, no masking.
 */
import { GraphBuilder, type OnnxGraph } from '../onnx/graph-builder.ts';
import { attr } from '../onnx/types.ts';
import type { TensorReader } from '../tensors.ts';
import { vitSizes, type VitGraphConfig } from './config.ts';
import { sliceAxis, vitEncoder } from './layers.ts';
import { WeightLoader } from './weights.ts';

const PATCH_WEIGHT = 'embeddings.patch_embeddings.projection.weight';

/**
 * The prefix under which a checkpoint keeps its ViT: `vit.` in ViTMAEForPreTraining and
 * ViTForImageClassification, '' in standalone ViTModel / ViTMAEModel checkpoints.
 */
export function findVitPrefix(reader: TensorReader): string {
  const prefixes = reader
    .list()
    .map((t) => t.name)
    .filter((name) => name === PATCH_WEIGHT || name.endsWith(`.${PATCH_WEIGHT}`))
    .map((name) => name.slice(0, name.length - PATCH_WEIGHT.length))
    .sort((a, b) => a.length - b.length);
  if (prefixes.length === 0) {
    throw new Error(`${reader.source}: tensor "${PATCH_WEIGHT}" is missing (under any prefix)`);
  }
  return prefixes[0];
}

export async function buildFeatureGraph(
  config: VitGraphConfig,
  reader: TensorReader,
  prefix: string = findVitPrefix(reader),
): Promise<OnnxGraph> {
  const v = vitSizes(config);
  const w = new WeightLoader(reader);
  const b = new GraphBuilder('vit_features');
  b.metadata['skelex.graph'] = 'features';
  const pixels = b.input('pixel_values', 'float32', [
    'batch',
    v.channels,
    v.imageSize,
    v.imageSize,
  ]);
  const sequence = await vitEncoder(b, w, pixels, prefix, v);
  const [cls, mean] = b.scope('pool', () => [
    b.op('Gather', [sequence, b.int64([0], [])], { axis: attr.int(1) }),
    b.op('ReduceMean', [sliceAxis(b, sequence, 1, 1)], {
      axes: attr.ints([1]),
      keepdims: attr.int(0),
    }),
  ]);
  b.output(cls, 'cls', 'float32', ['batch', v.encoder.hidden]);
  b.output(mean, 'mean', 'float32', ['batch', v.encoder.hidden]);
  return b.finish();
}
