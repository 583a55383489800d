/**
 * The model cache: bundles kept in IndexedDB (idb-keyval) on this device.
 *
 * Files are content-addressed by SHA-256, so variants and models that share a file store
 * it once; each model's manifest is kept under its id. A save verifies every listed file
 * before it writes anything, writes the files first and the manifest last, and removes
 * what it wrote when it fails, so a half-saved model is never listed. Each file's SHA-256
 * is checked before it is saved, and a fast checksum (./checksum.ts) recorded with it;
 * reads check the size and that checksum (the SHA-256 for files saved before checksums
 * were kept): a damaged file is dropped and reported as a CorruptCacheError, so the caller
 * fetches or imports it again.
 */
import {
  createStore,
  del,
  delMany,
  get,
  getMany,
  keys,
  set,
  setMany,
  type UseStore,
} from 'idb-keyval';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bundleFiles, distinctFiles, variantSizes, type VariantSize } from './bundle-files';
import { CHECKSUM_TAG, fileChecksum } from './checksum';
import { digestBlob, sha256Hex, sha256OfBlob } from './hash';
import { recommendedMap, validateManifest, type BundleManifest } from './manifest';

export const DEFAULT_DB_NAME = 'skelex-models';
export const DEFAULT_STORE_NAME = 'cache';

/** IndexedDB key of a cached file. */
export const fileKey = (sha256: string): IDBValidKey => ['file', sha256];
/** IndexedDB key of a cached file's checksum, recorded when its SHA-256 was checked. */
export const checkKey = (sha256: string): IDBValidKey => ['check', sha256];
/** IndexedDB key of a saved model's record. */
export const modelKey = (id: string): IDBValidKey => ['model', id];

const isKind = (key: IDBValidKey, kind: string): key is [string, string] =>
  Array.isArray(key) && key.length === 2 && key[0] === kind && typeof key[1] === 'string';

export interface StoredModel {
  id: string;
  manifest: BundleManifest;
  /** When it was saved, in ms since 1970. */
  savedAt: number;
}

export interface ModelSummary {
  id: string;
  name: string;
  version: string;
  variants: VariantSize[];
  /** Bytes the model's distinct files take. */
  totalBytes: number;
  savedAt: number;
  /** Listed files no longer in the cache (dropped as damaged): the model must be imported again. */
  missingFiles: number;
  /** The error map the bundle recommends showing. */
  recommendedMap: 'raw' | 'relative';
}

export interface SaveProgress {
  stage: string;
  /** 0..1 over checking and writing. */
  fraction: number;
}

export interface SaveOptions {
  onProgress?: (progress: SaveProgress) => void;
}

export interface StorageEstimateLike {
  quota?: number;
  usage?: number;
}

export interface ModelStoreOptions {
  dbName?: string;
  storeName?: string;
  /** Storage left to the page (the app passes `navigator.storage.estimate`): checked before writing. */
  estimate?: () => Promise<StorageEstimateLike>;
}

/** A cached file whose size or hash is not what was stored; it has been removed from the cache. */
export class CorruptCacheError extends Error {
  override readonly name = 'CorruptCacheError';
  readonly sha256: string;

  constructor(sha256: string, problem: string) {
    super(`cached model file ${sha256.slice(0, 12)}… ${problem}; it was removed from the cache`);
    this.sha256 = sha256;
  }
}

/** The browser refused to store more: the user has to free space first. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
  readonly bytesNeeded: number;

  constructor(model: string, bytesNeeded: number, options?: ErrorOptions) {
    super(
      `Not enough browser storage for ${model}: ${megabytes(bytesNeeded)} MB needed; free space by deleting models in the model manager`,
      options,
    );
    this.bytesNeeded = bytesNeeded;
  }
}

function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return mb >= 10 ? String(Math.ceil(mb)) : (Math.ceil(mb * 10) / 10).toFixed(1);
}

/** IndexedDB reports a full quota as a DOMException named QuotaExceededError (legacy code 22). */
export function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'QuotaExceededError' || e.code === 22;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A stable id for a manifest: the start of the SHA-256 of its JSON. */
export function modelIdOf(manifest: BundleManifest): string {
  return bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(manifest)))).slice(0, 16);
}

