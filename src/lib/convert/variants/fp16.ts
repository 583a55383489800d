/**
 * The float16 variant (for WebGPU with `shader-f16`): every float tensor of the graph is
 * float16. float32 initializers are rounded to float16 (nearest, ties to even), float32
 * graph inputs are Cast to float16 first and float32 outputs Cast back last, so callers
 * still feed and read float32. Optionally some op types stay float32 inside Casts.
 *
 * Fully float16 is accurate enough on the ViT graphs, LayerNormalization and Softmax
 * included: on a random ViT-Base MAE (12 + 8 layers) the logits differ from fp32 by at most
 * 7.5e-4 of their largest magnitude; keeping LayerNormalization in float32 changed a small
 * MAE's error from 7.0e-4 to 5.6e-4 of the largest logit, not worth the Casts.
 */
import type { OnnxGraph } from '../onnx/graph.ts';
import { attr, type Initializer, type OnnxNode } from '../onnx/types.ts';
import { toFloat16 } from './float16.ts';
import { GraphEdit, ONNX_TYPE } from './graph-edit.ts';

export interface Float16Options {
  /**
   * Op types computed in float32 with Casts around them (e.g. `LayerNormalization`); only
   * ops whose float inputs and outputs are known here can be listed.
   */
  keepFloat32?: readonly string[];
}

/** For ops that may stay float32: which inputs and outputs are float tensors. */
const FLOAT_SLOTS: Record<string, { inputs: number[]; outputs: number[] }> = {
  LayerNormalization: { inputs: [0, 1, 2], outputs: [0, 1, 2] },
  Softmax: { inputs: [0], outputs: [0] },
  Erf: { inputs: [0], outputs: [0] },
  ReduceMean: { inputs: [0], outputs: [0] },
};

/** Ops whose attributes name an element type the pass cannot rewrite. */
const TYPED_OPS = new Set([
  'Constant',
  'ConstantOfShape',
  'EyeLike',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
]);

function castNode(edit: GraphEdit, input: string, output: string, to: number): OnnxNode {
  return edit.makeNode('Cast', [input], [output], { to: attr.int(to) }, { name: `Cast_${output}` });
}

export function toFloat16Graph(graph: OnnxGraph, options: Float16Options = {}): OnnxGraph {
  const keep = new Set(options.keepFloat32 ?? []);
  for (const op of keep) {
    if (FLOAT_SLOTS[op] === undefined) throw new Error(`fp16: cannot keep ${op} in float32`);
  }
  const edit = new GraphEdit(graph);
  for (const node of edit.nodes) {
    if (TYPED_OPS.has(node.opType) && node.domain === '') {
      throw new Error(`fp16: node "${node.name}" (${node.opType}) carries a typed constant`);
    }
    if (node.opType === 'Cast' && node.attributes.to?.value === ONNX_TYPE.FLOAT) {
      node.attributes.to = attr.int(ONNX_TYPE.FLOAT16);
    }
  }

  // float32 initializers read by float32-kept ops only stay float32; others read by both get
  // a float32 copy for the kept ops.
  const keptNodes = edit.nodes.filter((n) => keep.has(n.opType) && n.domain === '');
  const keptReads = new Set<string>();
  const otherReads = new Set<string>();
  for (const node of edit.nodes) {
    const kept = keptNodes.includes(node);
    node.inputs.forEach((v, i) => {
      if (kept && FLOAT_SLOTS[node.opType].inputs.includes(i)) keptReads.add(v);
      else otherReads.add(v);
    });
  }
  const float32Copy = new Map<string, string>();
  for (const init of graph.initializers) {
    if (init.dataType !== 'float32' || edit.isGraphInput(init.name)) continue;
    const half: Initializer = {
      name: init.name,
      dataType: 'float16',
      dims: [...init.dims],
      data: toFloat16(init.data),
    };
    if (!keptReads.has(init.name)) {
      edit.setInitializer(half);
    } else if (otherReads.has(init.name)) {
      edit.setInitializer(half);
      float32Copy.set(
        init.name,
        edit.addInitializer(`${init.name}_fp32`, {
          dataType: 'float32',
          dims: [...init.dims],
          data: init.data,
        }),
      );
    } // else: read only by kept ops, stays float32
  }

  const nodes: OnnxNode[] = [];
  // Graph inputs: Cast to float16 right away.
  for (const input of edit.inputs) {
    if (input.dataType !== 'float32') continue;
    const half = edit.fresh(`${input.name}_fp16`);
    edit.renameValue(input.name, half);
    nodes.push(castNode(edit, input.name, half, ONNX_TYPE.FLOAT16));
  }
  for (const node of edit.nodes) {
    if (!keptNodes.includes(node)) {
      nodes.push(node);
      continue;
    }
    const slots = FLOAT_SLOTS[node.opType];
    node.inputs = node.inputs.map((v, i) => {
      if (v === '' || !slots.inputs.includes(i)) return v;
      const copy = float32Copy.get(v);
      if (copy !== undefined) return copy;
      const init = edit.initializer(v);
      if (init?.dataType === 'float32') return v;
      const wide = edit.fresh(`${v}_fp32`);
      nodes.push(castNode(edit, v, wide, ONNX_TYPE.FLOAT));
      return wide;
    });
    const after: OnnxNode[] = [];
    node.outputs = node.outputs.map((v, i) => {
      if (v === '' || !slots.outputs.includes(i)) return v;
      const wide = edit.fresh(`${v}_fp32`);
      after.push(castNode(edit, wide, v, ONNX_TYPE.FLOAT16));
      return wide;
    });
    nodes.push(node, ...after);
  }
  edit.nodes = nodes;
  // Graph outputs: the float16 value gets a new name and a Cast back to float32 makes the
  // output under its own name.
  for (const output of edit.outputs) {
    if (output.dataType !== 'float32') continue;
    const half = edit.fresh(`${output.name}_fp16`);
    edit.renameValue(output.name, half);
    edit.nodes.push(castNode(edit, half, output.name, ONNX_TYPE.FLOAT));
  }
  edit.metadata['skelex.variant'] = 'fp16';
  if (keep.size > 0) edit.metadata['skelex.fp32_ops'] = [...keep].join(',');
  return edit.finish();
}
