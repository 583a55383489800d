/**
 * The demo's validation figures as issue 14's table has them: the bundled
 * model with the map its bundle recommends and with SKELEX's raw map, each
 * region-of-interest figure beside a same-size centred square and a same-size
 * square at random, and the supervised CNN anchor (train_cnn.py) beside the ViT.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

type Figures = Record<string, number | string>;

const CNN_METRICS = path.join(import.meta.dirname, 'cnn-metrics.json');

/** The CNN anchor's figures, when train_cnn.py has written them. */
export function readCnnFigures(): Figures | undefined {
  return existsSync(CNN_METRICS)
    ? (JSON.parse(readFileSync(CNN_METRICS, 'utf8')) as Figures)
    : undefined;
}

const pct = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–';
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '–');

export function printTable(f: Figures, cnn: Figures | undefined): void {
  const mapName = (kind: unknown) => (kind === 'relative' ? 'relative map' : 'raw map');
  const recommended = f.recommendedMap === 'relative' ? 'Relative' : 'Raw';
  const rows: [string, string, string, string][] = [
    ['fracture AUROC, whole image', num(f.fractureAuroc), num(cnn?.fractureAuroc), '≥ 0.85'],
    [
      'fracture AUROC, region-guided (max of image and region)',
      num(f.fractureAurocGuided),
      '–',
      'above whole image',
    ],
    ['implant AUROC', num(f.implantAuroc), num(cnn?.implantAuroc), '≥ 0.97'],
    [
      'body-region accuracy (one-region images)',
      pct(f.regionAccuracy),
      pct(cnn?.regionAccuracy),
      '≥ 95%',
    ],
  ];
  for (const [kind, key] of [
    [f.recommendedMap, recommended],
    [
      f.recommendedMap === 'relative' ? 'raw' : 'relative',
      recommended === 'Raw' ? 'Relative' : 'Raw',
    ],
  ] as const) {
    const label = `${mapName(kind)}${kind === f.recommendedMap ? ' (recommended, the default)' : ''}`;
    const centre = key === 'Relative' ? f.roiOnFractureCentre : f.roiOnFractureRawCentre;
    rows.push([
      `ROI of the ${label} on a fracture box`,
      `${pct(f[`roiOnFracture${key}`])} (centred square ${pct(centre)}, random ${pct(f[`roiOnFracture${key}Chance`])}); ROI ${pct(f[`roiAreaShare${key}`])} of the image`,
      kind === f.recommendedMap && cnn
        ? `Grad-CAM peak ${pct(cnn.gradCamOnFracture)} (random ${pct(cnn.gradCamOnFractureChance)})`
        : '–',
      kind === f.recommendedMap ? '≥ 55%, ROI ≤ 6%' : '',
    ]);
    rows.push([
      `  the same, on the ${f.offCentreFractures} fractures a centred square misses`,
      `${pct(f[`roiOnOffCentreFracture${key}`])}${key === 'Relative' ? ` (random ${pct(f.roiOnOffCentreFractureRelativeChance)})` : ''}`,
      '–',
      kind === f.recommendedMap ? '≥ 50%' : '',
    ]);
  }
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), 8));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  console.log(
    `Validation split: ${f.images} images, ${f.fracturedWithBoxes} fractured with boxes; MAE ${f.variant}, classifier ${f.classifierVariant ?? '–'}`,
  );
  console.log(
    line([
      'measure',
      'bundled ViT',
      cnn ? `CNN anchor (${cnn.trainingSeconds} s)` : 'CNN anchor',
      'goal',
    ]),
  );
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}
