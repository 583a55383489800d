/**
 * One image through the MAE, pass by pass: a masking plan, the encoder and decoder run
 * in batches of passes through a `MaeRunner` (onnxruntime-web in the worker,
 * onnxruntime-node in the CLI, a stand-in in tests), and the error map accumulated
 * with SKELEX's semantics (see error-map.ts). DOM-free.
 */
import {
  ErrorMapAccumulator,
  maskedInput,
  reconstruction,
  type ErrorMetric,
  type MaeSpec,
} from './error-map';
import {
  batchPasses,
  complementaryPlan,
  customPlan,
  randomPlan,
  type MaskPass,
  type MaskPlan,
} from './masking';
import { patchCount, patchLength } from './patches';
import { meanError, topPercentMean } from './scores';

/** Runs the exported encoder and decoder graphs (see DESIGN.md, "Model bundle"). */
export interface MaeRunner {
  /**
   * encoder(pixel_values [B,C,S,S], ids_keep [B,K]) -> latent [B,K+1,D].
   * `pixelValues` holds the image B times.
   */
  encode(
    pixelValues: Float32Array,
    batch: number,
    idsKeep: BigInt64Array,
    kept: number,
  ): Promise<{ latent: Float32Array; dims: number[] }>;
  /** decoder(latent [B,K+1,D], ids_restore [B,N]) -> logits [B,N,P*P*C]. */
  decode(
    latent: Float32Array,
    dims: number[],
    idsRestore: BigInt64Array,
    batch: number,
  ): Promise<Float32Array>;
}

export type MaskSchedule = 'random' | 'complementary';

/** Passes each schedule starts with: 4 complementary passes mask every patch 3 times; SKELEX uses 10 random ones. */
export const DEFAULT_PASSES: Record<MaskSchedule, number> = { complementary: 4, random: 10 };

export interface PassProgress {
  /** Passes finished so far. */
  done: number;
  total: number;
  /** Encoder and decoder time so far, summed over finished passes, in ms. */
  encoderMs: number;
  decoderMs: number;
}

export interface AnalyzeOptions {
  schedule: MaskSchedule;
  passes: number;
  seed: number;
  /** 'l2' (SKELEX, default) or 'l1'. */
  metric?: ErrorMetric;
  /** Share of patches masked in each pass (the bundle's `mae.maskRatio`); default 0.75. */
  maskRatio?: number;
  /** Passes per encoder/decoder run; default 4. */
  batchSize?: number;
  /** Return each pass's mask and logits (for reconstructions). */
  keepPasses?: boolean;
  /** Checked before and after every batch: aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  onPass?: (progress: PassProgress) => void;
}

export const DEFAULT_BATCH_SIZE = 4;
export const DEFAULT_MASK_RATIO = 0.75;

export interface PassOutput {
  /** 1 where the patch was masked [N]. */
  masked: Uint8Array;
  /** The decoder's predictions [N, P*P*C]. */
  logits: Float32Array;
}

export interface AnalysisTimings {
  encoderMs: number;
  decoderMs: number;
  totalMs: number;
}

export interface AnalysisResult {
  /** S x S, row-major: mean error over the passes that masked each pixel. */
  map: Float32Array;
  /** S x S: passes that masked each pixel. */
  counts: Uint16Array;
  /** Mean of the map over measured pixels. */
  meanError: number;
  /** Mean of the highest 1 % of measured pixels. */
  top1Error: number;
  passes?: PassOutput[];
  timings: AnalysisTimings;
}

/** The model input; a `Preprocessed` fits. */
export interface ModelInput {
  /** Normalised [1, C, S, S]. */
  pixelValues: Float32Array;
}

function checkInput(spec: MaeSpec, input: ModelInput): void {
  const values = spec.channels * spec.size * spec.size;
  if (input.pixelValues.length !== values) {
    throw new Error(
      `analyze: expected ${values} pixel values [1,${spec.channels},${spec.size},${spec.size}], got ${input.pixelValues.length}`,
    );
  }
}

/** The image repeated `batch` times: [B, C, S, S]. */
function repeated(pixelValues: Float32Array, batch: number): Float32Array {
  if (batch === 1) return pixelValues;
  const out = new Float32Array(pixelValues.length * batch);
  for (let b = 0; b < batch; b++) out.set(pixelValues, b * pixelValues.length);
  return out;
}

function checkLogits(spec: MaeSpec, logits: Float32Array, batch: number): void {
  const expected = batch * patchCount(spec) * patchLength(spec);
  if (logits.length !== expected) {
    throw new Error(
      `the decoder returned ${logits.length} values where ${expected} ([${batch},${patchCount(spec)},${patchLength(spec)}]) were expected`,
    );
  }
}

/** The plan `analyzeImage` follows for these options. */
export function planFor(spec: MaeSpec, options: AnalyzeOptions): MaskPlan {
  if (options.schedule !== 'complementary' && options.schedule !== 'random') {
    throw new Error(`analyze: unknown schedule "${String(options.schedule)}"`);
  }
  const plan = options.schedule === 'complementary' ? complementaryPlan : randomPlan;
  return plan({
    seed: options.seed,
    passes: options.passes,
    patches: patchCount(spec),
    maskRatio: options.maskRatio ?? DEFAULT_MASK_RATIO,
  });
}

