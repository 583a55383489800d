/**
 * Runs an ONNX model in onnxruntime-node (native CPU) or onnxruntime-web (WASM, one thread,
 * inside Node) on plain typed-array feeds, and compares outputs.
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';

export type Backend = 'node' | 'web';
export const BACKENDS: Backend[] = ['node', 'web'];

export type HostTensor =
  | { type: 'float32'; dims: number[]; data: Float32Array }
  | { type: 'int64'; dims: number[]; data: BigInt64Array };

export interface HostOutput {
  dims: number[];
  data: Float32Array;
}

export interface RunOptions {
  /** External data files for onnxruntime-web (path as the model names it, and the bytes). */
  externalData?: { path: string; data: Uint8Array }[];
}

ortWeb.env.wasm.numThreads = 1;

export function int64Tensor(rows: number[][]): HostTensor {
  return {
    type: 'int64',
    dims: [rows.length, rows[0].length],
    data: BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
  };
}

export function float32Tensor(dims: number[], data: Float32Array): HostTensor {
  return { type: 'float32', dims, data };
}

function toOutputs(
  results: Record<string, { dims: readonly number[]; data: unknown; type: string }>,
): Record<string, HostOutput> {
  const out: Record<string, HostOutput> = {};
  for (const [name, t] of Object.entries(results)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`output ${name} is ${t.type}`);
    out[name] = { dims: [...t.dims], data: t.data.slice() };
  }
  return out;
}

/** Runs `model` (bytes, or a file path for onnxruntime-node) once on `feeds`. */
export async function runModel(
  backend: Backend,
  model: Uint8Array | string,
  feeds: Record<string, HostTensor>,
  options: RunOptions = {},
): Promise<Record<string, HostOutput>> {
  if (backend === 'node') {
    const session =
      typeof model === 'string'
        ? await ortNode.InferenceSession.create(model)
        : await ortNode.InferenceSession.create(model);
    try {
      const inputs: Record<string, ortNode.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        inputs[name] = new ortNode.Tensor(t.type, t.data, t.dims);
      }
      return toOutputs(await session.run(inputs));
    } finally {
      await session.release();
    }
  }
  if (typeof model === 'string') throw new Error('onnxruntime-web here takes model bytes');
  const session = await ortWeb.InferenceSession.create(new Uint8Array(model), {
    executionProviders: ['wasm'],
    externalData: options.externalData?.map((f) => ({
      path: f.path,
      data: new Uint8Array(f.data),
    })),
  });
  try {
    const inputs: Record<string, ortWeb.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      inputs[name] = new ortWeb.Tensor(t.type, t.data, t.dims);
    }
    return toOutputs(await session.run(inputs));
  } finally {
    await session.release();
  }
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Each external data file of a model, joined into one buffer, as ORT's `externalData` takes them. */
export function joinedDataFiles(ext: {
  files: { name: string; chunks: Uint8Array[]; bytes: number }[];
}): { path: string; data: Uint8Array }[] {
  return ext.files.map((file) => {
    const data = new Uint8Array(file.bytes);
    let offset = 0;
    for (const chunk of file.chunks) {
      data.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { path: file.name, data };
  });
}
