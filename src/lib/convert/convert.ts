/**
 * A Hugging Face checkpoint folder to a model bundle: graphs built from its
 * weights, one file set per variant, and the model.json that lists them.
 * Runs the same in Node (CLI) and in a browser worker; only the sink differs.
 */
import { buildClassifierGraph, buildFeatureGraph, buildMaeGraphs, type OnnxGraph } from './graphs';
import type { CheckpointFolder } from './checkpoint-folder';
import { VIT_PREPROCESSOR_DEFAULTS } from './hf-config';
import type { BundleFile, BundleManifest, HeadSpec, VariantName } from '../model/manifest';
import { BUNDLE_FORMAT, validateManifest } from '../model/manifest';
import type { BundleSink } from './bundle-sink';
import type { TensorReader } from './tensors';
import { defaultHeads } from './heads';

export const ALL_VARIANTS: VariantName[] = ['fp32', 'fp16', 'int8', 'q4'];

/**
 * Graphs with more weight bytes than this keep them in `.data` files beside the ONNX.
 * Needed past 2 GB (protobuf's limit), and faster below it: onnxruntime-web builds a
 * ViT-L int8 encoder's session (308 MB) in about half the time from external data, as
 * it skips copying every weight out of the parsed protobuf. Small graphs stay one file.
 */
export const EXTERNAL_DATA_THRESHOLD = 64 * 1024 * 1024;
/** No external data file grows past this (ONNX tools and some file systems stop at 2 GB). */
export const MAX_DATA_FILE_BYTES = 1 << 30;

export interface ConvertProgress {
  /** What is happening, e.g. "reading weights" or "writing encoder.int8.onnx". */
  stage: string;
  /** 0..1 over the whole conversion. */
  fraction: number;
}

export interface ConvertOptions {
  variants?: VariantName[];
  name?: string;
  version?: string;
  license?: string;
  source?: string;
  heads?: HeadSpec[];
  onProgress?: (progress: ConvertProgress) => void;
  /** Turns an fp32 graph into another variant; fp32 is always the graph itself. */
  makeVariant?: (graph: OnnxGraph, variant: VariantName) => OnnxGraph;
  /** When weights go into external data, and how large one data file may grow (tests shrink these). */
  externalData?: { thresholdBytes?: number; maxFileBytes?: number };
}

/** Counts weight bytes as the graph builders read them, for a progress bar. */
function readingProgress(reader: TensorReader, report: (fraction: number) => void): TensorReader {
  const total = reader.list().reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1), 0) || 1;
  let done = 0;
  return {
    source: reader.source,
    list: () => reader.list(),
    entry: (name) => reader.entry(name),
    async readFloat32(name) {
      const data = await reader.readFloat32(name);
      done += data.length;
      report(Math.min(1, done / total));
      return data;
    },
  };
}

/** Serialises one graph into the sink, embedded or with external data files. */
async function writeGraph(
  sink: BundleSink,
  graph: OnnxGraph,
  path: string,
  limits: ConvertOptions['externalData'] = {},
): Promise<BundleFile> {
  if (graph.weightBytes <= (limits.thresholdBytes ?? EXTERNAL_DATA_THRESHOLD)) {
    return { path, ...(await sink.writeFile(path, [graph.toModelBytes()])) };
  }
  const folder = path.slice(0, path.lastIndexOf('/') + 1);
  const external = graph.toExternal(`${path.slice(folder.length)}.data`, {
    maxFileBytes: limits.maxFileBytes ?? MAX_DATA_FILE_BYTES,
  });
  const externalData = [];
  for (const file of external.files) {
    const dataPath = folder + file.name;
    externalData.push({ path: dataPath, ...(await sink.writeFile(dataPath, file.chunks)) });
  }
  const model = await sink.writeFile(path, [external.modelBytes]);
  return { path, ...model, externalData };
}

export async function convertCheckpoint(
  checkpoint: CheckpointFolder,
  sink: BundleSink,
  options: ConvertOptions = {},
): Promise<BundleManifest> {
  const variants = options.variants ?? ['fp32'];
  for (const v of variants) {
    if (!ALL_VARIANTS.includes(v))
      throw new Error(`unknown variant "${v}" (known: ${ALL_VARIANTS.join(', ')})`);
    if (v !== 'fp32' && !options.makeVariant) throw new Error(`variant "${v}" needs a quantiser`);
  }
  const { config } = checkpoint;
  const report = options.onProgress ?? (() => {});
  // Reading weights is the first half of the work, writing variants the second.
  const reader = readingProgress(checkpoint.weights, (f) =>
    report({ stage: 'reading weights', fraction: f / 2 }),
  );
  const graphs: Record<string, OnnxGraph> = {};
  switch (config.architecture) {
    case 'ViTMAEForPreTraining':
      Object.assign(graphs, await buildMaeGraphs(config, reader));
      break;
    case 'ViTForImageClassification':
      graphs.classifier = await buildClassifierGraph(config, reader);
      break;
    case 'ViTMAEModel':
    case 'ViTModel':
      graphs.features = await buildFeatureGraph(config, reader);
      break;
  }

  const files: Record<string, Partial<Record<VariantName, BundleFile>>> = {};
  const steps = Object.keys(graphs).length * variants.length;
  let step = 0;
  for (const variant of variants) {
    for (const [role, fp32] of Object.entries(graphs)) {
      const path = `${role}.${variant}.onnx`;
      report({ stage: `writing ${path}`, fraction: 0.5 + (0.5 * step++) / steps });
      const graph = variant === 'fp32' ? fp32 : options.makeVariant!(fp32, variant);
      (files[role] ??= {})[variant] = await writeGraph(sink, graph, path, options.externalData);
    }
  }

  const pre = checkpoint.preprocessor ?? VIT_PREPROCESSOR_DEFAULTS;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    name: options.name ?? 'converted model',
    version: options.version ?? '1',
    license: options.license ?? 'unknown',
    source: options.source ?? checkpoint.weightsFile,
    input: {
      imageSize: config.imageSize,
      patchSize: config.patchSize,
      channels: config.numChannels,
      mean: pre.imageMean,
      std: pre.imageStd,
      resample: pre.resample,
    },
  };
  if (files.encoder && files.decoder) {
    manifest.mae = {
      maskRatio: config.maskRatio ?? 0.75,
      normPixLoss: config.normPixLoss ?? false,
    };
    manifest.variants = Object.fromEntries(
      variants.map((v) => [v, { encoder: files.encoder[v]!, decoder: files.decoder[v]! }]),
    );
  }
  if (files.classifier) {
    const labels = checkpoint.classes ?? config.labels;
    manifest.classifier = {
      variants: files.classifier,
      heads: options.heads ?? defaultHeads(labels),
    };
  }
  if (files.features) manifest.features = { variants: files.features };
  validateManifest(manifest);
  const json = new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n');
  await sink.writeFile('model.json', [json]);
  report({ stage: 'done', fraction: 1 });
  return manifest;
}
