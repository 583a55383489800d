/**
 * Builds an ONNX graph node by node: typed inputs and outputs with symbolic dims, named
 * initializers, nodes with attributes, unique names under nested scopes.
 */
import { OnnxGraph } from './graph.ts';
import {
  BYTES_PER_ELEMENT,
  elementCount,
  type Attributes,
  type Dim,
  type Initializer,
  type OnnxNode,
  type OpsetImport,
  type TensorDataType,
  type ValueInfo,
} from './types.ts';

export { OnnxGraph } from './graph.ts';
export type { ExternalDataOptions, ExternalModel } from './graph.ts';
export * from './types.ts';

/** The default-domain opset every graph here is written for. */
export const DEFAULT_OPSET = 17;

export interface NodeOptions {
  /** Number of outputs (default 1). */
  outputs?: number;
  domain?: string;
  /** Base of the node's name (default: the op type). */
  name?: string;
}

export class GraphBuilder {
  /** Every name given out (values and nodes). */
  private readonly used = new Set<string>();
  /** Names of values: graph inputs, initializers, node outputs. */
  private readonly values = new Set<string>();
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly constants = new Map<string, string>();
  private readonly scopes: string[] = [];
  private readonly opsets: OpsetImport[];
  readonly metadata: Record<string, string> = {};

  constructor(
    readonly name: string,
    opsets: OpsetImport[] = [{ domain: '', version: DEFAULT_OPSET }],
  ) {
    this.opsets = opsets.map((o) => ({ ...o }));
  }

  /** `base` if still free, else `base_1`, `base_2`, ... */
  uniqueName(base: string): string {
    const name = this.freshName(base);
    this.used.add(name);
    return name;
  }

  private freshName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  /** Runs `fn` with node names prefixed by `/scope`. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  input(name: string, dataType: TensorDataType, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, dataType, dims: [...dims] });
    return name;
  }

  /**
   * Declares `value` a graph output called `name`: the node producing it is renamed, or an
   * Identity is added when `value` is a graph input or initializer.
   */
  output(value: string, name: string, dataType: TensorDataType, dims: Dim[]): void {
    const producer = this.nodes.find((n) => n.outputs.includes(value));
    if (value !== name) {
      if (producer === undefined || this.outputs.some((o) => o.name === value)) {
        this.nodes.push(this.makeNode('Identity', [value], {}, {}, [this.claim(name)]));
      } else {
        this.claim(name);
        this.values.delete(value);
        for (const node of this.nodes) {
          node.inputs = node.inputs.map((v) => (v === value ? name : v));
          node.outputs = node.outputs.map((v) => (v === value ? name : v));
        }
      }
    } else if (producer === undefined) {
      throw new Error(`graph output "${name}" is produced by no node`);
    }
    this.outputs.push({ name, dataType, dims: [...dims] });
  }

  /** Adds an initializer under exactly `init.name` (which must be free). */
  initializer(init: Initializer): string {
    const expected = elementCount(init.dims);
    if (init.data.length !== expected) {
      throw new Error(
        `initializer "${init.name}": ${init.data.length} elements for dims [${init.dims.join(', ')}]`,
      );
    }
    if (init.data.BYTES_PER_ELEMENT !== BYTES_PER_ELEMENT[init.dataType]) {
      throw new Error(`initializer "${init.name}": data does not hold ${init.dataType}`);
    }
    this.claim(init.name);
    this.initializers.push({ ...init, dims: [...init.dims] } as Initializer);
    return init.name;
  }

  /** A float32 weight tensor. */
  weight(name: string, dims: number[], data: Float32Array): string {
    return this.initializer({ name, dataType: 'float32', dims, data });
  }

  /** An int64 constant (shape vectors, axes, indices), shared between equal uses. */
  int64(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.freshName(`const_i64_${values.length === 1 ? values[0] : 'vec'}`);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializer({ name, dataType: 'int64', dims, data });
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant, shared between equal uses. */
  float(value: number): string {
    const key = `f32:${value}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.freshName(`const_f32_${this.constants.size}`);
    this.initializer({ name, dataType: 'float32', dims: [], data: Float32Array.of(value) });
    this.constants.set(key, name);
    return name;
  }

  /** Appends a node and returns the names of its outputs. */
  node(
    opType: string,
    inputs: string[],
    attributes: Attributes = {},
    options: NodeOptions = {},
  ): string[] {
    const node = this.makeNode(opType, inputs, attributes, options);
    this.nodes.push(node);
    return node.outputs;
  }

  /** Appends a single-output node and returns its output. */
  op(
    opType: string,
    inputs: string[],
    attributes: Attributes = {},
    options: NodeOptions = {},
  ): string {
    return this.node(opType, inputs, attributes, { ...options, outputs: 1 })[0];
  }

  finish(): OnnxGraph {
    return new OnnxGraph({
      name: this.name,
      inputs: this.inputs.map((v) => ({ ...v, dims: [...v.dims] })),
      outputs: this.outputs.map((v) => ({ ...v, dims: [...v.dims] })),
      nodes: this.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] })),
      initializers: [...this.initializers],
      opsets: this.opsets.map((o) => ({ ...o })),
      metadata: { ...this.metadata },
    });
  }

  /** The model as one self-contained .onnx file. */
  toBytes(): Uint8Array {
    return this.finish().toModelBytes();
  }

  private claim(name: string): string {
    if (name === '' || this.used.has(name)) throw new Error(`name "${name}" is empty or taken`);
    this.used.add(name);
    this.values.add(name);
    return name;
  }

  private makeNode(
    opType: string,
    inputs: string[],
    attributes: Attributes,
    options: NodeOptions,
    outputNames?: string[],
  ): OnnxNode {
    const prefix = this.scopes.length > 0 ? `/${this.scopes.join('/')}/` : '';
    const name = this.uniqueName(`${prefix}${options.name ?? opType}`);
    const count = options.outputs ?? 1;
    const outputs =
      outputNames ??
      Array.from({ length: count }, (_, i) => this.claim(this.freshName(`${name}_output_${i}`)));
    for (const input of inputs) {
      if (input !== '' && !this.values.has(input)) {
        throw new Error(`${opType} "${name}": unknown input "${input}"`);
      }
    }
    return { name, opType, domain: options.domain ?? '', inputs: [...inputs], outputs, attributes };
  }
}
