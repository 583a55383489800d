/**
 * Where an error map says to look: per-patch summaries of a map and the
 * region of interest that SKELEX's region-guided classifier crops. The region
 * is found on the S x S model-grid map and returned in the original image's
 * pixels:
 *   1. smooth the map (Gaussian, sigma half a patch) so one hot pixel is not a region;
 *   2. keep the pixels above a high percentile of the smoothed map (the 99th);
 *   3. group them into 8-connected components and take the one with the
 *      largest summed smoothed error;
 *   4. a square around its bounding box, 20% larger, at least a quarter of the
 *      image's short side, kept inside the image.
 * A flat map has no component: the region is then the centred square of the
 * minimum side, marked `found: false`.
 */
import type { Geometry, Rect } from '../imaging/preprocess';
import { rectToSource } from '../imaging/preprocess';
import { gridSide, type PatchLayout } from './patches';

export interface RegionOptions {
  /** Gaussian sigma of the smoothing, in model pixels (default: half a patch). */
  sigma?: number;
  /** Percentile of the smoothed map a pixel must exceed (default 99). */
  percentile?: number;
  /** How much larger than the component the square is, as a share of its side (default 0.2). */
  margin?: number;
  /** The least side, as a share of the image's short side (default 0.25). */
  minShare?: number;
}

export const REGION_DEFAULTS = { percentile: 99, margin: 0.2, minShare: 0.25 };

export interface RegionOfInterest {
  /** The square in the original image's pixels. */
  box: Rect;
  /** False when the map is flat and the box is the centred default. */
  found: boolean;
  /** Summed smoothed map over the chosen component (0 when none). */
  score: number;
}

/**
 * The mean of `map` (S x S) over each patch's measured pixels (count > 0);
 * NaN for a patch no pass measured.
 */
export function patchMeans(
  map: ArrayLike<number>,
  layout: PatchLayout,
  counts?: ArrayLike<number>,
): Float32Array {
  const side = gridSide(layout);
  const { size, patch } = layout;
  if (map.length !== size * size) {
    throw new Error(`patchMeans: expected ${size}x${size} values, got ${map.length}`);
  }
  const out = new Float32Array(side * side);
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      let sum = 0;
      let n = 0;
      for (let y = py * patch; y < (py + 1) * patch; y++) {
        for (let x = px * patch; x < (px + 1) * patch; x++) {
          const i = y * size + x;
          if (counts && !counts[i]) continue;
          sum += map[i];
          n++;
        }
      }
      out[py * side + px] = n ? sum / n : NaN;
    }
  }
  return out;
}

/** Separable Gaussian blur of an S x S map; edges are renormalised, not padded with zeros. */
export function gaussianBlur(map: ArrayLike<number>, size: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Float64Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  // Each position's kernel span inside the image, and that span's weight: the same on every line.
  const first = new Int32Array(size);
  const last = new Int32Array(size);
  const norm = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    first[i] = Math.max(0, i - radius);
    last[i] = Math.min(size - 1, i + radius);
    for (let j = first[i]; j <= last[i]; j++) norm[i] += kernel[j - i + radius];
  }
  // Along rows: each output sums a contiguous stretch of its line.
  const rows = new Float32Array(size * size);
  for (let line = 0; line < size * size; line += size) {
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let j = first[i]; j <= last[i]; j++) sum += kernel[j - i + radius] * map[line + j];
      rows[line + i] = sum / norm[i];
    }
  }
  // Along columns: whole lines are weighted and added, so memory is read in order (reading
  // down a column is several times slower); the sums and their order are the same.
  const out = new Float32Array(size * size);
  const sum = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    sum.fill(0);
    for (let j = first[i]; j <= last[i]; j++) {
      const w = kernel[j - i + radius];
      const line = j * size;
      for (let x = 0; x < size; x++) sum[x] += w * rows[line + x];
    }
    for (let x = 0; x < size; x++) out[i * size + x] = sum[x] / norm[i];
  }
  return out;
}

/**
 * The value below which `p` percent of `values` lie (nearest rank), by quickselect:
 * the value a sort would put at that rank, without sorting. Reorders `values`.
 */
export function percentileOf(values: Float32Array, p: number): number {
  const rank = Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1));
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    // Median of three as the pivot, then a Hoare partition of [lo, hi].
    const mid = (lo + hi) >> 1;
    const a = values[lo];
    const b = values[mid];
    const c = values[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i++] = values[j];
        values[j--] = t;
      }
    }
    if (rank <= j) hi = j;
    else if (rank >= i) lo = i;
    else break;
  }
  return values[rank];
}

