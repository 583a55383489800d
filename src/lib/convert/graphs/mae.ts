/**
 * ViTMAEForPreTraining as two graphs: the encoder sees only the kept patches, the decoder
 * restores the full patch sequence with mask tokens and predicts every patch's pixels.
 */
import { GraphBuilder, type OnnxGraph } from '../onnx/graph-builder.ts';
import { attr } from '../onnx/types.ts';
import type { TensorReader } from '../tensors.ts';
import { decoderSizes, vitSizes, type VitGraphConfig } from './config.ts';
import {
  gatherRows,
  layerNorm,
  linear,
  sliceAxis,
  transformerStack,
  vitEncoder,
} from './layers.ts';
import { WeightLoader } from './weights.ts';

export interface MaeGraphs {
  encoder: OnnxGraph;
  decoder: OnnxGraph;
}

export interface MaePrefixes {
  /** Prefix of the encoder's tensors (default `vit.`). */
  encoder?: string;
  /** Prefix of the decoder's tensors (default `decoder.`). */
  decoder?: string;
}

/**
 * encoder: `pixel_values` float32 [B, C, H, W], `ids_keep` int64 [B, K] -> `latent` float32
 * [B, K+1, D] (CLS first, after the final layer norm).
 */
export async function buildMaeEncoder(
  config: VitGraphConfig,
  reader: TensorReader,
  prefix = 'vit.',
): Promise<OnnxGraph> {
  const v = vitSizes(config);
  const w = new WeightLoader(reader);
  const b = new GraphBuilder('mae_encoder');
  b.metadata['skelex.graph'] = 'mae-encoder';
  const pixels = b.input('pixel_values', 'float32', [
    'batch',
    v.channels,
    v.imageSize,
    v.imageSize,
  ]);
  const keep = b.input('ids_keep', 'int64', ['batch', 'kept']);
  const latent = await vitEncoder(b, w, pixels, prefix, v, keep);
  b.output(latent, 'latent', 'float32', ['batch', 'tokens', v.encoder.hidden]);
  return b.finish();
}

/**
 * decoder: `latent` [B, K+1, D], `ids_restore` int64 [B, N] -> `logits` [B, N, P*P*C]
 * (HF `patchify` layout: patches row-major, then pixel rows, pixel columns, channels).
 */
export async function buildMaeDecoder(
  config: VitGraphConfig,
  reader: TensorReader,
  prefix = 'decoder.',
): Promise<OnnxGraph> {
  const v = vitSizes(config);
  const s = decoderSizes(config);
  const d = v.encoder.hidden;
  const dd = s.hidden;
  const pixelsPerPatch = v.patchSize * v.patchSize * v.channels;
  const w = new WeightLoader(reader);
  const b = new GraphBuilder('mae_decoder');
  b.metadata['skelex.graph'] = 'mae-decoder';
  const latentIn = b.input('latent', 'float32', ['batch', 'tokens', d]);
  const restore = b.input('ids_restore', 'int64', ['batch', v.patches]);

  const embed = await w.linear(`${prefix}decoder_embed`, d, dd);
  const maskToken = await w.tensor(`${prefix}mask_token`, [1, 1, dd]);
  const positions = await w.tensor(`${prefix}decoder_pos_embed`, [1, v.patches + 1, dd]);
  const x = b.scope('unshuffle', () => {
    const y = linear(b, latentIn, embed); // [B, K+1, Dd]
    const cls = sliceAxis(b, y, 1, 0, 1);
    const kept = sliceAxis(b, y, 1, 1);
    // N mask tokens after the K kept ones: ids_restore only reaches indices < N, and every
    // index from K on picks a mask token, as HF's N-K tokens would.
    const maskShape = b.op('Concat', [b.op('Shape', [restore]), b.int64([1])], {
      axis: attr.int(0),
    });
    const masks = b.op('Expand', [
      b.weight(`${prefix}mask_token`, [1, 1, dd], maskToken),
      maskShape,
    ]);
    const pool = b.op('Concat', [kept, masks], { axis: attr.int(1) });
    const restored = gatherRows(b, pool, restore, dd); // [B, N, Dd]
    const full = b.op('Concat', [cls, restored], { axis: attr.int(1) });
    return b.op('Add', [
      full,
      b.weight(`${prefix}decoder_pos_embed`, [1, v.patches + 1, dd], positions),
    ]);
  });
  const h = await transformerStack(b, w, x, `${prefix}decoder_layers`, s);
  const norm = await w.layerNorm(`${prefix}decoder_norm`, dd);
  const pred = await w.linear(`${prefix}decoder_pred`, dd, pixelsPerPatch);
  const logits = b.scope('head', () => {
    const patches = sliceAxis(b, layerNorm(b, h, norm, s.eps), 1, 1); // drop CLS first
    return linear(b, patches, pred);
  });
  b.output(logits, 'logits', 'float32', ['batch', v.patches, pixelsPerPatch]);
  return b.finish();
}

/** Encoder and decoder of a `ViTMAEForPreTraining` checkpoint. */
export async function buildMaeGraphs(
  config: VitGraphConfig,
  reader: TensorReader,
  prefixes: MaePrefixes = {},
): Promise<MaeGraphs> {
  vitSizes(config);
  decoderSizes(config);
  const encoder = await buildMaeEncoder(config, reader, prefixes.encoder);
  const decoder = await buildMaeDecoder(config, reader, prefixes.decoder);
  return { encoder, decoder };
}
