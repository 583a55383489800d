/**
 * A radiograph as the model takes it, following SKELEX (and Hugging Face's
 * ViTImageProcessor): 8-bit gray by min-max (MONOCHROME1 inverted) -> gray
 * copied to every channel -> resized to S x S with the bundle's filter,
 * exactly as Pillow resizes the uint8 image -> x / 255 -> (x - mean[c]) / std[c].
 *
 * SKELEX stretches the image to the square; `letterbox` instead keeps the
 * aspect ratio, centres the image and pads with black. `Geometry` maps the
 * model grid back onto the original pixels either way.
 *
 * Coordinates are continuous with pixel i covering [i, i + 1), in the model
 * grid and in the source image alike (the convention Pillow resamples with).
 */
import type { InputSpec } from '../model/manifest';
import { toModelGray8 } from './modality';
import { resizeGray8 } from './resample';
import type { Radiograph } from './radiograph';

/** How the S x S model grid lies over the source image. Plain data: safe to post to a worker. */
export interface Geometry {
  sourceWidth: number;
  sourceHeight: number;
  /** Side S of the model's square input. */
  size: number;
  /** Source pixels per model pixel, across and down. */
  scaleX: number;
  scaleY: number;
  /** Model-grid position of the source image's top-left corner (0 unless letterboxed). */
  offsetX: number;
  offsetY: number;
  /** Model pixels the source image covers (S unless letterboxed). */
  contentWidth: number;
  contentHeight: number;
}

export interface PreprocessOptions {
  /** Keep the aspect ratio and pad with black, instead of stretching (SKELEX stretches). */
  letterbox?: boolean;
}

export interface Preprocessed {
  /** Normalised model input [1, C, S, S]. */
  pixelValues: Float32Array;
  /** The S x S 8-bit gray image the model was fed, for display. */
  gray: Uint8Array;
  geometry: Geometry;
}

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the source image lands in the S x S grid. */
export function modelGeometry(
  sourceWidth: number,
  sourceHeight: number,
  size: number,
  letterbox = false,
): Geometry {
  let contentWidth = size;
  let contentHeight = size;
  if (letterbox && sourceWidth !== sourceHeight) {
    if (sourceWidth > sourceHeight) {
      contentHeight = Math.max(1, Math.round((sourceHeight * size) / sourceWidth));
    } else {
      contentWidth = Math.max(1, Math.round((sourceWidth * size) / sourceHeight));
    }
  }
  return {
    sourceWidth,
    sourceHeight,
    size,
    scaleX: sourceWidth / contentWidth,
    scaleY: sourceHeight / contentHeight,
    offsetX: Math.floor((size - contentWidth) / 2),
    offsetY: Math.floor((size - contentHeight) / 2),
    contentWidth,
    contentHeight,
  };
}

/** A model-grid point in source-image pixels. */
export function toSource(g: Geometry, x: number, y: number): Point {
  return { x: (x - g.offsetX) * g.scaleX, y: (y - g.offsetY) * g.scaleY };
}

/** A source-image point in the model grid. */
export function toModel(g: Geometry, x: number, y: number): Point {
  return { x: x / g.scaleX + g.offsetX, y: y / g.scaleY + g.offsetY };
}

/**
 * A rectangle of the model grid as whole source pixels: the smallest pixel
 * rectangle covering it, clipped to the image.
 */
export function rectToSource(g: Geometry, r: Rect): Rect {
  const a = toSource(g, r.x, r.y);
  const b = toSource(g, r.x + r.width, r.y + r.height);
  const x0 = Math.max(0, Math.floor(a.x + 1e-9));
  const y0 = Math.max(0, Math.floor(a.y + 1e-9));
  const x1 = Math.min(g.sourceWidth, Math.ceil(b.x - 1e-9));
  const y1 = Math.min(g.sourceHeight, Math.ceil(b.y - 1e-9));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** Per axis: for each source pixel, the two map samples and the weight of the second. */
function axisSamples(
  count: number,
  scale: number,
  offset: number,
  content: number,
): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const t = new Float32Array(count);
  const lo = offset;
  const hi = offset + content - 1;
  for (let s = 0; s < count; s++) {
    // Model-pixel-centre coordinate of this source pixel's centre, kept inside the
    // image's own model pixels so letterbox padding never bleeds in.
    const u = Math.min(hi, Math.max(lo, (s + 0.5) / scale + offset - 0.5));
    const a = Math.floor(u);
    i0[s] = a;
    i1[s] = Math.min(hi, a + 1);
    t[s] = u - a;
  }
  return { i0, i1, t };
}

