/**
 * ViT building blocks as ONNX nodes (opset 17, default domain only): Linear as MatMul (+Add),
 * LayerNormalization, pre-LN transformer layers with MatMul/Softmax attention and exact-erf
 * GELU, the Conv patch embedding and the CLS token.
 */
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { attr } from '../onnx/types.ts';
import type { StackSizes, VitSizes } from './config.ts';
import type { LayerNormWeights, LinearWeights, WeightLoader } from './weights.ts';

/** Slice `end` meaning "to the end of the axis" (ends are clamped to the axis length). */
const TO_END = Number.MAX_SAFE_INTEGER;

/** x @ W (+ b); W is stored as the MatMul B operand [in, out] named `<linear>.weight.T`. */
export function linear(b: GraphBuilder, x: string, w: LinearWeights): string {
  const weight = b.weight(`${w.name}.weight.T`, [w.inFeatures, w.outFeatures], w.weight);
  const y = b.op('MatMul', [x, weight]);
  if (w.bias === undefined) return y;
  return b.op('Add', [y, b.weight(`${w.name}.bias`, [w.outFeatures], w.bias)]);
}

export function layerNorm(b: GraphBuilder, x: string, w: LayerNormWeights, eps: number): string {
  const size = w.weight.length;
  return b.op(
    'LayerNormalization',
    [x, b.weight(`${w.name}.weight`, [size], w.weight), b.weight(`${w.name}.bias`, [size], w.bias)],
    { axis: attr.int(-1), epsilon: attr.float(eps) },
  );
}

/** 0.5 * x * (1 + erf(x / sqrt 2)): PyTorch's default (exact) GELU. */
export function gelu(b: GraphBuilder, x: string): string {
  return b.scope('gelu', () => {
    const erf = b.op('Erf', [b.op('Mul', [x, b.float(Math.SQRT1_2)])]);
    const half = b.op('Mul', [x, b.float(0.5)]);
    return b.op('Mul', [half, b.op('Add', [erf, b.float(1)])]);
  });
}

/** Slice of `x` along `axis` from `start` to `end` (exclusive). */
export function sliceAxis(
  b: GraphBuilder,
  x: string,
  axis: number,
  start: number,
  end = TO_END,
): string {
  return b.op('Slice', [x, b.int64([start]), b.int64([end]), b.int64([axis])]);
}

export interface LayerWeights {
  layernormBefore: LayerNormWeights;
  query: LinearWeights;
  key: LinearWeights;
  value: LinearWeights;
  attentionOutput: LinearWeights;
  layernormAfter: LayerNormWeights;
  intermediate: LinearWeights;
  output: LinearWeights;
}

/** HF ViTLayer / ViTMAELayer weights under `name` (e.g. `vit.encoder.layer.3`). */
export async function loadLayer(
  w: WeightLoader,
  name: string,
  s: StackSizes,
): Promise<LayerWeights> {
  const attention = `${name}.attention.attention`;
  return {
    layernormBefore: await w.layerNorm(`${name}.layernorm_before`, s.hidden),
    query: await w.linear(`${attention}.query`, s.hidden, s.hidden, s.qkvBias),
    key: await w.linear(`${attention}.key`, s.hidden, s.hidden, s.qkvBias),
    value: await w.linear(`${attention}.value`, s.hidden, s.hidden, s.qkvBias),
    attentionOutput: await w.linear(`${name}.attention.output.dense`, s.hidden, s.hidden),
    layernormAfter: await w.layerNorm(`${name}.layernorm_after`, s.hidden),
    intermediate: await w.linear(`${name}.intermediate.dense`, s.hidden, s.intermediate),
    output: await w.linear(`${name}.output.dense`, s.intermediate, s.hidden),
  };
}

/** Multi-head self-attention of x [B, S, D] -> [B, S, D], before the output projection. */
function selfAttention(b: GraphBuilder, x: string, w: LayerWeights, s: StackSizes): string {
  const headDim = s.hidden / s.heads;
  const split = b.int64([0, 0, s.heads, headDim]);
  const heads = (lin: LinearWeights, perm: number[]) =>
    b.op('Transpose', [b.op('Reshape', [linear(b, x, lin), split])], { perm: attr.ints(perm) });
  const q = heads(w.query, [0, 2, 1, 3]); // [B, H, S, hd]
  const kT = heads(w.key, [0, 2, 3, 1]); // [B, H, hd, S]
  const v = heads(w.value, [0, 2, 1, 3]); // [B, H, S, hd]
  const scores = b.op('Mul', [b.op('MatMul', [q, kT]), b.float(1 / Math.sqrt(headDim))]);
  const probs = b.op('Softmax', [scores], { axis: attr.int(-1) });
  const context = b.op('Transpose', [b.op('MatMul', [probs, v])], {
    perm: attr.ints([0, 2, 1, 3]),
  });
  return b.op('Reshape', [context, b.int64([0, 0, s.hidden])]);
}

/** HF pre-LN layer: x + attn(LN(x)), then + mlp(LN(.)). */
export function transformerLayer(
  b: GraphBuilder,
  x: string,
  w: LayerWeights,
  s: StackSizes,
): string {
  const attended = b.scope('attention', () => {
    const h = layerNorm(b, x, w.layernormBefore, s.eps);
    return b.op('Add', [x, linear(b, selfAttention(b, h, w, s), w.attentionOutput)]);
  });
  return b.scope('mlp', () => {
    const h = layerNorm(b, attended, w.layernormAfter, s.eps);
    const m = linear(b, gelu(b, linear(b, h, w.intermediate)), w.output);
    return b.op('Add', [attended, m]);
  });
}

