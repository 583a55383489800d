/**
 * The model cache and "Import model" in headless Chromium (Node has no IndexedDB).
 * The store is driven through the dev server's own module; the import runs through the
 * real dialog and convert worker, and what it saved is compared with the same checkpoint
 * converted in Node.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBundleSink } from '../../src/lib/convert/bundle-sink';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../../src/lib/convert/convert';
import { makeVariant } from '../../src/lib/convert/variants';
import type { BundleManifest, VariantName } from '../../src/lib/model/manifest';
import {
  launchChromium,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import { randomMaeWeights, type HfVitConfig, SMALL_MAE_CONFIG } from '../helpers/reference-vit';

type StoreModule = typeof import('../../src/lib/model/store');

/** What the test page exposes as `window.__t`. */
interface TestHooks {
  store: StoreModule;
  /** Writes `value` under `key` in a database's object store, behind the store's back. */
  put(db: string, key: IDBValidKey, value: unknown): Promise<void>;
  keys(db: string): Promise<IDBValidKey[]>;
  get(db: string, key: IDBValidKey): Promise<unknown>;
  blob(base64: string): Blob;
  hex(blob: Blob): Promise<string>;
}

declare global {
  interface Window {
    __t: TestHooks;
  }
}

const HOOKS = `
import * as store from '/src/lib/model/store.ts';
const open = (name) => new Promise((resolve, reject) => {
  const request = indexedDB.open(name);
  request.onupgradeneeded = () => request.result.createObjectStore('cache');
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});
const run = async (name, mode, act) => {
  const db = await open(name);
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction('cache', mode);
      const request = act(tx.objectStore('cache'));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally { db.close(); }
};
window.__t = {
  store,
  put: (name, key, value) => run(name, 'readwrite', (s) => s.put(value, key)).then(() => undefined),
  keys: (name) => run(name, 'readonly', (s) => s.getAllKeys()),
  get: (name, key) => run(name, 'readonly', (s) => s.get(key)),
  blob: (base64) => new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]),
  hex: async (blob) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())), (b) => b.toString(16).padStart(2, '0')).join(''),
};
`;

const MAE: HfVitConfig = SMALL_MAE_CONFIG;

let server: DevServer;
let browser: BrowserSession;
let page: Page;
let scratch: string;

beforeAll(async () => {
  ({ server, browser, page, scratch } = await openBrowserApp({
    scratch: 'skelex-models-',
    bypassCSP: true, // the tests inject helper scripts
  }));
});

afterAll(() => closeBrowserApp({ server, browser, scratch }));

beforeEach(async () => {
  await page.goto(server.url);
  await page.getByTestId('models-button').waitFor();
  browser.errors.length = 0;
});

async function installHooks(on: Page = page): Promise<void> {
  await on.addScriptTag({ type: 'module', content: HOOKS });
  await on.waitForFunction(() => window.__t !== undefined);
}

