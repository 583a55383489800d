/**
 * Inference worker: opens a model bundle (from the on-device ModelStore or a URL folder)
 * in onnxruntime-web, WebGPU first with WASM as the fallback, and runs MAE analyses on
 * images the page sends. One call at a time; cancelling is terminating the worker.
 *
 * onnxruntime-web's default entry is the JSEP build: WebGPU and WASM execution providers
 * in one module, with a 28 MB .wasm. When WebGPU cannot be used (no adapter, or the user
 * chose WASM) the worker loads the WASM-only build instead: its 14 MB .wasm compiles in
 * about half the time, which is most of a small model's load. Both .wasm files are served
 * from the app's own origin (Vite serves them from node_modules in development and emits
 * them as assets in a build): no CDN.
 */
import * as Comlink from 'comlink';
import * as ortJsep from 'onnxruntime-web';
import ortJsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import ortWasmOnlyUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { analyzeImage, explore, passImages, type AnalysisResult } from '../src/lib/mae/analyze';
import { toModelGray8 } from '../src/lib/imaging/modality';
import { preprocessGray8, type Preprocessed } from '../src/lib/imaging/preprocess';
import type { ErrorMetric } from '../src/lib/mae/error-map';
import { mapViews } from '../src/lib/mae/map-views';
import type { InputSpec } from '../src/lib/model/manifest';
import { ModelStore } from '../src/lib/model/store';
import {
  mayUseWebGpu,
  probeGpu,
  wasmThreadCount,
  type Capabilities,
} from '../src/lib/engine/backend';
import { openBundle, type BundleReader } from '../src/lib/engine/model-files';
import { openMaeEngine } from '../src/lib/engine/open-engine';
import { startOrtRuntime } from '../src/lib/engine/ort-warm-up';
import { openClassifier, type OpenedClassifier } from '../src/lib/engine/open-classifier';
import { hasShaderF16 } from '../src/lib/engine/backend';
import { LoadTracker } from '../src/lib/engine/model-files';
import { classifyImageAndRegions, type FullGray } from '../src/lib/engine/classify-regions';
import type { HeadScore } from '../src/lib/model/heads';
import type { Rect } from '../src/lib/imaging/preprocess';
import type { OrtMaeRunner } from '../src/lib/engine/ort-runner';
import type {
  AnalyzeRequest,
  ExploreImage,
  ExploreOutput,
  ImageInput,
  PassPictures,
  PassProgress,
  WorkerAnalysis,
} from '../src/lib/engine/protocol';
import type {
  EnginePrefs,
  EngineStatus,
  GpuInfo,
  LoadProgress,
  ModelSource,
} from '../src/lib/engine/types';

/** Passes per encoder/decoder run. */
const BATCH_SIZE = 4;

interface Loaded {
  runner: OrtMaeRunner;
  classifier?: OpenedClassifier;
  status: EngineStatus;
  input: InputSpec;
  source: ModelSource;
  prefs: EnginePrefs;
}

let loaded: Loaded | undefined;
let image: { preprocessed: Preprocessed; metric: ErrorMetric; full: FullGray } | undefined;

let gpuProbe: Promise<GpuInfo> | undefined;

type OrtBuild = typeof ortJsep;
let wasmOnlyBuild: Promise<OrtBuild> | undefined;
/** WASM threads each ORT build was started with: fixed for the worker's life once it has a session. */
const ortThreads = new Map<OrtBuild, number>();
/** Each ORT build's runtime, started once (ort-warm-up.ts). */
const ortStarted = new Map<OrtBuild, Promise<void>>();
let tail: Promise<unknown> = Promise.resolve();

/** Calls run one at a time: a session runs one inference at a time. */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = tail.then(task, task);
  tail = run.catch(() => undefined);
  return run;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function capabilities(): Promise<Capabilities> {
  gpuProbe ??= probeGpu(self.navigator.gpu as GPU | undefined);
  return {
    gpu: await gpuProbe,
    crossOriginIsolated: self.crossOriginIsolated === true,
    hardwareConcurrency: self.navigator.hardwareConcurrency ?? 1,
  };
}

/** The JSEP build when WebGPU may be tried, else the smaller WASM-only build. */
async function ortFor(caps: Capabilities, prefs: EnginePrefs): Promise<OrtBuild> {
  if (mayUseWebGpu(prefs, caps)) return ortJsep;
  return (wasmOnlyBuild ??= import('onnxruntime-web/wasm') as Promise<OrtBuild>);
}

function configureOrt(ort: OrtBuild, threads: number): number {
  const started = ortThreads.get(ort);
  if (started !== undefined) return started;
  const wasmUrl = ort === ortJsep ? ortJsepWasmUrl : ortWasmOnlyUrl;
  ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href };
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  ortThreads.set(ort, threads);
  return threads;
}

