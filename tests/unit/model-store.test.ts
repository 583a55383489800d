/**
 * The model cache's DOM-free parts in Node: manifest file lists and sizes, folder
 * detection, sliced hashing, error types, the conversion the convert worker runs, and
 * the page's client for that worker (on stand-in workers). The store itself needs
 * IndexedDB and is tested in Chromium (tests/browser/model-import.test.ts).
 */
import * as Comlink from 'comlink';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bundleFiles, distinctFiles, variantSizes } from '../../src/lib/model/bundle-files';
import { commonFolder, folderKind } from '../../src/lib/model/bundle-folder';
import {
  convertFolderFiles,
  throttleProgress,
  type ConvertInput,
  type ConvertProgress,
} from '../../src/lib/model/convert-folder';
import { sha256Hex, sha256OfBlob } from '../../src/lib/model/hash';
import { validateManifest, type BundleManifest } from '../../src/lib/model/manifest';
import {
  CorruptCacheError,
  StorageFullError,
  isQuotaError,
  modelIdOf,
} from '../../src/lib/model/store';
import {
  ConvertCancelled,
  startConversion,
  type WorkerLike,
} from '../../src/ui/model/convert-client';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import { randomMaeWeights, type HfVitConfig } from '../helpers/reference-vit';

const work = mkdtempSync(path.join(tmpdir(), 'skelex-model-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (p: string, bytes: number, seed: string) => ({
  path: p,
  sha256: createHash('sha256').update(seed).digest('hex'),
  bytes,
});

const MANIFEST: BundleManifest = validateManifest({
  format: 'skelex-bundle/1',
  name: 'm',
  version: '1',
  license: 'MIT',
  source: 's',
  input: {
    imageSize: 32,
    patchSize: 8,
    channels: 3,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    resample: 'bicubic',
  },
  mae: { maskRatio: 0.75, normPixLoss: false },
  variants: {
    int8: {
      encoder: file('encoder.int8.onnx', 30, 'e8'),
      decoder: file('decoder.int8.onnx', 20, 'd8'),
    },
    fp32: {
      encoder: {
        ...file('encoder.fp32.onnx', 100, 'e32'),
        externalData: [file('encoder.fp32.onnx.data', 5000, 'e32d')],
      },
      decoder: file('decoder.fp32.onnx', 80, 'd32'),
    },
  },
  classifier: {
    variants: { fp32: file('classifier.fp32.onnx', 90, 'c32') },
    heads: [{ name: 'h', activation: 'softmax', outputs: [0, 1], labels: ['a', 'b'] }],
  },
});

describe('bundle file lists', () => {
  it('lists every graph and external data file with its variant', () => {
    expect(bundleFiles(MANIFEST).map((f) => `${f.variant} ${f.role} ${f.path}`)).toEqual([
      'int8 encoder encoder.int8.onnx',
      'int8 decoder decoder.int8.onnx',
      'fp32 encoder encoder.fp32.onnx',
      'fp32 encoder data encoder.fp32.onnx.data',
      'fp32 decoder decoder.fp32.onnx',
      'fp32 classifier classifier.fp32.onnx',
    ]);
  });

  it('sizes variants in a fixed order and counts shared content once', () => {
    expect(variantSizes(MANIFEST)).toEqual([
      { name: 'fp32', bytes: 100 + 5000 + 80 + 90 },
      { name: 'int8', bytes: 50 },
    ]);
    const twice = bundleFiles(MANIFEST);
    twice.push({ ...twice[0], path: 'copy.onnx' });
    expect(distinctFiles(twice)).toHaveLength(6);
  });

  it('gives a manifest a stable id that changes with its content', () => {
    expect(modelIdOf(MANIFEST)).toMatch(/^[0-9a-f]{16}$/);
    expect(modelIdOf(structuredClone(MANIFEST))).toBe(modelIdOf(MANIFEST));
    expect(modelIdOf({ ...MANIFEST, name: 'other' })).not.toBe(modelIdOf(MANIFEST));
  });
});

describe('picked folders', () => {
  it('finds the common top folder', () => {
    expect(commonFolder(['ck/config.json', 'ck/model.safetensors'])).toBe('ck');
    expect(commonFolder(['config.json', 'model.safetensors'])).toBe('');
    expect(commonFolder(['a/config.json', 'b/model.safetensors'])).toBe('');
    expect(commonFolder([])).toBe('');
  });

  it('tells a bundle from a checkpoint, and says what it found otherwise', () => {
    expect(folderKind(['ck/config.json', 'ck/model.safetensors'])).toBe('checkpoint');
    expect(folderKind(['b/model.json', 'b/encoder.fp32.onnx'])).toBe('bundle');
    // A bundle may keep its source checkpoint's config beside model.json.
    expect(folderKind(['b/model.json', 'b/config.json'])).toBe('bundle');
    expect(folderKind(['x/config.json', 'x/bundle/model.json'])).toBe('checkpoint');
    expect(() => folderKind(['p/a.png', 'p/b.png'], 'p')).toThrow(
      'p holds neither a model bundle (model.json) nor a Hugging Face checkpoint (config.json): found p/a.png, p/b.png',
    );
    expect(() => folderKind([], 'p')).toThrow('p is empty');
  });
});

