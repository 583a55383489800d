/** A bundle folder's MAE and classifier on onnxruntime-node, for the command line and the recipes. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  validateManifest,
  type BundleFile,
  type BundleManifest,
  type VariantName,
} from '../lib/model/manifest';
import { OrtMaeRunner, type GraphBytes } from '../lib/engine/ort-runner';
import { OrtClassifierRunner } from '../lib/engine/ort-classifier';
import { maeSpec, type MaeSpec } from '../lib/mae/error-map';

export interface BundleRunners {
  manifest: BundleManifest;
  variant: VariantName;
  spec: MaeSpec;
  mae: OrtMaeRunner;
  classifier?: OrtClassifierRunner;
  classifierVariant?: VariantName;
}

export function readManifest(bundleDir: string): BundleManifest {
  const file = path.join(bundleDir, 'model.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read the bundle's manifest (${code ?? String(error)})`, {
      cause: error,
    });
  }
  return validateManifest(JSON.parse(text), file);
}

/** A bundle file's graph for onnxruntime-node. */
export function graphBytes(bundleDir: string, file: BundleFile): GraphBytes {
  return {
    name: file.path,
    model: new Uint8Array(readFileSync(path.join(bundleDir, file.path))),
    // onnxruntime-node finds external data files beside a graph it opens by path.
    ...(file.externalData ? { file: path.resolve(bundleDir, file.path) } : {}),
  };
}

/** The MAE variant to run on the CPU when none is asked for: the most exact one there is. */
const NODE_ORDER: VariantName[] = ['fp32', 'int8', 'fp16', 'q4'];

/** The MAE variant asked for, or the most exact one the bundle has. */
export function chooseVariant(manifest: BundleManifest, requested?: string): VariantName {
  if (requested !== undefined && !NODE_ORDER.includes(requested as VariantName))
    throw new Error(`unknown variant ${requested} (known: ${NODE_ORDER.join(', ')})`);
  return (
    (requested as VariantName | undefined) ??
    NODE_ORDER.find((v) => manifest.variants?.[v]) ??
    'fp32'
  );
}

export async function openBundleRunners(
  bundleDir: string,
  requested?: VariantName,
): Promise<BundleRunners> {
  const manifest = readManifest(bundleDir);
  const variant = chooseVariant(manifest, requested);
  const graph = (file: BundleFile) => graphBytes(bundleDir, file);
  const files = manifest.variants?.[variant];
  if (!files) throw new Error(`${bundleDir}: the bundle has no ${variant} MAE variant`);
  if (!manifest.mae) throw new Error(`${bundleDir}: the bundle holds no masked autoencoder`);
  const spec = maeSpec(manifest.input, manifest.mae?.normPixLoss ?? false);
  const layout = { channels: spec.channels, size: spec.size };
  const options = { intraOpNumThreads: 2 };
  const mae = await OrtMaeRunner.create(
    ort,
    { encoder: graph(files.encoder), decoder: graph(files.decoder) },
    layout,
    options,
  );
  const variants = manifest.classifier?.variants ?? {};
  const classifierVariant = ([variant, ...NODE_ORDER] as VariantName[]).find((v) => variants[v]);
  const classifier = classifierVariant
    ? await OrtClassifierRunner.create(ort, graph(variants[classifierVariant]!), layout, options)
    : undefined;
  return { manifest, variant, spec, mae, classifier, classifierVariant };
}
