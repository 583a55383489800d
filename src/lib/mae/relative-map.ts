/**
 * The relative error map, offered beside SKELEX's raw map. A small MAE
 * rebuilds sharp edges, side markers and collimation borders badly in every
 * radiograph, so the raw map peaks there rather than on a fracture. This map
 * asks instead where a patch is rebuilt worse than its neighbours, on the
 * body, away from the borders:
 *
 *   score = max(0, log(patch error) - median of log(error) over the
 *               surrounding (2r+1) x (2r+1) patches)
 *           x share of the patch that is body (brighter than the image's
 *             background, by Otsu's threshold)
 *           x 0 for a patch with burned-in white (markers, labels, metal)
 *           x 0 within `border` patches of the edge (film edges)
 *           x 0 outside the exposed field (collimation, exposed-field.ts),
 *   with the neighbourhood's median taken over patches inside the field.
 *
 * Measured on FracAtlas training images (models/demo/MODEL_CARD.md) against
 * the raw map and against errors referenced to normal images at the same place.
 * DOM-free and cheap: a few hundred thousand operations an image.
 */
import { exposedField, type ExposedField } from './exposed-field';
import { gridSide, type PatchLayout } from './patches';

export interface RelativeMapOptions {
  /** Neighbourhood radius r in patches (default 2: 5 x 5 patches). */
  radius?: number;
  /** Patches along each edge that score 0 (default 2). */
  border?: number;
  /** Gray level (0-255) counted as burned-in white (default 250). */
  saturationLevel?: number;
  /** A patch with more than this share of burned-in white scores 0 (default 0.02). */
  saturatedShare?: number;
  /** Score only patches wholly inside the exposed field (default true). */
  withinField?: boolean;
}

export const RELATIVE_MAP_DEFAULTS: Required<RelativeMapOptions> = {
  radius: 2,
  border: 2,
  saturationLevel: 250,
  saturatedShare: 0.02,
  withinField: true,
};

/** Floor under errors before the log, so a perfect patch is not -Infinity. */
const ERROR_FLOOR = 1e-6;

/** Otsu's threshold of a 256-bin histogram: the level that best parts dark from bright. */
export function otsuThreshold(gray: Uint8Array): number {
  const histogram = new Float64Array(256);
  for (const v of gray) histogram[v]++;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * histogram[v];
  let best = -1;
  let threshold = 0;
  let weight = 0;
  let partial = 0;
  for (let t = 0; t < 255; t++) {
    weight += histogram[t];
    partial += t * histogram[t];
    const rest = gray.length - weight;
    if (weight === 0 || rest === 0) continue;
    const between = weight * rest * (partial / weight - (sum - partial) / rest) ** 2;
    if (between > best) {
      best = between;
      threshold = t + 1;
    }
  }
  return threshold;
}

/** Share of each patch's pixels at or above `level`, for an S x S gray image. */
export function patchShareAtLeast(
  gray: Uint8Array,
  layout: PatchLayout,
  level: number,
): Float32Array {
  const side = gridSide(layout);
  const { size, patch } = layout;
  if (gray.length !== size * size) {
    throw new Error(`expected a ${size}x${size} gray image, got ${gray.length} values`);
  }
  const out = new Float32Array(side * side);
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      let n = 0;
      for (let y = py * patch; y < (py + 1) * patch; y++) {
        for (let x = px * patch; x < (px + 1) * patch; x++) if (gray[y * size + x] >= level) n++;
      }
      out[py * side + px] = n / (patch * patch);
    }
  }
  return out;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const m = values.length >> 1;
  return values.length % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

/** Upsamples a side x side grid of patch values to S x S, bilinear between patch centres. */
export function patchGridToPixels(values: ArrayLike<number>, layout: PatchLayout): Float32Array {
  const side = gridSide(layout);
  const { size, patch } = layout;
  const out = new Float32Array(size * size);
  const axis = (i: number) => {
    const u = Math.min(side - 1, Math.max(0, (i + 0.5) / patch - 0.5));
    const a = Math.floor(u);
    return { a, b: Math.min(side - 1, a + 1), t: u - a };
  };
  for (let y = 0; y < size; y++) {
    const v = axis(y);
    for (let x = 0; x < size; x++) {
      const u = axis(x);
      const top = values[v.a * side + u.a] * (1 - u.t) + values[v.a * side + u.b] * u.t;
      const bottom = values[v.b * side + u.a] * (1 - u.t) + values[v.b * side + u.b] * u.t;
      out[y * size + x] = top * (1 - v.t) + bottom * v.t;
    }
  }
  return out;
}

/** 1 for each patch wholly inside the exposed field. */
export function patchesInField(layout: PatchLayout, field: ExposedField): Uint8Array {
  const side = gridSide(layout);
  const inside = new Uint8Array(side * side);
  const { patch } = layout;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const within =
        x * patch >= field.left &&
        (x + 1) * patch <= field.right &&
        y * patch >= field.top &&
        (y + 1) * patch <= field.bottom;
      inside[y * side + x] = within ? 1 : 0;
    }
  }
  return inside;
}

export interface RelativeMap {
  /** Per-patch score, 0 where suppressed [N]. */
  patchScores: Float32Array;
  /** The scores spread bilinearly over the S x S model grid. */
  map: Float32Array;
  /** The exposed field the scores were confined to (model-grid pixels). */
  field: ExposedField;
}

/**
 * The relative map of one image from its per-patch raw errors (`patchMeans`
 * of SKELEX's map; NaN for an unmeasured patch, which scores 0) and the
 * S x S gray image the model was fed.
 */
export function relativeErrorMap(
  patchErrors: ArrayLike<number>,
  gray: Uint8Array,
  layout: PatchLayout,
  options: RelativeMapOptions = {},
): RelativeMap {
  const o = { ...RELATIVE_MAP_DEFAULTS, ...options };
  const side = gridSide(layout);
  if (patchErrors.length !== side * side) {
    throw new Error(
      `relativeErrorMap: ${patchErrors.length} patch errors for ${side * side} patches`,
    );
  }
  const body = patchShareAtLeast(gray, layout, otsuThreshold(gray));
  const saturated = patchShareAtLeast(gray, layout, o.saturationLevel);
  const logs = Array.from(patchErrors, (e) =>
    Number.isFinite(e) ? Math.log(Math.max(e, ERROR_FLOOR)) : NaN,
  );
  const { size } = layout;
  const field = o.withinField
    ? exposedField(gray, size)
    : { left: 0, top: 0, right: size, bottom: size };
  const inField = patchesInField(layout, field);
  const patchScores = new Float32Array(side * side);
  for (let y = o.border; y < side - o.border; y++) {
    for (let x = o.border; x < side - o.border; x++) {
      const p = y * side + x;
      if (!inField[p] || !Number.isFinite(logs[p]) || saturated[p] > o.saturatedShare) continue;
      const around: number[] = [];
      for (let v = Math.max(0, y - o.radius); v <= Math.min(side - 1, y + o.radius); v++) {
        for (let u = Math.max(0, x - o.radius); u <= Math.min(side - 1, x + o.radius); u++) {
          const q = v * side + u;
          if (inField[q] && Number.isFinite(logs[q])) around.push(logs[q]);
        }
      }
      patchScores[p] = Math.max(0, logs[p] - median(around)) * body[p];
    }
  }
  return { patchScores, map: patchGridToPixels(patchScores, layout), field };
}
