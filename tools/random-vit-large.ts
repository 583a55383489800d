/**
 * A ViT-Large-size MAE checkpoint with random weights, for the conversion
 * benchmarks (Node and browser). Written to a temp folder, never committed.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** ViT-L/16 MAE as SKELEX uses it (HF facebook/vit-mae-large sizes). */
export const VIT_LARGE_MAE_CONFIG = {
  architectures: ['ViTMAEForPreTraining'],
  model_type: 'vit_mae',
  hidden_size: 1024,
  num_hidden_layers: 24,
  num_attention_heads: 16,
  intermediate_size: 4096,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-6,
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  qkv_bias: true,
  decoder_hidden_size: 512,
  decoder_num_hidden_layers: 8,
  decoder_num_attention_heads: 16,
  decoder_intermediate_size: 2048,
  mask_ratio: 0.75,
  norm_pix_loss: false,
};

/** A classifier on the ViT-L encoder instead of the MAE's decoder, with `labels` outputs. */
export interface ClassifierOption {
  classifierLabels?: number;
}

function tensorShapes({ classifierLabels }: ClassifierOption = {}): [string, number[]][] {
  const d = VIT_LARGE_MAE_CONFIG.hidden_size;
  const dd = VIT_LARGE_MAE_CONFIG.decoder_hidden_size;
  const n = (VIT_LARGE_MAE_CONFIG.image_size / VIT_LARGE_MAE_CONFIG.patch_size) ** 2;
  const shapes: [string, number[]][] = [
    ['vit.embeddings.cls_token', [1, 1, d]],
    ['vit.embeddings.position_embeddings', [1, n + 1, d]],
    ['vit.embeddings.patch_embeddings.projection.weight', [d, 3, 16, 16]],
    ['vit.embeddings.patch_embeddings.projection.bias', [d]],
  ];
  const layers = (prefix: string, count: number, width: number, inner: number) => {
    for (let i = 0; i < count; i++) {
      const p = `${prefix}.${i}`;
      for (const name of ['query', 'key', 'value']) {
        shapes.push(
          [`${p}.attention.attention.${name}.weight`, [width, width]],
          [`${p}.attention.attention.${name}.bias`, [width]],
        );
      }
      shapes.push(
        [`${p}.attention.output.dense.weight`, [width, width]],
        [`${p}.attention.output.dense.bias`, [width]],
        [`${p}.intermediate.dense.weight`, [inner, width]],
        [`${p}.intermediate.dense.bias`, [inner]],
        [`${p}.output.dense.weight`, [width, inner]],
        [`${p}.output.dense.bias`, [width]],
        [`${p}.layernorm_before.weight`, [width]],
        [`${p}.layernorm_before.bias`, [width]],
        [`${p}.layernorm_after.weight`, [width]],
        [`${p}.layernorm_after.bias`, [width]],
      );
    }
  };
  layers(
    'vit.encoder.layer',
    VIT_LARGE_MAE_CONFIG.num_hidden_layers,
    d,
    VIT_LARGE_MAE_CONFIG.intermediate_size,
  );
  shapes.push(['vit.layernorm.weight', [d]], ['vit.layernorm.bias', [d]]);
  if (classifierLabels) {
    shapes.push(
      ['classifier.weight', [classifierLabels, d]],
      ['classifier.bias', [classifierLabels]],
    );
    return shapes;
  }
  shapes.push(
    ['decoder.decoder_embed.weight', [dd, d]],
    ['decoder.decoder_embed.bias', [dd]],
    ['decoder.mask_token', [1, 1, dd]],
    ['decoder.decoder_pos_embed', [1, n + 1, dd]],
  );
  layers(
    'decoder.decoder_layers',
    VIT_LARGE_MAE_CONFIG.decoder_num_hidden_layers,
    dd,
    VIT_LARGE_MAE_CONFIG.decoder_intermediate_size,
  );
  shapes.push(
    ['decoder.decoder_norm.weight', [dd]],
    ['decoder.decoder_norm.bias', [dd]],
    ['decoder.decoder_pred.weight', [16 * 16 * 3, dd]],
    ['decoder.decoder_pred.bias', [16 * 16 * 3]],
  );
  return shapes;
}

/**
 * Writes config.json and a model.safetensors of small random F32 values, one tensor at a
 * time (never the whole model in memory). Returns the safetensors file's size in bytes.
 */
export function writeRandomVitLargeCheckpoint(dir: string, option: ClassifierOption = {}): number {
  const shapes = tensorShapes(option);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  const fd = openSync(path.join(dir, 'model.safetensors'), 'w');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, prefix);
  writeSync(fd, Buffer.from(json));
  let state = 0x9e3779b9;
  for (const [, shape] of shapes) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      values[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 0.04;
    }
    writeSync(fd, new Uint8Array(values.buffer));
  }
  closeSync(fd);
  const labels = option.classifierLabels;
  const config = labels
    ? {
        ...VIT_LARGE_MAE_CONFIG,
        architectures: ['ViTForImageClassification'],
        model_type: 'vit',
        id2label: Object.fromEntries(
          Array.from({ length: labels }, (_, i) => [String(i), `class ${i}`]),
        ),
      }
    : VIT_LARGE_MAE_CONFIG;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return 8 + json.length + offset;
}
