/**
 * Linear MatMuls as `com.microsoft.MatMulNBits` (opset 1 of that domain): the [K, N] weight
 * block-quantised along K (see block-quant.ts), Y = A x dequant(B). ONNX Runtime runs it on
 * WASM, WebGPU and the native CPU.
 */
import type { OnnxGraph } from '../onnx/graph.ts';
import { attr } from '../onnx/types.ts';
import { quantizeBlockwise, type BlockQuantOptions } from './block-quant.ts';
import { GraphEdit, MS_DOMAIN } from './graph-edit.ts';
import { rewriteLinearMatMuls } from './linear-layers.ts';

export interface MatMulNBitsOptions extends BlockQuantOptions {
  /**
   * MatMulNBits `accuracy_level`: 0 leaves A as it is; 4 lets the runtime quantise A to int8
   * blocks internally (faster where it has such a kernel, less exact).
   */
  accuracyLevel?: number;
}

export function toMatMulNBitsGraph(
  graph: OnnxGraph,
  options: MatMulNBitsOptions,
  label: string,
): OnnxGraph {
  const edit = new GraphEdit(graph);
  const made = new Map<string, string[]>();
  const count = rewriteLinearMatMuls(edit, (m) => {
    let names = made.get(m.weight);
    if (names === undefined) {
      const q = quantizeBlockwise(m.data, m.k, m.n, options);
      const blob = (options.blockSize * options.bits) / 8;
      names = [
        edit.addInitializer(`${m.weight}_Q${options.bits}`, {
          dataType: 'uint8',
          dims: [m.n, q.blocks, blob],
          data: q.data,
        }),
        edit.addInitializer(`${m.weight}_scales`, {
          dataType: 'float32',
          dims: [m.n, q.blocks],
          data: q.scales,
        }),
      ];
      if (q.zeroPoints !== undefined) {
        names.push(
          edit.addInitializer(`${m.weight}_zero_points`, {
            dataType: 'uint8',
            dims: [m.n, q.zeroPoints.length / m.n],
            data: q.zeroPoints,
          }),
        );
      }
      made.set(m.weight, names);
    }
    const attributes = {
      K: attr.int(m.k),
      N: attr.int(m.n),
      bits: attr.int(options.bits),
      block_size: attr.int(options.blockSize),
      ...(options.accuracyLevel === undefined
        ? {}
        : { accuracy_level: attr.int(options.accuracyLevel) }),
    };
    return [
      edit.makeNode('MatMulNBits', [m.input, ...names], m.node.outputs, attributes, {
        domain: MS_DOMAIN,
        name: `${m.node.name}_Q${options.bits}`,
      }),
    ];
  });
  if (count > 0) edit.useOpset(MS_DOMAIN, 1);
  edit.metadata['skelex.variant'] = label;
  edit.metadata['skelex.quantization'] =
    `MatMulNBits bits=${options.bits} block_size=${options.blockSize} ` +
    `${options.symmetric ? 'symmetric' : 'asymmetric'}`;
  return edit.finish();
}
