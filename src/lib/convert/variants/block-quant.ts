/**
 * Block-wise weight quantisation in the layout of ONNX Runtime's `com.microsoft.MatMulNBits`:
 * a float [K, N] MatMul weight becomes, for each output column n, ceil(K / blockSize) blocks
 * of `blockSize` consecutive K values, each with its own scale (and zero point):
 *
 * - `data`: uint8 [N, blocks, blockSize * bits / 8]; with 4 bits two values a byte, the
 *   first (lower k) in the low nibble. K is padded to whole blocks with the zero point
 *   (value 0).
 * - `scales`: float32 [N, blocks].
 * - `zeroPoints` (asymmetric only): uint8 [N, ceil(blocks * bits / 8)], packed like `data`
 *   (4 bits: block 2j in the low nibble, 2j+1 in the high one). Without it the runtime
 *   uses 2^(bits-1).
 * - value = (code - zeroPoint) * scale.
 */

export type BlockBits = 4 | 8;

export interface BlockQuantOptions {
  bits: BlockBits;
  /** A power of two, at least 16. */
  blockSize: number;
  /**
   * true: zero point fixed at 2^(bits-1), the scale maps each block's largest magnitude
   * onto the most negative code, -2^(bits-1) (so the opposite end reaches (2^(bits-1) - 1)
   * steps). false: per-block min/max range (always containing 0) with its own zero point.
   */
  symmetric: boolean;
  /**
   * Search each block's range for the least squared error (default true) instead of
   * taking its extremes: clipping the few largest values a little makes every other
   * step finer.
   */
  search?: boolean;
}

export interface BlockQuantized extends BlockQuantOptions {
  k: number;
  n: number;
  /** Blocks per column: ceil(k / blockSize). */
  blocks: number;
  data: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array | undefined;
}

/** Bytes of one block's codes. */
export function blobSize(bits: BlockBits, blockSize: number): number {
  return (blockSize * bits) / 8;
}

function checkOptions(o: BlockQuantOptions): void {
  if (o.bits !== 4 && o.bits !== 8) throw new Error(`block quantisation: ${o.bits} bits`);
  if (!Number.isInteger(o.blockSize) || o.blockSize < 16 || o.blockSize & (o.blockSize - 1)) {
    throw new Error(`block quantisation: block size ${o.blockSize} is not a power of two >= 16`);
  }
}

/** Writes `code` as element `index` of a bit-packed uint8 array. */
function putCode(out: Uint8Array, index: number, code: number, bits: BlockBits): void {
  if (bits === 8) out[index] = code;
  else if ((index & 1) === 0) out[index >> 1] = (out[index >> 1] & 0xf0) | code;
  else out[index >> 1] = (out[index >> 1] & 0x0f) | (code << 4);
}

/** Element `index` of a bit-packed uint8 array. */
export function getCode(packed: Uint8Array, index: number, bits: BlockBits): number {
  if (bits === 8) return packed[index];
  const byte = packed[index >> 1];
  return (index & 1) === 0 ? byte & 0x0f : byte >> 4;
}

function encode(value: number, scale: number, zero: number, maxCode: number): number {
  return Math.min(maxCode, Math.max(0, Math.round(value / scale) + zero));
}

const ROUNDER = 6755399441055744;

/**
 * Squared error of `values` coded with `scale` and `zero`. The search calls this 8 times
 * a block, so it is written flat: clamping by hand, and one division hoisted out.
 */
function squaredError(values: Float32Array, scale: number, zero: number, maxCode: number): number {
  const inverse = 1 / scale;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    // Adding and removing 1.5 * 2^52 rounds to the nearest integer (ties to even) without a call.
    let code = values[i] * inverse + ROUNDER - ROUNDER + zero;
    code = code < 0 ? 0 : code > maxCode ? maxCode : code;
    const d = (code - zero) * scale - values[i];
    sum += d * d;
  }
  return sum;
}

/** Shrink factors of the block's range the search may try, largest first. */
const SHRINK = Array.from({ length: 16 }, (_, i) => 1 - i * 0.025);
/** The search tries these first (every fifth factor), then the two either side of the best. */
const COARSE = [0, 5, 10, 15];
const FINE = [-2, -1, 1, 2];

