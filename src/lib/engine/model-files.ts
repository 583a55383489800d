/**
 * A model bundle's manifest and graph bytes, from the on-device ModelStore or from a URL
 * folder, every file checked against the size and SHA-256 model.json gives. A damaged
 * cached file is fetched again when the bundle's URL is known (and cached again).
 */
import {
  validateManifest,
  type BundleFile,
  type BundleManifest,
  type VariantName,
} from '../model/manifest';
import { sha256Hex } from '../model/hash';
import type { ModelStore } from '../model/store';
import type { GraphBytes } from './ort-runner';
import type { LoadProgress, ModelSource } from './types';

export interface FileRef {
  path: string;
  sha256: string;
  bytes: number;
}

/** The part of ModelStore the engine uses. */
export type ModelStoreLike = Pick<ModelStore, 'getManifest' | 'getFileBytes' | 'putFile'>;

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** Largest model.json accepted. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `path` inside the bundle folder `baseUrl` (an absolute URL; a missing final slash is added). */
export function bundleUrl(baseUrl: string, path: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(path, base).href;
}

async function fetchOk(fetchFn: FetchLike, url: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new Error(`${what} could not be fetched from ${url} (${reason(error)})`, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new Error(`${what} could not be fetched from ${url} (HTTP ${response.status})`);
  }
  return response;
}