function summarise(record: StoredModel, cached: ReadonlySet<string>): ModelSummary {
  const files = distinctFiles(bundleFiles(record.manifest));
  return {
    id: record.id,
    name: record.manifest.name,
    version: record.manifest.version,
    variants: variantSizes(record.manifest),
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    savedAt: record.savedAt,
    missingFiles: files.filter((f) => !cached.has(f.sha256)).length,
    recommendedMap: recommendedMap(record.manifest),
  };
}

export class ModelStore {
  private readonly db: UseStore;
  private readonly estimate?: () => Promise<StorageEstimateLike>;
  /** Writes and deletes run one at a time, so a failed save's clean-up cannot race a delete. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: ModelStoreOptions = {}) {
    this.db = createStore(
      options.dbName ?? DEFAULT_DB_NAME,
      options.storeName ?? DEFAULT_STORE_NAME,
    );
    this.estimate = options.estimate;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Verifies a bundle's files against its manifest and stores them with it. `files` maps the
   * manifest's paths to their contents (extra entries are ignored). Resolves with the saved
   * model's summary; on any failure nothing of this save is left behind.
   */
  async saveBundle(
    manifest: BundleManifest,
    files: ReadonlyMap<string, Blob>,
    options: SaveOptions = {},
  ): Promise<ModelSummary> {
    validateManifest(manifest);
    const label = manifest.name;
    const report = options.onProgress ?? (() => {});
    const listed = distinctFiles(bundleFiles(manifest));
    const total = listed.reduce((sum, f) => sum + f.bytes, 0) || 1;

    // Everything is checked before anything is written.
    const blobs = new Map<string, Blob>();
    for (const f of listed) {
      const blob = files.get(f.path);
      if (!blob) throw new Error(`${label}: ${f.path} is missing (model.json lists it)`);
      if (blob.size !== f.bytes) {
        throw new Error(`${label}: ${f.path} is ${blob.size} bytes, model.json says ${f.bytes}`);
      }
      blobs.set(f.sha256, blob);
    }
    let checked = 0;
    const checksums = new Map<string, string>();
    for (const f of listed) {
      const stage = `checking ${f.path}`;
      report({ stage, fraction: (0.5 * checked) / total });
      let digest: string;
      try {
        const digests = await digestBlob(blobs.get(f.sha256)!, (done) =>
          report({ stage, fraction: (0.5 * (checked + done)) / total }),
        );
        digest = digests.sha256;
        checksums.set(f.sha256, digests.checksum);
      } catch (error) {
        throw new Error(`${label}: ${f.path} could not be read (${reason(error)})`, {
          cause: error,
        });
      }
      if (digest !== f.sha256) {
        throw new Error(
          `${label}: ${f.path} does not match the SHA-256 in model.json (the file is damaged or was changed)`,
        );
      }
      checked += f.bytes;
    }

    return this.exclusive(async () => {
      const id = modelIdOf(manifest);
      const present = new Set(
        (await keys(this.db)).filter((k) => isKind(k, 'file')).map((k) => k[1]),
      );
      const toWrite: typeof listed = [];
      for (const f of listed) {
        if (!present.has(f.sha256)) toWrite.push(f);
        // A stored copy of the wrong size is damaged: replace it.
        else if ((await get<Blob>(fileKey(f.sha256), this.db))?.size !== f.bytes) toWrite.push(f);
      }
      const needed = toWrite.reduce((sum, f) => sum + f.bytes, 0);
      await this.checkSpace(label, needed);

      const written: string[] = [];
      const record: StoredModel = { id, manifest, savedAt: Date.now() };
      let done = 0;
      try {
        for (const f of toWrite) {
          report({ stage: `saving ${f.path}`, fraction: 0.5 + (0.5 * done) / (needed || 1) });
          if (!present.has(f.sha256)) written.push(f.sha256);
          await setMany(
            [
              [fileKey(f.sha256), blobs.get(f.sha256)!],
              [checkKey(f.sha256), checksums.get(f.sha256)!],
            ],
            this.db,
          );
          done += f.bytes;
        }
        await set(modelKey(id), record, this.db);
      } catch (error) {
        await delMany([...written.map(fileKey), ...written.map(checkKey)], this.db).catch(
          () => undefined,
        );
        if (isQuotaError(error)) throw new StorageFullError(label, needed, { cause: error });
        throw new Error(`${label}: could not be saved in browser storage (${reason(error)})`, {
          cause: error,
        });
      }
      report({ stage: 'saved', fraction: 1 });
      return summarise(record, new Set([...present, ...written]));
    });
  }

