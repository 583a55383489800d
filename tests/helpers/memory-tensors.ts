/** A TensorReader over tensors held in memory, for tests that build graphs from weights. */
import type { TensorEntry, TensorReader } from '../../src/lib/convert/tensors.ts';

export class MemoryTensors implements TensorReader {
  private readonly tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  /** Names in the order readFloat32 was called. */
  readonly reads: string[] = [];

  constructor(readonly source = 'memory') {}

  set(name: string, shape: number[], data: Float32Array): this {
    const count = shape.reduce((n, d) => n * d, 1);
    if (data.length !== count) {
      throw new Error(`${name}: ${data.length} values for shape [${shape.join(', ')}]`);
    }
    this.tensors.set(name, { shape: [...shape], data });
    return this;
  }

  get(name: string): Float32Array {
    const t = this.tensors.get(name);
    if (t === undefined) throw new Error(`no tensor "${name}"`);
    return t.data;
  }

  delete(name: string): this {
    this.tensors.delete(name);
    return this;
  }

  /** A copy whose tensors can be changed without touching this one's map. */
  clone(source = this.source): MemoryTensors {
    const copy = new MemoryTensors(source);
    for (const [name, t] of this.tensors) copy.set(name, t.shape, t.data);
    return copy;
  }

  list(): TensorEntry[] {
    return [...this.tensors].map(([name, t]) => ({ name, dtype: 'F32', shape: [...t.shape] }));
  }

  entry(name: string): TensorEntry | undefined {
    const t = this.tensors.get(name);
    return t && { name, dtype: 'F32', shape: [...t.shape] };
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.tensors.get(name);
    if (t === undefined) throw new Error(`${this.source}: no tensor "${name}"`);
    this.reads.push(name);
    return t.data.slice();
  }
}
