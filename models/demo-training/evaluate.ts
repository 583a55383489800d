/**
 * The demo model's figures on the fixed FracAtlas validation split, measured
 * through the app's own code (openImage, preprocess, analyzeImage, the
 * bundle's ONNX graphs on onnxruntime-node):
 * - reconstruction error: mean masked-pixel error of the raw map (normalised pixels, L2);
 * - classifier: AUROC of fracture and implant, region accuracy on one-region images,
 *   on the whole image and on each map's region of interest (cropped from the
 *   full-resolution image as the app does), and for fracture the larger of the
 *   whole image's and the relative region's probability (region-guided);
 * - localisation on fractured images, for SKELEX's raw map and the
 *   relative map: the share of images whose region of interest
 *   (src/lib/mae/regions.ts) overlaps a fracture box, beside the share a
 *   randomly placed square of the same size would reach and that of the same
 *   square fixed at the centre; the region's share of the image; and the mean pixel AUROC of the map inside the
 *   fracture polygons.
 *
 * Run: npx tsx models/demo-training/evaluate.ts BUNDLE_DIR [--split val|train] [--limit N] [--variant fp32] [--fractured-only] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { openImage } from '../../src/lib/imaging/open';
import { classifyImageAndRegions } from '../../src/lib/engine/classify-regions';
import { toModelGray8 } from '../../src/lib/imaging/modality';
import { mapToSource, preprocess, type Geometry } from '../../src/lib/imaging/preprocess';
import { analyzeImage } from '../../src/lib/mae/analyze';
import { meanError } from '../../src/lib/mae/scores';
import type { PatchLayout } from '../../src/lib/mae/patches';
import { mapViews } from '../../src/lib/mae/map-views';
import { headScores, type HeadScore } from '../../src/lib/model/heads';
import { recommendedMap, type VariantName } from '../../src/lib/model/manifest';
import { openBundleRunners } from '../../src/cli/bundle-runners';
import { isValidation, readAtlas, readFractures, type Fracture } from './fracatlas';
import { auroc, overlaps, polygonMask, type Box } from './metrics';
import { printTable, readCnnFigures } from './report-table';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const bundleDir = args[0];
if (!bundleDir || bundleDir.startsWith('--')) {
  console.error(
    'usage: npx tsx models/demo-training/evaluate.ts BUNDLE_DIR [--split val|train] [--limit N] [--variant fp32] [--json FILE]',
  );
  process.exit(2);
}
const split = option('--split') ?? 'val';
const limit = Number(option('--limit') ?? Infinity);
const variant = (option('--variant') ?? 'fp32') as VariantName;

const { manifest, spec, mae, classifier, classifierVariant } = await openBundleRunners(
  bundleDir,
  variant,
);
const layout: PatchLayout = { size: spec.size, patch: spec.patch, channels: spec.channels };
const fractures = readFractures();
const images = readAtlas()
  .filter((image) => (split === 'val' ? isValidation(image.id) : !isValidation(image.id)))
  .filter((image) => !args.includes('--fractured-only') || image.labels.fractured)
  .slice(0, limit);

const boxOf = (f: Fracture): Box => ({
  x: f.box[0],
  y: f.box[1],
  width: f.box[2],
  height: f.box[3],
});
const hitsAny = (roi: Box, boxes: Box[]) => boxes.some((b) => overlaps(roi, b));

/**
 * Share of the placements of a `side`-pixel square inside the image (every
 * 4 pixels) that overlap a box: what a randomly placed region of that size reaches.
 */
function chanceOfHit(geometry: Geometry, side: number, boxes: Box[]): number {
  let hits = 0;
  let total = 0;
  const w = Math.min(side, geometry.sourceWidth);
  const h = Math.min(side, geometry.sourceHeight);
  for (let y = 0; y <= geometry.sourceHeight - h; y += 4) {
    for (let x = 0; x <= geometry.sourceWidth - w; x += 4) {
      hits += hitsAny({ x, y, width: w, height: h }, boxes) ? 1 : 0;
      total++;
    }
  }
  return hits / total;
}

/** The same square at the image's centre. */
function centred(geometry: Geometry, side: number): Box {
  const w = Math.min(side, geometry.sourceWidth);
  const h = Math.min(side, geometry.sourceHeight);
  return {
    x: (geometry.sourceWidth - w) / 2,
    y: (geometry.sourceHeight - h) / 2,
    width: w,
    height: h,
  };
}

function pixelAuroc(map: Float32Array, geometry: Geometry, list: Fracture[]): number {
  const source = mapToSource(geometry, map);
  const mask = polygonMask(
    list.flatMap((f) => f.polygons),
    geometry.sourceWidth,
    geometry.sourceHeight,
  );
  return auroc(source, mask);
}

