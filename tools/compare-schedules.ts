/**
 * npm run compare:schedules -- BUNDLE_DIR [N]
 *
 * How close cheap masking schedules come to a converged error map: for real
 * radiographs (the two NEMA DICOMs and the first N FracAtlas validation
 * images), a 4-pass complementary map and a 10-pass random map (SKELEX's
 * default) against a 64-pass random map, by Pearson correlation and relative
 * L2 difference. fp32 variant, onnxruntime-node.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { validateManifest, type BundleFile } from '../src/lib/model/manifest';
import { OrtMaeRunner } from '../src/lib/engine/ort-runner';
import { analyzeImage, type AnalyzeOptions } from '../src/lib/mae/analyze';
import { maeSpec } from '../src/lib/mae/error-map';
import { convergence } from '../src/lib/mae/scores';
import { preprocess } from '../src/lib/imaging/preprocess';
import { openImage } from '../src/lib/imaging/open';
import { graphBytes } from '../src/cli/bundle-runners';

const [bundleDir, countArg] = process.argv.slice(2);
if (!bundleDir) {
  console.error('usage: npm run compare:schedules -- BUNDLE_DIR [N]');
  process.exit(2);
}
const DATA = process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../shared/data');
const manifest = validateManifest(
  JSON.parse(readFileSync(path.join(bundleDir, 'model.json'), 'utf8')),
);
const fp32 = manifest.variants?.fp32;
if (!fp32) throw new Error(`${bundleDir}: the bundle has no fp32 variant`);
const graph = (file: BundleFile) => graphBytes(bundleDir, file);
const spec = maeSpec(manifest.input, manifest.mae?.normPixLoss ?? false);
const runner = await OrtMaeRunner.create(
  ort,
  { encoder: graph(fp32.encoder), decoder: graph(fp32.decoder) },
  { channels: spec.channels, size: spec.size },
  { intraOpNumThreads: 2 },
);

const validation = readdirSync(path.join(DATA, 'fracatlas', 'images'))
  .filter((name) => Number(name.replace(/\D/g, '')) % 5 === 0)
  .slice(0, Number(countArg ?? 20))
  .map((name) => path.join(DATA, 'fracatlas', 'images', name));
const files = [
  path.join(DATA, 'dicom', 'RG2_UNC.dcm'),
  path.join(DATA, 'dicom', 'RG3_RLE.dcm'),
  ...validation,
];

const schedules: [string, Omit<AnalyzeOptions, 'seed'>][] = [
  ['complementary 4', { schedule: 'complementary', passes: 4 }],
  ['random 10', { schedule: 'random', passes: 10 }],
  ['complementary 8', { schedule: 'complementary', passes: 8 }],
];
const totals = schedules.map(() => ({ pearson: 0, relativeL2: 0 }));
for (const file of files) {
  const input = preprocess(
    await openImage(file, new Uint8Array(readFileSync(file))),
    manifest.input,
  );
  const converged = await analyzeImage(runner, input, spec, {
    schedule: 'random',
    passes: 64,
    seed: 999,
  });
  for (const [i, [, options]] of schedules.entries()) {
    const result = await analyzeImage(runner, input, spec, { ...options, seed: 1 });
    const c = convergence(result.map, converged.map);
    totals[i].pearson += c.pearson;
    totals[i].relativeL2 += c.relativeL2;
  }
}
console.log(
  `${manifest.name}: ${files.length} radiographs, each against its own 64-pass random map`,
);
console.log('| schedule | mean Pearson with 64-pass map | mean relative L2 difference |');
console.log('| --- | --- | --- |');
schedules.forEach(([name], i) => {
  const n = files.length;
  console.log(
    `| ${name} | ${(totals[i].pearson / n).toFixed(4)} | ${(totals[i].relativeL2 / n).toFixed(4)} |`,
  );
});
