/**
 * Opens a bundle's MAE on the best backend this device offers: tries the attempts
 * `planBackends` lists in order (WebGPU first when allowed, WASM last), and falls back
 * to the next when a session fails to build or its first run fails or returns nothing
 * useful, keeping every reason for the user.
 */
import { maeSpec, type MaeSpec } from '../mae/error-map';
import { batchPasses, randomPlan } from '../mae/masking';
import { patchCount } from '../mae/patches';
import type { VariantName } from '../model/manifest';
import { planBackends, type Capabilities } from './backend';
import { LoadTracker, readVariantGraphs, variantFiles, type BundleReader } from './model-files';
import { OrtMaeRunner, type GraphBytes, type OrtModule, type SessionOptions } from './ort-runner';
import type { BackendName, EnginePrefs, LoadProgress } from './types';

export interface OpenEngineOptions {
  ort: OrtModule;
  reader: BundleReader;
  caps: Capabilities;
  prefs: EnginePrefs;
  onProgress?: LoadProgress;
  /** Further session options for a backend (the execution provider is set here). */
  sessionOptions?: (backend: BackendName) => SessionOptions;
  /** Run one pass before accepting a backend: 'webgpu' (default), 'always' or 'never'. */
  smokeTest?: 'webgpu' | 'always' | 'never';
  /**
   * Passes in that first run (default 1): the batch size analyses use, so the shapes it
   * prepares (WebGPU compiles shaders per shape) are the ones used next.
   */
  warmupBatch?: number;
}

export interface OpenedEngine {
  runner: OrtMaeRunner;
  backend: BackendName;
  variant: VariantName;
  /** Why the preferred backend or variant is not the one in use. */
  fallbackReason?: string;
  spec: MaeSpec;
  maskRatio: number;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One pass on a blank image: the outputs must be finite and not all zero (a WebGPU
 * backend without shader-f16 support returns zeros for fp16 graphs without an error).
 */
export async function smokeTest(
  runner: OrtMaeRunner,
  spec: MaeSpec,
  maskRatio: number,
  batch = 1,
): Promise<void> {
  const pixels = new Float32Array(batch * spec.channels * spec.size * spec.size);
  const plan = randomPlan({ seed: 1, passes: batch, patches: patchCount(spec), maskRatio });
  const ids = batchPasses(plan.passes);
  const { latent, dims } = await runner.encode(pixels, batch, ids.idsKeep, plan.kept);
  const logits = await runner.decode(latent, dims, ids.idsRestore, batch);
  let nonZero = false;
  for (const output of [latent, logits]) {
    for (let i = 0; i < output.length; i++) {
      const v = output[i];
      if (!Number.isFinite(v)) throw new Error('the first run gave values that are not numbers');
      if (v !== 0) nonZero = true;
    }
  }
  if (!nonZero) throw new Error('the first run gave only zeros');
}

export async function openMaeEngine(options: OpenEngineOptions): Promise<OpenedEngine> {
  const { ort, reader, caps, prefs } = options;
  const { manifest } = reader;
  if (!manifest.mae || !manifest.variants) {
    throw new Error(`${manifest.name} is not a masked autoencoder (model.json has no "mae")`);
  }
  const spec = maeSpec(manifest.input, manifest.mae.normPixLoss);
  const maskRatio = manifest.mae.maskRatio;
  const available = (Object.keys(manifest.variants) as VariantName[]).filter(
    (v) => manifest.variants?.[v],
  );
  const plan = planBackends(prefs, caps, available);
  const tracker = new LoadTracker(options.onProgress);
  const expected = new Set<VariantName>();
  const graphs = new Map<VariantName, { encoder: GraphBytes; decoder: GraphBytes }>();
  const failures: string[] = [];
  const smoke = options.smokeTest ?? 'webgpu';

  for (const { backend, variant } of plan.attempts) {
    if (!expected.has(variant)) {
      expected.add(variant);
      tracker.expect(variantFiles(manifest, variant));
    }
    let bytes = graphs.get(variant);
    if (!bytes) {
      // A file that cannot be read is no backend's fault: no fallback for it.
      bytes = await readVariantGraphs(reader, variant, tracker);
      graphs.set(variant, bytes);
    }
    let runner: OrtMaeRunner | undefined;
    try {
      runner = await OrtMaeRunner.create(
        ort,
        bytes,
        { channels: spec.channels, size: spec.size },
        { ...options.sessionOptions?.(backend), executionProviders: [backend] },
      );
      if (smoke === 'always' || (smoke === 'webgpu' && backend === 'webgpu')) {
        await smokeTest(runner, spec, maskRatio, options.warmupBatch);
      }
    } catch (error) {
      await runner?.release();
      failures.push(`${backend === 'webgpu' ? 'WebGPU' : 'WASM'} (${variant}): ${reason(error)}`);
      continue;
    }
    const notes = [...plan.notes, ...failures];
    return {
      runner,
      backend,
      variant,
      ...(notes.length > 0 ? { fallbackReason: notes.join('; ') } : {}),
      spec,
      maskRatio,
    };
  }
  throw new Error(`${manifest.name} could not be loaded: ${failures.join('; ')}`);
}
