/** Writes a Hugging Face checkpoint folder (config.json + weights) from reference weights. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DType } from '../../src/lib/convert/tensors';
import { writeSafetensors, writeTorchZipFromTensors } from './checkpoint-writer';
import type { HfVitConfig, RefWeights } from './reference-vit';

export type Architecture =
  'ViTMAEForPreTraining' | 'ViTForImageClassification' | 'ViTModel' | 'ViTMAEModel';

export interface CheckpointSpec {
  architecture: Architecture;
  config: HfVitConfig;
  weights: RefWeights;
  dtype?: DType;
  format?: 'safetensors' | 'bin';
  /** Further config.json fields (norm_pix_loss, id2label, ...). */
  extraConfig?: Record<string, unknown>;
  preprocessor?: Record<string, unknown>;
}

export function writeHfCheckpoint(dir: string, spec: CheckpointSpec): string {
  mkdirSync(dir, { recursive: true });
  const modelType = spec.architecture.startsWith('ViTMAE') ? 'vit_mae' : 'vit';
  const config = {
    architectures: [spec.architecture],
    model_type: modelType,
    hidden_act: 'gelu',
    ...spec.config,
    ...(spec.config.num_labels ? { num_labels: spec.config.num_labels } : {}),
    ...spec.extraConfig,
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  if (spec.preprocessor) {
    writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(spec.preprocessor));
  }
  const tensors = [...spec.weights].map(([name, t]) => ({
    name,
    dtype: spec.dtype ?? 'F32',
    shape: t.shape,
    data: t.data,
  }));
  if (spec.format === 'bin')
    writeFileSync(path.join(dir, 'pytorch_model.bin'), writeTorchZipFromTensors(tensors));
  else writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(tensors));
  return dir;
}
