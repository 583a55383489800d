/** ONNX graphs for Hugging Face ViT / ViTMAE checkpoints. */
export type { VitGraphConfig } from './config.ts';
export {
  buildMaeDecoder,
  buildMaeEncoder,
  buildMaeGraphs,
  type MaeGraphs,
  type MaePrefixes,
} from './mae.ts';
export { buildClassifierGraph, type ClassifierPrefixes } from './classifier.ts';
export { buildFeatureGraph, findVitPrefix } from './features.ts';
export type { OnnxGraph, ExternalModel, ExternalDataOptions } from '../onnx/graph-builder.ts';
