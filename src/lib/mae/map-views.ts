/**
 * What one analysis shows: SKELEX's raw map, the relative map beside it, and
 * each one's region of interest. The app's worker, `skelex analyze` and the
 * demo's evaluation all derive them here, so they agree.
 */
import type { Geometry } from '../imaging/preprocess';
import type { PatchLayout } from './patches';
import { patchMeans, regionOfInterest, type RegionOfInterest } from './regions';
import type { ExposedField } from './exposed-field';
import { relativeErrorMap, type RelativeMap } from './relative-map';

export type MapKind = 'raw' | 'relative';

const fieldRect = (f: ExposedField) => ({
  x: f.left,
  y: f.top,
  width: f.right - f.left,
  height: f.bottom - f.top,
});

export interface MapViews {
  relative: RelativeMap;
  roi: Record<MapKind, RegionOfInterest>;
}

/** `map` and `counts` as analyzeImage returns them; `gray` is the S x S image the model saw. */
export function mapViews(
  result: { map: Float32Array; counts: Uint16Array },
  gray: Uint8Array,
  geometry: Geometry,
  layout: PatchLayout,
): MapViews {
  const relative = relativeErrorMap(patchMeans(result.map, layout, result.counts), gray, layout);
  return {
    relative,
    roi: {
      raw: regionOfInterest(result.map, geometry, { patch: layout.patch, counts: result.counts }),
      relative: regionOfInterest(relative.map, geometry, {
        patch: layout.patch,
        within: fieldRect(relative.field),
      }),
    },
  };
}
