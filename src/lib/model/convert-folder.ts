/**
 * A picked checkpoint folder (paths and Blobs) to a bundle in memory: what the convert
 * worker runs. Weights are read from the Blobs slice by slice as the graphs need them;
 * failures come back as one line naming the folder or file at fault.
 */
import { MemoryBundleSink } from '../convert/bundle-sink';
import { blobByteSource } from '../convert/byte-source';
import { openCheckpointFolder } from '../convert/checkpoint-folder';
import { convertCheckpoint, type ConvertProgress } from '../convert/convert';
import type { ByteSource } from '../convert/tensors';
import { commonFolder } from './bundle-folder';
import type { BundleManifest, VariantName } from './manifest';

export type { ConvertProgress } from '../convert/convert';

export interface ConvertInput {
  /** Path inside the picked folder, '/'-separated, usually starting with the folder's name. */
  path: string;
  file: Blob;
}

export interface ConvertRequest {
  variants: VariantName[];
  /** The model's name in model.json; defaults to the folder's name. */
  name?: string;
}

export interface ConvertedBundle {
  manifest: BundleManifest;
  /** model.json and every ONNX file, by path inside the bundle. */
  files: Map<string, Blob>;
}

/** One line that names the folder or file at fault. */
function describe(error: unknown, folder: string, names: string[]): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (message.startsWith('config:')) return `${folder}/config.json:${message.slice(7)}`;
  if (names.some((n) => message.startsWith(`${n}:`))) return message;
  return `${folder}: ${message}`;
}

/** Passes progress on when the stage changes or it moved by half a percent: a bar needs no more. */
export function throttleProgress(
  send: (p: ConvertProgress) => void,
  step = 0.005,
): (p: ConvertProgress) => void {
  let last: ConvertProgress | undefined;
  return (p) => {
    if (last && last.stage === p.stage && p.fraction - last.fraction < step && p.fraction < 1) {
      return;
    }
    last = p;
    send(p);
  };
}

export async function convertFolderFiles(
  files: readonly ConvertInput[],
  request: ConvertRequest,
  onProgress?: (progress: ConvertProgress) => void,
): Promise<ConvertedBundle> {
  const paths = files.map((f) => f.path.replace(/\\/g, '/'));
  const top = commonFolder(paths);
  const folder = top || 'checkpoint folder';
  const listing = new Map<string, ByteSource>();
  files.forEach(({ file }, i) => {
    const key = top ? paths[i].slice(top.length + 1) : paths[i];
    listing.set(key, blobByteSource(file, top ? paths[i] : `${folder}/${paths[i]}`));
  });
  const names = [folder, ...[...listing.values()].map((s) => s.name)];
  try {
    const checkpoint = await openCheckpointFolder(listing, folder);
    // Quantisers are loaded only when a variant beyond fp32 is asked for.
    const makeVariant = request.variants.some((v) => v !== 'fp32')
      ? (await import('../convert/variants')).makeVariant
      : undefined;
    const sink = new MemoryBundleSink();
    const manifest = await convertCheckpoint(checkpoint, sink, {
      variants: request.variants,
      makeVariant,
      name: request.name ?? folder,
      source: folder,
      onProgress: onProgress && throttleProgress(onProgress),
    });
    return { manifest, files: sink.files };
  } catch (error) {
    // One line for the page; the cause does not cross the worker boundary.
    throw new Error(describe(error, folder, names), { cause: error });
  }
}
