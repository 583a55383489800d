/**
 * `model.json`, the manifest of a model bundle (format `skelex-bundle/1`):
 * what the model is, how to preprocess for it, and every ONNX file with its
 * size and SHA-256 so a loader can verify what it fetched or cached.
 */

export const BUNDLE_FORMAT = 'skelex-bundle/1';

export interface BundleFile {
  path: string;
  sha256: string;
  bytes: number;
  /**
   * ONNX external-data files of this graph, when weights live outside it: one, or
   * several so that no file passes 2 GB. (A single object, as bundles before
   * the split wrote it, is read as a list of one.)
   */
  externalData?: { path: string; sha256: string; bytes: number }[];
}

export interface InputSpec {
  imageSize: number;
  patchSize: number;
  channels: number;
  mean: number[];
  std: number[];
  resample: 'bicubic' | 'bilinear' | 'nearest' | 'lanczos' | 'box' | 'hamming';
}

export interface HeadSpec {
  name: string;
  activation: 'softmax' | 'sigmoid';
  /** Indices into the classifier's logits. */
  outputs: number[];
  labels: string[];
}

export type VariantName = 'fp32' | 'fp16' | 'int8' | 'q4';

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  name: string;
  version: string;
  license: string;
  source: string;
  input: InputSpec;
  mae?: {
    maskRatio: number;
    normPixLoss: boolean;
    /**
     * The error map this model's owners recommend showing: 'raw' (SKELEX's
     * reconstruction error, the default when absent) or 'relative'
     * (src/lib/mae/relative-map.ts). The app and `skelex analyze` start on it.
     */
    recommendedMap?: 'raw' | 'relative';
  };
  /** The MAE's encoder and decoder graphs, per variant (present with `mae`). */
  variants?: Partial<Record<VariantName, { encoder: BundleFile; decoder: BundleFile }>>;
  classifier?: {
    variants: Partial<Record<VariantName, BundleFile>>;
    heads: HeadSpec[];
  };
  features?: {
    variants: Partial<Record<VariantName, BundleFile>>;
  };
}

const VARIANTS: VariantName[] = ['fp32', 'fp16', 'int8', 'q4'];

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The map a bundle's owners recommend: SKELEX's raw map unless the bundle says otherwise. */
export function recommendedMap(manifest: BundleManifest): 'raw' | 'relative' {
  return manifest.mae?.recommendedMap ?? 'raw';
}

/** Checks a parsed model.json; throws an Error naming the file and the field. */
export function validateManifest(value: unknown, source = 'model.json'): BundleManifest {
  const fail = (field: string, problem: string): never => {
    throw new Error(`${source}: ${field} ${problem}`);
  };
  if (!isObject(value)) fail('the manifest', 'is not a JSON object');
  const m = value as Json;
  if (m.format !== BUNDLE_FORMAT)
    fail('"format"', `is ${JSON.stringify(m.format)}, expected "${BUNDLE_FORMAT}"`);
  for (const key of ['name', 'version', 'license', 'source']) {
    if (typeof m[key] !== 'string') fail(`"${key}"`, 'must be a string');
  }
  const input = m.input;
  if (!isObject(input)) return fail('"input"', 'is missing');
  for (const key of ['imageSize', 'patchSize', 'channels']) {
    const n = input[key];
    if (!Number.isInteger(n) || (n as number) <= 0)
      fail(`"input.${key}"`, 'must be a positive integer');
  }
  if ((input.imageSize as number) % (input.patchSize as number) !== 0) {
    fail('"input.imageSize"', 'must be a multiple of input.patchSize');
  }
  for (const key of ['mean', 'std']) {
    const list = input[key];
    if (
      !Array.isArray(list) ||
      list.length !== input.channels ||
      !list.every((x) => typeof x === 'number')
    ) {
      fail(`"input.${key}"`, `must list ${input.channels} numbers`);
    }
  }
  const checkFile = (file: unknown, field: string): void => {
    if (!isObject(file)) return void fail(`"${field}"`, 'is missing');
    if (typeof file.path !== 'string' || file.path.includes('..') || file.path.startsWith('/')) {
      fail(`"${field}.path"`, 'must be a relative path inside the bundle');
    }
    if (typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256))
      fail(`"${field}.sha256"`, 'must be 64 hex digits');
    if (!Number.isInteger(file.bytes) || (file.bytes as number) < 0)
      fail(`"${field}.bytes"`, 'must be a byte count');
    if (file.externalData !== undefined) {
      if (!Array.isArray(file.externalData)) file.externalData = [file.externalData];
      const list = file.externalData as unknown[];
      if (list.length === 0) fail(`"${field}.externalData"`, 'must list at least one file');
      list.forEach((f, i) => checkFile(f, `${field}.externalData[${i}]`));
    }
  };
  const checkVariants = (variants: unknown, field: string, files: string[] | undefined): void => {
    if (!isObject(variants) || Object.keys(variants).length === 0)
      return void fail(`"${field}"`, 'must name at least one variant');
    for (const [name, variant] of Object.entries(variants)) {
      if (!VARIANTS.includes(name as VariantName))
        fail(`"${field}.${name}"`, `is not a known variant (${VARIANTS.join(', ')})`);
      if (files) for (const f of files) checkFile((variant as Json)?.[f], `${field}.${name}.${f}`);
      else checkFile(variant, `${field}.${name}`);
    }
  };
  if (m.mae !== undefined) {
    const mae = m.mae as Json;
    if (typeof mae.maskRatio !== 'number' || mae.maskRatio <= 0 || mae.maskRatio >= 1)
      fail('"mae.maskRatio"', 'must be between 0 and 1');
    if (typeof mae.normPixLoss !== 'boolean') fail('"mae.normPixLoss"', 'must be true or false');
    if (
      mae.recommendedMap !== undefined &&
      mae.recommendedMap !== 'raw' &&
      mae.recommendedMap !== 'relative'
    )
      fail('"mae.recommendedMap"', 'must be "raw" or "relative"');
    checkVariants(m.variants, 'variants', ['encoder', 'decoder']);
  }
  if (m.classifier !== undefined) {
    const classifier = m.classifier as Json;
    checkVariants(classifier.variants, 'classifier.variants', undefined);
    if (!Array.isArray(classifier.heads)) fail('"classifier.heads"', 'must be a list');
    (classifier.heads as unknown[]).forEach((head, i) => {
      const h = head as Json;
      const field = `classifier.heads[${i}]`;
      if (typeof h?.name !== 'string') fail(`"${field}.name"`, 'must be a string');
      if (h.activation !== 'softmax' && h.activation !== 'sigmoid')
        fail(`"${field}.activation"`, 'must be "softmax" or "sigmoid"');
      if (!Array.isArray(h.outputs) || !h.outputs.every((o) => Number.isInteger(o) && o >= 0))
        fail(`"${field}.outputs"`, 'must list output indices');
      if (!Array.isArray(h.labels) || h.labels.length !== (h.outputs as unknown[]).length)
        fail(`"${field}.labels"`, 'must give one label an output');
    });
  }
  if (m.features !== undefined)
    checkVariants((m.features as Json).variants, 'features.variants', undefined);
  if (m.mae === undefined && m.classifier === undefined && m.features === undefined) {
    fail('the manifest', 'holds no model: expected "mae", "classifier" or "features"');
  }
  return m as unknown as BundleManifest;
}
