/**
 * int8 weights for the Linear MatMuls, in one of three ways ONNX Runtime runs on WASM:
 *
 * - `dynamic`: DynamicQuantizeLinear turns each activation into uint8 (per tensor, per
 *   run), MatMulInteger multiplies it by the int8 weight (symmetric, one scale per output
 *   column, so no weight zero point is needed), and the int32 result is Cast to float and
 *   scaled by activation scale x column scale. Activations shared by several MatMuls (Q, K,
 *   V) are quantised once.
 * - `weight-only`: int8 weight with one scale per output column, DequantizeLinear (axis 1)
 *   back to float32 in the graph, then the ordinary float MatMul.
 * - `nbits8`: MatMulNBits with 8-bit codes in blocks along K.
 */
import type { OnnxGraph } from '../onnx/graph.ts';
import { attr, type OnnxNode } from '../onnx/types.ts';
import { GraphEdit, ONNX_TYPE } from './graph-edit.ts';
import { rewriteLinearMatMuls } from './linear-layers.ts';
import { toMatMulNBitsGraph } from './matmul-nbits.ts';

export type Int8Scheme = 'dynamic' | 'weight-only' | 'nbits8';
export const INT8_SCHEMES: readonly Int8Scheme[] = ['dynamic', 'weight-only', 'nbits8'];

/** Symmetric int8 per output column of a [k, n] weight: codes in [-127, 127] and n scales. */
export function quantizePerColumn(
  weight: Float32Array,
  k: number,
  n: number,
): { codes: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) scales[c] = Math.max(scales[c], Math.abs(weight[r * n + c]));
  }
  for (let c = 0; c < n; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const codes = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const q = Math.round(weight[r * n + c] / scales[c]);
      codes[r * n + c] = Math.max(-127, Math.min(127, q));
    }
  }
  return { codes, scales };
}

function perColumnWeights(
  edit: GraphEdit,
  made: Map<string, [string, string]>,
  weight: string,
  data: Float32Array,
  k: number,
  n: number,
): [string, string] {
  const known = made.get(weight);
  if (known !== undefined) return known;
  const { codes, scales } = quantizePerColumn(data, k, n);
  const names: [string, string] = [
    edit.addInitializer(`${weight}_quantized`, { dataType: 'int8', dims: [k, n], data: codes }),
    edit.addInitializer(`${weight}_scale`, { dataType: 'float32', dims: [n], data: scales }),
  ];
  made.set(weight, names);
  return names;
}

function dynamicGraph(graph: OnnxGraph): OnnxGraph {
  const edit = new GraphEdit(graph);
  const made = new Map<string, [string, string]>();
  /** Activation -> [uint8 codes, scale, zero point], made once before its first use. */
  const quantized = new Map<string, string[]>();
  rewriteLinearMatMuls(edit, (m) => {
    const [codes, scales] = perColumnWeights(edit, made, m.weight, m.data, m.k, m.n);
    const nodes: OnnxNode[] = [];
    let activation = quantized.get(m.input);
    if (activation === undefined) {
      const dq = edit.makeNode(
        'DynamicQuantizeLinear',
        [m.input],
        3,
        {},
        {
          name: `${m.node.name}_quant`,
        },
      );
      nodes.push(dq);
      activation = dq.outputs;
      quantized.set(m.input, activation);
    }
    const [a, aScale, aZero] = activation;
    const product = edit.makeNode(
      'MatMulInteger',
      [a, codes, aZero],
      1,
      {},
      {
        name: `${m.node.name}_int`,
      },
    );
    const wide = edit.makeNode('Cast', product.outputs, 1, { to: attr.int(ONNX_TYPE.FLOAT) });
    const scale = edit.makeNode('Mul', [aScale, scales], 1, {}, { name: `${m.node.name}_scale` });
    const out = edit.makeNode(
      'Mul',
      [wide.outputs[0], scale.outputs[0]],
      m.node.outputs,
      {},
      {
        name: `${m.node.name}_rescale`,
      },
    );
    nodes.push(product, wide, scale, out);
    return nodes;
  });
  return finishInt8(edit, 'dynamic: DynamicQuantizeLinear + MatMulInteger, int8 per column');
}

function weightOnlyGraph(graph: OnnxGraph): OnnxGraph {
  const edit = new GraphEdit(graph);
  if ((edit.opsetVersion('') ?? 0) < 13)
    throw new Error('int8: per-axis DequantizeLinear needs opset 13');
  const made = new Map<string, [string, string]>();
  const dequantized = new Map<string, string>();
  rewriteLinearMatMuls(edit, (m) => {
    const nodes: OnnxNode[] = [];
    let weight = dequantized.get(m.weight);
    if (weight === undefined) {
      const [codes, scales] = perColumnWeights(edit, made, m.weight, m.data, m.k, m.n);
      const dq = edit.makeNode(
        'DequantizeLinear',
        [codes, scales],
        1,
        { axis: attr.int(1) },
        {
          name: `${m.node.name}_dequant`,
        },
      );
      nodes.push(dq);
      weight = dq.outputs[0];
      dequantized.set(m.weight, weight);
    }
    nodes.push({ ...m.node, inputs: [m.input, weight] });
    return nodes;
  });
  return finishInt8(edit, 'weight-only: int8 per column + DequantizeLinear');
}

function finishInt8(edit: GraphEdit, scheme: string): OnnxGraph {
  edit.metadata['skelex.variant'] = 'int8';
  edit.metadata['skelex.quantization'] = scheme;
  return edit.finish();
}

export function toInt8Graph(graph: OnnxGraph, scheme: Int8Scheme): OnnxGraph {
  switch (scheme) {
    case 'dynamic':
      return dynamicGraph(graph);
    case 'weight-only':
      return weightOnlyGraph(graph);
    case 'nbits8':
      return toMatMulNBitsGraph(graph, { bits: 8, blockSize: 32, symmetric: true }, 'int8');
  }
}
