/**
 * The inference engine in headless Chromium: a small random MAE converted in Node, saved
 * in the page's ModelStore (or served as a bundle folder), loaded by EngineClient in the
 * inference worker, and its analyses compared with the same analysis run in Node on
 * onnxruntime-node. WASM must run with threads (the dev server sends COOP/COEP); WebGPU
 * (SwiftShader, with --enable-unsafe-webgpu) must either match or fall back with a reason;
 * no request may leave the origin.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBundleSink } from '../../src/lib/convert/bundle-sink';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../../src/lib/convert/convert';
import { makeVariant } from '../../src/lib/convert/variants';
import { preprocess } from '../../src/lib/imaging/preprocess';
import type { Radiograph } from '../../src/lib/imaging/radiograph';
import { analyzeImage, explore, type AnalyzeOptions } from '../../src/lib/mae/analyze';
import { maeSpec, type MaeSpec } from '../../src/lib/mae/error-map';
import { OrtMaeRunner } from '../../src/lib/engine/ort-runner';
import type { BundleManifest } from '../../src/lib/model/manifest';
import type { EngineClient, EngineStatus } from '../../src/ui/engine/engine-client';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  PROJECT_ROOT,
  startDevServer,
  type DevServer,
} from '../helpers/browser';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import { randomMaeWeights, type HfVitConfig, SMALL_MAE_CONFIG } from '../helpers/reference-vit';

type StoreModule = typeof import('../../src/lib/model/store');
type ClientModule = typeof import('../../src/ui/engine/engine-client');

/** What the test page exposes as `window.__e`. */
interface Hooks {
  store: StoreModule;
  client: ClientModule;
  blob(base64: string): Blob;
  /** The test radiograph from its stored values. */
  radiograph(stored: number[], width: number, height: number): Radiograph;
  /** Writes `value` under `key` in the default model database, behind the store's back. */
  put(key: IDBValidKey, value: unknown): Promise<void>;
}

declare global {
  interface Window {
    __e: Hooks;
    __engine?: EngineClient;
  }
}

const HOOKS = `
import * as store from '/src/lib/model/store.ts';
import * as client from '/src/ui/engine/engine-client.ts';
const open = () => new Promise((resolve, reject) => {
  const request = indexedDB.open('skelex-models');
  request.onupgradeneeded = () => request.result.createObjectStore('cache');
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});
window.__e = {
  store,
  client,
  blob: (base64) => new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]),
  radiograph: (stored, width, height) => ({
    source: 'synthetic.png', kind: 'png', width, height, samplesPerPixel: 1,
    photometric: 'MONOCHROME2', bitsAllocated: 16, bitsStored: 12, signed: false,
    stored: Uint16Array.from(stored), rescaleSlope: 1, rescaleIntercept: 0,
    minStored: Math.min(...stored), maxStored: Math.max(...stored), windows: [], voiLuts: [],
    frameCount: 1, frameIndex: 0, transferSyntax: 'png', transferSyntaxName: 'PNG',
    metadata: {}, patient: {},
  }),
  put: async (key, value) => {
    const db = await open();
    try {
      await new Promise((resolve, reject) => {
        const tx = db.transaction('cache', 'readwrite');
        tx.objectStore('cache').put(value, key);
        tx.oncomplete = () => resolve(undefined);
        tx.onerror = () => reject(tx.error);
      });
    } finally { db.close(); }
  },
};
`;

const MAE: HfVitConfig = SMALL_MAE_CONFIG;

const WIDTH = 50;
const HEIGHT = 37;
/** 12-bit stored values with some structure. */
const STORED = Array.from({ length: WIDTH * HEIGHT }, (_, i) => {
  const x = i % WIDTH;
  const y = Math.floor(i / WIDTH);
  return (x * 61 + y * 37 + ((x * y) % 23) * 97) % 4096;
});

function radiograph(): Radiograph {
  return {
    source: 'synthetic.png',
    kind: 'png',
    width: WIDTH,
    height: HEIGHT,
    samplesPerPixel: 1,
    photometric: 'MONOCHROME2',
    bitsAllocated: 16,
    bitsStored: 12,
    signed: false,
    stored: Uint16Array.from(STORED),
    rescaleSlope: 1,
    rescaleIntercept: 0,
    minStored: Math.min(...STORED),
    maxStored: Math.max(...STORED),
    windows: [],
    voiLuts: [],
    frameCount: 1,
    frameIndex: 0,
    transferSyntax: 'png',
    transferSyntaxName: 'PNG',
    metadata: {},
    patient: {},
  };
}

