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
 * WebGPU is timed only when Chromium offers a hardware adapter: headless
 * Chromium's software adapter (SwiftShader) says nothing about a GPU's speed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { chromium } from 'playwright-core';
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
import { validateManifest, type BundleManifest, type VariantName } from '../src/lib/model/manifest';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  PROJECT_ROOT,
  startDevServer,
} from '../tests/helpers/browser';
import { parseArgs } from './cli/args';
import { graphBytes } from './cli/bundle-runners';
import { writeRandomVitLargeCheckpoint } from './random-vit-large';

const parsed = parseArgs(process.argv.slice(2), ['--variants', '--runs']);
const DEMO_ONLY = parsed.flags.has('--demo-only');
const VARIANTS = (parsed.options.get('--variants') ?? 'fp32,int8,q4').split(',') as VariantName[];
const RUNS = Number(parsed.options.get('--runs') ?? 3);
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
async function convertVitLarge(large: string, scratch: string): Promise<BundleManifest> {
  process.stderr.write('writing and converting a ViT-Large-size MAE (random weights)...\n');
  writeRandomVitLargeCheckpoint(scratch);
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
  return largeManifest;
}

async function main(): Promise<void> {
  mkdirSync(path.join(PROJECT_ROOT, 'tmp'), { recursive: true });
  const served = mkdtempSync(path.join(PROJECT_ROOT, 'tmp', 'bench-browser-'));
  const scratch = mkdtempSync(path.join(tmpdir(), 'skelex-bench-browser-'));
  const server = await startDevServer();
  const profile = mkdtempSync(path.join(tmpdir(), 'skelex-chromium-'));
  try {
    const large = path.join(served, 'vit-large');
    const largeManifest = DEMO_ONLY ? undefined : await convertVitLarge(large, scratch);
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
        { url, variant, backend, source, id, imageBase64, runs: RUNS, threads: THREADS },
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
      const cached = await inPage('', best.variant, 'wasm', 'store', id);
      console.log(
        `ViT-L/16 ${best.variant} ready from the IndexedDB cache in ${cached.loadMs.toFixed(0)} ms`,
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
