/**
 * npm run bench:browser -- [--variants fp32,int8,q4] [--runs N] [--demo-only]
 *
 * The app's engine in headless Chromium (WASM, 2 threads, cross-origin
 * isolated), beside onnxruntime-node (native CPU, 2 threads) running the same
 * ONNX files on the same image in the same run: a 4-pass complementary map of
 * RG3 per variant, for a ViT-Large-size bundle (random weights, converted here
 * by the project's converter into the ignored tmp/ folder, removed after) and
 * for the bundled demo model. Per stage: model load, preprocess, encoder,
 * decoder, whole map (median of N runs after a warm-up, once ORT's WASM is compiled), and the
 * classifier's time after the map (the whole image and the two regions of
 * interest, each cropped, preprocessed and run: the app's classification step;
 * the ViT-Large bundle carries a random 38-output int8 classifier); then the
 * best variant's load from the IndexedDB cache. The last line is one JSON object
 * for the best WASM variant at ViT-Large size.
 *
 * `--demo-only` skips the ViT-Large bundle (and its conversion, minutes).
 *
 * Beside the project's export, the same ViT-Large weights exported the ordinary way
 * (tools/ordinary-export.py: torch.onnx, then textbook dynamic int8), when Debian's
 * python3-torch and python3-onnx are installed (`--no-ordinary` skips it): both exports'
 * fp32 and int8 graphs load and run as bare ONNX Runtime Web sessions in the same worker
 * code (tools/bench-graphs.worker.ts), and the bench says how much faster ours is.
 *
 * WebGPU is timed only when Chromium offers a hardware adapter: headless
 * Chromium's software adapter (SwiftShader) says nothing about a GPU's speed.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import { chromium, type Page } from 'playwright-core';
import { openDirectoryByteSources } from '../src/lib/convert/byte-source-node';
import { FolderBundleSink } from '../src/lib/convert/bundle-sink-node';
import { openCheckpointFolder } from '../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../src/lib/convert/convert';
import { makeVariant } from '../src/lib/convert/variants';
import { classifierVariant } from '../src/lib/engine/open-classifier';
import { OrtClassifierRunner } from '../src/lib/engine/ort-classifier';
import { OrtMaeRunner } from '../src/lib/engine/ort-runner';
import { classifyImageAndRegions } from '../src/lib/engine/classify-regions';
import { toModelGray8 } from '../src/lib/imaging/modality';
import { openImage } from '../src/lib/imaging/open';
import { preprocess } from '../src/lib/imaging/preprocess';
import { analyzeImage } from '../src/lib/mae/analyze';
import { maeSpec } from '../src/lib/mae/error-map';
import { mapViews } from '../src/lib/mae/map-views';
import { batchPasses, complementaryPlan } from '../src/lib/mae/masking';
import {
  validateManifest,
  type BundleFile,
  type BundleManifest,
  type VariantName,
} from '../src/lib/model/manifest';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  PROJECT_ROOT,
  startDevServer,
} from '../tests/helpers/browser';
import { graphBytes } from '../src/cli/bundle-runners';
import type { GraphsRequest, GraphsTiming, GraphUrl } from './bench-graphs.worker';
import { writeRandomVitLargeCheckpoint } from './random-vit-large';

const { values: options } = parseArgs({
  options: {
    variants: { type: 'string', default: 'fp32,int8,q4' },
    runs: { type: 'string', default: '3' },
    'demo-only': { type: 'boolean', default: false },
    'no-ordinary': { type: 'boolean', default: false },
  },
});
const DEMO_ONLY = options['demo-only'];
const ORDINARY = !options['no-ordinary'];
/** Debian's Python, where python3-torch and python3-onnx install. */
const SYSTEM_PYTHON = '/usr/bin/python3';
const VARIANTS = options.variants.split(',') as VariantName[];
const RUNS = Number(options.runs);
const THREADS = 2;
const DATA = process.env.SKELEX_DATA ?? path.resolve(PROJECT_ROOT, '../shared/data');
const IMAGE = path.join(DATA, 'dicom', 'RG3_RLE.dcm');