let server: DevServer;
let context: BrowserContext;
let page: Page;
let profile: string;
let scratch: string;
/** The bundle folder the dev server serves, under the project's ignored tmp/. */
let served: string;
let servedUrl: string;
let manifest: BundleManifest;
let files: Record<string, string>;
let spec: MaeSpec;
let nodeRunner: OrtMaeRunner;
let modelId: string;
const requests: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'skelex-engine-'));
  const dir = writeHfCheckpoint(path.join(scratch, 'tiny-mae'), {
    architecture: 'ViTMAEForPreTraining',
    config: MAE,
    weights: randomMaeWeights(MAE, 41),
    preprocessor: { image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.25, 0.25], resample: 3 },
  });
  const listing = await openDirectoryByteSources(dir);
  const sink = new MemoryBundleSink();
  try {
    manifest = await convertCheckpoint(await openCheckpointFolder(listing.files, 'tiny'), sink, {
      variants: ['fp32', 'fp16'],
      makeVariant,
      name: 'tiny-mae',
    });
  } finally {
    await listing.close();
  }
  spec = maeSpec(manifest.input, manifest.mae!.normPixLoss);
  mkdirSync(path.join(PROJECT_ROOT, 'tmp'), { recursive: true });
  served = mkdtempSync(path.join(PROJECT_ROOT, 'tmp', 'engine-e2e-'));
  servedUrl = `/tmp/${path.basename(served)}/`;
  files = {};
  writeFileSync(path.join(served, 'model.json'), JSON.stringify(manifest));
  writeFileSync(path.join(served, 'page.html'), '<!doctype html><title>engine test</title>');
  // A worker that dies on its first message.
  writeFileSync(
    path.join(served, 'crash.js'),
    "self.onmessage = () => setTimeout(() => { throw new Error('boom'); });",
  );
  for (const [name, blob] of sink.files) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    writeFileSync(path.join(served, name), bytes);
    files[name] = Buffer.from(bytes).toString('base64');
  }
  const fp32 = manifest.variants!.fp32!;
  const read = async (p: string) => new Uint8Array(await sink.files.get(p)!.arrayBuffer());
  nodeRunner = await OrtMaeRunner.create(
    ortNode,
    {
      encoder: { name: fp32.encoder.path, model: await read(fp32.encoder.path) },
      decoder: { name: fp32.decoder.path, model: await read(fp32.decoder.path) },
    },
    { channels: 3, size: 32 },
  );

  server = await startDevServer();
  profile = mkdtempSync(path.join(tmpdir(), 'skelex-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
  });
  context.on('request', (request) => requests.push(request.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  page.on('console', (message) => {
    // Failed loads are reported below with their URL instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(message.text());
    }
  });
  context.on('response', (response) => {
    // The test page has no favicon; the browser asks for one anyway.
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') {
      errors.push(`HTTP ${response.status()} ${response.url()}`);
    }
  });
  await page.goto(`${server.url}${servedUrl.slice(1)}page.html`);
  await page.addScriptTag({ type: 'module', content: HOOKS });
  await page.waitForFunction(() => window.__e !== undefined);
  modelId = await page.evaluate(
    async ({ manifest, files }) => {
      const e = window.__e;
      const store = new e.store.ModelStore();
      const blobs = new Map(Object.entries(files).map(([p, b]) => [p, e.blob(b)]));
      return (await store.saveBundle(manifest, blobs)).id;
    },
    { manifest, files },
  );
}, 180_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  await nodeRunner?.release();
  for (const dir of [profile, scratch, served])
    if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The same analysis in Node on onnxruntime-node. */