describe('sliced SHA-256', () => {
  it('matches a one-shot digest across slice boundaries, reporting progress', async () => {
    const bytes = new Uint8Array(1000).map((_, i) => (i * 7) & 255);
    const done: number[] = [];
    const digest = await sha256OfBlob(new Blob([bytes]), (n) => done.push(n), 64);
    expect(digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(done).toHaveLength(16);
    expect(done.at(-1)).toBe(1000);
    expect(await sha256OfBlob(new Blob([]))).toBe(createHash('sha256').digest('hex'));
  });

  it('hashes bytes in memory the same with Web Crypto and without it', async () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 13) & 255);
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(globalThis.crypto?.subtle).toBeDefined();
    expect(await sha256Hex(bytes)).toBe(expected);
    const subtle = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    try {
      expect(await sha256Hex(bytes)).toBe(expected);
    } finally {
      Object.defineProperty(globalThis, 'crypto', subtle);
    }
  });
});

describe('errors', () => {
  it('says how much space a model needs and where to free it', () => {
    const error = new StorageFullError('SKELEX ViT-L', 1_234_567_890);
    expect(error.name).toBe('StorageFullError');
    expect(error.message).toBe(
      'Not enough browser storage for SKELEX ViT-L: 1235 MB needed; free space by deleting models in the model manager',
    );
    expect(new StorageFullError('m', 40_000).message).toContain(': 0.1 MB needed;');
  });

  it('recognises quota errors by name or legacy code', () => {
    expect(isQuotaError(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(new DOMException('gone', 'NotFoundError'))).toBe(false);
    expect(isQuotaError(undefined)).toBe(false);
  });

  it('names the damaged file', () => {
    const error = new CorruptCacheError('ab'.repeat(32), 'does not match its SHA-256');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CorruptCacheError');
    expect(error.sha256).toBe('ab'.repeat(32));
    expect(error.message).toBe(
      'cached model file abababababab… does not match its SHA-256; it was removed from the cache',
    );
  });
});

const MAE: HfVitConfig = {
  image_size: 32,
  patch_size: 8,
  num_channels: 3,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  intermediate_size: 64,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  decoder_hidden_size: 24,
  decoder_num_hidden_layers: 1,
  decoder_num_attention_heads: 4,
  decoder_intermediate_size: 48,
};

/** A checkpoint folder as a browser folder pick gives it: paths under the folder's name. */
function picked(name: string, edit?: (dir: string) => void): ConvertInput[] {
  const dir = path.join(work, name);
  writeHfCheckpoint(dir, {
    architecture: 'ViTMAEForPreTraining',
    config: MAE,
    weights: randomMaeWeights(MAE, 3),
  });
  edit?.(dir);
  return readdirSync(dir).map((f) => ({
    path: `${name}/${f}`,
    file: new Blob([readFileSync(path.join(dir, f))]),
  }));
}

describe('converting picked files (what the convert worker runs)', () => {
  it('makes a verified bundle from Blobs, with throttled progress', async () => {
    const progress: ConvertProgress[] = [];
    const { manifest, files } = await convertFolderFiles(
      picked('ck'),
      { variants: ['fp32', 'int8'] },
      (p) => progress.push(p),
    );
    expect(manifest.name).toBe('ck');
    expect(manifest.source).toBe('ck');
    expect([...files.keys()].sort()).toEqual([
      'decoder.fp32.onnx',
      'decoder.int8.onnx',
      'encoder.fp32.onnx',
      'encoder.int8.onnx',
      'model.json',
    ]);
    for (const f of bundleFiles(manifest)) {
      const bytes = new Uint8Array(await files.get(f.path)!.arrayBuffer());
      expect(bytes.length).toBe(f.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    }
    expect(JSON.parse(await files.get('model.json')!.text())).toEqual(manifest);
    expect(progress.at(-1)).toEqual({ stage: 'done', fraction: 1 });
    expect(progress.length).toBeLessThan(220);
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(new Set(fractions).size, 'progress moves, not only 0 and 1').toBeGreaterThan(3);
  });

  it.each([
    [
      'missing weights',
      'ck-1',
      (dir: string) => rmSync(path.join(dir, 'model.safetensors')),
      /^ck-1: no weights beside config\.json: expected model\.safetensors/,
    ],
    [
      'a truncated weights file',
      'ck-2',
      (dir: string) => {
        const f = path.join(dir, 'model.safetensors');
        writeFileSync(f, readFileSync(f).subarray(0, 3000));
      },
      /^ck-2\/model\.safetensors: /,
    ],
    [
      'an unsupported activation',
      'ck-3',
      (dir: string) => {
        const f = path.join(dir, 'config.json');
        writeFileSync(
          f,
          JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), hidden_act: 'relu' }),
        );
      },
      /^ck-3\/config\.json: .*relu/,
    ],
  ] as const)('fails on %s with one line naming the file', async (_, folder, edit, message) => {
    const error = await convertFolderFiles(picked(folder, edit), { variants: ['fp32'] }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });

  it('names loose files after a generic folder', async () => {
    const loose = picked('loose').map((f) => ({ ...f, path: f.path.replace('loose/', '') }));
    const error = await convertFolderFiles(
      loose.filter((f) => f.path !== 'model.safetensors'),
      { variants: ['fp32'] },
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^checkpoint folder: no weights/);
  });

  it('sends progress when the stage changes or the bar moves half a percent', () => {
    const sent: string[] = [];
    const report = throttleProgress((p) => sent.push(`${p.stage} ${p.fraction}`));
    for (const fraction of [0, 0.001, 0.004, 0.006, 0.0061]) report({ stage: 'reading', fraction });
    report({ stage: 'writing', fraction: 0.0062 });
    report({ stage: 'writing', fraction: 1 });
    expect(sent).toEqual(['reading 0', 'reading 0.006', 'writing 0.0062', 'writing 1']);
  });
});