/** Relative bundle URLs resolve against the app, as the page meant them. */
function absolute(source: ModelSource): ModelSource {
  const resolve = (url: string) => new URL(url, self.location.href).href;
  if (source.kind === 'url') return { kind: 'url', baseUrl: resolve(source.baseUrl) };
  return source.baseUrl ? { ...source, baseUrl: resolve(source.baseUrl) } : source;
}

async function openReader(source: ModelSource): Promise<BundleReader> {
  const store = source.kind === 'store' ? new ModelStore() : undefined;
  return openBundle(absolute(source), { store });
}

async function open(
  source: ModelSource,
  prefs: EnginePrefs,
  onProgress: LoadProgress | undefined,
  extraReason?: string,
): Promise<Loaded> {
  const caps = await capabilities();
  const ort = await ortFor(caps, prefs);
  const threads = configureOrt(ort, wasmThreadCount(caps, prefs.threads));
  // Before the model's files are read: a large model's session then builds much faster.
  if (!ortStarted.has(ort)) ortStarted.set(ort, startOrtRuntime(ort));
  await ortStarted.get(ort);
  const reader = await openReader(source);
  const opened = await openMaeEngine({
    ort,
    reader,
    caps,
    prefs,
    onProgress,
    // ORT's own warnings (e.g. shape ops placed on the CPU) are not the user's concern.
    sessionOptions: () => ({ logSeverityLevel: 3 }),
    warmupBatch: BATCH_SIZE,
  });
  const fallbackReason = [extraReason, opened.fallbackReason].filter(Boolean).join('; ');
  const classifierFiles = Object.values(reader.manifest.classifier?.variants ?? {});
  const tracker = new LoadTracker(onProgress);
  tracker.expect(classifierFiles.slice(0, 1));
  const { classifier, error: classifierError } = await openClassifier({
    ort,
    reader,
    tracker,
    backend: opened.backend,
    variant: opened.variant,
    shaderF16: hasShaderF16(caps.gpu),
    sessionOptions: () => ({ logSeverityLevel: 3 }),
  });
  const status: EngineStatus = {
    backend: opened.backend,
    threads,
    variant: opened.variant,
    ...(fallbackReason ? { fallbackReason } : {}),
    modelName: reader.manifest.name,
    modelVersion: reader.manifest.version,
    spec: opened.spec,
    maskRatio: opened.maskRatio,
    gpu: caps.gpu,
    crossOriginIsolated: caps.crossOriginIsolated,
    ...(classifier
      ? { classifier: { backend: classifier.backend, variant: classifier.variant } }
      : {}),
    ...(classifierError ? { classifierError } : {}),
  };
  return {
    runner: opened.runner,
    classifier,
    status,
    input: reader.manifest.input,
    source,
    prefs,
  };
}

async function unload(): Promise<void> {
  const old = loaded;
  loaded = undefined;
  await old?.runner.release();
  await old?.classifier?.runner.release();
}

function fullGray(input: ImageInput): FullGray {
  return 'radiograph' in input
    ? {
        gray: toModelGray8(input.radiograph),
        width: input.radiograph.width,
        height: input.radiograph.height,
      }
    : { gray: input.gray, width: input.width, height: input.height };
}

/** The whole image and `regions` of it through the loaded classifier. */
function classifyWithModel(
  classifier: OpenedClassifier,
  whole: Preprocessed,
  full: FullGray,
  regions: Rect[],
): Promise<HeadScore[][]> {
  const { runner, heads } = classifier;
  return classifyImageAndRegions(
    runner,
    heads,
    whole.pixelValues,
    full,
    regions,
    requireModel().input,
  );
}

function requireModel(): Loaded {
  if (!loaded) throw new Error('no model is loaded');
  return loaded;
}

function prepare(
  input: ImageInput,
  letterbox: boolean,
  metric: ErrorMetric,
): { pre: Preprocessed; full: FullGray } {
  const full = fullGray(input);
  const pre = preprocessGray8(full.gray, full.width, full.height, requireModel().input, {
    letterbox,
  });
  image = { preprocessed: pre, metric, full };
  return { pre, full };
}

/** Distinct buffers of some typed arrays, for Comlink.transfer. */
function buffers(arrays: ArrayBufferView[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) set.add(a.buffer);
  return [...set];
}

