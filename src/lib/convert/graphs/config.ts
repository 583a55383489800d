/**
 * The sizes a ViT / ViTMAE graph is built from: Hugging Face `config.json` fields, with
 * snake_case names in camelCase (`hidden_size` -> `hiddenSize`).
 */

export interface VitGraphConfig {
  /** `image_size`: square input side in pixels. */
  imageSize: number;
  /** `patch_size`: square patch side in pixels. */
  patchSize: number;
  /** `num_channels`. */
  numChannels: number;
  /** `hidden_size` (D). */
  hiddenSize: number;
  /** `num_hidden_layers`. */
  numHiddenLayers: number;
  /** `num_attention_heads`. */
  numAttentionHeads: number;
  /** `intermediate_size`. */
  intermediateSize: number;
  /** `layer_norm_eps`. */
  layerNormEps: number;
  /** `qkv_bias`: whether query/key/value projections have biases. */
  qkvBias: boolean;
  /** `hidden_act`; only 'gelu' (exact, erf) is supported. Default 'gelu'. */
  hiddenAct?: string;
  /** ViTMAE `decoder_hidden_size`. */
  decoderHiddenSize?: number;
  /** ViTMAE `decoder_num_hidden_layers`. */
  decoderNumHiddenLayers?: number;
  /** ViTMAE `decoder_num_attention_heads`. */
  decoderNumAttentionHeads?: number;
  /** ViTMAE `decoder_intermediate_size`. */
  decoderIntermediateSize?: number;
  /**
   * The same decoder sizes grouped (as the config.json parser gives them); the flat
   * `decoder*` fields win where both are given.
   */
  decoder?: {
    hiddenSize: number;
    numHiddenLayers: number;
    numAttentionHeads: number;
    intermediateSize: number;
  };
  /** Classifier outputs: `num_labels`, or the size of `id2label`. */
  numLabels?: number;
}

/** Sizes of one stack of transformer layers. */
export interface StackSizes {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  eps: number;
  qkvBias: boolean;
}

/** Sizes every graph needs, derived from the config and checked. */
export interface VitSizes {
  imageSize: number;
  patchSize: number;
  channels: number;
  /** Patches per side. */
  grid: number;
  /** Patches per image (N). */
  patches: number;
  encoder: StackSizes;
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`config: ${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** `hiddenSize` or, under the prefix `decoder`, `decoderHiddenSize`. */
function field(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}${name[0].toUpperCase()}${name.slice(1)}`;
}

function stack(
  hidden: unknown,
  layers: unknown,
  heads: unknown,
  intermediate: unknown,
  config: VitGraphConfig,
  fieldPrefix: string,
): StackSizes {
  const h = positiveInteger(hidden, field(fieldPrefix, 'hiddenSize'));
  const n = positiveInteger(heads, field(fieldPrefix, 'numAttentionHeads'));
  if (h % n !== 0) {
    throw new Error(
      `config: ${field(fieldPrefix, 'hiddenSize')} ${h} is not a multiple of ${n} heads`,
    );
  }
  if (!(typeof config.layerNormEps === 'number' && config.layerNormEps > 0)) {
    throw new Error(`config: layerNormEps must be a positive number`);
  }
  return {
    hidden: h,
    layers: positiveInteger(layers, field(fieldPrefix, 'numHiddenLayers')),
    heads: n,
    intermediate: positiveInteger(intermediate, field(fieldPrefix, 'intermediateSize')),
    eps: config.layerNormEps,
    qkvBias: config.qkvBias,
  };
}

export function vitSizes(config: VitGraphConfig): VitSizes {
  const imageSize = positiveInteger(config.imageSize, 'imageSize');
  const patchSize = positiveInteger(config.patchSize, 'patchSize');
  if (imageSize % patchSize !== 0) {
    throw new Error(`config: imageSize ${imageSize} is not a multiple of patchSize ${patchSize}`);
  }
  const act = config.hiddenAct ?? 'gelu';
  if (act !== 'gelu') throw new Error(`config: hiddenAct "${act}" is not supported (only "gelu")`);
  if (typeof config.qkvBias !== 'boolean') throw new Error('config: qkvBias must be a boolean');
  const grid = imageSize / patchSize;
  return {
    imageSize,
    patchSize,
    channels: positiveInteger(config.numChannels, 'numChannels'),
    grid,
    patches: grid * grid,
    encoder: stack(
      config.hiddenSize,
      config.numHiddenLayers,
      config.numAttentionHeads,
      config.intermediateSize,
      config,
      '',
    ),
  };
}

export function decoderSizes(config: VitGraphConfig): StackSizes {
  const grouped = config.decoder;
  return stack(
    config.decoderHiddenSize ?? grouped?.hiddenSize,
    config.decoderNumHiddenLayers ?? grouped?.numHiddenLayers,
    config.decoderNumAttentionHeads ?? grouped?.numAttentionHeads,
    config.decoderIntermediateSize ?? grouped?.intermediateSize,
    config,
    'decoder',
  );
}