async function openModels(on: Page = page): Promise<void> {
  await on.getByTestId('models-button').click();
  await on.getByTestId('models-dialog').waitFor();
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A bundle with made-up graph bytes: the store checks sizes and hashes, not ONNX. */
interface FakeBundle {
  manifest: BundleManifest;
  /** path: base64 contents */
  files: Record<string, string>;
  sha: Record<string, string>;
}

function fakeBundle(name: string, parts: Record<string, Uint8Array>): FakeBundle {
  const files: Record<string, string> = {};
  const shas: Record<string, string> = {};
  const entry = (p: string) => {
    files[p] = Buffer.from(parts[p]).toString('base64');
    shas[p] = sha(parts[p]);
    return { path: p, sha256: shas[p], bytes: parts[p].length };
  };
  const variants: BundleManifest['variants'] = {};
  for (const v of ['fp32', 'int8'] as VariantName[]) {
    if (parts[`encoder.${v}.onnx`]) {
      variants[v] = { encoder: entry(`encoder.${v}.onnx`), decoder: entry(`decoder.${v}.onnx`) };
    }
  }
  const manifest: BundleManifest = {
    format: 'skelex-bundle/1',
    name,
    version: '1',
    license: 'MIT',
    source: 'test',
    input: {
      imageSize: 32,
      patchSize: 8,
      channels: 3,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      resample: 'bicubic',
    },
    mae: { maskRatio: 0.75, normPixLoss: false },
    variants,
  };
  return { manifest, files, sha: shas };
}

/** 100 kB of encoder and 600 kB of decoder. */
const bigBundle = (): FakeBundle =>
  fakeBundle('big', {
    'encoder.fp32.onnx': randomBytes(100_000, 8),
    'decoder.fp32.onnx': randomBytes(600_000, 9),
  });

describe('model store in Chromium', () => {
  it('saves, lists and reads back verified files; a damaged file is dropped', async () => {
    const bundle = fakeBundle('alpha', {
      'encoder.fp32.onnx': randomBytes(40_000, 1),
      'decoder.fp32.onnx': randomBytes(30_000, 2),
      'encoder.int8.onnx': randomBytes(10_000, 3),
      'decoder.int8.onnx': randomBytes(8_000, 4),
    });
    await installHooks();
    const result = await page.evaluate(
      async ({ bundle, encoder, decoder }) => {
        const t = window.__t;
        const db = 'store-basic';
        const store = new t.store.ModelStore({ dbName: db });
        const files = new Map(Object.entries(bundle.files).map(([p, b]) => [p, t.blob(b)]));
        const stages: string[] = [];
        const saved = await store.saveBundle(bundle.manifest, files, {
          onProgress: (p) => stages.push(`${p.stage} ${p.fraction.toFixed(2)}`),
        });
        const list = await store.listModels();
        const read = await store.getFile(encoder, 40_000);
        const readHex = read ? await t.hex(read) : 'missing';
        const manifest = await store.getManifest(saved.id);

        // Reads for loading check the checksum recorded at save.
        const int8 = bundle.manifest.variants!.int8!;
        const recorded = await t.get(db, t.store.checkKey(int8.encoder.sha256));
        const loaded = await store.getFileBytes(int8.encoder.sha256, int8.encoder.bytes);
        const loadedHex = loaded ? await t.hex(new Blob([loaded])) : 'missing';
        await t.put(db, t.store.fileKey(int8.encoder.sha256), new Blob([new Uint8Array(10_000)]));
        const checksummed = await store.getFileBytes(int8.encoder.sha256, int8.encoder.bytes).then(
          () => 'no error',
          (e: Error) => `${e.name}: ${e.message}`,
        );
        // A file saved before checksums were kept: its SHA-256 is checked, then a checksum recorded.
        await t.put(db, t.store.checkKey(int8.decoder.sha256), 0);
        const legacy = await store.getFileBytes(int8.decoder.sha256, int8.decoder.bytes);
        const recordedOnRead = await t.get(db, t.store.checkKey(int8.decoder.sha256));
        await t.put(db, t.store.checkKey(int8.decoder.sha256), 0);
        await t.put(db, t.store.fileKey(int8.decoder.sha256), new Blob([new Uint8Array(8_000)]));
        const legacyDamaged = await store
          .getFileBytes(int8.decoder.sha256, int8.decoder.bytes)
          .then(
            () => 'no error',
            (e: Error) => `${e.name}: ${e.message}`,
          );

        // Same size, other bytes: the hash check catches it.
        await t.put(db, t.store.fileKey(encoder), new Blob([new Uint8Array(40_000)]));
        const hashed = await store.getFile(encoder, 40_000).then(
          () => 'no error',
          (e: Error) => `${e.name} ${e instanceof t.store.CorruptCacheError}: ${e.message}`,
        );
        const afterDrop = await store.getFile(encoder, 40_000);
        // Cut short: the size check catches it.
        await t.put(db, t.store.fileKey(decoder), new Blob([new Uint8Array(100)]));
        const sized = await store.getFile(decoder, 30_000).then(
          () => 'no error',
          (e: Error) => `${e.name}: ${e.message}`,
        );
        return {
          saved,
          list,
          readHex,
          manifest,
          stages,
          hashed,
          dropped: afterDrop === undefined,
          sized,
          recorded,
          loadedHex,
          checksummed,
          legacyRead: legacy?.length,
          recordedOnRead,
          recordedAgain: recordedOnRead === recorded,
          legacyDamaged,
          checkLeft: await t.get(db, t.store.checkKey(int8.encoder.sha256)),
          after: await store.listModels(),
        };
      },
      {
        bundle,
        encoder: bundle.sha['encoder.fp32.onnx'],
        decoder: bundle.sha['decoder.fp32.onnx'],
      },
    );

    expect(result.list).toHaveLength(1);
    expect(result.list[0]).toMatchObject({
      id: result.saved.id,
      name: 'alpha',
      version: '1',
      variants: [
        { name: 'fp32', bytes: 70_000 },
        { name: 'int8', bytes: 18_000 },
      ],
      totalBytes: 88_000,
      missingFiles: 0,
    });
    expect(result.readHex).toBe(bundle.sha['encoder.fp32.onnx']);
    expect(result.manifest).toEqual(bundle.manifest);
    expect(result.stages[0]).toMatch(/^checking encoder\.fp32\.onnx 0\.00$/);
    expect(result.stages.at(-1)).toBe('saved 1.00');
    expect(result.hashed).toMatch(/^CorruptCacheError true: .*SHA-256.*removed from the cache/);
    expect(result.dropped).toBe(true);
    expect(result.sized).toMatch(/^CorruptCacheError: .*100 bytes where 30000 were expected/);
    expect(result.recorded).toMatch(/^xxh32x2:[0-9a-f]{16}$/);
    expect(result.loadedHex).toBe(bundle.sha['encoder.int8.onnx']);
    expect(result.checksummed).toMatch(
      /^CorruptCacheError: .*does not match the checksum recorded when it was saved; it was removed/,
    );
    expect(result.checkLeft).toBeUndefined();
    expect(result.legacyRead).toBe(8_000);
    expect(result.recordedOnRead).toMatch(/^xxh32x2:[0-9a-f]{16}$/);
    expect(result.recordedAgain).toBe(false);
    expect(result.legacyDamaged).toMatch(/^CorruptCacheError: .*does not match its SHA-256/);
    expect(result.after[0].missingFiles).toBe(4);
    expect(browser.errors).toEqual([]);
  });

  it('deletes a model but keeps the files another model shares', async () => {
    const shared = randomBytes(20_000, 5);
    const a = fakeBundle('a', {
      'encoder.fp32.onnx': shared,
      'decoder.fp32.onnx': randomBytes(5_000, 6),
    });
    const b = fakeBundle('b', {
      'encoder.fp32.onnx': shared,
      'decoder.fp32.onnx': randomBytes(6_000, 7),
    });
    await installHooks();
    const result = await page.evaluate(
      async ({ a, b }) => {
        const t = window.__t;
        const db = 'store-shared';
        const store = new t.store.ModelStore({ dbName: db });
        const blobs = (files: Record<string, string>) =>
          new Map(Object.entries(files).map(([p, x]) => [p, t.blob(x)]));
        const sa = await store.saveBundle(a.manifest, blobs(a.files));
        await store.saveBundle(b.manifest, blobs(b.files));
        const before = (await t.keys(db)).length;
        await store.deleteModel(sa.id);
        const enc = a.manifest.variants!.fp32!.encoder;
        const decA = a.manifest.variants!.fp32!.decoder;
        const decB = b.manifest.variants!.fp32!.decoder;
        const names = (await store.listModels()).map((m) => m.name);
        const sharedKept = (await store.getFile(enc.sha256, enc.bytes)) !== undefined;
        const ownGone = (await store.getFile(decA.sha256, decA.bytes)) === undefined;
        const otherKept = (await store.getFile(decB.sha256, decB.bytes)) !== undefined;
        for (const m of await store.listModels()) await store.deleteModel(m.id);
        return { before, names, sharedKept, ownGone, otherKept, left: (await t.keys(db)).length };
      },
      { a, b },
    );
    // Two models, three distinct files, each with its checksum.
    expect(result.before).toBe(8);
    expect(result).toMatchObject({
      names: ['b'],
      sharedKept: true,
      ownGone: true,
      otherKept: true,
      left: 0,
    });
    expect(browser.errors).toEqual([]);
  });

  it('a save that fails leaves no model and no files behind', async () => {
    const big = bigBundle();
    await installHooks();
    // A damaged file is refused before anything is written.
    const damaged = await page.evaluate(async (bundle) => {
      const t = window.__t;
      const store = new t.store.ModelStore({ dbName: 'store-damaged' });
      const files = new Map(Object.entries(bundle.files).map(([p, x]) => [p, t.blob(x)]));
      const decoder = bundle.manifest.variants!.fp32!.decoder;
      files.set(decoder.path, new Blob([new Uint8Array(decoder.bytes)]));
      const error = await store.saveBundle(bundle.manifest, files).then(
        () => 'saved',
        (e: Error) => e.message,
      );
      return { error, models: await store.listModels(), keys: await t.keys('store-damaged') };
    }, big);
    expect(damaged.error).toBe(
      'big: decoder.fp32.onnx does not match the SHA-256 in model.json (the file is damaged or was changed)',
    );
    expect(damaged.models).toEqual([]);
    expect(damaged.keys).toEqual([]);

    // A storage estimate that cannot hold the model: refused with the manager's message.
    const estimated = await page.evaluate(async (bundle) => {
      const t = window.__t;
      const store = new t.store.ModelStore({
        dbName: 'store-estimate',
        estimate: async () => ({ quota: 1_000_000, usage: 500_000 }),
      });
      const files = new Map(Object.entries(bundle.files).map(([p, x]) => [p, t.blob(x)]));
      const error = await store.saveBundle(bundle.manifest, files).then(
        () => 'saved',
        (e: Error) => `${e.name}: ${e.message}`,
      );
      return { error, keys: await t.keys('store-estimate') };
    }, big);
    expect(estimated.error).toBe(
      'StorageFullError: Not enough browser storage for big: 0.7 MB needed; free space by deleting models in the model manager',
    );
    expect(estimated.keys).toEqual([]);

    expect(browser.errors).toEqual([]);
  });
});

describe('Import model', () => {
  const weights = randomMaeWeights(MAE, 21);
  const VARIANTS: VariantName[] = ['fp32', 'int8'];

  /** The same checkpoint converted in Node, as the reference for what the browser saved. */
  async function convertInNode(
    dir: string,
  ): Promise<{ manifest: BundleManifest; sink: MemoryBundleSink }> {
    const listing = await openDirectoryByteSources(dir);
    try {
      const name = path.basename(dir);
      const sink = new MemoryBundleSink();
      const manifest = await convertCheckpoint(
        await openCheckpointFolder(listing.files, name),
        sink,
        {
          variants: VARIANTS,
          makeVariant,
          name,
          source: name,
        },
      );
      return { manifest, sink };
    } finally {
      await listing.close();
    }
  }

  /** A small random MAE checkpoint folder, written once. */
  function tinyCheckpoint(): string {
    const dir = path.join(scratch, 'tiny-mae');
    if (!existsSync(dir)) {
      writeHfCheckpoint(dir, {
        architecture: 'ViTMAEForPreTraining',
        config: MAE,
        weights,
        preprocessor: { image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.25, 0.25], resample: 3 },
      });
    }
    return dir;
  }

  it('converts a checkpoint folder in a worker, saves it and lists it', async () => {
    const dir = tinyCheckpoint();
    const reference = await convertInNode(dir);

    await openModels();
    for (const v of ['fp32', 'fp16', 'int8', 'q4'] as const) {
      expect(await page.getByTestId(`variant-${v}`).isChecked()).toBe(VARIANTS.includes(v));
    }
    // Record every stage the bar shows.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __stages: string[] }).__stages = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid=import-stage]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('model-folder-input').setInputFiles(dir);
    const progress = page.getByTestId('import-progress');
    await expect
      .poll(() => progress.getAttribute('data-phase'), { timeout: 60_000 })
      .toMatch(/done|error/);
    expect(await page.getByTestId('import-error').count()).toBe(0);
    expect(await page.getByTestId('import-stage').textContent()).toBe('done · 100%');
    expect(await progress.locator('progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(
      1,
    );
    const stages = await page.evaluate(
      () => (window as unknown as { __stages: string[] }).__stages,
    );
    expect(stages.some((s) => s.startsWith('reading weights'))).toBe(true);
    expect(stages.some((s) => s.startsWith('writing encoder.int8.onnx'))).toBe(true);
    expect(stages.some((s) => s.startsWith('saving '))).toBe(true);
    expect(await page.getByTestId('import-message').textContent()).toContain('Saved tiny-mae');

    const model = page.getByTestId('model').filter({ hasText: 'tiny-mae' });
    await model.waitFor();
    expect(
      await model
        .getByTestId('model-variant')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-variant'))),
    ).toEqual(VARIANTS);

    // What the store holds is what Node makes of the same checkpoint, byte for byte.
    await installHooks();
    const id = await model.getAttribute('data-id');
    const stored = await page.evaluate(async (id) => {
      const t = window.__t;
      const store = new t.store.ModelStore();
      const manifest = await store.getManifest(id!);
      const hashes: Record<string, string> = {};
      for (const v of Object.values(manifest!.variants!)) {
        for (const f of [v!.encoder, v!.decoder]) {
          const blob = await store.getFile(f.sha256, f.bytes);
          hashes[f.path] = blob ? await t.hex(blob) : 'missing';
        }
      }
      return { manifest, hashes };
    }, id);
    expect(stored.manifest).toEqual(reference.manifest);
    for (const v of Object.values(reference.manifest.variants!)) {
      for (const f of [v!.encoder, v!.decoder]) expect(stored.hashes[f.path]).toBe(f.sha256);
    }
    expect(browser.errors).toEqual([]);
  });

  it('names what is missing from a broken checkpoint, and then imports a dropped bundle', async () => {
    const dir = path.join(scratch, 'no-weights');
    writeHfCheckpoint(dir, { architecture: 'ViTMAEForPreTraining', config: MAE, weights });
    rmSync(path.join(dir, 'model.safetensors'));
    await openModels();
    await page.getByTestId('model-folder-input').setInputFiles(dir);
    const error = page.getByTestId('import-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(/no-weights: no weights .*model\.safetensors/);

    // The app keeps working: a ready bundle dropped on the dialog is checked and saved,
    // and the page's image drop zone does not take it.
    const bundleDir = path.join(scratch, 'ready-bundle');
    mkdirSync(bundleDir, { recursive: true });
    const { manifest, sink } = await convertInNode(tinyCheckpoint());
    const files: Record<string, string> = {};
    for (const [p, blob] of sink.files) {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      writeFileSync(path.join(bundleDir, p), bytes);
      files[p] = Buffer.from(bytes).toString('base64');
    }
    // A second copy under another name, so it is a model of its own.
    const renamed = { ...manifest, name: 'dropped bundle' };
    files['model.json'] = Buffer.from(JSON.stringify(renamed)).toString('base64');
    const reachedPage = await page.getByTestId('models-dialog').evaluate((dialog, files) => {
      const data = new DataTransfer();
      for (const [name, base64] of Object.entries(files)) {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        data.items.add(new File([bytes], name));
      }
      // The page's drop zone listens on the window: see whether the drop gets there at all.
      let reached = false;
      const seen = () => (reached = true);
      window.addEventListener('drop', seen);
      for (const type of ['dragenter', 'dragover', 'drop']) {
        dialog.dispatchEvent(
          new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }),
        );
      }
      window.removeEventListener('drop', seen);
      return reached;
    }, files);
    expect(reachedPage).toBe(false);
    const message = page.getByTestId('import-message');
    await message.waitFor({ timeout: 30_000 });
    expect(await message.textContent()).toContain('Saved dropped bundle');
    await page.getByTestId('model').filter({ hasText: 'dropped bundle' }).waitFor();
    expect(await page.getByTestId('entry').count()).toBe(0);

    // Delete asks once more, then the model is gone from the list.
    const dropped = page.getByTestId('model').filter({ hasText: 'dropped bundle' });
    await dropped.getByTestId('model-delete').click();
    await dropped.getByTestId('model-delete-confirm').click();
    await expect
      .poll(() => page.getByTestId('model').filter({ hasText: 'dropped bundle' }).count())
      .toBe(0);
    expect(browser.errors).toEqual([]);
  });
});

