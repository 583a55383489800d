/**
 * analyzeImage and explore on a small random MAE converted in the test, run through
 * OrtMaeRunner in onnxruntime-web (WASM, in Node) and onnxruntime-node, against the
 * independent reference forward pass plus ErrorMapAccumulator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBundleSink } from '../../src/lib/convert/bundle-sink';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../../src/lib/convert/convert';
import { buildMaeGraphs } from '../../src/lib/convert/graphs';
import { preprocessGray8, type Preprocessed } from '../../src/lib/imaging/preprocess';
import {
  analyzeImage,
  explore,
  planFor,
  type AnalyzeOptions,
  type MaeRunner,
} from '../../src/lib/mae/analyze';
import { ErrorMapAccumulator, maeSpec, type MaeSpec } from '../../src/lib/mae/error-map';
import type { MaskPass } from '../../src/lib/mae/masking';
import { OrtMaeRunner, type GraphBytes, type OrtModule } from '../../src/lib/engine/ort-runner';
import {
  validateManifest,
  type BundleManifest,
  type VariantName,
} from '../../src/lib/model/manifest';
import { CorruptCacheError } from '../../src/lib/model/store';
import {
  mayUseWebGpu,
  planBackends,
  wasmThreadCount,
  type Capabilities,
} from '../../src/lib/engine/backend';
import { openBundle, type FetchLike, type ModelStoreLike } from '../../src/lib/engine/model-files';
import { openMaeEngine } from '../../src/lib/engine/open-engine';
import type { GpuInfo } from '../../src/lib/engine/types';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import { joinedDataFiles } from '../helpers/ort';
import {
  flatten,
  maeDecoder,
  maeEncoder,
  randomMaeWeights,
  type HfVitConfig,
  SMALL_MAE_CONFIG,
} from '../helpers/reference-vit';

ortWeb.env.wasm.numThreads = 1;

const MAE: HfVitConfig = SMALL_MAE_CONFIG;
const N = 16;
const weights = randomMaeWeights(MAE, 31);
const work = mkdtempSync(path.join(tmpdir(), 'skelex-analyze-'));

let manifest: BundleManifest;
let spec: MaeSpec;
let graphs: { encoder: GraphBytes; decoder: GraphBytes };
let externalGraphs: { encoder: GraphBytes; decoder: GraphBytes };
let input: Preprocessed;
const runners: Record<'web' | 'node', OrtMaeRunner> = {} as Record<'web' | 'node', OrtMaeRunner>;

async function bytes(sink: MemoryBundleSink, file: string): Promise<Uint8Array> {
  return new Uint8Array(await sink.files.get(file)!.arrayBuffer());
}

/** A 40 x 30 gray image with some structure. */
function grayImage(): Uint8Array {
  const out = new Uint8Array(40 * 30);
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      out[y * 40 + x] = (x * 6 + y * 3 + ((x * y) % 17) * 5) & 255;
    }
  }
  return out;
}

beforeAll(async () => {
  const dir = writeHfCheckpoint(path.join(work, 'mae'), {
    architecture: 'ViTMAEForPreTraining',
    config: MAE,
    weights,
    preprocessor: { image_mean: [0.5, 0.4, 0.3], image_std: [0.25, 0.2, 0.3], resample: 3 },
  });
  const listing = await openDirectoryByteSources(dir);
  const sink = new MemoryBundleSink();
  try {
    const folder = await openCheckpointFolder(listing.files, 'mae');
    manifest = await convertCheckpoint(folder, sink, { name: 'tiny' });
    // The same graphs with their weights in external-data files, as big models have them.
    const built = await buildMaeGraphs(folder.config, folder.weights);
    const external = (graph: typeof built.encoder, name: string): GraphBytes => {
      const out = graph.toExternal(`${name}.data`, { minBytes: 256 });
      return { name, model: out.modelBytes, externalData: joinedDataFiles(out) };
    };
    externalGraphs = {
      encoder: external(built.encoder, 'encoder.fp32.onnx'),
      decoder: external(built.decoder, 'decoder.fp32.onnx'),
    };
  } finally {
    await listing.close();
  }
  const fp32 = manifest.variants!.fp32!;
  graphs = {
    encoder: { name: fp32.encoder.path, model: await bytes(sink, fp32.encoder.path) },
    decoder: { name: fp32.decoder.path, model: await bytes(sink, fp32.decoder.path) },
  };
  spec = maeSpec(manifest.input, manifest.mae!.normPixLoss);
  input = preprocessGray8(grayImage(), 40, 30, manifest.input);
  const layout = { channels: 3, size: 32 };
  runners.web = await OrtMaeRunner.create(ortWeb, graphs, layout, {
    executionProviders: ['wasm'],
  });
  runners.node = await OrtMaeRunner.create(ortNode, graphs, layout);
});