/** Scale and zero point for one block of values. */
function chooseRange(
  values: Float32Array,
  bits: BlockBits,
  symmetric: boolean,
  search: boolean,
): { scale: number; zero: number } {
  const maxCode = (1 << bits) - 1;
  const middle = 1 << (bits - 1);
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return { scale: 1, zero: symmetric ? middle : 0 }; // all zero
  const extreme = -min > max ? min : max;
  // Symmetric: the largest magnitude on the most negative code (-2^(bits-1) steps), or,
  // with `flip`, on the most positive one (2^(bits-1) - 1 steps).
  const candidate = (f: number, flip: boolean): { scale: number; zero: number } => {
    if (symmetric) {
      const scale = flip ? (extreme * f) / (middle - 1) : (-extreme * f) / middle;
      return { scale: Math.fround(scale), zero: middle };
    }
    const scale = Math.fround(((max - min) * f) / maxCode);
    return { scale, zero: Math.min(maxCode, Math.max(0, Math.round((-min * f) / scale))) };
  };
  let best = candidate(1, false);
  if (!search) return best;
  let bestError = squaredError(values, best.scale, best.zero, maxCode);
  for (const flip of symmetric ? [false, true] : [false]) {
    // Coarse to fine: the error is close to unimodal in the shrink factor, so 8 tries
    // find (nearly) what all 16 would, in half the time (this is most of q4's conversion).
    let bestIndex = -1;
    let flipError = Infinity;
    const tryFactor = (index: number): void => {
      const f = SHRINK[index];
      // Scale and zero computed inline (not through `candidate`): this is the hot path.
      let scale: number;
      let zero: number;
      if (symmetric) {
        scale = Math.fround(flip ? (extreme * f) / (middle - 1) : (-extreme * f) / middle);
        zero = middle;
      } else {
        scale = Math.fround(((max - min) * f) / maxCode);
        zero = Math.min(maxCode, Math.max(0, Math.round((-min * f) / scale)));
      }
      const error = squaredError(values, scale, zero, maxCode);
      if (error < flipError) {
        flipError = error;
        bestIndex = index;
      }
      if (error < bestError) {
        best = { scale, zero };
        bestError = error;
      }
    };
    for (const index of COARSE) tryFactor(index);
    const centre = bestIndex;
    for (const step of FINE) {
      const index = centre + step;
      if (index >= 0 && index < SHRINK.length) tryFactor(index);
    }
  }
  return best;
}

/** Quantises `weight` [k, n] (row-major, as a MatMul B operand). */
export function quantizeBlockwise(
  weight: Float32Array,
  k: number,
  n: number,
  options: BlockQuantOptions,
): BlockQuantized {
  checkOptions(options);
  if (weight.length !== k * n) throw new Error(`block quantisation: ${weight.length} != ${k}x${n}`);
  const { bits, blockSize, symmetric } = options;
  const search = options.search ?? true;
  const maxCode = (1 << bits) - 1;
  const blocks = Math.ceil(k / blockSize);
  const blob = blobSize(bits, blockSize);
  const data = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  const zpRow = Math.ceil((blocks * bits) / 8);
  const zeroPoints = symmetric ? undefined : new Uint8Array(n * zpRow);
  const values = new Float32Array(blockSize);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const count = Math.min(blockSize, k - k0);
      for (let i = 0; i < count; i++) values[i] = weight[(k0 + i) * n + col];
      const { scale, zero } = chooseRange(values.subarray(0, count), bits, symmetric, search);
      const block = col * blocks + b;
      scales[block] = scale;
      if (zeroPoints !== undefined) putCode(zeroPoints, col * zpRow * (8 / bits) + b, zero, bits);
      const base = block * blockSize; // code index of the block's first value
      for (let i = 0; i < blockSize; i++) {
        const code = i < count ? encode(values[i], scale, zero, maxCode) : zero;
        putCode(data, base + i, code, bits);
      }
    }
  }
  return { ...options, k, n, blocks, data, scales, zeroPoints };
}

/** The float [k, n] weight that `q` stands for (what the runtime multiplies by). */
export function dequantizeBlockwise(q: BlockQuantized): Float32Array {
  const { k, n, blocks, bits, blockSize } = q;
  const out = new Float32Array(k * n);
  const zpRow = Math.ceil((blocks * bits) / 8);
  const middle = 1 << (bits - 1);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const block = col * blocks + b;
      const scale = q.scales[block];
      const zero =
        q.zeroPoints === undefined
          ? middle
          : getCode(q.zeroPoints, col * zpRow * (8 / bits) + b, bits);
      for (let i = 0; i < blockSize; i++) {
        const r = b * blockSize + i;
        if (r >= k) break;
        out[r * n + col] = (getCode(q.data, block * blockSize + i, bits) - zero) * scale;
      }
    }
  }
  return out;
}
