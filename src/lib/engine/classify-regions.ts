/**
 * The classifier on the whole image (as the MAE saw it) and on regions of it,
 * each cropped from the full-resolution 8-bit gray image and resized as
 * SKELEX does. The app's worker, the demo's evaluation and the browser
 * benchmark all classify this way.
 */
import { regionPixelValues } from '../imaging/crop';
import type { Rect } from '../imaging/preprocess';
import { headScores, type HeadScore } from '../model/heads';
import type { HeadSpec, InputSpec } from '../model/manifest';

export interface Classifies {
  classify(pixelValues: Float32Array, batch: number): Promise<Float32Array>;
}

/** The full-resolution image regions are cropped from. */
export interface FullGray {
  gray: Uint8Array;
  width: number;
  height: number;
}

/** Head scores of the whole image, then of each region, in order. */
export async function classifyImageAndRegions(
  runner: Classifies,
  heads: HeadSpec[],
  wholePixelValues: Float32Array,
  full: FullGray,
  regions: Rect[],
  spec: InputSpec,
): Promise<HeadScore[][]> {
  const inputs = [
    wholePixelValues,
    ...regions.map((box) => regionPixelValues(full.gray, full.width, full.height, box, spec)),
  ];
  // One run each, not one batch: int8 graphs quantise activations over the whole
  // batch, so an image's scores would depend on what else shares its batch.
  const scores: HeadScore[][] = [];
  for (const values of inputs) scores.push(headScores(await runner.classify(values, 1), heads));
  return scores;
}
