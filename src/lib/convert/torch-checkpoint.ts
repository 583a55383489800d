/**
 * PyTorch checkpoints as torch.save writes them since 1.6: a ZIP archive (its
 * entries stored, not compressed) holding `<prefix>/data.pkl`, a pickle of the
 * state dict whose tensors refer by persistent id to storages kept as raw
 * little-endian bytes in `<prefix>/data/<key>`. The pickle is read by the
 * restricted unpickler (nothing runs); tensors are read on demand, only the
 * bytes they cover, with storage offsets and strides (transposed views,
 * slices, shared storages) honoured.
 */
import { openZip, type ZipArchive, type ZipEntry } from './zip';
import {
  describePickleValue,
  PyDict,
  PyGlobal,
  PyPersistentRef,
  PyTensor,
  PyTuple,
  UNPICKLE_LIMITS,
  unpickle,
} from './pickle';
import { DTYPE_BYTES, shapeSize, toFloat32 } from './safetensors';
import type { ByteSource, DType, TensorEntry, TensorReader } from './tensors';

/** Typed storage classes torch pickles, and the element type each holds. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  'torch.DoubleStorage': 'F64',
  'torch.FloatStorage': 'F32',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
};

/** Keys under which training scripts nest the state dict, tried in order. */
export const NESTED_STATE_DICT_KEYS = ['state_dict', 'model', 'model_state_dict'] as const;

interface TorchTensor extends TensorEntry {
  storage: ZipEntry;
  storageOffset: number;
  stride: readonly number[];
}

/** Opens a PyTorch (>= 1.6) checkpoint, reading its pickle; tensors are read on demand. */
export async function openTorchCheckpoint(source: ByteSource): Promise<TensorReader> {
  const file = source.name;
  await checkMagic(source);
  const zip = await openZip(source);
  const prefix = findPrefix(zip);
  await checkByteOrder(zip, prefix);

  const pklEntry = zip.entry(`${prefix}data.pkl`) as ZipEntry;
  if (pklEntry.uncompressedSize > UNPICKLE_LIMITS.maxBytes) {
    throw new Error(
      `${file}: ${prefix}data.pkl is ${pklEntry.uncompressedSize} bytes, over the ${UNPICKLE_LIMITS.maxBytes}-byte limit`,
    );
  }
  const root = unpickle(await zip.read(pklEntry), { source: file });
  const stateDict = findStateDict(file, root);

  const tensors: TorchTensor[] = [];
  for (const [key, value] of stateDict.items) {
    if (!(value instanceof PyTensor)) continue;
    if (typeof key !== 'string') {
      throw new Error(
        `${file}: state dict has a tensor under a non-string key (${describePickleValue(key)})`,
      );
    }
    tensors.push(resolveTensor(file, zip, prefix, key, value));
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    source: file,
    list: () => tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] })),
    entry(name: string): TensorEntry | undefined {
      const t = byName.get(name);
      return t && { name: t.name, dtype: t.dtype, shape: [...t.shape] };
    },
    async readFloat32(name: string): Promise<Float32Array> {
      const t = byName.get(name);
      if (!t) throw new Error(`${file}: no tensor named "${name}"`);
      return readTensor(zip, t);
    },
  };
}

async function checkMagic(source: ByteSource): Promise<void> {
  const file = source.name;
  const head = await source.read(0, Math.min(16, source.size));
  if (head.byteLength >= 2 && head[0] === 0x50 && head[1] === 0x4b) return; // "PK"
  if (head.byteLength >= 2 && head[0] === 0x80 && head[1] <= 5) {
    throw new Error(
      `${file}: legacy PyTorch format not supported, re-save with torch>=1.6 (torch.save(torch.load(f), f))`,
    );
  }
  if (head.byteLength >= 9 && head[8] === 0x7b && head[4] === 0 && head[5] === 0) {
    throw new Error(`${file}: this looks like a safetensors file, not a PyTorch checkpoint`);
  }
  throw new Error(`${file}: not a PyTorch checkpoint (not a ZIP archive)`);
}

