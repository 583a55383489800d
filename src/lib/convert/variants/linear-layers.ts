/**
 * The MatMuls the quantising passes rewrite: those whose B operand is a constant float32
 * [K, N] initializer (the Linear layers, `<linear>.weight.T`). Attention MatMuls (both
 * operands computed), the Conv patch embedding, LayerNorm and the rest are left alone.
 */
import type { OnnxNode } from '../onnx/types.ts';
import type { GraphEdit } from './graph-edit.ts';

export interface LinearMatMul {
  /** Index of the MatMul in `edit.nodes`. */
  index: number;
  node: OnnxNode;
  /** The activation (A operand). */
  input: string;
  /** Name of the weight initializer (B operand). */
  weight: string;
  /** The weight as [K, N] row-major. */
  data: Float32Array;
  k: number;
  n: number;
}

export function linearMatMuls(edit: GraphEdit): LinearMatMul[] {
  const found: LinearMatMul[] = [];
  edit.nodes.forEach((node, index) => {
    if (node.opType !== 'MatMul' || node.domain !== '' || node.inputs.length !== 2) return;
    const [input, weight] = node.inputs;
    const init = edit.initializer(weight);
    if (init === undefined || init.dataType !== 'float32' || init.dims.length !== 2) return;
    // An initializer that is also a graph input can be overridden at run time: not constant.
    if (edit.isGraphInput(weight)) return;
    found.push({ index, node, input, weight, data: init.data, k: init.dims[0], n: init.dims[1] });
  });
  return found;
}

/**
 * Runs `rewrite` on every linear MatMul and splices the nodes it returns in place of the
 * MatMul (a pass that meets one weight twice should make its quantised form once); the
 * float weights are dropped unless something else still reads them. Returns the count.
 */
export function rewriteLinearMatMuls(
  edit: GraphEdit,
  rewrite: (m: LinearMatMul) => OnnxNode[],
): number {
  const matches = linearMatMuls(edit);
  const replacement = new Map<number, OnnxNode[]>();
  for (const m of matches) {
    replacement.set(m.index, rewrite(m));
    edit.retire(m.weight);
  }
  edit.nodes = edit.nodes.flatMap((node, i) => replacement.get(i) ?? [node]);
  return matches.length;
}
