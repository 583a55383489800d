/**
 * Opens a bundle's classifier, when it has one, beside the MAE: on the MAE's
 * backend with the MAE's variant when the classifier has it (else the
 * backend's preferred one), and on WASM when WebGPU fails. A classifier that
 * cannot be opened never stops the MAE: the reason is returned instead.
 */
import type { HeadSpec, VariantName } from '../model/manifest';
import { variantOrder } from './backend';
import { readGraphFile, type BundleReader, type LoadTracker } from './model-files';
import { OrtClassifierRunner } from './ort-classifier';
import type { OrtModule, SessionOptions } from './ort-runner';
import type { BackendName } from './types';

export interface OpenedClassifier {
  runner: OrtClassifierRunner;
  backend: BackendName;
  variant: VariantName;
  heads: HeadSpec[];
}

export interface OpenClassifierOptions {
  ort: OrtModule;
  reader: BundleReader;
  tracker: LoadTracker;
  /** Where the MAE runs, and with which variant. */
  backend: BackendName;
  variant: VariantName;
  shaderF16: boolean;
  sessionOptions?: (backend: BackendName) => SessionOptions;
}

/** The variant to run on `backend`: `preferred` when there, else the backend's best. */
export function classifierVariant(
  available: readonly VariantName[],
  backend: BackendName,
  preferred: VariantName,
  shaderF16: boolean,
): VariantName | undefined {
  if (available.includes(preferred)) return preferred;
  return variantOrder(backend, shaderF16).find((v) => available.includes(v)) ?? available[0];
}

export async function openClassifier(
  options: OpenClassifierOptions,
): Promise<{ classifier?: OpenedClassifier; error?: string }> {
  const { reader, ort } = options;
  const spec = reader.manifest.classifier;
  if (!spec) return {};
  const available = (Object.keys(spec.variants) as VariantName[]).filter((v) => spec.variants[v]);
  const input = { channels: reader.manifest.input.channels, size: reader.manifest.input.imageSize };
  const backends: BackendName[] = options.backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
  const failures: string[] = [];
  for (const backend of backends) {
    const variant = classifierVariant(available, backend, options.variant, options.shaderF16);
    if (!variant) break;
    try {
      const graph = await readGraphFile(reader, spec.variants[variant]!, options.tracker);
      const runner = await OrtClassifierRunner.create(ort, graph, input, {
        ...options.sessionOptions?.(backend),
        executionProviders: [backend],
      });
      return { classifier: { runner, backend, variant, heads: spec.heads } };
    } catch (error) {
      failures.push(
        `${backend} (${variant}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { error: `the classifier could not be loaded: ${failures.join('; ')}` };
}