/** Bounding box (model pixels) and summed value of the best 8-connected component above `threshold`. */
function bestComponent(
  smooth: Float32Array,
  size: number,
  mask: Uint8Array,
  threshold: number,
): { x0: number; y0: number; x1: number; y1: number; score: number } | undefined {
  const label = new Int32Array(size * size);
  let best: { x0: number; y0: number; x1: number; y1: number; score: number } | undefined;
  let next = 0;
  const stack: number[] = [];
  for (let start = 0; start < size * size; start++) {
    if (label[start] || !(smooth[start] > threshold) || !mask[start]) continue;
    label[start] = ++next;
    stack.push(start);
    const c = { x0: size, y0: size, x1: -1, y1: -1, score: 0 };
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % size;
      const y = (i / size) | 0;
      c.score += smooth[i];
      c.x0 = Math.min(c.x0, x);
      c.y0 = Math.min(c.y0, y);
      c.x1 = Math.max(c.x1, x);
      c.y1 = Math.max(c.y1, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const u = x + dx;
          const v = y + dy;
          if (u < 0 || v < 0 || u >= size || v >= size) continue;
          const j = v * size + u;
          if (label[j] || !(smooth[j] > threshold) || !mask[j]) continue;
          label[j] = next;
          stack.push(j);
        }
      }
    }
    if (!best || c.score > best.score) best = c;
  }
  return best;
}

/** A source-pixel rectangle cut to the image, in whole pixels. */
function clipToImage(g: Geometry, r: Rect): Rect {
  const x = Math.max(0, Math.round(r.x));
  const y = Math.max(0, Math.round(r.y));
  const right = Math.min(g.sourceWidth, Math.round(r.x + r.width));
  const bottom = Math.min(g.sourceHeight, Math.round(r.y + r.height));
  return { x, y, width: Math.max(1, right - x), height: Math.max(1, bottom - y) };
}

/**
 * A square of `side` source pixels centred on (cx, cy), moved (not cut) to lie
 * inside `bounds` (source pixels; the whole image by default), and cut only
 * where `bounds` is smaller than the square.
 */
function squareInside(g: Geometry, cx: number, cy: number, side: number, bounds?: Rect): Rect {
  const b = bounds ?? { x: 0, y: 0, width: g.sourceWidth, height: g.sourceHeight };
  const w = Math.min(side, b.width);
  const h = Math.min(side, b.height);
  const x = Math.min(Math.max(b.x, Math.round(cx - w / 2)), b.x + b.width - w);
  const y = Math.min(Math.max(b.y, Math.round(cy - h / 2)), b.y + b.height - h);
  return { x, y, width: w, height: h };
}

/**
 * The region of interest of an S x S model-grid map (see the top of this
 * file). `counts`, when given, leaves out pixels no pass measured; letterbox
 * padding is always left out.
 */
export function regionOfInterest(
  map: ArrayLike<number>,
  geometry: Geometry,
  options: RegionOptions & {
    patch: number;
    counts?: ArrayLike<number>;
    /** Where the region must lie, in model-grid pixels (e.g. the exposed field); the image by default. */
    within?: Rect;
  },
): RegionOfInterest {
  const size = geometry.size;
  if (map.length !== size * size) {
    throw new Error(`regionOfInterest: expected ${size}x${size} values, got ${map.length}`);
  }
  const o = { ...REGION_DEFAULTS, sigma: options.patch / 2, ...options };
  const { counts } = options;
  // Pixels that count: inside the image's content (not letterbox padding) and measured.
  const mask = new Uint8Array(size * size);
  let inside = 0;
  for (let y = geometry.offsetY; y < geometry.offsetY + geometry.contentHeight; y++) {
    for (let x = geometry.offsetX; x < geometry.offsetX + geometry.contentWidth; x++) {
      const i = y * size + x;
      if (!counts || counts[i] > 0) {
        mask[i] = 1;
        inside++;
      }
    }
  }
  const measured = new Float32Array(size * size);
  for (let i = 0; i < measured.length; i++)
    if (mask[i] && Number.isFinite(map[i])) measured[i] = map[i];
  const smooth = gaussianBlur(measured, size, o.sigma);
  const values = new Float32Array(inside);
  for (let i = 0, k = 0; i < smooth.length; i++) if (mask[i]) values[k++] = smooth[i];
  const threshold = percentileOf(values, o.percentile);
  const component = bestComponent(smooth, size, mask, threshold);
  const minSide = Math.max(
    1,
    Math.round(o.minShare * Math.min(geometry.sourceWidth, geometry.sourceHeight)),
  );
  const bounds = options.within && clipToImage(geometry, rectToSource(geometry, options.within));
  if (!component) {
    const box = squareInside(
      geometry,
      geometry.sourceWidth / 2,
      geometry.sourceHeight / 2,
      minSide,
      bounds,
    );
    return { box, found: false, score: 0 };
  }
  const extent = rectToSource(geometry, {
    x: component.x0,
    y: component.y0,
    width: component.x1 - component.x0 + 1,
    height: component.y1 - component.y0 + 1,
  });
  const side = Math.max(
    minSide,
    Math.round(Math.max(extent.width, extent.height) * (1 + o.margin)),
  );
  const box = squareInside(
    geometry,
    extent.x + extent.width / 2,
    extent.y + extent.height / 2,
    side,
    bounds,
  );
  return { box, found: true, score: component.score };
}
