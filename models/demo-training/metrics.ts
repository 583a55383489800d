/** Figures for the model card: AUROC, polygon masks, box overlap. */

/** Area under the ROC curve (Mann-Whitney, ties count half); NaN without both classes. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  if (positive.length !== n) throw new Error('auroc: scores and labels differ in length');
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]]) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Pixels (centres) inside any of the polygons, even-odd rule: width x height, 1 inside. */
export function polygonMask(polygons: number[][], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const flat of polygons) {
    const points = flat.length / 2;
    for (let y = 0; y < height; y++) {
      const cy = y + 0.5;
      const crossings: number[] = [];
      for (let i = 0, j = points - 1; i < points; j = i++) {
        const [xi, yi, xj, yj] = [flat[2 * i], flat[2 * i + 1], flat[2 * j], flat[2 * j + 1]];
        if (yi > cy !== yj > cy) crossings.push(xi + ((cy - yi) / (yj - yi)) * (xj - xi));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const to = Math.min(width - 1, Math.floor(crossings[k + 1] - 0.5));
        for (let x = from; x <= to; x++) mask[y * width + x] = 1;
      }
    }
  }
  return mask;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Whether two rectangles share area. */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