describe('convert client', () => {
  const ports: MessagePort[] = [];
  afterEach(() => {
    for (const port of ports.splice(0)) port.close();
  });

  interface FakeWorker extends WorkerLike {
    terminated: boolean;
    fail(message: string): void;
  }

  /** A stand-in worker whose convert reports two steps and answers, or hangs. */
  function fakeWorker(hang: boolean): FakeWorker {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const errorListeners: EventListener[] = [];
    Comlink.expose(
      {
        async convert(
          files: ConvertInput[],
          _request: unknown,
          onProgress: (p: ConvertProgress) => void,
        ) {
          await onProgress({ stage: 'reading weights', fraction: 0.25 });
          await onProgress({ stage: 'done', fraction: 1 });
          if (hang) return new Promise(() => {});
          return { manifest: MANIFEST, files: new Map([['n', new Blob([String(files.length)])]]) };
        },
      },
      port2 as unknown as Comlink.Endpoint,
    );
    const worker: FakeWorker = {
      terminated: false,
      postMessage: (message: unknown, transfer?: Transferable[]) =>
        port1.postMessage(message, transfer as never),
      addEventListener: (type: string, listener: EventListenerOrEventListenerObject) => {
        if (type === 'error') errorListeners.push(listener as EventListener);
        else port1.addEventListener(type, listener as never);
      },
      removeEventListener: (type: string, listener: EventListenerOrEventListenerObject) => {
        if (type !== 'error') port1.removeEventListener(type, listener as never);
        else errorListeners.splice(errorListeners.indexOf(listener as EventListener), 1);
      },
      start: () => port1.start(),
      terminate() {
        worker.terminated = true;
        port1.close();
        port2.close();
      },
      fail(message: string) {
        const event = Object.assign(new Event('error', { cancelable: true }), { message });
        for (const l of [...errorListeners]) l(event);
      },
    };
    return worker;
  }

  const input = [{ path: 'ck/config.json', file: new Blob(['{}']) }];

  it('forwards progress, resolves with the bundle and stops the worker', async () => {
    const worker = fakeWorker(false);
    const progress: string[] = [];
    const job = startConversion(
      input,
      { variants: ['fp32'] },
      (p) => progress.push(p.stage),
      () => worker,
    );
    const bundle = await job.result;
    expect(await bundle.files.get('n')!.text()).toBe('1');
    expect(bundle.manifest).toEqual(MANIFEST);
    expect(progress).toEqual(['reading weights', 'done']);
    expect(worker.terminated).toBe(true);
  });

  it('cancels by terminating the worker', async () => {
    const worker = fakeWorker(true);
    let stages = 0;
    const job = startConversion(
      input,
      { variants: ['fp32'] },
      () => stages++,
      () => worker,
    );
    await expect.poll(() => stages).toBe(2);
    job.cancel();
    await expect(job.result).rejects.toBeInstanceOf(ConvertCancelled);
    expect(worker.terminated).toBe(true);
  });

  it('reports a worker that dies', async () => {
    const worker = fakeWorker(true);
    let stages = 0;
    const job = startConversion(
      input,
      { variants: ['fp32'] },
      () => stages++,
      () => worker,
    );
    await expect.poll(() => stages).toBe(2);
    worker.fail('Array buffer allocation failed');
    await expect(job.result).rejects.toThrow(
      'the converter stopped (Array buffer allocation failed)',
    );
    expect(worker.terminated).toBe(true);
  });
});