interface BatchOutput {
  logits: Float32Array;
  encoderMs: number;
  decoderMs: number;
}

async function runBatch(
  runner: MaeRunner,
  spec: MaeSpec,
  pixels: Float32Array,
  passes: readonly MaskPass[],
): Promise<BatchOutput> {
  const batch = passes.length;
  const ids = batchPasses(passes);
  const t0 = performance.now();
  const { latent, dims } = await runner.encode(pixels, batch, ids.idsKeep, ids.keepDims[1]);
  const t1 = performance.now();
  const logits = await runner.decode(latent, dims, ids.idsRestore, batch);
  const t2 = performance.now();
  checkLogits(spec, logits, batch);
  return { logits, encoderMs: t1 - t0, decoderMs: t2 - t1 };
}

/**
 * The reconstruction-error map of one image over `options.passes` masked passes.
 * The same seed, schedule and pass count always give the same map, whatever the batch size.
 */
export async function analyzeImage(
  runner: MaeRunner,
  input: ModelInput,
  spec: MaeSpec,
  options: AnalyzeOptions,
): Promise<AnalysisResult> {
  const start = performance.now();
  checkInput(spec, input);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error('analyze: batchSize must be a whole number of at least 1');
  }
  const { signal } = options;
  signal?.throwIfAborted();
  const plan = planFor(spec, options);
  const total = plan.passes.length;
  const accumulator = new ErrorMapAccumulator({ ...spec, metric: options.metric ?? 'l2' });
  const kept: PassOutput[] | undefined = options.keepPasses ? [] : undefined;
  const perPass = patchCount(spec) * patchLength(spec);
  const batches = new Map<number, Float32Array>();
  let encoderMs = 0;
  let decoderMs = 0;

  for (let first = 0; first < total; first += batchSize) {
    signal?.throwIfAborted();
    const passes = plan.passes.slice(first, first + batchSize);
    const batch = passes.length;
    let pixels = batches.get(batch);
    if (!pixels) {
      pixels = repeated(input.pixelValues, batch);
      batches.set(batch, pixels);
    }
    const out = await runBatch(runner, spec, pixels, passes);
    signal?.throwIfAborted();
    encoderMs += out.encoderMs;
    decoderMs += out.decoderMs;
    passes.forEach((pass, b) => {
      const logits = out.logits.subarray(b * perPass, (b + 1) * perPass);
      accumulator.add(input.pixelValues, logits, pass.masked);
      kept?.push({ masked: pass.masked, logits: logits.slice() });
    });
    options.onPass?.({ done: first + batch, total, encoderMs, decoderMs });
  }

  const { map, counts } = accumulator.result();
  return {
    map,
    counts,
    meanError: meanError(map, counts),
    top1Error: topPercentMean(map, counts, 1),
    ...(kept ? { passes: kept } : {}),
    timings: { encoderMs, decoderMs, totalMs: performance.now() - start },
  };
}

/** One pass's pictures, [C, S, S] in [0, 1]. */
export interface PassImages {
  /** The decoder's output on every patch. */
  reconstruction: Float32Array;
  /** The input on kept patches, the reconstruction on masked ones. */
  reconstructionWithVisible: Float32Array;
  /** The input with masked patches blanked (channel mean). */
  maskedInput: Float32Array;
}

/** Reconstruction, reconstruction + visible and masked input of one pass. */
export function passImages(spec: MaeSpec, input: ModelInput, pass: PassOutput): PassImages {
  const { pixelValues } = input;
  return {
    reconstruction: reconstruction(spec, pixelValues, pass.logits, pass.masked),
    reconstructionWithVisible: reconstruction(spec, pixelValues, pass.logits, pass.masked, {
      pasteVisible: true,
    }),
    maskedInput: maskedInput(spec, pixelValues, pass.masked),
  };
}

export interface ExploreResult extends PassOutput, PassImages {
  /** The pass's error map (S x S; 0 on kept patches) and the pixels it measured. */
  map: Float32Array;
  counts: Uint16Array;
  timings: AnalysisTimings;
}

/**
 * One pass with a mask the user chose: the encoder sees `keptPatches` (any number from
 * 1 to N; the exported encoder's K is dynamic), the decoder fills in the rest.
 */
export async function explore(
  runner: MaeRunner,
  input: ModelInput,
  spec: MaeSpec,
  keptPatches: readonly number[],
  metric: ErrorMetric = 'l2',
): Promise<ExploreResult> {
  const start = performance.now();
  checkInput(spec, input);
  const plan = customPlan(keptPatches, patchCount(spec));
  const pass = plan.passes[0];
  const out = await runBatch(runner, spec, input.pixelValues, [pass]);
  const accumulator = new ErrorMapAccumulator({ ...spec, metric });
  accumulator.add(input.pixelValues, out.logits, pass.masked);
  const { map, counts } = accumulator.result();
  const output: PassOutput = { masked: pass.masked, logits: out.logits };
  return {
    ...output,
    ...passImages(spec, input, output),
    map,
    counts,
    timings: {
      encoderMs: out.encoderMs,
      decoderMs: out.decoderMs,
      totalMs: performance.now() - start,
    },
  };
}