describe('when browser storage is full', () => {
  // Chromium holds a quota override only while the DevTools session that set it is open, and
  // applies it to IndexedDB only when it is set before the origin stores anything there: these
  // tests get a browser of their own, with the quota set at once.
  const QUOTA = 400_000;
  let full: BrowserSession;
  let fullPage: Page;

  beforeAll(async () => {
    full = await launchChromium(undefined, { bypassCSP: true });
    fullPage = full.page;
    await fullPage.goto(server.url);
    await fullPage.getByTestId('models-button').waitFor();
    // The override lasts as long as the DevTools session: it stays open until the end.
    const cdp = await full.context.newCDPSession(fullPage);
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin: new URL(server.url).origin,
      quotaSize: QUOTA,
    });
    full.errors.length = 0;
  });

  afterAll(async () => {
    await full?.close();
  });

  it('a save that does not fit removes the files it wrote', async () => {
    // The encoder fits, the decoder does not, and the encoder is removed again.
    await installHooks(fullPage);
    const result = await fullPage.evaluate(async (bundle) => {
      const t = window.__t;
      const store = new t.store.ModelStore({ dbName: 'store-quota' });
      const files = new Map(Object.entries(bundle.files).map(([p, x]) => [p, t.blob(x)]));
      // Keys just before the decoder is written: the encoder is already in.
      let midway: Promise<IDBValidKey[]> | undefined;
      const error = await store
        .saveBundle(bundle.manifest, files, {
          onProgress: (p) => {
            if (p.stage === 'saving decoder.fp32.onnx') midway ??= t.keys('store-quota');
          },
        })
        .then(
          () => 'saved',
          (e: Error) => `${e.name}: ${e.message}`,
        );
      return {
        error,
        midway: (await midway)?.length,
        models: await store.listModels(),
        keys: await t.keys('store-quota'),
      };
    }, bigBundle());
    expect(result.error).toBe(
      'StorageFullError: Not enough browser storage for big: 0.7 MB needed; free space by deleting models in the model manager',
    );
    // The encoder and its checksum.
    expect(result.midway).toBe(2);
    expect(result.models).toEqual([]);
    expect(result.keys).toEqual([]);
    expect(full.errors).toEqual([]);
  });

  it('"Import model" says so, and the app keeps working', async () => {
    // About 1 MB of fp32 weights: more than the quota.
    const wide: HfVitConfig = { ...MAE, hidden_size: 96, intermediate_size: 384 };
    const dir = path.join(scratch, 'wide-mae');
    writeHfCheckpoint(dir, {
      architecture: 'ViTMAEForPreTraining',
      config: wide,
      weights: randomMaeWeights(wide, 33),
    });
    await openModels(fullPage);
    // The import reads the list again when it ends, after the error shows: count the
    // readings, to look at the list once that one is in.
    const list = fullPage.getByTestId('model-list');
    const listings = async () => Number(await list.getAttribute('data-listings'));
    await fullPage.getByTestId('models-empty').waitFor();
    const listedBefore = await listings();
    await fullPage.getByTestId('variant-int8').uncheck();
    await fullPage.getByTestId('model-folder-input').setInputFiles(dir);
    const error = fullPage.getByTestId('import-error');
    await error.waitFor({ timeout: 30_000 });
    expect((await error.textContent())?.trim()).toMatch(
      /^Not enough browser storage for wide-mae: [\d.]+ MB needed; free space by deleting models in the model manager$/,
    );
    await expect.poll(listings).toBeGreaterThan(listedBefore);
    await expect.poll(() => fullPage.getByTestId('model').count()).toBe(0);
    await expect.poll(() => fullPage.getByTestId('models-empty').isVisible()).toBe(true);
    // The dialog closes and the page is still usable.
    await fullPage.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => fullPage.getByTestId('models-dialog').isVisible()).toBe(false);
    await openModels(fullPage);
    expect(full.errors).toEqual([]);
  });
});
