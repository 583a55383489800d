/**
 * A working copy of an OnnxGraph for the variant passes: the input graph is never changed
 * (nodes, value infos and initializer records are copied; initializer data arrays are
 * shared until a pass replaces them), new names are unique in the whole graph, and
 * initializers a pass has replaced are dropped once nothing refers to them.
 */
import { OnnxGraph } from '../onnx/graph.ts';
import type { Attributes, Initializer, OnnxNode, OpsetImport, ValueInfo } from '../onnx/types.ts';

/** ONNX TensorProto element type codes (for Cast `to` and similar attributes). */
export const ONNX_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** The ONNX Runtime contrib-op domain (MatMulNBits, ...). */
export const MS_DOMAIN = 'com.microsoft';

function copyNode(node: OnnxNode): OnnxNode {
  return {
    ...node,
    inputs: [...node.inputs],
    outputs: [...node.outputs],
    attributes: { ...node.attributes },
  };
}

function copyInfo(info: ValueInfo): ValueInfo {
  return { ...info, dims: [...info.dims] };
}

export class GraphEdit {
  readonly name: string;
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  /** Nodes in order; passes replace this list's entries or rebuild it. */
  nodes: OnnxNode[];
  private readonly initializers = new Map<string, Initializer>();
  private readonly opsets: OpsetImport[];
  readonly metadata: Record<string, string>;
  private readonly docString: string | undefined;
  private readonly used = new Set<string>();
  private readonly replaced = new Set<string>();

  constructor(graph: OnnxGraph) {
    this.name = graph.name;
    this.inputs = graph.inputs.map(copyInfo);
    this.outputs = graph.outputs.map(copyInfo);
    this.nodes = graph.nodes.map(copyNode);
    for (const init of graph.initializers) {
      this.initializers.set(init.name, { ...init, dims: [...init.dims] } as Initializer);
    }
    this.opsets = graph.opsets.map((o) => ({ ...o }));
    this.metadata = { ...graph.metadata };
    this.docString = graph.docString;
    for (const v of [...this.inputs, ...this.outputs]) this.used.add(v.name);
    for (const name of this.initializers.keys()) this.used.add(name);
    for (const node of this.nodes) {
      this.used.add(node.name);
      for (const v of [...node.inputs, ...node.outputs]) if (v !== '') this.used.add(v);
    }
  }

  /** `base`, or `base_1`, `base_2`, ... : a name no value or node of the graph has. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  initializer(name: string): Initializer | undefined {
    return this.initializers.get(name);
  }

  isGraphInput(name: string): boolean {
    return this.inputs.some((i) => i.name === name);
  }

  /** Adds an initializer under a fresh name built from `base`; returns the name. */
  addInitializer(base: string, init: Omit<Initializer, 'name'>): string {
    const name = this.fresh(base);
    this.initializers.set(name, { ...init, name } as Initializer);
    return name;
  }

  /** Replaces the initializer `name` in place (same name, new type or data). */
  setInitializer(init: Initializer): void {
    if (!this.initializers.has(init.name)) throw new Error(`no initializer "${init.name}"`);
    this.initializers.set(init.name, init);
  }

  /** Marks `name` for removal at `finish` if nothing refers to it any more. */
  retire(name: string): void {
    this.replaced.add(name);
  }

  /** A node with a fresh name (from `base`) and fresh output names unless given. */
  makeNode(
    opType: string,
    inputs: string[],
    outputs: string[] | number,
    attributes: Attributes = {},
    options: { domain?: string; name?: string } = {},
  ): OnnxNode {
    const name = this.fresh(options.name ?? opType);
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(`${name}_output_${i}`))
        : outputs;
    return { name, opType, domain: options.domain ?? '', inputs, outputs: outs, attributes };
  }

  /** Renames the value `from` to `to` wherever a node reads or writes it. */
  renameValue(from: string, to: string): void {
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((v) => (v === from ? to : v));
      node.outputs = node.outputs.map((v) => (v === from ? to : v));
    }
  }

  /** Ensures the graph imports `domain` at least at `version`. */
  useOpset(domain: string, version: number): void {
    const known = this.opsets.find((o) => o.domain === domain);
    if (known === undefined) this.opsets.push({ domain, version });
    else known.version = Math.max(known.version, version);
  }

  opsetVersion(domain: string): number | undefined {
    return this.opsets.find((o) => o.domain === domain)?.version;
  }

  finish(): OnnxGraph {
    const referenced = new Set<string>(this.outputs.map((o) => o.name));
    for (const node of this.nodes) for (const v of node.inputs) referenced.add(v);
    const initializers = [...this.initializers.values()].filter(
      (init) => !this.replaced.has(init.name) || referenced.has(init.name),
    );
    return new OnnxGraph({
      name: this.name,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      initializers,
      opsets: this.opsets,
      metadata: this.metadata,
      docString: this.docString,
    });
  }
}
