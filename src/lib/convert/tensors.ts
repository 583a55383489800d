/**
 * The one interface the converter reads weights through, whatever the
 * checkpoint format: tensors are listed up front and read one at a time, so
 * a 1.3 GB checkpoint is never held twice.
 */

/** Element types as safetensors names them; PyTorch storages map onto these. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
}

export interface TensorReader {
  /** File the tensors come from, for every message about them. */
  readonly source: string;
  list(): TensorEntry[];
  /** Undefined when the checkpoint has no tensor of that name. */
  entry(name: string): TensorEntry | undefined;
  /** One tensor, converted to float32 (row-major, contiguous), read on demand. */
  readFloat32(name: string): Promise<Float32Array>;
}

/** Random-access bytes: a Node file handle or a browser File/Blob. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}