/** model.json of the bundle at `baseUrl`, validated. */
export async function fetchManifest(
  baseUrl: string,
  fetchFn: FetchLike = fetch,
): Promise<BundleManifest> {
  const url = bundleUrl(baseUrl, 'model.json');
  const response = await fetchOk(fetchFn, url, 'model.json');
  const text = await response.text();
  if (text.length > MAX_MANIFEST_BYTES) throw new Error(`${url}: too large for a model.json`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${url}: not valid JSON (${reason(error)})`, { cause: error });
  }
  return validateManifest(json, url);
}

/**
 * One bundle file fetched whole into a buffer of its listed size, then hashed (Web
 * Crypto when there is one); `onBytes` hears the bytes received so far.
 */
export async function fetchVerified(
  url: string,
  file: FileRef,
  fetchFn: FetchLike = fetch,
  onBytes?: (done: number) => void,
): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetchOk(fetchFn, url, file.path);
  const out = new Uint8Array(file.bytes);
  let done = 0;
  const take = (chunk: Uint8Array): void => {
    if (done + chunk.length > file.bytes) {
      throw new Error(
        `${file.path}: the server sent more than the ${file.bytes} bytes model.json lists`,
      );
    }
    out.set(chunk, done);
    done += chunk.length;
    onBytes?.(done);
  };
  if (response.body) {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        take(value);
      }
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
  } else {
    take(new Uint8Array(await response.arrayBuffer()));
  }
  if (done !== file.bytes) {
    throw new Error(`${file.path}: received ${done} bytes, model.json lists ${file.bytes}`);
  }
  if ((await sha256Hex(out)) !== file.sha256) {
    throw new Error(`${file.path} does not match the SHA-256 in model.json (damaged or changed)`);
  }
  return out;
}

/** A bundle to read files from. */
export interface BundleReader {
  manifest: BundleManifest;
  /** Where it comes from, for messages. */
  label: string;
  read(file: FileRef, onBytes?: (done: number) => void): Promise<Uint8Array<ArrayBuffer>>;
}

export interface OpenBundleOptions {
  /** Needed for store sources. */
  store?: ModelStoreLike;
  fetch?: FetchLike;
}

/**
 * The bundle a source names. Store sources need `options.store`; URLs must be absolute
 * (the worker resolves relative ones against its own location).
 */
export async function openBundle(
  source: ModelSource,
  options: OpenBundleOptions = {},
): Promise<BundleReader> {
  const fetchFn = options.fetch ?? fetch;
  if (source.kind === 'url') {
    const manifest = await fetchManifest(source.baseUrl, fetchFn);
    return {
      manifest,
      label: source.baseUrl,
      read: (file, onBytes) =>
        fetchVerified(bundleUrl(source.baseUrl, file.path), file, fetchFn, onBytes),
    };
  }
  const store = options.store;
  if (!store) throw new Error('no model store here to read saved models from');
  const manifest = await store.getManifest(source.id);
  if (!manifest) {
    throw new Error(
      `the model ${source.id} is not saved in this browser (any more): import it again`,
    );
  }
  const { baseUrl } = source;
  const refetch = async (
    file: FileRef,
    onBytes: ((done: number) => void) | undefined,
  ): Promise<Uint8Array<ArrayBuffer>> => {
    const bytes = await fetchVerified(bundleUrl(baseUrl!, file.path), file, fetchFn, onBytes);
    // Cache it again; a full disk must not stop this load.
    await store.putFile(file, new Blob([bytes]), manifest.name).catch(() => undefined);
    return bytes;
  };
  return {
    manifest,
    label: manifest.name,
    async read(file, onBytes) {
      let bytes: Uint8Array<ArrayBuffer> | undefined;
      try {
        bytes = await store.getFileBytes(file.sha256, file.bytes);
      } catch (error) {
        if (baseUrl) return refetch(file, onBytes);
        throw new Error(
          `${manifest.name}: ${file.path} was damaged in browser storage and has been removed; import the model again (${reason(error)})`,
          { cause: error },
        );
      }
      if (!bytes) {
        if (baseUrl) return refetch(file, onBytes);
        throw new Error(
          `${manifest.name}: ${file.path} is missing from browser storage; import the model again`,
        );
      }
      onBytes?.(bytes.length);
      return bytes;
    },
  };
}

/** Every file a variant's encoder and decoder need. */
export function variantFiles(manifest: BundleManifest, variant: VariantName): FileRef[] {
  const graphs = manifest.variants?.[variant];
  if (!graphs) throw new Error(`${manifest.name} has no ${variant} variant`);
  const out: FileRef[] = [];
  for (const g of [graphs.encoder, graphs.decoder]) {
    out.push(g, ...(g.externalData ?? []));
  }
  return out;
}

/** Counts bytes over several files for one progress bar. */
export class LoadTracker {
  private total = 0;
  private finished = 0;

  constructor(private readonly report?: LoadProgress) {}

  /** Adds files that will be read. */
  expect(files: readonly FileRef[]): void {
    for (const f of files) this.total += f.bytes;
  }

  async read(reader: BundleReader, file: FileRef): Promise<Uint8Array<ArrayBuffer>> {
    const report = this.report;
    report?.(this.finished, this.total, file.path);
    const bytes = await reader.read(
      file,
      report && ((done) => report(this.finished + done, this.total, file.path)),
    );
    this.finished += file.bytes;
    report?.(this.finished, this.total, file.path);
    return bytes;
  }
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** One graph's bytes (and its external data), verified. */
export async function readGraphFile(
  reader: BundleReader,
  file: BundleFile,
  tracker: LoadTracker,
): Promise<GraphBytes> {
  const model = await tracker.read(reader, file);
  if (!file.externalData) return { name: file.path, model };
  const externalData = [];
  for (const data of file.externalData) {
    externalData.push({ path: baseName(data.path), data: await tracker.read(reader, data) });
  }
  return { name: file.path, model, externalData };
}

/** A variant's encoder and decoder bytes (and external data), verified. */
export async function readVariantGraphs(
  reader: BundleReader,
  variant: VariantName,
  tracker: LoadTracker,
): Promise<{ encoder: GraphBytes; decoder: GraphBytes }> {
  const graphs = reader.manifest.variants?.[variant];
  if (!graphs) throw new Error(`${reader.label} has no ${variant} variant`);
  return {
    encoder: await readGraphFile(reader, graphs.encoder, tracker),
    decoder: await readGraphFile(reader, graphs.decoder, tracker),
  };
}