/** The archive's folder name, with its trailing '/' ('' for none). */
function findPrefix(zip: ZipArchive): string {
  const file = zip.source;
  const candidates = zip.entries
    .map((e) => /^(?:([^/]+)\/)?data\.pkl$/.exec(e.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => (m[1] === undefined ? '' : `${m[1]}/`));
  if (candidates.length === 0) {
    const names = zip.entries.slice(0, 5).map((e) => e.name);
    throw new Error(
      `${file}: ZIP archive has no <folder>/data.pkl, so it is not a PyTorch checkpoint (entries: ${names.join(', ') || 'none'})`,
    );
  }
  if (candidates.length > 1) {
    throw new Error(`${file}: ZIP archive has several data.pkl (${candidates.join(', ')})`);
  }
  const prefix = candidates[0];
  if (zip.entries.some((e) => e.name.startsWith(`${prefix}code/`))) {
    throw new Error(
      `${file}: this is a TorchScript archive (torch.jit.save), not a state dict; save model.state_dict() with torch.save instead`,
    );
  }
  return prefix;
}

async function checkByteOrder(zip: ZipArchive, prefix: string): Promise<void> {
  const entry = zip.entry(`${prefix}byteorder`);
  if (!entry) return; // Written since torch 1.11; older files are little-endian.
  if (entry.uncompressedSize > 16) {
    throw new Error(
      `${zip.source}: ${entry.name} is ${entry.uncompressedSize} bytes, expected "little"`,
    );
  }
  const order = new TextDecoder().decode(await zip.read(entry)).trim();
  if (order === 'little') return;
  if (order === 'big') {
    throw new Error(
      `${zip.source}: the checkpoint was saved big-endian; re-save it on a little-endian machine`,
    );
  }
  throw new Error(`${zip.source}: ${entry.name} says "${order.slice(0, 20)}", expected "little"`);
}

function hasTensors(dict: PyDict): boolean {
  for (const v of dict.items.values()) if (v instanceof PyTensor) return true;
  return false;
}

function findStateDict(file: string, root: ReturnType<typeof unpickle>): PyDict {
  if (!(root instanceof PyDict)) {
    throw new Error(`${file}: checkpoint holds a ${describePickleValue(root)}, not a state dict`);
  }
  if (hasTensors(root)) return root;
  for (const key of NESTED_STATE_DICT_KEYS) {
    const inner = root.items.get(key);
    if (inner instanceof PyDict && hasTensors(inner)) return inner;
  }
  const keys = [...root.items.keys()]
    .slice(0, 10)
    .map((k) => (typeof k === 'string' ? JSON.stringify(k) : describePickleValue(k)));
  throw new Error(
    `${file}: no tensors at the top level of the checkpoint or under ${NESTED_STATE_DICT_KEYS.map((k) => `"${k}"`).join(', ')} (keys: ${keys.join(', ') || 'none'})`,
  );
}

function resolveTensor(
  file: string,
  zip: ZipArchive,
  prefix: string,
  name: string,
  tensor: PyTensor,
): TorchTensor {
  const where = `${file}: tensor "${name}"`;
  const ref = tensor.storage;
  const pid = ref instanceof PyPersistentRef ? ref.pid : undefined;
  if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    throw new Error(`${where}: storage is not a ('storage', type, key, location, size) reference`);
  }
  const [, type, key, , numel] = pid.items;
  if (!(type instanceof PyGlobal) || STORAGE_DTYPES[type.qualifiedName] === undefined) {
    throw new Error(`${where}: storage type ${describePickleValue(type)} is not a typed storage`);
  }
  if (typeof key !== 'string') throw new Error(`${where}: storage key is not a string`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    throw new Error(`${where}: storage size is ${describePickleValue(numel)}`);
  }
  const dtype = STORAGE_DTYPES[type.qualifiedName];
  const storage = zip.entry(`${prefix}data/${key}`);
  if (!storage)
    throw new Error(`${where}: storage ${prefix}data/${key} is missing from the archive`);
  const elementBytes = DTYPE_BYTES[dtype];
  if (numel * elementBytes > storage.uncompressedSize) {
    throw new Error(
      `${where}: storage ${storage.name} holds ${storage.uncompressedSize} bytes, but ${numel} ${dtype} elements need ${numel * elementBytes}`,
    );
  }
  const shape = [...tensor.size];
  if (shapeSize(shape) > 0) {
    let last = tensor.storageOffset;
    for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * tensor.stride[d];
    if (last >= numel) {
      throw new Error(
        `${where}: size ${JSON.stringify(shape)}, stride ${JSON.stringify(tensor.stride)} and offset ${tensor.storageOffset} reach element ${last}, past the storage's ${numel}`,
      );
    }
  }
  return {
    name,
    dtype,
    shape,
    storage,
    storageOffset: tensor.storageOffset,
    stride: tensor.stride,
  };
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

async function readTensor(zip: ZipArchive, t: TorchTensor): Promise<Float32Array> {
  const n = shapeSize(t.shape);
  if (n === 0) return new Float32Array(0);
  const el = DTYPE_BYTES[t.dtype];
  if (isContiguous(t.shape, t.stride)) {
    return toFloat32(await zip.read(t.storage, t.storageOffset * el, n * el), t.dtype);
  }
  // Read the span the view covers once, then gather in row-major order.
  let span = 1;
  for (let d = 0; d < t.shape.length; d++) span += (t.shape[d] - 1) * t.stride[d];
  const src = toFloat32(await zip.read(t.storage, t.storageOffset * el, span * el), t.dtype);
  const out = new Float32Array(n);
  const ndim = t.shape.length;
  const index = new Array<number>(ndim).fill(0);
  const lastSize = t.shape[ndim - 1];
  const lastStride = t.stride[ndim - 1];
  let base = 0;
  for (let o = 0; o < n; o += lastSize) {
    for (let i = 0, s = base; i < lastSize; i++, s += lastStride) out[o + i] = src[s];
    // Advance the outer dimensions like an odometer.
    for (let d = ndim - 2; d >= 0; d--) {
      index[d]++;
      base += t.stride[d];
      if (index[d] < t.shape[d]) break;
      base -= t.stride[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}
