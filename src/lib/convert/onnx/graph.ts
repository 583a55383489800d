/**
 * A finished ONNX graph: plain, editable records (a quantisation pass may swap initializers
 * and nodes) that serialise either as one self-contained model or as a small model plus
 * an external data file written chunk by chunk.
 */
import { encodeModel, initializerBytes, type ExternalPlacement } from './serialize.ts';
import type { Initializer, OnnxNode, OpsetImport, ValueInfo } from './types.ts';

export interface ExternalDataOptions {
  /** Offsets of tensors in the data file are multiples of this (default 4096). */
  align?: number;
  /** Tensors smaller than this many bytes stay inside the model (default 1024). */
  minBytes?: number;
  /**
   * A data file is closed before it would pass this size and the next tensors go
   * into another (default 1 GiB: every file stays well under 2 GB). A single tensor
   * larger than this gets a file of its own.
   */
  maxFileBytes?: number;
}

export interface ExternalDataFile {
  /** The file's name as the model refers to it (relative to the model's folder). */
  name: string;
  /** Its contents in order (padding included); views over the initializers. */
  chunks: Uint8Array[];
  bytes: number;
}

export interface ExternalModel {
  /** The .onnx file: graph, small tensors, and references into the data files. */
  modelBytes: Uint8Array;
  /** One or more data files: `NAME`, then `NAME.2`, `NAME.3`... */
  files: ExternalDataFile[];
}

export interface OnnxGraphParts {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: OnnxNode[];
  initializers: Initializer[];
  opsets: OpsetImport[];
  metadata?: Record<string, string>;
  docString?: string;
}

export class OnnxGraph {
  readonly name: string;
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly nodes: OnnxNode[];
  readonly initializers: Initializer[];
  readonly opsets: OpsetImport[];
  readonly metadata: Record<string, string>;
  docString: string | undefined;

  constructor(parts: OnnxGraphParts) {
    this.name = parts.name;
    this.inputs = parts.inputs;
    this.outputs = parts.outputs;
    this.nodes = parts.nodes;
    this.initializers = parts.initializers;
    this.opsets = parts.opsets;
    this.metadata = parts.metadata ?? {};
    this.docString = parts.docString;
  }

  initializer(name: string): Initializer | undefined {
    return this.initializers.find((init) => init.name === name);
  }

  /** Bytes of all initializers together. */
  get weightBytes(): number {
    return this.initializers.reduce((n, init) => n + init.data.byteLength, 0);
  }

  /** One self-contained .onnx file (protobuf caps this at 2 GiB; use toExternal beyond). */
  toModelBytes(): Uint8Array {
    return encodeModel(this.parts());
  }

  /**
   * The model with its larger initializers in `dataFileName` (and more files when it would
   * grow past `maxFileBytes`): returns the model bytes and each data file's chunks, which the
   * caller writes one after another.
   */
  toExternal(dataFileName: string, options: ExternalDataOptions = {}): ExternalModel {
    const align = options.align ?? 4096;
    const minBytes = options.minBytes ?? 1024;
    const maxFileBytes = options.maxFileBytes ?? 2 ** 30;
    if (!Number.isInteger(align) || align < 1) throw new Error(`bad alignment ${align}`);
    if (dataFileName === '' || /^[/\\]|(^|[/\\])\.\.([/\\]|$)/.test(dataFileName)) {
      throw new Error(
        `external data file "${dataFileName}" must be a path inside the model's folder`,
      );
    }
    const placement = new Map<string, ExternalPlacement>();
    const files: ExternalDataFile[] = [];
    let file: ExternalDataFile | undefined;
    let zeros = new Uint8Array(0);
    for (const init of this.initializers) {
      const bytes = initializerBytes(init);
      if (bytes.byteLength < minBytes) continue;
      let pad = file ? (align - (file.bytes % align)) % align : 0;
      if (!file || (file.bytes > 0 && file.bytes + pad + bytes.byteLength > maxFileBytes)) {
        const name = files.length === 0 ? dataFileName : `${dataFileName}.${files.length + 1}`;
        file = { name, chunks: [], bytes: 0 };
        files.push(file);
        pad = 0;
      }
      if (pad > 0) {
        if (zeros.byteLength < pad) zeros = new Uint8Array(align);
        file.chunks.push(zeros.subarray(0, pad));
        file.bytes += pad;
      }
      placement.set(init.name, {
        location: file.name,
        offset: file.bytes,
        length: bytes.byteLength,
      });
      file.chunks.push(bytes);
      file.bytes += bytes.byteLength;
    }
    return { modelBytes: encodeModel(this.parts(), placement), files };
  }

  private parts() {
    return {
      graphName: this.name,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      initializers: this.initializers,
      opsets: this.opsets,
      metadata: this.metadata,
      docString: this.docString,
    };
  }
}
