/**
 * Reads checkpoint tensors one at a time through a TensorReader, checking each shape against
 * the one the config implies, and lays Linear weights out as MatMul operands.
 */
import type { TensorReader } from '../tensors.ts';

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A Linear layer as MatMul wants it: `weight` is [in, out] (the HF weight transposed). */
export interface LinearWeights {
  name: string;
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
}

export interface LayerNormWeights {
  name: string;
  weight: Float32Array;
  bias: Float32Array;
}

export class WeightLoader {
  constructor(private readonly reader: TensorReader) {}

  get source(): string {
    return this.reader.source;
  }

  has(name: string): boolean {
    return this.reader.entry(name) !== undefined;
  }

  /** The tensor `name`, which must have exactly `shape`. */
  async tensor(name: string, shape: readonly number[]): Promise<Float32Array> {
    const entry = this.reader.entry(name);
    if (entry === undefined) throw new Error(`${this.source}: tensor "${name}" is missing`);
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `${this.source}: tensor "${name}" has shape ${shapeText(entry.shape)}, expected ${shapeText(shape)}`,
      );
    }
    const data = await this.reader.readFloat32(name);
    const count = shape.reduce((n, d) => n * d, 1);
    if (data.length !== count) {
      throw new Error(
        `${this.source}: tensor "${name}" gave ${data.length} values for shape ${shapeText(shape)}`,
      );
    }
    // The graph keeps what it is given until serialisation: never a view into a reader's buffer.
    return data.byteLength === data.buffer.byteLength ? data : data.slice();
  }

  /** `${name}.weight` [out, in] (transposed here to [in, out]) and `${name}.bias` [out]. */
  async linear(
    name: string,
    inFeatures: number,
    outFeatures: number,
    bias = true,
  ): Promise<LinearWeights> {
    const w = await this.tensor(`${name}.weight`, [outFeatures, inFeatures]);
    const weight = transpose(w, outFeatures, inFeatures);
    const b = bias ? await this.tensor(`${name}.bias`, [outFeatures]) : undefined;
    return { name, inFeatures, outFeatures, weight, bias: b };
  }

  async layerNorm(name: string, size: number): Promise<LayerNormWeights> {
    return {
      name,
      weight: await this.tensor(`${name}.weight`, [size]),
      bias: await this.tensor(`${name}.bias`, [size]),
    };
  }
}

/** A row-major [rows, cols] matrix as [cols, rows], in 64x64 tiles to stay in cache. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  const tile = 64;
  for (let c0 = 0; c0 < cols; c0 += tile) {
    const c1 = Math.min(c0 + tile, cols);
    for (let r0 = 0; r0 < rows; r0 += tile) {
      const r1 = Math.min(r0 + tile, rows);
      for (let c = c0; c < c1; c++) {
        const out = c * rows;
        for (let r = r0; r < r1; r++) t[out + r] = m[r * cols + c];
      }
    }
  }
  return t;
}