async function nodeAnalysis(options: AnalyzeOptions & { letterbox: boolean }) {
  const pre = preprocess(radiograph(), manifest.input, { letterbox: options.letterbox });
  const result = await analyzeImage(nodeRunner, pre, spec, {
    ...options,
    maskRatio: manifest.mae!.maskRatio,
  });
  return { pre, result };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

interface PageAnalysis {
  status: EngineStatus;
  map: number[];
  counts: number[];
  meanError: number;
  top1Error: number;
  size: number;
  gray: number[];
  geometry: { contentWidth: number; contentHeight: number; offsetY: number };
  passes: { masked: number[]; reconstruction: number[]; withVisible: number[] }[];
  timings: Record<string, number>;
  progress: number[];
  loadProgress: [number, number, string][];
}

/**
 * Loads a model with the page's client (`window.__engine`, made on first use; `fresh`
 * makes a new one and closes it after) and analyses the test radiograph.
 */
function analyzeInPage(
  source: { kind: 'store'; id: string } | { kind: 'url'; baseUrl: string },
  prefs: { backend: 'auto' | 'webgpu' | 'wasm'; variant?: 'fp32' | 'fp16' },
  options: {
    schedule: 'random' | 'complementary';
    passes: number;
    seed: number;
    letterbox: boolean;
  },
  fresh = false,
): Promise<PageAnalysis> {
  return page.evaluate(
    async ({ source, prefs, options, stored, width, height, fresh }) => {
      const e = window.__e;
      const client = fresh
        ? new e.client.EngineClient()
        : (window.__engine ??= new e.client.EngineClient());
      try {
        const loadProgress: [number, number, string][] = [];
        await client.load(source, prefs, (done, total, file) =>
          loadProgress.push([done, total, file]),
        );
        const progress: number[] = [];
        const a = await client.analyze(
          e.radiograph(stored, width, height),
          { ...options, metric: 'l2' },
          (p) => progress.push(p.done),
        );
        return {
          status: client.status!,
          map: Array.from(a.map),
          counts: Array.from(a.counts),
          meanError: a.meanError,
          top1Error: a.top1Error,
          size: a.size,
          gray: Array.from(a.gray),
          geometry: a.geometry,
          passes: a.passes.map((p) => ({
            masked: Array.from(p.masked),
            reconstruction: Array.from(p.reconstruction),
            withVisible: Array.from(p.reconstructionWithVisible),
          })),
          timings: a.timings,
          progress,
          loadProgress,
        };
      } finally {
        if (fresh) client.dispose();
      }
    },
    { source, prefs, options, stored: STORED, width: WIDTH, height: HEIGHT, fresh },
  );
}

/**
 * The page's client (`window.__engine`, made on first use) with the stored model loaded on
 * WASM: what a test that goes on with that client needs, whether or not one ran before it.
 */
async function loadedEngine(): Promise<void> {
  await page.evaluate(async (id) => {
    const e = window.__e;
    const client = (window.__engine ??= new e.client.EngineClient());
    await client.load({ kind: 'store', id }, { backend: 'wasm' });
  }, modelId);
}

/** A request for ORT's WASM binary. */
const isOrtWasm = (url: string) =>
  url.includes('ort-wasm-simd-threaded.jsep') && url.includes('.wasm');

describe('inference engine in Chromium', () => {
  it('runs on WASM with threads in a cross-origin isolated page, as Node computes it', async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const options = { schedule: 'complementary', passes: 8, seed: 5, letterbox: true } as const;
    const got = await analyzeInPage({ kind: 'store', id: modelId }, { backend: 'wasm' }, options);
    console.log(`WASM engine: ${JSON.stringify(got.status)}`);
    expect(got.status).toMatchObject({
      backend: 'wasm',
      variant: 'fp32',
      modelName: 'tiny-mae',
      crossOriginIsolated: true,
      maskRatio: 0.75,
    });
    expect(got.status.threads).toBeGreaterThan(1);
    expect(got.status.fallbackReason).toBeUndefined();

    const { pre, result } = await nodeAnalysis(options);
    expect(got.size).toBe(32);
    expect(got.gray).toEqual(Array.from(pre.gray));
    expect(got.geometry).toMatchObject({ contentWidth: 32, contentHeight: 24, offsetY: 4 });
    expect(maxAbsDiff(got.map, result.map)).toBeLessThanOrEqual(1e-4);
    expect(got.counts).toEqual(Array.from(result.counts));
    expect(got.meanError).toBeCloseTo(result.meanError, 4);
    expect(got.top1Error).toBeCloseTo(result.top1Error, 4);
    expect(got.progress).toEqual([4, 8]);
    expect(got.passes).toHaveLength(8);
    for (const p of got.passes) {
      expect(p.masked.filter((m) => m === 1)).toHaveLength(12);
      expect(p.reconstruction).toHaveLength(3 * 32 * 32);
      expect(Math.min(...p.withVisible)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...p.reconstruction)).toBeLessThanOrEqual(1);
    }
    // Timings are measured, not left at 0: the model ran, and the total covers the parts.
    // Preprocessing this 50×37 image may take less than the timer's resolution.
    const { preprocessMs, encoderMs, decoderMs, totalMs } = got.timings;
    expect(preprocessMs).toBeGreaterThanOrEqual(0);
    expect(encoderMs).toBeGreaterThan(0);
    expect(decoderMs).toBeGreaterThan(0);
    // 1e-9 ms of slack for float rounding of the sum.
    expect(preprocessMs + encoderMs + decoderMs).toBeLessThanOrEqual(totalMs + 1e-9);
    // Progress counts the fp32 encoder and decoder bytes up to the total.
    const fp32 = manifest.variants!.fp32!;
    const total = fp32.encoder.bytes + fp32.decoder.bytes;
    expect(got.loadProgress.at(-1)).toEqual([total, total, fp32.decoder.path]);

    // A custom mask on the same image, as Node's explore gives it.
    const kept = [0, 5, 6, 10, 15];
    const explored = await page.evaluate(async (kept) => {
      const out = await window.__engine!.explore(kept);
      return {
        map: Array.from(out.map),
        masked: Array.from(out.masked),
        reconstruction: Array.from(out.reconstruction),
      };
    }, kept);
    const reference = await explore(nodeRunner, pre, spec, kept);
    expect(explored.masked).toEqual(Array.from(reference.masked));
    expect(maxAbsDiff(explored.map, reference.map)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(explored.reconstruction, reference.reconstruction)).toBeLessThanOrEqual(1e-4);
  }, 180_000);

  it('cancels a running analysis, then analyses again with the model reloaded', async () => {
    await loadedEngine();
    const outcome = await page.evaluate(
      async ({ stored, width, height }) => {
        const e = window.__e;
        const client = window.__engine!;
        const r = e.radiograph(stored, width, height);
        const started = performance.now();
        const error = await client
          .analyze(
            r,
            { schedule: 'random', passes: 2000, seed: 1, metric: 'l2', letterbox: false },
            (p) => {
              if (p.done >= 8) client.cancel();
            },
          )
          .then(
            () => 'finished',
            (e: Error) => e.name,
          );
        const cancelMs = performance.now() - started;
        const again = await client.analyze(r, {
          schedule: 'random',
          passes: 6,
          seed: 3,
          metric: 'l2',
          letterbox: false,
        });
        const explored = await client.explore([1, 2, 3]);
        return {
          error,
          cancelMs,
          map: Array.from(again.map),
          status: client.status!,
          exploredMasked: Array.from(explored.masked),
        };
      },
      { stored: STORED, width: WIDTH, height: HEIGHT },
    );
    console.log(`cancelled after ${Math.round(outcome.cancelMs)} ms`);
    expect(outcome.error).toBe('AbortError');
    expect(outcome.status.backend).toBe('wasm');
    const { result } = await nodeAnalysis({
      schedule: 'random',
      passes: 6,
      seed: 3,
      letterbox: false,
    });
    expect(maxAbsDiff(outcome.map, result.map)).toBeLessThanOrEqual(1e-4);
    expect(outcome.exploredMasked.filter((m) => m === 0)).toHaveLength(3);
  }, 180_000);

  it('loads a bundle folder by URL, and fetches a damaged cached file again', async () => {
    const options = { schedule: 'complementary', passes: 4, seed: 9, letterbox: false } as const;
    const got = await analyzeInPage(
      { kind: 'url', baseUrl: servedUrl },
      { backend: 'wasm' },
      options,
    );
    const { result } = await nodeAnalysis(options);
    expect(maxAbsDiff(got.map, result.map)).toBeLessThanOrEqual(1e-4);
    const fp32 = manifest.variants!.fp32!;
    const total = fp32.encoder.bytes + fp32.decoder.bytes;
    expect(got.loadProgress.at(-1)).toEqual([total, total, fp32.decoder.path]);

    const encoder = fp32.encoder;
    const damaged = await page.evaluate(
      async ({ id, sha, url }) => {
        const e = window.__e;
        const client = window.__engine!;
        const store = new e.store.ModelStore();
        {
          await e.put(['file', sha], new Blob(['not an onnx file']));
          const withoutUrl = await client.load({ kind: 'store', id }, { backend: 'wasm' }).then(
            () => 'loaded',
            (error: Error) => error.message,
          );
          await e.put(['file', sha], new Blob(['not an onnx file']));
          const status = await client.load(
            { kind: 'store', id, baseUrl: url },
            { backend: 'wasm' },
          );
          const file = await store.getFile(
            sha,
            (await store.getManifest(id))!.variants!.fp32!.encoder.bytes,
          );
          return { withoutUrl, backend: status.backend, cachedAgain: file !== undefined };
        }
      },
      { id: modelId, sha: encoder.sha256, url: servedUrl },
    );
    expect(damaged.withoutUrl).toMatch(/encoder\.fp32\.onnx was damaged.*import the model again/);
    expect(damaged.backend).toBe('wasm');
    expect(damaged.cachedAgain).toBe(true);
  }, 180_000);

  it('reports a worker that crashed, and starts a new one on the next call', async () => {
    const out = await page.evaluate(
      async ({ id, crashUrl }) => {
        const e = window.__e;
        let made = 0;
        const client = new e.client.EngineClient({
          createWorker: () =>
            made++ === 0
              ? new Worker(crashUrl, { type: 'module' })
              : e.client.createInferenceWorker(),
        });
        try {
          const first = await client.load({ kind: 'store', id }, { backend: 'wasm' }).then(
            () => 'loaded',
            (error: Error) => error.message,
          );
          const status = await client.load({ kind: 'store', id }, { backend: 'wasm' });
          return { first, backend: status.backend, made };
        } finally {
          client.dispose();
        }
      },
      { id: modelId, crashUrl: `${servedUrl}crash.js` },
    );
    expect(out.first).toMatch(/^The inference worker stopped: .*boom.*restarts/);
    expect(out.backend).toBe('wasm');
    expect(out.made).toBe(2);
  }, 180_000);

  it('runs on WebGPU and matches, or falls back to WASM and says why', async () => {
    // One batch of 4 passes: SwiftShader compiles shaders for every new shape, slowly.
    const options = { schedule: 'random', passes: 4, seed: 3, letterbox: false } as const;
    const started = Date.now();
    const got = await analyzeInPage(
      { kind: 'store', id: modelId },
      { backend: 'webgpu' },
      options,
      true,
    );
    const { gpu, ...rest } = got.status;
    console.log(
      `WebGPU request (${Date.now() - started} ms, analysis ${JSON.stringify(got.timings)}): ${JSON.stringify(rest)}; adapter ${gpu.description ?? '?'} (fallback adapter: ${gpu.fallbackAdapter}); features ${gpu.features.join(' ')}`,
    );
    // Left to choose, the engine takes fp16 only on WebGPU with shader-f16.
    const f16 = got.status.backend === 'webgpu' && gpu.features.includes('shader-f16');
    expect(got.status.variant).toBe(f16 ? 'fp16' : 'fp32');
    const { result } = await nodeAnalysis(options);
    if (got.status.backend === 'webgpu') {
      expect(gpu.available).toBe(true);
      expect(maxAbsDiff(got.map, result.map)).toBeLessThanOrEqual(f16 ? 3e-2 : 1e-3);
    } else {
      expect(got.status.backend).toBe('wasm');
      expect(got.status.fallbackReason).toMatch(/WebGPU/);
      expect(maxAbsDiff(got.map, result.map)).toBeLessThanOrEqual(1e-4);
    }
  }, 300_000);

  it('left to choose, passes over a software WebGPU adapter for WASM and says why', async () => {
    const options = { schedule: 'complementary', passes: 4, seed: 3, letterbox: false } as const;
    const got = await analyzeInPage(
      { kind: 'store', id: modelId },
      { backend: 'auto' },
      options,
      true,
    );
    const { gpu } = got.status;
    if (gpu.available && gpu.fallbackAdapter) {
      // Headless Chromium here: SwiftShader, a fallback adapter.
      expect(got.status.backend).toBe('wasm');
      expect(got.status.fallbackReason).toMatch(
        /^WebGPU offers only a software adapter.*slower than WASM; choose WebGPU to use it anyway$/,
      );
    } else {
      expect(got.status.backend).toBe(gpu.available ? 'webgpu' : 'wasm');
    }
    const { result } = await nodeAnalysis(options);
    expect(maxAbsDiff(got.map, result.map)).toBeLessThanOrEqual(
      got.status.backend === 'wasm' ? 1e-4 : 1e-3,
    );
  }, 120_000);

  it('made no request outside its own origin, and logged no errors', async () => {
    // Run alone, no test before it has started the engine: analyse once, so the requests
    // that makes are there to check.
    if (!requests.some(isOrtWasm)) {
      await analyzeInPage(
        { kind: 'store', id: modelId },
        { backend: 'wasm' },
        { schedule: 'complementary', passes: 4, seed: 1, letterbox: false },
        true,
      );
    }
    const origin = new URL(server.url).origin;
    const outside = requests.filter(
      (u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin,
    );
    expect(outside).toEqual([]);
    // ORT's WASM binary was among them: worker requests are seen too.
    expect(requests.some(isOrtWasm)).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);
});