/** `s.layers` layers `${name}.{i}`, each read from the checkpoint just before it is added. */
export async function transformerStack(
  b: GraphBuilder,
  w: WeightLoader,
  x: string,
  name: string,
  s: StackSizes,
): Promise<string> {
  let h = x;
  for (let i = 0; i < s.layers; i++) {
    const weights = await loadLayer(w, `${name}.${i}`, s);
    h = b.scope(`${name}.${i}`, () => transformerLayer(b, h, weights, s));
  }
  return h;
}

export interface EmbeddingWeights {
  /** Conv weight [D, C, P, P] and bias [D]. */
  projection: { weight: Float32Array; bias: Float32Array };
  /** cls_token + position_embeddings[:, :1] as [1, 1, D]. */
  clsWithPosition: Float32Array;
  /** position_embeddings[:, 1:] as [1, N, D]. */
  patchPositions: Float32Array;
}

/** HF ViTEmbeddings / ViTMAEEmbeddings under `name` (e.g. `vit.embeddings`). */
export async function loadEmbeddings(
  w: WeightLoader,
  name: string,
  v: VitSizes,
): Promise<EmbeddingWeights> {
  const d = v.encoder.hidden;
  const p = v.patchSize;
  const projection = `${name}.patch_embeddings.projection`;
  const weight = await w.tensor(`${projection}.weight`, [d, v.channels, p, p]);
  const bias = await w.tensor(`${projection}.bias`, [d]);
  const cls = await w.tensor(`${name}.cls_token`, [1, 1, d]);
  const positions = await w.tensor(`${name}.position_embeddings`, [1, v.patches + 1, d]);
  const clsWithPosition = new Float32Array(d);
  for (let i = 0; i < d; i++) clsWithPosition[i] = cls[i] + positions[i];
  return {
    projection: { weight, bias },
    clsWithPosition,
    patchPositions: positions.slice(d),
  };
}

/**
 * pixel_values [B, C, H, W] -> patch tokens [B, N, D] with their position embeddings added,
 * patches in row-major order as HF's Conv2d + flatten(2) + transpose(1, 2).
 */
export function patchTokens(
  b: GraphBuilder,
  pixels: string,
  e: EmbeddingWeights,
  name: string,
  v: VitSizes,
): string {
  const d = v.encoder.hidden;
  const p = v.patchSize;
  const conv = b.op(
    'Conv',
    [
      pixels,
      b.weight(
        `${name}.patch_embeddings.projection.weight`,
        [d, v.channels, p, p],
        e.projection.weight,
      ),
      b.weight(`${name}.patch_embeddings.projection.bias`, [d], e.projection.bias),
    ],
    { kernel_shape: attr.ints([p, p]), strides: attr.ints([p, p]) },
  );
  const flat = b.op('Reshape', [conv, b.int64([0, d, v.patches])]);
  const tokens = b.op('Transpose', [flat], { perm: attr.ints([0, 2, 1]) });
  const positions = b.weight(
    `${name}.position_embeddings.patches`,
    [1, v.patches, d],
    e.patchPositions,
  );
  return b.op('Add', [tokens, positions]);
}

/** Rows `ids` [B, M] (int64) of x [B, T, width] -> [B, M, width], per batch row. */
export function gatherRows(b: GraphBuilder, x: string, ids: string, width: number): string {
  const index = b.op('Expand', [b.op('Unsqueeze', [ids, b.int64([2])]), b.int64([1, 1, width])]);
  return b.op('GatherElements', [x, index], { axis: attr.int(1) });
}

/** [1, 1, W] constant -> [B, 1, W] with B the batch size of `batchOf`. */
export function expandToBatch(
  b: GraphBuilder,
  row: string,
  batchOf: string,
  width: number,
): string {
  const batch = b.op('Shape', [batchOf], { start: attr.int(0), end: attr.int(1) });
  const shape = b.op('Concat', [batch, b.int64([1, width])], { axis: attr.int(0) });
  return b.op('Expand', [row, shape]);
}

/** [CLS + its position; tokens] along the sequence axis. */
export function prependCls(
  b: GraphBuilder,
  tokens: string,
  pixels: string,
  e: EmbeddingWeights,
  name: string,
  hidden: number,
): string {
  const cls = b.weight(`${name}.cls_token_with_position`, [1, 1, hidden], e.clsWithPosition);
  return b.op('Concat', [expandToBatch(b, cls, pixels, hidden), tokens], { axis: attr.int(1) });
}

/** The encoder front: embeddings, optional token selection, CLS. Returns [B, T, D]. */
export async function embed(
  b: GraphBuilder,
  w: WeightLoader,
  pixels: string,
  prefix: string,
  v: VitSizes,
  keep?: string,
): Promise<string> {
  const name = `${prefix}embeddings`;
  const e = await loadEmbeddings(w, name, v);
  return b.scope('embeddings', () => {
    let tokens = patchTokens(b, pixels, e, name, v);
    if (keep !== undefined) tokens = gatherRows(b, tokens, keep, v.encoder.hidden);
    return prependCls(b, tokens, pixels, e, name, v.encoder.hidden);
  });
}

/** Embeddings, the encoder layers and the final layer norm: [B, T, D] after `layernorm`. */
export async function vitEncoder(
  b: GraphBuilder,
  w: WeightLoader,
  pixels: string,
  prefix: string,
  v: VitSizes,
  keep?: string,
): Promise<string> {
  const x = await embed(b, w, pixels, prefix, v, keep);
  const h = await transformerStack(b, w, x, `${prefix}encoder.layer`, v.encoder);
  const norm = await w.layerNorm(`${prefix}layernorm`, v.encoder.hidden);
  return layerNorm(b, h, norm, v.encoder.eps);
}