  /**
   * Saves a ready bundle folder: `files` maps paths (as a folder pick gives them, possibly
   * under one top folder) to contents. The shallowest model.json is the bundle's.
   */
  async importBundleFolder(
    files: ReadonlyMap<string, Blob>,
    options: SaveOptions = {},
  ): Promise<ModelSummary> {
    const paths = [...files.keys()].map((p) => p.replace(/\\/g, '/'));
    const depth = (p: string): number => p.split('/').length;
    const manifests = paths.filter((p) => p === 'model.json' || p.endsWith('/model.json'));
    if (manifests.length === 0) throw new Error('no model.json in the folder: not a model bundle');
    const shallowest = Math.min(...manifests.map(depth));
    const roots = manifests.filter((p) => depth(p) === shallowest);
    if (roots.length > 1) {
      throw new Error(`several bundles (${roots.join(', ')}); choose the folder of one of them`);
    }
    const dir = roots[0].slice(0, roots[0].length - 'model.json'.length);
    const inside = new Map<string, Blob>();
    for (const [key, blob] of files) {
      const p = key.replace(/\\/g, '/');
      if (p.startsWith(dir)) inside.set(p.slice(dir.length), blob);
    }
    const manifestBlob = inside.get('model.json')!;
    if (manifestBlob.size > 16 * 1024 * 1024) {
      throw new Error(`${roots[0]}: ${manifestBlob.size} bytes is too large for a model.json`);
    }
    let json: unknown;
    try {
      json = JSON.parse(await manifestBlob.text());
    } catch (error) {
      throw new Error(`${roots[0]}: not valid JSON (${reason(error)})`, { cause: error });
    }
    const manifest = validateManifest(json, roots[0]);
    return this.saveBundle(manifest, inside, options);
  }

  /** Every saved model, oldest first. */
  async listModels(): Promise<ModelSummary[]> {
    const all = await keys(this.db);
    const cached = new Set(all.filter((k) => isKind(k, 'file')).map((k) => k[1]));
    const records = await getMany<StoredModel>(
      all.filter((k) => isKind(k, 'model')),
      this.db,
    );
    return records
      .filter((r): r is StoredModel => r !== undefined)
      .map((r) => summarise(r, cached))
      .sort((a, b) => a.savedAt - b.savedAt || a.id.localeCompare(b.id));
  }

  async getManifest(id: string): Promise<BundleManifest | undefined> {
    return (await get<StoredModel>(modelKey(id), this.db))?.manifest;
  }

  /**
   * A cached file, verified: undefined when it is not cached; a CorruptCacheError when its
   * size or SHA-256 is wrong (it is removed first, so the caller can fetch it again).
   * The file is hashed in slices, never held whole.
   */
  async getFile(sha256: string, expectedBytes: number): Promise<Blob | undefined> {
    const cached = await this.cachedBlob(sha256, expectedBytes);
    if (!cached) return undefined;
    let digest: string;
    try {
      digest = await sha256OfBlob(cached.blob);
    } catch (error) {
      return cached.drop(`could not be read (${reason(error)})`);
    }
    if (digest !== sha256) return cached.drop('does not match its SHA-256');
    return cached.blob;
  }