afterAll(async () => {
  await Promise.all(Object.values(runners).map((r) => r.release()));
  rmSync(work, { recursive: true, force: true });
});

/** Reference logits [N * P*P*C] of one pass. */
function referenceLogits(pass: MaskPass): Float32Array {
  const latent = maeEncoder(MAE, weights, input.pixelValues, [Array.from(pass.idsKeep)]);
  return flatten(maeDecoder(MAE, weights, latent, [Array.from(pass.idsRestore)]));
}

function referenceMap(options: AnalyzeOptions): Float32Array {
  const acc = new ErrorMapAccumulator({ ...spec, metric: options.metric ?? 'l2' });
  for (const pass of planFor(spec, options).passes) {
    acc.add(input.pixelValues, referenceLogits(pass), pass.masked);
  }
  return acc.result().map;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** A runner that counts calls, around a real one. */
function counting(runner: MaeRunner): MaeRunner & { batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    encode(pixels, batch, idsKeep, kept) {
      batches.push(batch);
      return runner.encode(pixels, batch, idsKeep, kept);
    },
    decode: (latent, dims, idsRestore, batch) => runner.decode(latent, dims, idsRestore, batch),
  };
}

describe('analyzeImage', () => {
  it.each(['web', 'node'] as const)(
    'matches the reference forward pass on onnxruntime-%s',
    async (backend) => {
      for (const options of [
        { schedule: 'random', passes: 6, seed: 7 },
        { schedule: 'complementary', passes: 4, seed: 3, metric: 'l1' },
      ] as AnalyzeOptions[]) {
        const result = await analyzeImage(runners[backend], input, spec, options);
        expect(maxAbsDiff(result.map, referenceMap(options))).toBeLessThanOrEqual(1e-4);
        expect(result.meanError).toBeGreaterThan(0);
        expect(result.top1Error).toBeGreaterThanOrEqual(result.meanError);
        expect(result.timings.totalMs).toBeGreaterThan(0);
      }
    },
  );

  it('gives the same map for the same seed, and another for another seed', async () => {
    const options: AnalyzeOptions = { schedule: 'random', passes: 5, seed: 11 };
    const a = await analyzeImage(runners.web, input, spec, options);
    const b = await analyzeImage(runners.web, input, spec, options);
    const c = await analyzeImage(runners.web, input, spec, { ...options, seed: 12 });
    expect(b.map).toEqual(a.map);
    expect(b.counts).toEqual(a.counts);
    expect(maxAbsDiff(a.map, c.map)).toBeGreaterThan(1e-3);
  });

  it('masks every pixel equally often with the complementary schedule, not with random', async () => {
    const complementary = await analyzeImage(runners.web, input, spec, {
      schedule: 'complementary',
      passes: 8,
      seed: 5,
    });
    expect(new Set(complementary.counts)).toEqual(new Set([6]));
    const random = await analyzeImage(runners.web, input, spec, {
      schedule: 'random',
      passes: 8,
      seed: 5,
    });
    expect(new Set(random.counts).size).toBeGreaterThan(1);
    expect(maxAbsDiff(complementary.map, random.map)).toBeGreaterThan(1e-3);
  });

  it('gives the same result in batches of 1, 3 and 4, and reports progress per batch', async () => {
    const options: AnalyzeOptions = { schedule: 'random', passes: 10, seed: 21 };
    const single = await analyzeImage(runners.web, input, spec, { ...options, batchSize: 1 });
    for (const batchSize of [3, 4]) {
      const runner = counting(runners.web);
      const progress: number[] = [];
      const batched = await analyzeImage(runner, input, spec, {
        ...options,
        batchSize,
        onPass: (p) => {
          expect(p.total).toBe(10);
          expect(p.encoderMs).toBeGreaterThan(0);
          progress.push(p.done);
        },
      });
      expect(maxAbsDiff(batched.map, single.map)).toBeLessThanOrEqual(1e-5);
      expect(batched.counts).toEqual(single.counts);
      expect(runner.batches).toEqual(batchSize === 3 ? [3, 3, 3, 1] : [4, 4, 2]);
      expect(progress).toEqual(batchSize === 3 ? [3, 6, 9, 10] : [4, 8, 10]);
    }
  });

  it('keeps each pass on request, equal to the reference', async () => {
    const options: AnalyzeOptions = { schedule: 'random', passes: 3, seed: 2, keepPasses: true };
    const result = await analyzeImage(runners.node, input, spec, options);
    const plan = planFor(spec, options);
    expect(result.passes).toHaveLength(3);
    result.passes!.forEach((pass, i) => {
      expect(pass.masked).toEqual(plan.passes[i].masked);
      expect(maxAbsDiff(pass.logits, referenceLogits(plan.passes[i]))).toBeLessThanOrEqual(1e-4);
    });
    const without = await analyzeImage(runners.node, input, spec, {
      ...options,
      keepPasses: false,
    });
    expect(without.passes).toBeUndefined();
  });

  it('stops when its signal aborts', async () => {
    const before = new AbortController();
    before.abort();
    const untouched = counting(runners.web);
    await expect(
      analyzeImage(untouched, input, spec, {
        schedule: 'random',
        passes: 8,
        seed: 1,
        signal: before.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(untouched.batches).toEqual([]);

    const during = new AbortController();
    const runner = counting(runners.web);
    await expect(
      analyzeImage(runner, input, spec, {
        schedule: 'random',
        passes: 12,
        seed: 1,
        batchSize: 2,
        signal: during.signal,
        onPass: (p) => {
          if (p.done === 4) during.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(runner.batches).toEqual([2, 2]);
  });

  it('rejects input of the wrong size and a decoder of the wrong shape', async () => {
    await expect(
      analyzeImage(runners.web, { pixelValues: new Float32Array(10) }, spec, {
        schedule: 'random',
        passes: 1,
        seed: 1,
      }),
    ).rejects.toThrow(/expected 3072 pixel values/);
    const broken: MaeRunner = {
      encode: (p, b, ids, k) => runners.web.encode(p, b, ids, k),
      decode: async () => new Float32Array(5),
    };
    await expect(
      analyzeImage(broken, input, spec, { schedule: 'random', passes: 1, seed: 1 }),
    ).rejects.toThrow(/the decoder returned 5 values/);
  });
});

describe('OrtMaeRunner', () => {
  it('loads graphs whose weights are in external-data files', async () => {
    expect(externalGraphs.encoder.model.length).toBeLessThan(graphs.encoder.model.length / 4);
    const runner = await OrtMaeRunner.create(
      ortWeb,
      externalGraphs,
      { channels: 3, size: 32 },
      { executionProviders: ['wasm'] },
    );
    try {
      const options: AnalyzeOptions = { schedule: 'random', passes: 3, seed: 8 };
      const a = await analyzeImage(runner, input, spec, options);
      const b = await analyzeImage(runners.web, input, spec, options);
      expect(a.map).toEqual(b.map);
    } finally {
      await runner.release();
    }
  });

  it('names a graph that is not a skelex MAE graph', async () => {
    await expect(
      OrtMaeRunner.create(
        ortWeb,
        { encoder: graphs.decoder, decoder: graphs.decoder },
        {
          channels: 3,
          size: 32,
        },
      ),
    ).rejects.toThrow(/^decoder\.fp32\.onnx: no input "pixel_values"/);
  });
});

describe('explore', () => {
  it.each([[[0]], [[3, 1, 14, 9, 6]], [Array.from({ length: 15 }, (_, i) => i + 1)]])(
    'runs a custom mask keeping %j (any K: the encoder takes a dynamic K)',
    async (kept) => {
      const out = await explore(runners.web, input, spec, kept);
      const masked = new Uint8Array(N).fill(1);
      for (const p of kept) masked[p] = 0;
      expect(out.masked).toEqual(masked);
      const sorted = [...kept].sort((a, b) => a - b);
      const shuffle = [
        ...sorted,
        ...Array.from({ length: N }, (_, i) => i).filter((i) => masked[i]),
      ];
      const restore = new Array<number>(N);
      shuffle.forEach((p, i) => (restore[p] = i));
      const latent = maeEncoder(MAE, weights, input.pixelValues, [sorted]);
      const logits = flatten(maeDecoder(MAE, weights, latent, [restore]));
      expect(maxAbsDiff(out.logits, logits)).toBeLessThanOrEqual(1e-4);

      const acc = new ErrorMapAccumulator(spec);
      acc.add(input.pixelValues, logits, masked);
      expect(maxAbsDiff(out.map, acc.result().map)).toBeLessThanOrEqual(1e-4);
      // Kept patches carry no error; the pictures are [C, S, S] in [0, 1].
      const S = 32;
      for (const p of kept) {
        const x = (p % 4) * 8;
        const y = Math.floor(p / 4) * 8;
        expect(out.map[y * S + x]).toBe(0);
        expect(out.counts[y * S + x]).toBe(0);
        // Visible patches show the input itself.
        const v = input.pixelValues[y * S + x] * spec.std[0] + spec.mean[0];
        expect(out.reconstructionWithVisible[y * S + x]).toBeCloseTo(
          Math.min(1, Math.max(0, v)),
          6,
        );
        expect(out.maskedInput[y * S + x]).toBeCloseTo(Math.min(1, Math.max(0, v)), 6);
      }
      for (const image of [out.reconstruction, out.reconstructionWithVisible, out.maskedInput]) {
        expect(image).toHaveLength(3 * S * S);
        expect(Math.min(...image)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...image)).toBeLessThanOrEqual(1);
      }
    },
  );

  it('refuses masks that keep nothing or name a patch twice', async () => {
    await expect(explore(runners.web, input, spec, [])).rejects.toThrow(/keep at least one/);
    await expect(explore(runners.web, input, spec, [2, 2])).rejects.toThrow(/twice/);
    await expect(explore(runners.web, input, spec, [16])).rejects.toThrow(/outside/);
  });
});

describe('engine: backend choice', () => {
  const gpu = (features: string[] = []) => ({ available: true, features });
  const noGpu = { available: false, features: [], reason: 'this browser offers no WebGPU' };
  const caps = (g: GpuInfo, isolated = true, cores = 6): Capabilities => ({
    gpu: g,
    crossOriginIsolated: isolated,
    hardwareConcurrency: cores,
  });
  const all: VariantName[] = ['fp32', 'fp16', 'int8', 'q4'];

  it('uses threads only when cross-origin isolated, up to 8 by default', () => {
    expect(wasmThreadCount(caps(noGpu, false, 16))).toBe(1);
    expect(wasmThreadCount(caps(noGpu, false, 16), 4)).toBe(1);
    expect(wasmThreadCount(caps(noGpu, true, 2))).toBe(2);
    expect(wasmThreadCount(caps(noGpu, true, 32))).toBe(8);
    expect(wasmThreadCount(caps(noGpu, true, 32), 12)).toBe(12);
    expect(wasmThreadCount(caps(noGpu, true, 32), 0)).toBe(1);
  });

  it('tries WebGPU first, fp16 only with shader-f16, and WASM last', () => {
    expect(planBackends({ backend: 'auto' }, caps(gpu(['shader-f16'])), all)).toEqual({
      attempts: [
        { backend: 'webgpu', variant: 'fp16' },
        { backend: 'wasm', variant: 'fp32' },
      ],
      notes: [],
    });
    expect(planBackends({ backend: 'auto' }, caps(gpu()), all).attempts[0]).toEqual({
      backend: 'webgpu',
      variant: 'fp32',
    });
    const asked = planBackends({ backend: 'webgpu', variant: 'fp16' }, caps(gpu()), all);
    expect(asked.attempts[0]).toEqual({ backend: 'webgpu', variant: 'fp32' });
    expect(asked.notes).toEqual(['fp16 needs the WebGPU feature shader-f16, which this GPU lacks']);
    const none = planBackends({ backend: 'webgpu' }, caps(noGpu), all);
    expect(none.attempts).toEqual([{ backend: 'wasm', variant: 'fp32' }]);
    expect(none.notes).toEqual(['WebGPU is not available (this browser offers no WebGPU)']);
    expect(planBackends({ backend: 'wasm' }, caps(gpu()), all).attempts).toEqual([
      { backend: 'wasm', variant: 'fp32' },
    ]);
    expect(planBackends({ backend: 'wasm', variant: 'q4' }, caps(noGpu), all).attempts).toEqual([
      { backend: 'wasm', variant: 'q4' },
    ]);
    // A software adapter (Chromium's SwiftShader) is slower than WASM: only asked for.
    const software = {
      available: true,
      features: [],
      fallbackAdapter: true,
      description: 'google swiftshader',
    };
    expect(planBackends({ backend: 'auto' }, caps(software), all)).toEqual({
      attempts: [{ backend: 'wasm', variant: 'fp32' }],
      notes: [
        'WebGPU offers only a software adapter (google swiftshader), slower than WASM; choose WebGPU to use it anyway',
      ],
    });
    expect(mayUseWebGpu({ backend: 'auto' }, caps(software))).toBe(false);
    expect(planBackends({ backend: 'webgpu' }, caps(software), all).attempts[0]).toEqual({
      backend: 'webgpu',
      variant: 'fp32',
    });
    expect(mayUseWebGpu({ backend: 'auto' }, caps({ ...gpu(), fallbackAdapter: false }))).toBe(
      true,
    );
    const missing = planBackends({ backend: 'wasm', variant: 'int8' }, caps(noGpu), ['fp32']);
    expect(missing).toEqual({
      attempts: [{ backend: 'wasm', variant: 'fp32' }],
      notes: ['the model has no int8 variant'],
    });
  });
});

/** What a 2-core page that is not cross-origin isolated offers, with or without a GPU adapter. */
const twoCoreCaps = (gpu: boolean) => ({
  gpu: { available: gpu, features: [] },
  crossOriginIsolated: false,
  hardwareConcurrency: 2,
});

describe('engine: opening a bundle', () => {
  const files = new Map<string, Uint8Array>();
  const fakeFetch = (async (url: string) => {
    const name = new URL(url).pathname.replace('/bundle/', '');
    if (name === 'model.json') return new Response(JSON.stringify(manifest));
    const bytes = files.get(name);
    return bytes ? new Response(bytes.slice()) : new Response('missing', { status: 404 });
  }) as FetchLike;

  beforeAll(() => {
    const fp32 = manifest.variants!.fp32!;
    files.set(fp32.encoder.path, graphs.encoder.model);
    files.set(fp32.decoder.path, graphs.decoder.model);
  });

  it('fetches and verifies files from a URL with progress, and falls back from a failing WebGPU', async () => {
    const reader = await openBundle(
      { kind: 'url', baseUrl: 'http://app.test/bundle' },
      { fetch: fakeFetch },
    );
    const progress: [number, number, string][] = [];
    const opened = await openMaeEngine({
      ort: ortWeb,
      reader,
      caps: twoCoreCaps(true),
      prefs: { backend: 'auto' },
      onProgress: (done, total, file) => progress.push([done, total, file]),
    });
    try {
      expect(opened.backend).toBe('wasm');
      expect(opened.variant).toBe('fp32');
      // onnxruntime-web in Node has no WebGPU: the session fails to build and WASM takes over.
      expect(opened.fallbackReason).toMatch(
        /^WebGPU \(fp32\): encoder\.fp32\.onnx could not be loaded/,
      );
      const total = graphs.encoder.model.length + graphs.decoder.model.length;
      expect(progress.at(-1)).toEqual([total, total, 'decoder.fp32.onnx']);
      const a = await analyzeImage(opened.runner, input, spec, {
        schedule: 'random',
        passes: 2,
        seed: 4,
      });
      const b = await analyzeImage(runners.node, input, spec, {
        schedule: 'random',
        passes: 2,
        seed: 4,
      });
      expect(maxAbsDiff(a.map, b.map)).toBeLessThanOrEqual(1e-5);
    } finally {
      await opened.runner.release();
    }
  });

  it('falls back when the first WebGPU run returns only zeros', async () => {
    // WASM sessions that pretend to be WebGPU ones whose outputs are all zero.
    const zeroing = {
      Tensor: ortWeb.Tensor,
      InferenceSession: {
        async create(model: Uint8Array, options: ortWeb.InferenceSession.SessionOptions) {
          const gpu = options.executionProviders?.[0] === 'webgpu';
          const session = await ortWeb.InferenceSession.create(model, {
            ...options,
            executionProviders: ['wasm'],
          });
          if (!gpu) return session;
          const run = session.run.bind(session);
          return Object.assign(session, {
            run: async (feeds: ortWeb.InferenceSession.FeedsType) => {
              const out = await run(feeds);
              for (const t of Object.values(out)) (t.data as Float32Array).fill(0);
              return out;
            },
          });
        },
      },
    } as unknown as OrtModule;
    const opened = await openMaeEngine({
      ort: zeroing,
      reader: await openBundle(
        { kind: 'url', baseUrl: 'http://app.test/bundle/' },
        { fetch: fakeFetch },
      ),
      caps: twoCoreCaps(true),
      prefs: { backend: 'webgpu' },
    });
    await opened.runner.release();
    expect(opened.backend).toBe('wasm');
    expect(opened.fallbackReason).toBe('WebGPU (fp32): the first run gave only zeros');
  });

  it('refuses a file whose hash is wrong', async () => {
    const fp32 = manifest.variants!.fp32!;
    const bad = new Map(files);
    const broken = graphs.encoder.model.slice();
    broken[100] ^= 1;
    bad.set(fp32.encoder.path, broken);
    const badFetch = (async (url: string) => {
      const name = new URL(url).pathname.replace('/bundle/', '');
      return name === 'model.json'
        ? new Response(JSON.stringify(manifest))
        : new Response(bad.get(name)!.slice());
    }) as FetchLike;
    const reader = await openBundle(
      { kind: 'url', baseUrl: 'http://app.test/bundle/' },
      { fetch: badFetch },
    );
    await expect(reader.read(fp32.encoder)).rejects.toThrow(
      'encoder.fp32.onnx does not match the SHA-256 in model.json (damaged or changed)',
    );
    await expect(reader.read(fp32.decoder)).resolves.toHaveLength(fp32.decoder.bytes);
  });

  it('loads a bundle whose graphs are split over several external data files', async () => {
    const listing = await openDirectoryByteSources(path.join(work, 'mae'));
    const sink = new MemoryBundleSink();
    let split: BundleManifest;
    try {
      const folder = await openCheckpointFolder(listing.files, 'mae');
      split = await convertCheckpoint(folder, sink, {
        name: 'tiny split',
        externalData: { thresholdBytes: 0, maxFileBytes: 20_000 },
      });
    } finally {
      await listing.close();
    }
    const encoder = split.variants!.fp32!.encoder;
    expect(encoder.externalData!.length).toBeGreaterThan(2);
    expect(encoder.externalData!.map((d) => d.path).slice(0, 2)).toEqual([
      'encoder.fp32.onnx.data',
      'encoder.fp32.onnx.data.2',
    ]);
    // The manifest survives JSON and validation as written.
    expect(validateManifest(JSON.parse(JSON.stringify(split)))).toEqual(split);
    const served = (async (url: string) => {
      const name = new URL(url).pathname.replace('/split/', '');
      if (name === 'model.json') return new Response(JSON.stringify(split));
      const blob = sink.files.get(name);
      return blob ? new Response(await blob.arrayBuffer()) : new Response('', { status: 404 });
    }) as FetchLike;
    const opened = await openMaeEngine({
      ort: ortWeb,
      reader: await openBundle(
        { kind: 'url', baseUrl: 'http://app.test/split/' },
        { fetch: served },
      ),
      caps: twoCoreCaps(false),
      prefs: { backend: 'wasm' },
    });
    try {
      const options = { schedule: 'random', passes: 2, seed: 8 } as const;
      const a = await analyzeImage(opened.runner, input, spec, options);
      const b = await analyzeImage(runners.web, input, spec, options);
      expect(maxAbsDiff(a.map, b.map)).toBeLessThanOrEqual(1e-6);
    } finally {
      await opened.runner.release();
    }
  });

  it('refuses a file cut short or grown, naming it', async () => {
    const fp32 = manifest.variants!.fp32!;
    const serve = (bytes: Uint8Array) =>
      (async (url: string) =>
        new URL(url).pathname.endsWith('model.json')
          ? new Response(JSON.stringify(manifest))
          : new Response(bytes.slice())) as FetchLike;
    const model = graphs.encoder.model;
    for (const [bytes, message] of [
      [
        model.subarray(0, model.length - 1),
        /encoder\.fp32\.onnx: received \d+ bytes, model\.json lists \d+/,
      ],
      [
        new Uint8Array([...model, 0]),
        /encoder\.fp32\.onnx: the server sent more than the \d+ bytes/,
      ],
    ] as const) {
      const reader = await openBundle(
        { kind: 'url', baseUrl: 'http://app.test/bundle/' },
        { fetch: serve(bytes) },
      );
      await expect(reader.read(fp32.encoder)).rejects.toThrow(message);
    }
  });

  it('refuses a bundle whose listed hashes match a graph that is not ONNX', async () => {
    const fp32 = manifest.variants!.fp32!;
    const garbage = new Uint8Array(4096).map((_, i) => (i * 131) % 251);
    const forged: BundleManifest = {
      ...manifest,
      variants: {
        fp32: {
          ...fp32,
          encoder: { ...fp32.encoder, bytes: garbage.length, sha256: bytesToHex(sha256(garbage)) },
        },
      },
    };
    const forgedFetch = (async (url: string) => {
      const name = new URL(url).pathname.replace('/bundle/', '');
      if (name === 'model.json') return new Response(JSON.stringify(forged));
      return new Response((name === fp32.encoder.path ? garbage : files.get(name)!).slice());
    }) as FetchLike;
    await expect(
      openMaeEngine({
        ort: ortWeb,
        reader: await openBundle(
          { kind: 'url', baseUrl: 'http://app.test/bundle/' },
          { fetch: forgedFetch },
        ),
        caps: twoCoreCaps(false),
        prefs: { backend: 'wasm' },
      }),
    ).rejects.toThrow(
      /could not be loaded: WASM \(fp32\): encoder\.fp32\.onnx could not be loaded/,
    );
  });

  it('reads from the model store, and fetches a damaged cached file again when the URL is known', async () => {
    const fp32 = manifest.variants!.fp32!;
    const put: string[] = [];
    const store: ModelStoreLike = {
      getManifest: async (id) => (id === 'm1' ? manifest : undefined),
      async getFileBytes(sha) {
        if (sha === fp32.encoder.sha256)
          throw new CorruptCacheError(sha, 'does not match its SHA-256');
        return graphs.decoder.model.slice() as Uint8Array<ArrayBuffer>;
      },
      async putFile(file) {
        put.push(file.sha256);
      },
    };
    const cached = await openBundle({ kind: 'store', id: 'm1' }, { store, fetch: fakeFetch });
    await expect(cached.read(fp32.decoder)).resolves.toEqual(graphs.decoder.model);
    await expect(cached.read(fp32.encoder)).rejects.toThrow(
      /was damaged in browser storage.*import the model again/,
    );
    const withUrl = await openBundle(
      { kind: 'store', id: 'm1', baseUrl: 'http://app.test/bundle/' },
      { store, fetch: fakeFetch },
    );
    await expect(withUrl.read(fp32.encoder)).resolves.toEqual(graphs.encoder.model);
    expect(put).toEqual([fp32.encoder.sha256]);
    await expect(openBundle({ kind: 'store', id: 'gone' }, { store })).rejects.toThrow(
      /import it again/,
    );
  });
});