/**
 * A model-grid map (S x S, row-major) upsampled bilinearly onto the source
 * image (sourceWidth x sourceHeight), letterbox-aware.
 */
export function mapToSource(g: Geometry, map: Float32Array): Float32Array {
  const S = g.size;
  if (map.length !== S * S)
    throw new Error(`mapToSource: expected ${S}x${S} values, got ${map.length}`);
  const W = g.sourceWidth;
  const H = g.sourceHeight;
  const xs = axisSamples(W, g.scaleX, g.offsetX, g.contentWidth);
  const ys = axisSamples(H, g.scaleY, g.offsetY, g.contentHeight);
  const out = new Float32Array(W * H);
  const row = new Float32Array(S);
  for (let y = 0; y < H; y++) {
    const r0 = ys.i0[y] * S;
    const r1 = ys.i1[y] * S;
    const ty = ys.t[y];
    for (let m = 0; m < S; m++) row[m] = map[r0 + m] + (map[r1 + m] - map[r0 + m]) * ty;
    const o = y * W;
    for (let x = 0; x < W; x++) {
      const a = row[xs.i0[x]];
      out[o + x] = a + (row[xs.i1[x]] - a) * xs.t[x];
    }
  }
  return out;
}

/**
 * Per channel, the normalised value of each 8-bit level, computed as HF does:
 * float64 x * (1/255) cast to float32, then (x - mean) / std in float32.
 */
function normalisationTable(mean: number, std: number): Float32Array {
  const f = Math.fround;
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = f(f(f(v * (1 / 255)) - f(mean)) / f(std));
  return table;
}

function checkSpec(spec: InputSpec): void {
  const { imageSize: S, channels: C } = spec;
  if (!Number.isInteger(S) || S <= 0)
    throw new Error('preprocess: imageSize must be a positive integer');
  if (!Number.isInteger(C) || C <= 0)
    throw new Error('preprocess: channels must be a positive integer');
  if (spec.mean.length !== C || spec.std.length !== C) {
    throw new Error(`preprocess: mean and std must list ${C} values`);
  }
}

/** Preprocessing from the 8-bit gray image (toModelGray8's output) on. */
export function preprocessGray8(
  gray: Uint8Array,
  width: number,
  height: number,
  spec: InputSpec,
  options: PreprocessOptions = {},
): Preprocessed {
  checkSpec(spec);
  const S = spec.imageSize;
  const geometry = modelGeometry(width, height, S, options.letterbox ?? false);
  const { contentWidth: cw, contentHeight: ch, offsetX, offsetY } = geometry;
  const resized = resizeGray8(gray, width, height, cw, ch, spec.resample);
  let square = resized;
  if (cw !== S || ch !== S) {
    square = new Uint8Array(S * S);
    for (let y = 0; y < ch; y++)
      square.set(resized.subarray(y * cw, (y + 1) * cw), (y + offsetY) * S + offsetX);
  }
  const plane = S * S;
  const pixelValues = new Float32Array(spec.channels * plane);
  for (let c = 0; c < spec.channels; c++) {
    const table = normalisationTable(spec.mean[c], spec.std[c]);
    const out = pixelValues.subarray(c * plane, (c + 1) * plane);
    for (let i = 0; i < plane; i++) out[i] = table[square[i]];
  }
  return { pixelValues, gray: square, geometry };
}

/** A radiograph as the model's input [1, C, S, S], with the image fed in and its geometry. */
export function preprocess(
  r: Radiograph,
  spec: InputSpec,
  options: PreprocessOptions = {},
): Preprocessed {
  return preprocessGray8(toModelGray8(r), r.width, r.height, spec, options);
}
