/**
 * Finds a Hugging Face checkpoint's parts in a folder listing: `config.json`,
 * the weights (`model.safetensors`, sharded safetensors with
 * `model.safetensors.index.json`, or `pytorch_model.bin`, sharded or not),
 * and the optional `preprocessor_config.json` and `classes.txt`. The listing
 * maps names (paths relative to the chosen folder, '/'-separated) to byte
 * sources, so the same code serves a browser directory pick and Node.
 */
import {
  parseClassesTxt,
  parsePreprocessorConfig,
  parseVitConfig,
  type PreprocessorConfig,
  type VitConfig,
} from './hf-config';
import { openSafetensors } from './safetensors';
import { openTorchCheckpoint } from './torch-checkpoint';
import type { ByteSource, TensorEntry, TensorReader } from './tensors';

export interface CheckpointFolder {
  config: VitConfig;
  /** Undefined when the folder has no preprocessor_config.json. */
  preprocessor?: PreprocessorConfig;
  /** Class names by id from classes.txt; undefined when there is none. */
  classes?: string[];
  weights: TensorReader;
  /** Listing key of the weights file (or of the shard index). */
  weightsFile: string;
}

export type FileListing = ReadonlyMap<string, ByteSource> | Readonly<Record<string, ByteSource>>;

/** Side files are small; anything bigger is not what we think it is. */
const MAX_TEXT_FILE = 16 * 1024 * 1024;

async function readText(source: ByteSource): Promise<string> {
  if (source.size > MAX_TEXT_FILE) {
    throw new Error(`${source.name}: ${source.size} bytes is too large for a text file`);
  }
  const bytes = await source.read(0, source.size);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${source.name}: not valid UTF-8 text`);
  }
}

function basename(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function dirname(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i + 1);
}

/**
 * Opens the checkpoint in `files`. `folder` names it in messages. When the
 * listing holds nested folders, the checkpoint is the shallowest folder with a
 * config.json; its other files must sit beside it.
 */
export async function openCheckpointFolder(
  files: FileListing,
  folder = 'checkpoint folder',
): Promise<CheckpointFolder> {
  const listing = new Map<string, ByteSource>(
    (files instanceof Map ? [...files] : Object.entries(files)).map(
      ([key, source]: [string, ByteSource]) => [
        key.replace(/\\/g, '/').replace(/^\.\//, ''),
        source,
      ],
    ),
  );
  const found = (): string => {
    const names = [...listing.keys()].sort();
    const shown = names.slice(0, 12).join(', ');
    return names.length === 0
      ? 'it is empty'
      : `found: ${shown}${names.length > 12 ? ', ...' : ''}`;
  };

  const configs = [...listing.keys()].filter((k) => basename(k) === 'config.json');
  if (configs.length === 0) {
    throw new Error(
      `${folder}: no config.json, so this is not a Hugging Face checkpoint (${found()})`,
    );
  }
  const depth = (k: string): number => k.split('/').length;
  const shallowest = Math.min(...configs.map(depth));
  const roots = configs.filter((k) => depth(k) === shallowest);
  if (roots.length > 1) {
    throw new Error(
      `${folder}: several checkpoints (${roots.join(', ')}); choose the folder of one of them`,
    );
  }
  const dir = dirname(roots[0]);
  const file = (name: string): ByteSource | undefined => listing.get(dir + name);

  const configSource = file('config.json') as ByteSource;
  const config = parseVitConfig(await readText(configSource), configSource.name);

  const preprocessorSource = file('preprocessor_config.json');
  const preprocessor = preprocessorSource
    ? parsePreprocessorConfig(
        await readText(preprocessorSource),
        preprocessorSource.name,
        config.numChannels,
      )
    : undefined;
  const classesSource = file('classes.txt');
  const classes = classesSource
    ? parseClassesTxt(await readText(classesSource), classesSource.name)
    : undefined;

  const single = (name: string, open: (s: ByteSource) => Promise<TensorReader>) => {
    const source = file(name);
    return source && { weightsFile: dir + name, open: () => open(source) };
  };
  const sharded = (name: string, open: (s: ByteSource) => Promise<TensorReader>) => {
    const source = file(name);
    return (
      source && {
        weightsFile: dir + name,
        open: () => openSharded(folder, source, dir, listing, open),
      }
    );
  };
  const choice =
    single('model.safetensors', openSafetensors) ??
    sharded('model.safetensors.index.json', openSafetensors) ??
    single('pytorch_model.bin', openTorchCheckpoint) ??
    sharded('pytorch_model.bin.index.json', openTorchCheckpoint);
  if (!choice) {
    throw new Error(
      `${folder}: no weights beside ${dir}config.json: expected model.safetensors, model.safetensors.index.json with its shards, or pytorch_model.bin (${found()})`,
    );
  }
  const weights = await choice.open();
  return { config, preprocessor, classes, weights, weightsFile: choice.weightsFile };
}

/** Reads a shard index and combines its shards into one reader. */
async function openSharded(
  folder: string,
  index: ByteSource,
  dir: string,
  listing: ReadonlyMap<string, ByteSource>,
  open: (s: ByteSource) => Promise<TensorReader>,
): Promise<TensorReader> {
  let json: unknown;
  try {
    json = JSON.parse(await readText(index));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new Error(`${index.name}: not valid JSON (${err.message})`, { cause: err });
    }
    throw err;
  }
  const map =
    typeof json === 'object' && json !== null
      ? (json as Record<string, unknown>).weight_map
      : undefined;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new Error(`${index.name}: has no "weight_map" object of tensor name: shard file`);
  }
  const weightMap = Object.entries(map as Record<string, unknown>);
  const shardNames: string[] = [];
  for (const [tensor, shard] of weightMap) {
    if (typeof shard !== 'string' || shard === '' || shard.includes('..')) {
      throw new Error(
        `${index.name}: tensor "${tensor}" maps to ${JSON.stringify(shard)}, not a shard file`,
      );
    }
    if (!shardNames.includes(shard)) shardNames.push(shard);
  }
  if (shardNames.length === 0) throw new Error(`${index.name}: weight_map lists no tensors`);
  const missing = shardNames.filter((s) => !listing.has(dir + s));
  if (missing.length > 0) {
    throw new Error(
      `${folder}: ${index.name} lists shards that are missing: ${missing.join(', ')}`,
    );
  }
  const shards = new Map<string, TensorReader>();
  for (const name of shardNames)
    shards.set(name, await open(listing.get(dir + name) as ByteSource));

  const owner = new Map<string, TensorReader>();
  const entries: TensorEntry[] = [];
  for (const reader of shards.values()) {
    for (const entry of reader.list()) {
      const previous = owner.get(entry.name);
      if (previous) {
        throw new Error(
          `${folder}: tensor "${entry.name}" is in two shards, ${previous.source} and ${reader.source}`,
        );
      }
      owner.set(entry.name, reader);
      entries.push(entry);
    }
  }
  for (const [tensor, shard] of weightMap) {
    const reader = shards.get(shard as string) as TensorReader;
    if (!reader.entry(tensor)) {
      throw new Error(
        `${index.name}: maps tensor "${tensor}" to ${shard as string}, which has no such tensor`,
      );
    }
  }
  return {
    source: index.name,
    list: () => entries.map((e) => ({ ...e, shape: [...e.shape] })),
    entry: (name: string) => owner.get(name)?.entry(name),
    readFloat32(name: string): Promise<Float32Array> {
      const reader = owner.get(name);
      if (!reader) return Promise.reject(new Error(`${index.name}: no tensor named "${name}"`));
      return reader.readFloat32(name);
    },
  };
}
