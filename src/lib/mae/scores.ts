/**
 * Numbers that summarise an error map. Every function takes an optional
 * `counts` (passes that masked each pixel): pixels with a count of 0 carry no
 * measurement and are left out. Without counts every pixel counts (say, a map
 * already upsampled onto the original image).
 */

type Counts = ArrayLike<number> | null | undefined;

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number> | null | undefined, what: string) {
  if (b && b.length !== a.length) {
    throw new Error(`${what}: lengths differ (${a.length} and ${b.length})`);
  }
}

/** Mean error over measured pixels; NaN when none is measured. */
export function meanError(map: ArrayLike<number>, counts?: Counts): number {
  checkLengths(map, counts, 'meanError');
  let sum = 0;
  let n = 0;
  for (let i = 0; i < map.length; i++) {
    if (counts && !counts[i]) continue;
    sum += map[i];
    n++;
  }
  return n ? sum / n : NaN;
}

/**
 * Mean of the highest `percent`% of measured pixels by value: the top
 * k = max(1, ceil(M * percent / 100)) of the M measured pixels. NaN when none
 * is measured.
 */
export function topPercentMean(map: ArrayLike<number>, counts?: Counts, percent = 1): number {
  checkLengths(map, counts, 'topPercentMean');
  if (!(percent > 0 && percent <= 100))
    throw new Error('topPercentMean: percent must be in (0, 100]');
  let m = 0;
  for (let i = 0; i < map.length; i++) if (!counts || counts[i]) m++;
  if (m === 0) return NaN;
  // A typed array sorts numerically and several times faster than a JS array of numbers.
  const measured = new Float64Array(m);
  for (let i = 0, j = 0; i < map.length; i++) if (!counts || counts[i]) measured[j++] = map[i];
  measured.sort();
  const k = Math.max(1, Math.ceil((measured.length * percent) / 100));
  let sum = 0;
  for (let i = measured.length - k; i < measured.length; i++) sum += measured[i];
  return sum / k;
}

/** Pearson correlation of two maps over pixels measured in both (NaN if either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>, counts?: Counts): number {
  checkLengths(a, b, 'pearson');
  checkLengths(a, counts, 'pearson');
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (counts && !counts[i]) continue;
    sa += a[i];
    sb += b[i];
    n++;
  }
  if (n === 0) return NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    if (counts && !counts[i]) continue;
    const da = a[i] - ma;
    const db = b[i] - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : NaN;
}

/** ||map - reference|| / ||reference|| (Euclidean, over measured pixels). */
export function relativeL2(
  map: ArrayLike<number>,
  reference: ArrayLike<number>,
  counts?: Counts,
): number {
  checkLengths(map, reference, 'relativeL2');
  checkLengths(map, counts, 'relativeL2');
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < map.length; i++) {
    if (counts && !counts[i]) continue;
    diff += (map[i] - reference[i]) ** 2;
    norm += reference[i] ** 2;
  }
  return norm > 0 ? Math.sqrt(diff / norm) : diff > 0 ? Infinity : 0;
}

export interface Convergence {
  pearson: number;
  relativeL2: number;
}

/**
 * How close a map is to a reference (say 4 complementary or 10 random passes
 * against a 64-pass map). Pass `counts` to compare only pixels the shorter
 * run measured.
 */
export function convergence(
  map: ArrayLike<number>,
  reference: ArrayLike<number>,
  counts?: Counts,
): Convergence {
  return {
    pearson: pearson(map, reference, counts),
    relativeL2: relativeL2(map, reference, counts),
  };
}
