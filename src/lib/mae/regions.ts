/**
 * Per-patch summaries of a pixel map and the region of interest: the square
 * window of patches whose scores sum highest. SKELEX's region-guided
 * classifier looks where the map says; summary.csv reports this window.
 */
import { gridSide, type PatchLayout } from './patches';

/** A rectangle in model-grid pixels. */
export interface ModelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Default region side, in patches: 3 x 3 patches is 48 px of a 224 px input. */
export const ROI_PATCHES = 3;

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

/**
 * The `window` x `window` block of patches with the highest sum of scores
 * (NaN counts as 0), as a model-grid rectangle. Ties go to the first block in
 * row-major order, so the answer is deterministic.
 */
export function regionOfInterest(
  scores: ArrayLike<number>,
  layout: PatchLayout,
  window = ROI_PATCHES,
): ModelRect {
  const side = gridSide(layout);
  if (scores.length !== side * side) {
    throw new Error(`regionOfInterest: expected ${side * side} patch scores, got ${scores.length}`);
  }
  const w = Math.max(1, Math.min(side, Math.floor(window)));
  let best = -Infinity;
  let bestX = 0;
  let bestY = 0;
  for (let y = 0; y + w <= side; y++) {
    for (let x = 0; x + w <= side; x++) {
      let sum = 0;
      for (let dy = 0; dy < w; dy++) {
        for (let dx = 0; dx < w; dx++) {
          const v = scores[(y + dy) * side + x + dx];
          if (Number.isFinite(v)) sum += v;
        }
      }
      if (sum > best) {
        best = sum;
        bestX = x;
        bestY = y;
      }
    }
  }
  const p = layout.patch;
  return { x: bestX * p, y: bestY * p, width: w * p, height: w * p };
}