const api = {
  load(source: ModelSource, prefs: EnginePrefs, onProgress?: LoadProgress): Promise<EngineStatus> {
    return exclusive(async () => {
      await unload();
      image = undefined;
      const report: LoadProgress | undefined =
        onProgress && ((done, total, file) => void onProgress(done, total, file));
      loaded = await open(source, prefs, report);
      return loaded.status;
    });
  },

  analyze(
    input: ImageInput,
    options: AnalyzeRequest,
    onPass?: (progress: PassProgress) => void,
  ): Promise<WorkerAnalysis> {
    return exclusive(async () => {
      const start = performance.now();
      requireModel();
      const { pre, full } = prepare(input, options.letterbox, options.metric);
      const preprocessMs = performance.now() - start;
      const run = () =>
        analyzeImage(requireModel().runner, pre, requireModel().status.spec, {
          schedule: options.schedule,
          passes: options.passes,
          seed: options.seed,
          metric: options.metric,
          maskRatio: requireModel().status.maskRatio,
          batchSize: BATCH_SIZE,
          keepPasses: (options.keepPasses ?? options.passes) > 0,
          onPass: onPass && ((p) => void onPass(p)),
        });
      let result: AnalysisResult;
      try {
        result = await run();
      } catch (error) {
        const current = requireModel();
        if (current.status.backend !== 'webgpu') throw error;
        // WebGPU failed on a real image: go on with WASM and say why.
        const why = `WebGPU failed during the analysis (${reason(error)})`;
        await unload();
        loaded = await open(current.source, { ...current.prefs, backend: 'wasm' }, undefined, why);
        result = await run();
      }
      const spec = requireModel().status.spec;
      const keep = Math.min(options.keepPasses ?? options.passes, result.passes?.length ?? 0);
      const passes: PassPictures[] = (result.passes ?? []).slice(0, keep).map((pass) => {
        const pictures = passImages(spec, pre, pass);
        return {
          masked: pass.masked,
          reconstruction: pictures.reconstruction,
          reconstructionWithVisible: pictures.reconstructionWithVisible,
        };
      });
      const gray = pre.gray.slice();
      const { relative, roi } = mapViews(result, gray, pre.geometry, spec);
      const { classifier } = requireModel();
      const classifyStart = performance.now();
      const classification = classifier
        ? await classifyWithModel(classifier, pre, full, [roi.raw.box, roi.relative.box])
        : undefined;
      const analysis: WorkerAnalysis = {
        map: result.map,
        counts: result.counts,
        meanError: result.meanError,
        top1Error: result.top1Error,
        relativeMap: relative.map,
        roi,
        ...(classification
          ? {
              classification: {
                whole: classification[0],
                raw: classification[1],
                relative: classification[2],
              },
            }
          : {}),
        size: spec.size,
        geometry: pre.geometry,
        gray,
        passes,
        timings: {
          preprocessMs,
          encoderMs: result.timings.encoderMs,
          decoderMs: result.timings.decoderMs,
          classifyMs: classification ? performance.now() - classifyStart : 0,
          totalMs: performance.now() - start,
        },
        status: requireModel().status,
      };
      const arrays: ArrayBufferView[] = [analysis.map, analysis.counts, analysis.relativeMap, gray];
      for (const p of passes) arrays.push(p.masked, p.reconstruction, p.reconstructionWithVisible);
      return Comlink.transfer(analysis, buffers(arrays));
    });
  },

  /** The classifier on a box (image pixels) of the last analysed image. */
  classifyRegion(box: Rect, again?: ExploreImage): Promise<HeadScore[]> {
    return exclusive(async () => {
      const { classifier } = requireModel();
      if (!classifier) throw new Error('this model has no classifier');
      if (again) prepare(again.input, again.letterbox, again.metric);
      if (!image) throw new Error('no image has been analysed yet');
      const [, region] = await classifyWithModel(classifier, image.preprocessed, image.full, [box]);
      return region;
    });
  },

  explore(keptPatches: number[], again?: ExploreImage): Promise<ExploreOutput> {
    return exclusive(async () => {
      const { runner, status } = requireModel();
      if (again) prepare(again.input, again.letterbox, again.metric);
      if (!image) throw new Error('no image has been analysed yet');
      const out = await explore(runner, image.preprocessed, status.spec, keptPatches, image.metric);
      const result: ExploreOutput = {
        reconstruction: out.reconstruction,
        reconstructionWithVisible: out.reconstructionWithVisible,
        masked: out.masked,
        map: out.map,
        maskedInput: out.maskedInput,
      };
      return Comlink.transfer(
        result,
        buffers([
          result.reconstruction,
          result.reconstructionWithVisible,
          result.masked,
          result.map,
          result.maskedInput,
        ]),
      );
    });
  },

  dispose(): Promise<void> {
    return exclusive(async () => {
      image = undefined;
      await unload();
    });
  },
};

export type InferenceApi = typeof api;

// ORT starts its WASM threads from this same module (bundled into it in a build): they
// must not see comlink's message handler, or session creation hangs.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
