import type { VitGraphConfig } from '../../src/lib/convert/graphs';
import type { HfVitConfig } from './reference-vit';

/** config.json names -> the graph builder's config (what the converter's parser does). */
export function graphConfig(c: HfVitConfig): VitGraphConfig {
  return {
    imageSize: c.image_size,
    patchSize: c.patch_size,
    numChannels: c.num_channels,
    hiddenSize: c.hidden_size,
    numHiddenLayers: c.num_hidden_layers,
    numAttentionHeads: c.num_attention_heads,
    intermediateSize: c.intermediate_size,
    layerNormEps: c.layer_norm_eps,
    qkvBias: c.qkv_bias,
    decoderHiddenSize: c.decoder_hidden_size,
    decoderNumHiddenLayers: c.decoder_num_hidden_layers,
    decoderNumAttentionHeads: c.decoder_num_attention_heads,
    decoderIntermediateSize: c.decoder_intermediate_size,
    numLabels: c.num_labels,
  };
}
