/**
 * Plain records for an ONNX graph under construction. Initializers keep their data as typed
 * arrays until serialisation, so a later pass (quantisation, fp16) can replace any of them
 * and the serialiser can decide per tensor where its bytes go.
 */

export type TensorDataType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** The typed array each element type is held in (float16 as raw IEEE half bits). */
export interface TensorDataOf {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TensorData = TensorDataOf[TensorDataType];

/** A constant tensor of the graph, row-major, little-endian when written. */
export type Initializer = {
  [T in TensorDataType]: { name: string; dataType: T; dims: number[]; data: TensorDataOf[T] };
}[TensorDataType];

/** A fixed size, or a symbolic one ('batch') that ONNX Runtime resolves per run. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dataType: TensorDataType;
  dims: Dim[];
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string };

/** Attribute constructors: ONNX distinguishes int from float, JavaScript numbers do not. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
};

export type Attributes = Record<string, AttributeValue>;

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' is the default ONNX domain. */
  domain: string;
  /** '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Attributes;
}

export interface OpsetImport {
  domain: string;
  version: number;
}

/** Bytes per element of each element type. */
export const BYTES_PER_ELEMENT: Record<TensorDataType, number> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}
