/**
 * Colormaps for error maps: 256-entry RGB lookup tables and value-to-RGBA mapping.
 *
 * - hot: MATLAB's definition over t in [0, 1]: red rises over the first 3/8,
 *   green over the next 3/8, blue over the last 1/4 (black -> red -> yellow -> white).
 * - inferno, viridis (Smith and van der Walt, matplotlib): piecewise-linear in sRGB
 *   between evenly spaced anchor colours of the published maps; viridis has 9
 *   anchors (matplotlib's table at t = k/8), inferno 10 (t = k/9, the colours of
 *   viridisLite's `inferno(10)`). With these anchors the result stays within a few
 *   levels of the originals and keeps their monotonic lightness.
 *
 * DOM-free: runs in the page, a worker or Node.
 */

export type ColormapName = 'hot' | 'inferno' | 'viridis';

export const COLORMAPS: readonly ColormapName[] = ['hot', 'inferno', 'viridis'];

/** Entries in each lookup table. */
export const LUT_SIZE = 256;

const VIRIDIS_ANCHORS = [
  '#440154',
  '#472d7b',
  '#3b528b',
  '#2c728e',
  '#21918c',
  '#28ae80',
  '#5ec962',
  '#addc30',
  '#fde725',
];

const INFERNO_ANCHORS = [
  '#000004',
  '#1b0c42',
  '#4b0c6b',
  '#781c6d',
  '#a52c60',
  '#cf4446',
  '#ed6925',
  '#fb9a06',
  '#f7d03c',
  '#fcffa4',
];

function parseHex(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/** A table from evenly spaced anchors, interpolated linearly. */
function fromAnchors(anchors: readonly string[]): Uint8Array {
  const rgb = anchors.map(parseHex);
  const table = new Uint8Array(LUT_SIZE * 3);
  const segments = rgb.length - 1;
  for (let i = 0; i < LUT_SIZE; i++) {
    const u = (i / (LUT_SIZE - 1)) * segments;
    const k = Math.min(segments - 1, Math.floor(u));
    const f = u - k;
    for (let c = 0; c < 3; c++) {
      table[i * 3 + c] = Math.round(rgb[k][c] + (rgb[k + 1][c] - rgb[k][c]) * f);
    }
  }
  return table;
}

function hotTable(): Uint8Array {
  const table = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = i / (LUT_SIZE - 1);
    table[i * 3] = Math.round(255 * clamp01((t * 8) / 3));
    table[i * 3 + 1] = Math.round(255 * clamp01((t * 8) / 3 - 1));
    table[i * 3 + 2] = Math.round(255 * clamp01(4 * t - 3));
  }
  return table;
}

const tables = new Map<ColormapName, Uint8Array>();

/** The colormap's table: LUT_SIZE RGB triples, low values first. Shared: do not modify. */
export function colormapTable(name: ColormapName): Uint8Array {
  let table = tables.get(name);
  if (!table) {
    if (name === 'hot') table = hotTable();
    else if (name === 'inferno') table = fromAnchors(INFERNO_ANCHORS);
    else if (name === 'viridis') table = fromAnchors(VIRIDIS_ANCHORS);
    else throw new Error(`unknown colormap ${String(name)}`);
    tables.set(name, table);
  }
  return table;
}

/** The colour of t in [0, 1] (clamped) as [r, g, b] bytes. */
export function colormapColor(name: ColormapName, t: number): [number, number, number] {
  const table = colormapTable(name);
  const i = Math.round(clamp01(Number.isFinite(t) ? t : 0) * (LUT_SIZE - 1)) * 3;
  return [table[i], table[i + 1], table[i + 2]];
}

/** CSS `rgb(...)` of t in [0, 1], for colour bars and legends. */
export function colormapCss(name: ColormapName, t: number): string {
  const [r, g, b] = colormapColor(name, t);
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Maps values to RGBA: lo -> the first colour, hi -> the last, clamped outside;
 * NaN is fully transparent. `alpha` (value scaled to [0, 1] -> 0..1) sets each
 * pixel's opacity; without it every finite value is opaque. With hi <= lo every
 * value maps to the first colour.
 */
export function applyColormap(
  values: ArrayLike<number>,
  lo: number,
  hi: number,
  map: ColormapName,
  alpha?: (t: number) => number,
): Uint8ClampedArray<ArrayBuffer> {
  const table = colormapTable(map);
  const out = new Uint8ClampedArray(values.length * 4);
  const span = hi - lo;
  const scale = span > 0 ? (LUT_SIZE - 1) / span : 0;
  const last = LUT_SIZE - 1;
  for (let i = 0, o = 0; i < values.length; i++, o += 4) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    let k = Math.round((v - lo) * scale);
    k = k < 0 ? 0 : k > last ? last : k;
    const j = k * 3;
    out[o] = table[j];
    out[o + 1] = table[j + 1];
    out[o + 2] = table[j + 2];
    out[o + 3] = alpha ? 255 * clamp01(alpha(k / last)) : 255;
  }
  return out;
}

/**
 * The value below which `percent` % of the finite values lie (nearest rank on a
 * sorted copy; a stride keeps large arrays quick). NaN for no finite values.
 */
export function percentile(
  values: ArrayLike<number>,
  percent: number,
  maxSamples = 1 << 20,
): number {
  const stride = Math.max(1, Math.floor(values.length / maxSamples));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += stride) {
    const v = values[i];
    if (Number.isFinite(v)) sample.push(v);
  }
  if (sample.length === 0) return Number.NaN;
  const sorted = Float64Array.from(sample).sort();
  const rank = Math.ceil(clamp01(percent / 100) * sorted.length - 1e-9) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Smallest and largest finite value; [NaN, NaN] for none. */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [Number.NaN, Number.NaN];
}

/**
 * About `count` round tick values inside [lo, hi] (1, 2 or 5 times a power of ten
 * apart), for a colour bar's labels.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const ticksWith = (s: number): number => Math.floor(hi / s + 1e-9) - Math.ceil(lo / s - 1e-9) + 1;
  let step = power;
  for (const m of [2, 5, 10]) {
    const s = m * power;
    if (Math.abs(ticksWith(s) - count) <= Math.abs(ticksWith(step) - count)) step = s;
  }
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

/** A tick value in few characters: 0, 0.012, 3.4e-5. */
export function tickLabel(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3
    ? value.toExponential(1)
    : String(Number(value.toPrecision(3)));
}