interface Timing {
  loadMs: number;
  preprocessMs: number;
  encoderMs: number;
  decoderMs: number;
  totalMs: number;
  /** Whole image and both regions through the classifier; 0 without one. */
  classifyMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function medianTiming(runs: Omit<Timing, 'loadMs'>[], loadMs: number): Timing {
  return {
    loadMs,
    preprocessMs: median(runs.map((r) => r.preprocessMs)),
    encoderMs: median(runs.map((r) => r.encoderMs)),
    decoderMs: median(runs.map((r) => r.decoderMs)),
    totalMs: median(runs.map((r) => r.totalMs)),
    classifyMs: median(runs.map((r) => r.classifyMs)),
  };
}

/** The same map with onnxruntime-node on the same files. */
async function nativeTiming(
  folder: string,
  manifest: BundleManifest,
  variant: VariantName,
): Promise<Timing> {
  const files = manifest.variants![variant]!;
  const start = performance.now();
  const input = { channels: 3, size: manifest.input.imageSize };
  const options = { intraOpNumThreads: THREADS };
  const runner = await OrtMaeRunner.create(
    ortNode,
    { encoder: graphBytes(folder, files.encoder), decoder: graphBytes(folder, files.decoder) },
    input,
    options,
  );
  const loadMs = performance.now() - start;
  // The classifier variant the app picks on WASM for this MAE variant.
  const classifierFile = manifest.classifier?.variants[classifierWasmVariant(manifest, variant)];
  const classifier =
    classifierFile &&
    (await OrtClassifierRunner.create(ortNode, graphBytes(folder, classifierFile), input, options));
  const spec = maeSpec(manifest.input, manifest.mae!.normPixLoss);
  const radiograph = await openImage(IMAGE, new Uint8Array(readFileSync(IMAGE)));
  const gray = toModelGray8(radiograph);
  const runs: Omit<Timing, 'loadMs'>[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const input = preprocess(radiograph, manifest.input);
    const t1 = performance.now();
    const result = await analyzeImage(runner, input, spec, {
      schedule: 'complementary',
      passes: 4,
      seed: 1,
    });
    const t2 = performance.now();
    if (classifier) {
      const { roi } = mapViews(result, input.gray, input.geometry, spec);
      await classifyImageAndRegions(
        classifier,
        manifest.classifier!.heads,
        input.pixelValues,
        { gray, width: radiograph.width, height: radiograph.height },
        [roi.raw.box, roi.relative.box],
        manifest.input,
      );
    }
    if (i > 0) {
      runs.push({
        preprocessMs: t1 - t0,
        encoderMs: result.timings.encoderMs,
        decoderMs: result.timings.decoderMs,
        totalMs: t2 - t0,
        classifyMs: classifier ? performance.now() - t2 : 0,
      });
    }
  }
  await runner.release();
  await classifier?.release();
  return medianTiming(runs, loadMs);
}

/** What the worker opens on WASM beside this MAE variant (src/lib/engine/open-classifier.ts). */
function classifierWasmVariant(manifest: BundleManifest, variant: VariantName): VariantName {
  const available = Object.keys(manifest.classifier?.variants ?? {}) as VariantName[];
  return classifierVariant(available, 'wasm', variant, false) ?? variant;
}

/**
 * How fast this machine writes memory the first time and again: loading a model is mostly
 * writing fresh memory (reading the file, ONNX Runtime's copies), and some virtual machines
 * take far longer to hand out a fresh page than to write it, which dwarfs everything else.
 */
function freshMemoryLine(): string {
  const bytes = 512 * 1024 * 1024;
  const t0 = performance.now();
  const block = new Uint8Array(bytes).fill(1);
  const t1 = performance.now();
  block.fill(2);
  const t2 = performance.now();
  const rate = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  return `This machine writes fresh memory at ${rate(t1 - t0)} MB/s and the same memory again at ${rate(t2 - t1)} MB/s (512 MiB in Node)`;
}

/** One export's bare sessions in a fresh worker of the page (tools/bench-graphs.worker.ts). */
function graphsInPage(page: Page, request: GraphsRequest): Promise<GraphsTiming> {
  return page.evaluate(
    (request) =>
      new Promise<GraphsTiming>((resolve, reject) => {
        const worker = new Worker('/tools/bench-graphs.worker.ts', { type: 'module' });
        worker.onmessage = ({ data }: MessageEvent<GraphsTiming & { error?: string }>) => {
          worker.terminate();
          if (data.error) reject(new Error(data.error));
          else resolve(data);
        };
        worker.onerror = (event) => {
          worker.terminate();
          reject(new Error(event.message));
        };
        worker.postMessage(request);
      }),
    request,
  );
}

/** The 4-pass batch of the native and browser comparisons: RG3, complementary masks, seed 1. */
async function comparisonInputs(manifest: BundleManifest) {
  const { imageSize: size, patchSize } = manifest.input;
  const patches = (size / patchSize) ** 2;
  const plan = complementaryPlan({
    seed: 1,
    passes: 4,
    patches,
    maskRatio: manifest.mae!.maskRatio,
  });
  const ids = batchPasses(plan.passes);
  const kept = ids.keepDims[1];
  // The ordinary graph keeps the patches of lowest noise, in order: the same ones, in the same order.
  const noise = new Float32Array(4 * patches).fill(2);
  for (let b = 0; b < 4; b++) {
    for (let r = 0; r < kept; r++)
      noise[b * patches + Number(ids.idsKeep[b * kept + r])] = r / kept;
  }
  const radiograph = await openImage(IMAGE, new Uint8Array(readFileSync(IMAGE)));
  const one = preprocess(radiograph, manifest.input).pixelValues;
  const pixelValues = new Float32Array(one.length * 4);
  for (let b = 0; b < 4; b++) pixelValues.set(one, b * one.length);
  return { size, patches, kept, ids, noise, pixelValues };
}

/**
 * The project's ViT-L export against the ordinary one of the same weights, as bare
 * sessions: onnxruntime-node, then ONNX Runtime Web in the page, each export loaded by
 * URL into a fresh worker and run on the same 4-pass batch.
 */
async function compareWithOrdinary(
  page: Page,
  largeFolder: string,
  largeUrl: string,
  ordinaryFolder: string,
  ordinaryUrl: string,
): Promise<void> {
  const manifest = validateManifest(
    JSON.parse(readFileSync(path.join(largeFolder, 'model.json'), 'utf8')),
  );
  const inputs = await comparisonInputs(manifest);
  const batch = { size: inputs.size, batch: 4 };
  console.log(
    `Same ViT-L/16 weights, two exports, as bare ONNX Runtime sessions: WASM ${THREADS} threads in a fresh worker (load = fetch + sessions), onnxruntime-node ${THREADS} threads; 4 passes in one run, median of ${RUNS}`,
  );
  console.log(
    '| export | variant | files MB | load ms, WASM | 4 passes ms, WASM | 4 passes ms, native |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  const summary: string[] = [];
  for (const variant of VARIANTS.filter((v) => v === 'fp32' || v === 'int8')) {
    const ordinaryFile = path.join(ordinaryFolder, `mae.${variant}.onnx`);
    const files = manifest.variants?.[variant];
    if (!files || !existsSync(ordinaryFile)) continue;
    const graphUrl = (f: BundleFile): GraphUrl => ({
      url: largeUrl + f.path,
      ...(f.externalData
        ? {
            externalData: f.externalData.map((d) => ({
              path: d.path.slice(d.path.lastIndexOf('/') + 1),
              url: largeUrl + d.path,
            })),
          }
        : {}),
    });
    const ourBytes = [files.encoder, files.decoder]
      .flatMap((g) => [g, ...(g.externalData ?? [])])
      .reduce((sum, f) => sum + f.bytes, 0);
    const common = {
      threads: THREADS,
      runs: RUNS,
      ...batch,
      pixelValues: Array.from(inputs.pixelValues),
      idsKeep: Array.from(inputs.ids.idsKeep, Number),
      idsRestore: Array.from(inputs.ids.idsRestore, Number),
      noise: Array.from(inputs.noise),
    };
    const exports: {
      name: string;
      bytes: number;
      request: GraphsRequest;
      native: () => Promise<NativeRun>;
    }[] = [
      {
        name: 'ordinary (torch.onnx + dynamic int8)',
        bytes: statSync(ordinaryFile).size,
        request: {
          ...common,
          kind: 'ordinary',
          graphs: [{ url: `${ordinaryUrl}mae.${variant}.onnx` }],
        },
        native: () => nativeOrdinary(ordinaryFile, inputs),
      },
      {
        name: 'skelex convert',
        bytes: ourBytes,
        request: {
          ...common,
          kind: 'skelex',
          graphs: [graphUrl(files.encoder), graphUrl(files.decoder)],
        },
        native: () => nativeSkelex(largeFolder, files, inputs),
      },
    ];
    const results = [];
    for (const e of exports) {
      const native = await e.native();
      const wasm = await graphsInPage(page, e.request).catch((error: Error) => error);
      results.push({ wasm, native });
      const f = (v: number) => v.toFixed(0);
      console.log(
        wasm instanceof Error
          ? `| ${e.name} | ${variant} | ${f(e.bytes / 1e6)} | failed: ${wasm.message} | | ${f(native.ms)} |`
          : `| ${e.name} | ${variant} | ${f(e.bytes / 1e6)} | ${f(wasm.loadMs)} | ${f(median(wasm.runMs))} | ${f(native.ms)} |`,
      );
    }
    const [theirs, ours] = results;
    // Same weights, so the same logits (int8 within its rounding): the comparison is fair.
    let differs = 0;
    for (let i = 0; i < ours.native.logits.length; i++) {
      differs = Math.max(differs, Math.abs(ours.native.logits[i] - theirs.native.logits[i]));
    }
    console.log(
      `${variant}: the two exports' logits (native) differ by at most ${differs.toExponential(1)}`,
    );
    if (!(theirs.wasm instanceof Error) && !(ours.wasm instanceof Error)) {
      const x = (a: number, b: number) => (a / b).toFixed(2);
      summary.push(
        `${variant}: skelex's export runs the 4 passes ${x(median(theirs.wasm.runMs), median(ours.wasm.runMs))}x as fast in WASM (${x(theirs.native.ms, ours.native.ms)}x native) and loads ${x(theirs.wasm.loadMs, ours.wasm.loadMs)}x as fast as the ordinary export`,
      );
    }
  }
  for (const line of summary) console.log(line);
}

type ComparisonInputs = Awaited<ReturnType<typeof comparisonInputs>>;

/** Median time of `RUNS` runs after one more, and the logits [4, N, P*P*C] of the last. */
interface NativeRun {
  ms: number;
  logits: Float32Array;
}

async function medianRuns(run: () => Promise<Float32Array>): Promise<NativeRun> {
  let logits = await run();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    logits = await run();
    times.push(performance.now() - t);
  }
  return { ms: median(times), logits };
}

/** The ordinary export's 4 passes on onnxruntime-node. */
async function nativeOrdinary(file: string, inputs: ComparisonInputs): Promise<NativeRun> {
  const session = await ortNode.InferenceSession.create(file, { intraOpNumThreads: THREADS });
  try {
    const feeds = {
      pixel_values: new ortNode.Tensor('float32', inputs.pixelValues, [
        4,
        3,
        inputs.size,
        inputs.size,
      ]),
      noise: new ortNode.Tensor('float32', inputs.noise, [4, inputs.patches]),
    };
    return await medianRuns(async () => (await session.run(feeds)).logits.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The project's export's 4 passes on onnxruntime-node. */
async function nativeSkelex(
  folder: string,
  files: { encoder: BundleFile; decoder: BundleFile },
  inputs: ComparisonInputs,
): Promise<NativeRun> {
  const runner = await OrtMaeRunner.create(
    ortNode,
    { encoder: graphBytes(folder, files.encoder), decoder: graphBytes(folder, files.decoder) },
    { channels: 3, size: inputs.size },
    { intraOpNumThreads: THREADS },
  );
  try {
    return await medianRuns(async () => {
      const { latent, dims } = await runner.encode(
        inputs.pixelValues,
        4,
        inputs.ids.idsKeep,
        inputs.kept,
      );
      return runner.decode(latent, dims, inputs.ids.idsRestore, 4);
    });
  } finally {
    await runner.release();
  }
}

const HOOKS = `
import * as client from '/src/ui/engine/engine-client.ts';
import * as store from '/src/lib/model/store.ts';
import { openImage } from '/src/lib/imaging/open.ts';
window.__bench = { client, store, openImage };
`;

declare global {
  interface Window {
    __bench: {
      client: typeof import('../src/ui/engine/engine-client');
      store: typeof import('../src/lib/model/store');
      openImage: typeof import('../src/lib/imaging/open').openImage;
    };
  }
}

/** A ViT-L/16 MAE (random weights) with a random 38-output int8 classifier, converted into `large`. */
async function convertVitLarge(
  large: string,
  scratch: string,
  ordinary: string,
): Promise<{ manifest: BundleManifest; ordinaryNote?: string }> {
  process.stderr.write('writing and converting a ViT-Large-size MAE (random weights)...\n');
  writeRandomVitLargeCheckpoint(scratch);
  const ordinaryNote = ORDINARY ? ordinaryExport(scratch, ordinary) : 'skipped (--no-ordinary)';
  const listing = await openDirectoryByteSources(scratch);
  const sink = await FolderBundleSink.create(large);
  const maeManifest = await convertCheckpoint(
    await openCheckpointFolder(listing.files, scratch),
    sink,
    {
      variants: VARIANTS,
      makeVariant,
      name: 'ViT-L/16 MAE (random)',
    },
  );
  await listing.close();
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch);
  // A 38-output classifier on the same encoder size, int8 only: an fp32 copy
  // beside the fp32 MAE would crowd WASM's 4 GB.
  process.stderr.write('writing and converting a ViT-Large-size classifier (random weights)...\n');
  writeRandomVitLargeCheckpoint(scratch, { classifierLabels: 38 });
  const classifierListing = await openDirectoryByteSources(scratch);
  const classifierManifest = await convertCheckpoint(
    await openCheckpointFolder(classifierListing.files, scratch),
    sink,
    { variants: ['int8'], makeVariant },
  );
  await classifierListing.close();
  const largeManifest = validateManifest({
    ...maeManifest,
    classifier: classifierManifest.classifier,
  });
  await sink.writeFile('model.json', [
    new TextEncoder().encode(JSON.stringify(largeManifest, null, 2) + '\n'),
  ]);
  await sink.commit();
  rmSync(scratch, { recursive: true, force: true });
  return { manifest: largeManifest, ...(ordinaryNote ? { ordinaryNote } : {}) };
}

/** The ordinary export of the checkpoint in `scratch` into `out`; a note when it cannot run. */
function ordinaryExport(scratch: string, out: string): string | undefined {
  const check = spawnSync(SYSTEM_PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  if (check.status !== 0) {
    return `not run: ${SYSTEM_PYTHON} needs PyTorch and ONNX (apt-get install python3-torch python3-onnx)`;
  }
  process.stderr.write('exporting the same weights the ordinary way (torch.onnx)...\n');
  const run = spawnSync(
    SYSTEM_PYTHON,
    [path.join(PROJECT_ROOT, 'tools/ordinary-export.py'), scratch, out],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (run.status !== 0) {
    const last = run.stderr.trim().split('\n').at(-1);
    return `failed: tools/ordinary-export.py exited with ${run.status} (${last})`;
  }
  return undefined;
}

async function main(): Promise<void> {
  mkdirSync(path.join(PROJECT_ROOT, 'tmp'), { recursive: true });
  const served = mkdtempSync(path.join(PROJECT_ROOT, 'tmp', 'bench-browser-'));
  const scratch = mkdtempSync(path.join(tmpdir(), 'skelex-bench-browser-'));
  const server = await startDevServer();
  const profile = mkdtempSync(path.join(tmpdir(), 'skelex-chromium-'));
  try {
    const large = path.join(served, 'vit-large');
    const ordinary = path.join(served, 'ordinary');
    const converted = DEMO_ONLY ? undefined : await convertVitLarge(large, scratch, ordinary);
    const largeManifest = converted?.manifest;
    writeFileSync(path.join(served, 'page.html'), '<!doctype html><title>bench</title>');

    const demoFolder = path.join(PROJECT_ROOT, 'models/demo');
    const demoManifest = validateManifest(
      JSON.parse(readFileSync(path.join(demoFolder, 'model.json'), 'utf8')),
    );
    const models = [
      ...(largeManifest
        ? [
            {
              name: 'ViT-L/16',
              folder: large,
              url: `/tmp/${path.basename(served)}/vit-large/`,
              manifest: largeManifest,
            },
          ]
        : []),
      { name: demoManifest.name, folder: demoFolder, url: '/models/demo/', manifest: demoManifest },
    ];

    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}tmp/${path.basename(served)}/page.html`);
    await page.addScriptTag({ type: 'module', content: HOOKS });
    await page.waitForFunction(() => window.__bench !== undefined);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    const adapter = await page.evaluate(async () => {
      const gpu = (
        navigator as Navigator & {
          gpu?: {
            requestAdapter(): Promise<{
              info?: { vendor?: string; architecture?: string; description?: string };
            } | null>;
          };
        }
      ).gpu;
      const a = await gpu?.requestAdapter();
      return a
        ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''} ${a.info?.description ?? ''}`.trim()
        : '';
    });
    const software = !adapter || /swiftshader|llvmpipe|software/i.test(adapter);
    const imageBase64 = readFileSync(IMAGE).toString('base64');

    const inPage = (
      url: string,
      variant: VariantName,
      backend: 'wasm' | 'webgpu',
      source: 'url' | 'store',
      id = '',
      runs = RUNS,
    ) =>
      page.evaluate(
        async ({ url, variant, backend, source, id, imageBase64, runs, threads }) => {
          const b = window.__bench;
          const bytes = Uint8Array.from(atob(imageBase64), (c) => c.charCodeAt(0));
          const radiograph = await b.openImage('RG3_RLE.dcm', bytes);
          const client = new b.client.EngineClient();
          try {
            const t0 = performance.now();
            const status = await client.load(
              source === 'url' ? { kind: 'url', baseUrl: url } : { kind: 'store', id },
              { backend, variant, threads },
            );
            const loadMs = performance.now() - t0;
            const timings = [];
            for (let i = 0; i <= runs; i++) {
              const a = await client.analyze(radiograph, {
                schedule: 'complementary',
                passes: 4,
                seed: 1,
                metric: 'l2',
                letterbox: false,
                keepPasses: 0,
              });
              // The map alone, as onnxruntime-node's figure: the classifier's runs are left out.
              if (i > 0)
                timings.push({ ...a.timings, totalMs: a.timings.totalMs - a.timings.classifyMs });
            }
            return {
              loadMs,
              timings,
              backend: status.backend,
              variant: status.variant,
              classifier: status.classifier
                ? `${status.classifier.variant} (${status.classifier.backend})`
                : 'none',
              threads: status.threads,
            };
          } finally {
            client.dispose();
          }
        },
        { url, variant, backend, source, id, imageBase64, runs, threads: THREADS },
      );

    console.log(
      `4-pass complementary map of RG3_RLE (1760x1760), median of ${RUNS} after a warm-up; Chromium ${isolated ? 'cross-origin isolated' : 'NOT isolated'}, WASM ${THREADS} threads; onnxruntime-node ${THREADS} threads`,
    );
    console.log(
      software
        ? `WebGPU: not timed (${adapter ? `software adapter: ${adapter}` : 'no adapter'})`
        : `WebGPU adapter: ${adapter}`,
    );
    console.log(
      '| model | backend | variant | load ms | preprocess ms | encoder ms | decoder ms | map ms | native map ms | ratio | classifier | classify ms | native classify ms |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    // A throwaway load and run first: V8 compiles ORT's WASM in the background at first use,
    // which slows whichever variant comes first by half. The table is the steady state.
    await inPage(
      '/models/demo/',
      Object.keys(demoManifest.variants ?? {})[0] as VariantName,
      'wasm',
      'url',
    );
    const rows: { model: string; variant: VariantName; wasm: number; native: number }[] = [];
    for (const model of models) {
      for (const variant of Object.keys(model.manifest.variants ?? {}) as VariantName[]) {
        const native = await nativeTiming(model.folder, model.manifest, variant);
        const backends: ('wasm' | 'webgpu')[] = software ? ['wasm'] : ['wasm', 'webgpu'];
        for (const backend of backends) {
          const out = await inPage(model.url, variant, backend, 'url');
          const t = medianTiming(out.timings, out.loadMs);
          const f = (v: number) => v.toFixed(0);
          console.log(
            `| ${model.name} | ${out.backend} ${out.threads}t | ${out.variant} | ${f(t.loadMs)} | ${f(t.preprocessMs)} | ${f(t.encoderMs)} | ${f(t.decoderMs)} | ${f(t.totalMs)} | ${f(native.totalMs)} | ${(t.totalMs / native.totalMs).toFixed(2)} | ${out.classifier} | ${f(t.classifyMs)} | ${f(native.classifyMs)} |`,
          );
          if (backend === 'wasm')
            rows.push({ model: model.name, variant, wasm: t.totalMs, native: native.totalMs });
        }
      }
    }

    if (converted?.ordinaryNote) console.log(`Ordinary export: ${converted.ordinaryNote}`);
    else if (converted) {
      await compareWithOrdinary(
        page,
        large,
        models[0].url,
        ordinary,
        `/tmp/${path.basename(served)}/ordinary/`,
      );
    }

    // The best ViT-L variant, loaded from the IndexedDB cache (as on a second visit).
    const best = rows.filter((r) => r.model === 'ViT-L/16').sort((a, b) => a.wasm - b.wasm)[0];
    if (best) {
      const id = await page.evaluate(
        async ({ url, variant }) => {
          const b = window.__bench;
          const manifest = await (await fetch(`${url}model.json`)).json();
          const files = manifest.variants[variant];
          const only = { ...manifest, variants: { [variant]: files }, classifier: undefined };
          const blobs = new Map();
          for (const g of [files.encoder, files.decoder])
            for (const f of [g, ...(g.externalData ?? [])])
              blobs.set(f.path, await (await fetch(url + f.path)).blob());
          return (await new b.store.ModelStore().saveBundle(only, blobs)).id;
        },
        { url: models[0].url, variant: best.variant },
      );
      // Each load in a fresh worker, as on a new visit; one analysis each.
      const loads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        loads.push((await inPage('', best.variant, 'wasm', 'store', id, 0)).loadMs);
      }
      console.log(freshMemoryLine());
      console.log(
        `ViT-L/16 ${best.variant} ready from the IndexedDB cache in ${median(loads).toFixed(0)} ms (median of ${RUNS} loads, each in a fresh worker: ${loads.map((ms) => ms.toFixed(0)).join(', ')})`,
      );
    }
    await context.close();
    if (best)
      console.log(
        JSON.stringify({
          model: 'ViT-L/16 MAE (random weights)',
          variant: best.variant,
          wasm_ms: Math.round(best.wasm),
          native_ms: Math.round(best.native),
          ratio: Number((best.wasm / best.native).toFixed(2)),
        }),
      );
  } finally {
    await server.close();
    for (const dir of [served, scratch, profile]) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
