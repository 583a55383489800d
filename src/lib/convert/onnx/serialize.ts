/**
 * ONNX protobuf encoding (through onnx-proto) of a graph held as plain records, with every
 * initializer either embedded or placed in an external data file.
 */
import protoRoot from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import type {
  AttributeValue,
  Initializer,
  OnnxNode,
  OpsetImport,
  TensorDataType,
  ValueInfo,
} from './types.ts';

const proto = protoRoot.onnx;

/** ONNX IR version 8 is the one that goes with opset 17. */
export const IR_VERSION = 8;
export const PRODUCER_NAME = 'skelex-web';

const ELEM_TYPE: Record<TensorDataType, number> = {
  float32: proto.TensorProto.DataType.FLOAT,
  float16: proto.TensorProto.DataType.FLOAT16,
  int64: proto.TensorProto.DataType.INT64,
  int32: proto.TensorProto.DataType.INT32,
  int8: proto.TensorProto.DataType.INT8,
  uint8: proto.TensorProto.DataType.UINT8,
  bool: proto.TensorProto.DataType.BOOL,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An initializer's bytes as ONNX stores them (little-endian), without copying. */
export function initializerBytes(init: Initializer): Uint8Array {
  if (!LITTLE_ENDIAN && init.data.BYTES_PER_ELEMENT > 1) {
    throw new Error('ONNX serialisation needs a little-endian platform');
  }
  return new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
}

/** Where an initializer's bytes live in the external data file. */
export interface ExternalPlacement {
  location: string;
  offset: number;
  length: number;
}

function tensorProto(init: Initializer, external?: ExternalPlacement): onnx.ITensorProto {
  const tensor: onnx.ITensorProto = {
    name: init.name,
    dims: init.dims,
    dataType: ELEM_TYPE[init.dataType],
  };
  if (external) {
    tensor.dataLocation = proto.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(external.offset) },
      { key: 'length', value: String(external.length) },
    ];
  } else {
    tensor.rawData = initializerBytes(init);
  }
  return tensor;
}

function valueInfoProto(info: ValueInfo): onnx.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[info.dataType],
        shape: {
          dim: info.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

const AttributeType = proto.AttributeProto.AttributeType;

function attributeProto(name: string, value: AttributeValue): onnx.IAttributeProto {
  switch (value.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: value.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: value.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...value.value] };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...value.value] };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.value) };
  }
}

function nodeProto(node: OnnxNode): onnx.INodeProto {
  return {
    name: node.name,
    opType: node.opType,
    domain: node.domain,
    input: node.inputs,
    output: node.outputs,
    attribute: Object.entries(node.attributes).map(([name, value]) => attributeProto(name, value)),
  };
}

export interface ModelParts {
  graphName: string;
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  nodes: readonly OnnxNode[];
  initializers: readonly Initializer[];
  opsets: readonly OpsetImport[];
  metadata: Readonly<Record<string, string>>;
  docString?: string;
}

/**
 * Encodes a model; `placement` says which initializers live outside the protobuf (absent
 * ones are embedded as raw data).
 */
export function encodeModel(
  parts: ModelParts,
  placement: ReadonlyMap<string, ExternalPlacement> = new Map(),
): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: PRODUCER_NAME,
    opsetImport: parts.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    metadataProps: Object.entries(parts.metadata).map(([key, value]) => ({ key, value })),
    docString: parts.docString,
    graph: {
      name: parts.graphName,
      input: parts.inputs.map(valueInfoProto),
      output: parts.outputs.map(valueInfoProto),
      initializer: parts.initializers.map((init) => tensorProto(init, placement.get(init.name))),
      node: parts.nodes.map(nodeProto),
    },
  };
  return proto.ModelProto.encode(model).finish();
}