/** Head probabilities per image: the whole image, the raw map's region, the relative map's. */
const classifierScores = {
  whole: [] as number[][],
  raw: [] as number[][],
  relative: [] as number[][],
};
const errors: number[] = [];
const local = {
  images: 0,
  rawHits: 0,
  relHits: 0,
  rawChance: 0,
  relChance: 0,
  centreHits: 0,
  rawCentreHits: 0,
  /** Fractures a centred square of the relative region's size misses: a map that only learned "the middle" fails there. */
  offCentre: 0,
  rawHitsOffCentre: 0,
  relHitsOffCentre: 0,
  relChanceOffCentre: 0,
  rawArea: 0,
  relArea: 0,
  rawPixel: 0,
  relPixel: 0,
};
let done = 0;
const start = performance.now();
for (const image of images) {
  const radiograph = await openImage(image.id, new Uint8Array(readFileSync(image.file)));
  const input = preprocess(radiograph, manifest.input);
  const result = await analyzeImage(mae, input, spec, {
    schedule: 'complementary',
    passes: 4,
    seed: 0,
  });
  errors.push(meanError(result.map, result.counts));
  const g = input.geometry;
  const { relative, roi } = mapViews(result, input.gray, g, layout);
  if (classifier) {
    const [whole, raw, rel] = await classifyImageAndRegions(
      classifier,
      manifest.classifier!.heads,
      input.pixelValues,
      { gray: toModelGray8(radiograph), width: radiograph.width, height: radiograph.height },
      [roi.raw.box, roi.relative.box],
      manifest.input,
    );
    const probabilities = (scores: HeadScore[]) => scores.map((h) => h.probability);
    classifierScores.whole.push(probabilities(whole));
    classifierScores.raw.push(probabilities(raw));
    classifierScores.relative.push(probabilities(rel));
  }
  const list = fractures.get(image.id) ?? [];
  if (image.labels.fractured && list.length > 0) {
    const boxes = list.map(boxOf);
    const rawRoi = roi.raw;
    const relRoi = roi.relative;
    local.images++;
    local.rawHits += hitsAny(rawRoi.box, boxes) ? 1 : 0;
    local.relHits += hitsAny(relRoi.box, boxes) ? 1 : 0;
    local.rawChance += chanceOfHit(g, rawRoi.box.width, boxes);
    local.relChance += chanceOfHit(g, relRoi.box.width, boxes);
    const centreHit = hitsAny(centred(g, relRoi.box.width), boxes);
    local.centreHits += centreHit ? 1 : 0;
    local.rawCentreHits += hitsAny(centred(g, rawRoi.box.width), boxes) ? 1 : 0;
    if (!centreHit) {
      local.offCentre++;
      local.rawHitsOffCentre += hitsAny(rawRoi.box, boxes) ? 1 : 0;
      local.relHitsOffCentre += hitsAny(relRoi.box, boxes) ? 1 : 0;
      local.relChanceOffCentre += chanceOfHit(g, relRoi.box.width, boxes);
    }
    local.rawArea += (rawRoi.box.width * rawRoi.box.height) / (g.sourceWidth * g.sourceHeight);
    local.relArea += (relRoi.box.width * relRoi.box.height) / (g.sourceWidth * g.sourceHeight);
    local.rawPixel += pixelAuroc(result.map, g, list);
    local.relPixel += pixelAuroc(relative.map, g, list);
  }
  if (++done % 100 === 0)
    console.error(
      `${done}/${images.length} images, ${((performance.now() - start) / done).toFixed(0)} ms each`,
    );
}

const figures: Record<string, number | string> = {
  split,
  images: images.length,
  variant,
  maskedPixelError: errors.reduce((a, b) => a + b, 0) / errors.length,
  fracturedWithBoxes: local.images,
  roiOnFractureRaw: local.rawHits / local.images,
  roiOnFractureRawChance: local.rawChance / local.images,
  roiOnFractureRawCentre: local.rawCentreHits / local.images,
  roiAreaShareRaw: local.rawArea / local.images,
  pixelAurocRaw: local.rawPixel / local.images,
  roiOnFractureRelative: local.relHits / local.images,
  roiOnFractureRelativeChance: local.relChance / local.images,
  roiOnFractureCentre: local.centreHits / local.images,
  roiAreaShareRelative: local.relArea / local.images,
  offCentreFractures: local.offCentre,
  roiOnOffCentreFractureRaw: local.rawHitsOffCentre / local.offCentre,
  roiOnOffCentreFractureRelative: local.relHitsOffCentre / local.offCentre,
  roiOnOffCentreFractureRelativeChance: local.relChanceOffCentre / local.offCentre,
  pixelAurocRelative: local.relPixel / local.images,
};
if (classifier) {
  const heads = manifest.classifier!.heads;
  const columns = headScores(
    new Float32Array(Math.max(...heads.flatMap((h) => h.outputs)) + 1),
    heads,
  ).map((h) => h.column);
  const regions = ['hand', 'leg', 'hip', 'shoulder'];
  const single = images
    .map((i, k) => [i, k] as const)
    .filter(([i]) => regions.reduce((s, r) => s + i.labels[r], 0) === 1);
  figures.classifierVariant = classifierVariant!;
  figures.regionImages = single.length;
  // Keys: fractureAuroc for the whole image, fractureAurocRegionRaw for the raw map's region, ...
  const inputs = {
    '': classifierScores.whole,
    RegionRaw: classifierScores.raw,
    RegionRelative: classifierScores.relative,
  };
  for (const [suffix, scores] of Object.entries(inputs)) {
    const column = (name: string) => scores.map((s) => s[columns.indexOf(name)]);
    figures[`fractureAuroc${suffix}`] = auroc(
      column('fracture/fracture'),
      images.map((i) => i.labels.fractured),
    );
    figures[`implantAuroc${suffix}`] = auroc(
      column('implant/implant'),
      images.map((i) => i.labels.hardware),
    );
    const correct = single.filter(([i, k]) => {
      const p = regions.map((r) => scores[k][columns.indexOf(`region/${r}`)]);
      return i.labels[regions[p.indexOf(Math.max(...p))]] === 1;
    }).length;
    figures[`regionAccuracy${suffix}`] = correct / single.length;
  }
  const fracture = columns.indexOf('fracture/fracture');
  figures.fractureAurocGuided = auroc(
    classifierScores.whole.map((s, k) =>
      Math.max(s[fracture], classifierScores.relative[k][fracture]),
    ),
    images.map((i) => i.labels.fractured),
  );
}
figures.recommendedMap = recommendedMap(manifest);
printTable(figures, readCnnFigures());
console.log(JSON.stringify(figures, null, 2));
const jsonOut = option('--json');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(figures, null, 2) + '\n');
