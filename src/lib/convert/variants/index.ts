/**
 * Precision variants of a finished graph: fp32 (as built), fp16 (WebGPU with shader-f16),
 * int8 and q4 (smaller downloads; Linear weights quantised). Every variant keeps the
 * graph's input and output names and float32 / int64 types. The input graph is not
 * changed; unchanged initializer data may be shared with it.
 */
import type { OnnxGraph } from '../onnx/graph.ts';
import { toFloat16Graph } from './fp16.ts';
import { GraphEdit } from './graph-edit.ts';
import { toInt8Graph, type Int8Scheme } from './int8.ts';
import { toQ4Graph } from './q4.ts';

export type Variant = 'fp32' | 'fp16' | 'int8' | 'q4';
export const VARIANTS: readonly Variant[] = ['fp32', 'fp16', 'int8', 'q4'];

/**
 * The int8 scheme of the `int8` variant: `dynamic` (DynamicQuantizeLinear + MatMulInteger).
 *
 * Measured with `npx tsx tools/bench-variants.ts` (random ViT-Base MAE: encoder 768 x 12
 * layers with K = 49, decoder 512 x 8; onnxruntime-web 1.30 WASM in Node, one thread; best
 * of 3 interleaved rounds, process CPU ms, on a busy 2-core machine; errors are the
 * decoder's logits with both graphs in the variant, against fp32):
 *
 * | scheme                     | weights  | encoder | decoder | max err/max | corr    |
 * | -------------------------- | -------- | ------- | ------- | ----------- | ------- |
 * | fp32                       | 1        | 435     | 499     | 0           | 1       |
 * | fp16                       | 0.50     | 396     | 507     | 7.5e-4      | 1.00000 |
 * | int8 dynamic               | 0.258    | 165     | 217     | 2.2e-2      | 0.99970 |
 * | int8 weight-only (DQ)      | 0.258    | 495     | 481     | 2.0e-2      | 0.99979 |
 * | int8 MatMulNBits 8-bit/32  | 0.288    | 558     | 492     | 1.3e-2      | 0.99990 |
 * | q4 MatMulNBits 4-bit/32    | 0.168    | 602     | 536     | 2.1e-1      | 0.97403 |
 *
 * (weights: all initializers of both graphs, as a fraction of fp32's 427 MiB; times in ms.)
 *
 * Only `dynamic` is faster than fp32 on WASM (2.3-2.6x; MatMulInteger has an integer
 * kernel, while the DequantizeLinear and MatMulNBits graphs run at float speed or below:
 * their q4 output equals that of a float graph holding the dequantised weights), at the same quarter size as weight-only and an error under 3% of the
 * largest logit (correlation 0.9997). MatMulNBits 8-bit is the most accurate but slower
 * than fp32 and 12% larger. Caveats: activations are quantised per tensor, so an image's
 * result depends a little on the others in its batch; and in a WebGPU session
 * DynamicQuantizeLinear / MatMulInteger fall back to the CPU, so WebGPU should take fp16
 * (with shader-f16) or q4, and int8 is the WASM variant.
 */
export const INT8_SCHEME: Int8Scheme = 'dynamic';

export function makeVariant(graph: OnnxGraph, variant: Variant): OnnxGraph {
  switch (variant) {
    case 'fp32':
      return new GraphEdit(graph).finish();
    case 'fp16':
      return toFloat16Graph(graph);
    case 'int8':
      return toInt8Graph(graph, INT8_SCHEME);
    case 'q4':
      return toQ4Graph(graph);
    default:
      throw new Error(`unknown variant "${String(variant)}"`);
  }
}

export { toFloat16Graph, type Float16Options } from './fp16.ts';
export { toInt8Graph, INT8_SCHEMES, quantizePerColumn, type Int8Scheme } from './int8.ts';
export { toQ4Graph, Q4_OPTIONS } from './q4.ts';
export { toMatMulNBitsGraph, type MatMulNBitsOptions } from './matmul-nbits.ts';
export {
  quantizeBlockwise,
  dequantizeBlockwise,
  type BlockQuantized,
  type BlockQuantOptions,
} from './block-quant.ts';
export { float16Bits, float16Value, toFloat16, fromFloat16 } from './float16.ts';