  /**
   * A cached file's bytes, read once and verified (what loading a model needs):
   * undefined when it is not cached; a CorruptCacheError, after removing it,
   * when its size or checksum is wrong. A file saved without a checksum is checked
   * against its SHA-256, and its checksum recorded for the next read.
   */
  async getFileBytes(
    sha256: string,
    expectedBytes: number,
  ): Promise<Uint8Array<ArrayBuffer> | undefined> {
    const cached = await this.cachedBlob(sha256, expectedBytes);
    if (!cached) return undefined;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await cached.blob.arrayBuffer());
    } catch (error) {
      return cached.drop(`could not be read (${reason(error)})`);
    }
    const recorded: unknown = await get(checkKey(sha256), this.db);
    if (typeof recorded === 'string' && recorded.startsWith(CHECKSUM_TAG)) {
      if (fileChecksum(bytes) !== recorded) {
        return cached.drop('does not match the checksum recorded when it was saved');
      }
      return bytes;
    }
    if ((await sha256Hex(bytes)) !== sha256) return cached.drop('does not match its SHA-256');
    // Best effort: without it the next read checks the SHA-256 again.
    await this.exclusive(() => set(checkKey(sha256), fileChecksum(bytes), this.db)).catch(
      () => undefined,
    );
    return bytes;
  }

  /**
   * The stored Blob of a file when it is one of the expected size, with `drop`, which
   * removes it and throws a CorruptCacheError; undefined when nothing is stored.
   */
  private async cachedBlob(
    sha256: string,
    expectedBytes: number,
  ): Promise<{ blob: Blob; drop: (problem: string) => Promise<never> } | undefined> {
    const value: unknown = await get(fileKey(sha256), this.db);
    if (value === undefined) return undefined;
    const drop = async (problem: string): Promise<never> => {
      await this.exclusive(() => delMany([fileKey(sha256), checkKey(sha256)], this.db)).catch(
        () => undefined,
      );
      throw new CorruptCacheError(sha256, problem);
    };
    if (!(value instanceof Blob)) return drop('is not a file');
    if (value.size !== expectedBytes) {
      return drop(`is ${value.size} bytes where ${expectedBytes} were expected`);
    }
    return { blob: value, drop };
  }

  /**
   * Stores one file of a saved model again (after a CorruptCacheError and a fresh fetch),
   * verified first. `model` names it in messages.
   */
  async putFile(
    file: { sha256: string; bytes: number },
    blob: Blob,
    model = 'the model',
  ): Promise<void> {
    if (blob.size !== file.bytes) {
      throw new Error(`${model}: the file is ${blob.size} bytes, expected ${file.bytes}`);
    }
    const digests = await digestBlob(blob);
    if (digests.sha256 !== file.sha256) {
      throw new Error(`${model}: the file does not match its SHA-256`);
    }
    await this.exclusive(async () => {
      await this.checkSpace(model, file.bytes);
      try {
        await setMany(
          [
            [fileKey(file.sha256), blob],
            [checkKey(file.sha256), digests.checksum],
          ],
          this.db,
        );
      } catch (error) {
        if (isQuotaError(error)) throw new StorageFullError(model, file.bytes, { cause: error });
        throw error;
      }
    });
  }

  /**
   * Removes a model and every cached file that no other model lists (files left behind by
   * an interrupted save go too). Unknown ids are ignored.
   */
  deleteModel(id: string): Promise<void> {
    return this.exclusive(async () => {
      const all = await keys(this.db);
      const others = await getMany<StoredModel>(
        all.filter((k) => isKind(k, 'model') && k[1] !== id),
        this.db,
      );
      const kept = new Set<string>();
      for (const record of others) {
        if (!record) continue;
        for (const f of bundleFiles(record.manifest)) kept.add(f.sha256);
      }
      // The record goes first: a model is never listed without its files.
      await del(modelKey(id), this.db);
      // Checksums go with their files (and any left without one).
      const unused = all.filter(
        (k) => (isKind(k, 'file') || isKind(k, 'check')) && !kept.has(k[1]),
      );
      if (unused.length > 0) await delMany(unused, this.db);
    });
  }

  private async checkSpace(label: string, needed: number): Promise<void> {
    if (needed === 0 || !this.estimate) return;
    let estimate: StorageEstimateLike;
    try {
      estimate = await this.estimate();
    } catch {
      return; // No estimate: the write itself will tell.
    }
    if (estimate.quota === undefined || estimate.usage === undefined) return;
    if (estimate.quota - estimate.usage < needed) throw new StorageFullError(label, needed);
  }
}
