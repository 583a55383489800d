/**
 * Hugging Face's ViTMAE patch layout. `patchify` reshapes [C, S, S] to
 * (C, h, P, w, P) and permutes `nchpwq -> nhwpqc`: patches in row-major order
 * over the (S/P) x (S/P) grid, and inside a patch the value of channel c at
 * pixel row p, column q sits at (p * P + q) * C + c. The decoder's logits
 * [N, P*P*C] use the same layout.
 */

export interface PatchLayout {
  /** Side S of the square image. */
  size: number;
  /** Side P of a square patch. */
  patch: number;
  channels: number;
}

/** Patches across (and down) the image: S / P. */
export function gridSide(layout: PatchLayout): number {
  const { size, patch } = layout;
  if (!Number.isInteger(size) || !Number.isInteger(patch) || patch <= 0 || size % patch !== 0) {
    throw new Error(`patch layout: image size ${size} is not a multiple of patch size ${patch}`);
  }
  return size / patch;
}

/** N = (S / P)^2. */
export function patchCount(layout: PatchLayout): number {
  return gridSide(layout) ** 2;
}

/** Values per patch: P * P * C. */
export function patchLength(layout: PatchLayout): number {
  return layout.patch * layout.patch * layout.channels;
}

/** The patch that holds model-grid pixel (x, y). */
export function patchAt(layout: PatchLayout, x: number, y: number): number {
  const side = gridSide(layout);
  return Math.floor(y / layout.patch) * side + Math.floor(x / layout.patch);
}

/** A patch's top-left pixel and side in the model grid. */
export function patchRect(
  layout: PatchLayout,
  n: number,
): { x: number; y: number; width: number; height: number } {
  const side = gridSide(layout);
  return {
    x: (n % side) * layout.patch,
    y: Math.floor(n / side) * layout.patch,
    width: layout.patch,
    height: layout.patch,
  };
}

function check(length: number, expected: number, what: string): void {
  if (length !== expected) throw new Error(`${what}: expected ${expected} values, got ${length}`);
}

/** [C, S, S] -> [N, P*P*C]. */
export function patchify(image: Float32Array, layout: PatchLayout): Float32Array {
  const { size: S, patch: P, channels: C } = layout;
  const side = gridSide(layout);
  check(image.length, C * S * S, 'patchify');
  const out = new Float32Array(image.length);
  const L = P * P * C;
  for (let c = 0; c < C; c++) {
    const plane = c * S * S;
    for (let y = 0; y < S; y++) {
      const h = Math.floor(y / P);
      const p = y - h * P;
      for (let x = 0; x < S; x++) {
        const w = Math.floor(x / P);
        const q = x - w * P;
        out[(h * side + w) * L + (p * P + q) * C + c] = image[plane + y * S + x];
      }
    }
  }
  return out;
}

/** [N, P*P*C] -> [C, S, S]. */
export function unpatchify(patches: Float32Array, layout: PatchLayout): Float32Array {
  const { size: S, patch: P, channels: C } = layout;
  const side = gridSide(layout);
  check(patches.length, C * S * S, 'unpatchify');
  const out = new Float32Array(patches.length);
  const L = P * P * C;
  for (let c = 0; c < C; c++) {
    const plane = c * S * S;
    for (let y = 0; y < S; y++) {
      const h = Math.floor(y / P);
      const p = y - h * P;
      for (let x = 0; x < S; x++) {
        const w = Math.floor(x / P);
        const q = x - w * P;
        out[plane + y * S + x] = patches[(h * side + w) * L + (p * P + q) * C + c];
      }
    }
  }
  return out;
}
