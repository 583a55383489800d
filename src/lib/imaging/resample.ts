/**
 * Resizing single-channel images the way Pillow's `Image.resize` does
 * (libImaging/Resample.c), so the model sees the pixels it saw in training:
 * Hugging Face's ViTImageProcessor resizes the uint8 PIL image.
 *
 * Separable convolution, horizontal pass first, then vertical. When shrinking,
 * the filter's support is widened by the scale factor (antialiasing). The
 * 8-bit path uses Pillow's fixed-point weights (22 fractional bits) and rounds
 * and clamps to 0..255 after each pass, exactly as Pillow does for "L"/"RGB"
 * images; the float path accumulates in doubles and stores float32 after each
 * pass, as Pillow does for mode "F". Nearest picks source index
 * floor((i + 0.5) * inSize / outSize), as Pillow's affine nearest does.
 */

export type ResampleFilter = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

interface Filter {
  support: number;
  weight(x: number): number;
}

/** Keys cubic convolution with a = -0.5, as Pillow's bicubic_filter. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const FILTERS: Record<Exclude<ResampleFilter, 'nearest'>, Filter> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      if (x < 0) x = -x;
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (0.54 + 0.46 * Math.cos(x));
    },
  },
  bicubic: { support: 2, weight: bicubic },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** The weights that make one output sample from a run of input samples. */
export interface Coefficients {
  /** Taps per output sample (the stride of `weights`). */
  ksize: number;
  /** Per output sample: first input index, then the number of taps used. */
  bounds: Int32Array;
  /** outSize * ksize weights, normalised to sum to 1 for each output sample. */
  weights: Float64Array;
}

/** Pillow's precompute_coeffs for the whole input range [0, inSize). */
export function resampleCoefficients(
  inSize: number,
  outSize: number,
  filter: Exclude<ResampleFilter, 'nearest'>,
): Coefficients {
  const f = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = f.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const base = xx * ksize;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = f.weight((x + xmin - center + 0.5) * ss);
      weights[base + x] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = 0; x < xmax; x++) weights[base + x] /= sum;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow's normalize_coeffs_8bpc: weights as fixed-point integers. */
function fixedPoint(weights: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    out[i] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
  }
  return out;
}

/** Pillow's clip8: a fixed-point sum (with the rounding half added) to 0..255. */
function clip8(sum: number): number {
  if (sum >= ONE * 256) return 255;
  if (sum <= 0) return 0;
  return sum >> PRECISION_BITS;
}

function checkSizes(length: number, width: number, height: number, outW: number, outH: number) {
  for (const [name, n] of [
    ['width', width],
    ['height', height],
    ['output width', outW],
    ['output height', outH],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`resize: ${name} must be a positive integer`);
  }
  if (length !== width * height) {
    throw new Error(`resize: ${length} samples do not make a ${width}x${height} image`);
  }
}

/** Source index of each output index under Pillow's nearest rule. */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const out = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) out[i] = Math.min(inSize - 1, Math.floor((i + 0.5) * scale));
  return out;
}

function resizeNearest<T extends Uint8Array | Float32Array>(
  src: T,
  width: number,
  height: number,
  outW: number,
  outH: number,
  out: T,
): T {
  const xs = nearestIndex(width, outW);
  const ys = nearestIndex(height, outH);
  for (let y = 0; y < outH; y++) {
    const row = ys[y] * width;
    const o = y * outW;
    for (let x = 0; x < outW; x++) out[o + x] = src[row + xs[x]];
  }
  return out;
}

/**
 * Resizes an 8-bit single-channel image (row-major, `width * height` bytes)
 * exactly as Pillow resizes an "L" image (or each band of an "RGB" one).
 */
export function resizeGray8(
  src: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  filter: ResampleFilter = 'bicubic',
): Uint8Array {
  checkSizes(src.length, width, height, outW, outH);
  if (width === outW && height === outH) return src.slice();
  if (filter === 'nearest')
    return resizeNearest(src, width, height, outW, outH, new Uint8Array(outW * outH));

  let image = src;
  let w = width;
  if (outW !== width) {
    const { ksize, bounds, weights } = resampleCoefficients(width, outW, filter);
    const k = fixedPoint(weights);
    const tmp = new Uint8Array(outW * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const o = y * outW;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2];
        const n = bounds[xx * 2 + 1];
        const kb = xx * ksize;
        let sum = HALF;
        for (let x = 0; x < n; x++) sum += image[row + xmin + x] * k[kb + x];
        tmp[o + xx] = clip8(sum);
      }
    }
    image = tmp;
    w = outW;
  }
  if (outH === height) return image;
  const { ksize, bounds, weights } = resampleCoefficients(height, outH, filter);
  const k = fixedPoint(weights);
  const out = new Uint8Array(w * outH);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2];
    const n = bounds[yy * 2 + 1];
    const kb = yy * ksize;
    const o = yy * w;
    for (let x = 0; x < w; x++) {
      let sum = HALF;
      for (let y = 0; y < n; y++) sum += image[(ymin + y) * w + x] * k[kb + y];
      out[o + x] = clip8(sum);
    }
  }
  return out;
}

/**
 * Resizes a float single-channel image as Pillow resizes an "F" image:
 * double accumulation, float32 storage after each pass, no clamping.
 */
export function resizeFloat32(
  src: Float32Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  filter: ResampleFilter = 'bicubic',
): Float32Array {
  checkSizes(src.length, width, height, outW, outH);
  if (width === outW && height === outH) return src.slice();
  if (filter === 'nearest') {
    return resizeNearest(src, width, height, outW, outH, new Float32Array(outW * outH));
  }

  let image = src;
  let w = width;
  if (outW !== width) {
    const { ksize, bounds, weights } = resampleCoefficients(width, outW, filter);
    const tmp = new Float32Array(outW * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const o = y * outW;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2];
        const n = bounds[xx * 2 + 1];
        const kb = xx * ksize;
        let sum = 0;
        for (let x = 0; x < n; x++) sum += image[row + xmin + x] * weights[kb + x];
        tmp[o + xx] = sum;
      }
    }
    image = tmp;
    w = outW;
  }
  if (outH === height) return image;
  const { ksize, bounds, weights } = resampleCoefficients(height, outH, filter);
  const out = new Float32Array(w * outH);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2];
    const n = bounds[yy * 2 + 1];
    const kb = yy * ksize;
    const o = yy * w;
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let y = 0; y < n; y++) sum += image[(ymin + y) * w + x] * weights[kb + y];
      out[o + x] = sum;
    }
  }
  return out;
}
