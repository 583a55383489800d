/**
 * The exposed field of a radiograph: the rectangle inside the collimation.
 * Collimator blades leave flat bands along the image's sides, bounded by long
 * straight edges parallel to them. A small MAE rebuilds those edges badly in
 * every image, so an error map that is not told where the field is "finds"
 * the border of the exposure (issue 14: the NEMA hip and tibia).
 *
 * On the S x S gray image the model saw, for each side: the innermost line
 * (column or row, within `maxDepth` of that side) that
 *   - is a step edge along most of its length (`edgeShare` of the pixels
 *     across it differ by `edgeStep` gray levels or more, the same way round), and
 *   - has only the blade's shadow between it and the side: a flat band that
 *     may ramp towards the edge (its blurred penumbra), with no step above
 *     `flatStep` going against the edge's direction in `flatQuantile` of it.
 * A side with no such line is open: the field reaches the image's edge.
 * DOM-free and cheap: a few passes over S x S pixels.
 */
export interface FieldOptions {
  /** How far in from a side a collimator edge may lie, as a share of the side (default 0.45). */
  maxDepth?: number;
  /** Gray-level step across an edge (default 12). */
  edgeStep?: number;
  /** Share of the edge's length that must show the step (default 0.6). */
  edgeShare?: number;
  /** Largest pixel-to-pixel change counted as flat (default 6). */
  flatStep?: number;
  /** Share of a band's changes that must not go against its edge (default 0.97). */
  flatQuantile?: number;
  /** Largest share of a band's changes that may be steep, the penumbra's ramp (default 0.35). */
  rampShare?: number;
}

export const FIELD_DEFAULTS: Required<FieldOptions> = {
  maxDepth: 0.45,
  edgeStep: 12,
  edgeShare: 0.6,
  flatStep: 6,
  flatQuantile: 0.97,
  rampShare: 0.35,
};

/** The field in model-grid pixels: columns [left, right), rows [top, bottom). */
export interface ExposedField {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A view of the S x S image along one side: `at(depth, along)` reads inward from that side. */
type SideReader = (depth: number, along: number) => number;

function sideReaders(gray: Uint8Array, size: number): Record<keyof ExposedField, SideReader> {
  const at = (x: number, y: number) => gray[y * size + x];
  return {
    left: (d, a) => at(d, a),
    right: (d, a) => at(size - 1 - d, a),
    top: (d, a) => at(a, d),
    bottom: (d, a) => at(a, size - 1 - d),
  };
}

/** Depth of the innermost collimator edge seen from one side, or 0 when the side is open. */
function edgeDepth(read: SideReader, size: number, o: Required<FieldOptions>): number {
  const maxDepth = Math.floor(size * o.maxDepth);
  // Steps between neighbouring lines of the band [0, d - 2), counted by direction as the band
  // grows inward. The blade's shadow is flat, then may ramp (the penumbra) the same way as
  // its edge; a step the other way means something else lies outside the line.
  let rising = 0;
  let falling = 0;
  let counted = 0;
  let best = 0;
  for (let d = 2; d < maxDepth - 2; d++) {
    for (let a = 0; a < size; a++) {
      const step = read(d - 1, a) - read(d - 2, a);
      if (step > o.flatStep) rising++;
      else if (step < -o.flatStep) falling++;
      counted++;
    }
    const otherWay = (1 - o.flatQuantile) * counted;
    if ((rising > otherWay && falling > otherWay) || rising + falling > o.rampShare * counted)
      break;
    let up = 0;
    let down = 0;
    for (let a = 0; a < size; a++) {
      const step = read(d + 2, a) - read(d - 2, a);
      if (step >= o.edgeStep) up++;
      else if (step <= -o.edgeStep) down++;
    }
    const edge = o.edgeShare * size;
    if ((up >= edge && falling <= otherWay) || (down >= edge && rising <= otherWay)) best = d;
  }
  return best;
}

/** The exposed field of an S x S gray image (the whole image when nothing is collimated). */
export function exposedField(
  gray: Uint8Array,
  size: number,
  options: FieldOptions = {},
): ExposedField {
  if (gray.length !== size * size) {
    throw new Error(`exposedField: expected ${size}x${size} values, got ${gray.length}`);
  }
  const o = { ...FIELD_DEFAULTS, ...options };
  const readers = sideReaders(gray, size);
  const depth = (side: keyof ExposedField) => edgeDepth(readers[side], size, o);
  return {
    left: depth('left'),
    top: depth('top'),
    right: size - depth('right'),
    bottom: size - depth('bottom'),
  };
}
