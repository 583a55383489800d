/**
 * npm run compare:variants -- BUNDLE_DIR [N]
 *
 * For every variant in a bundle: its size, the max and mean absolute error of
 * the decoder logits against fp32, and the Pearson correlation of its error
 * map with fp32's, on real radiographs (the two NEMA DICOMs and the first N
 * FracAtlas validation images). Same masks for every variant (4-pass
 * complementary schedule, seed 1), run in onnxruntime-node.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { validateManifest, type BundleFile, type VariantName } from '../src/lib/model/manifest';
import { OrtMaeRunner, type GraphBytes } from '../src/lib/engine/ort-runner';
import { analyzeImage } from '../src/lib/mae/analyze';
import { maeSpec } from '../src/lib/mae/error-map';
import { pearson } from '../src/lib/mae/scores';
import { preprocess } from '../src/lib/imaging/preprocess';
import { openImage } from '../src/lib/imaging/open';

const [bundleDir, countArg] = process.argv.slice(2);
if (!bundleDir) {
  console.error('usage: npm run compare:variants -- BUNDLE_DIR [N]');
  process.exit(2);
}
const DATA = process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../shared/data');
const manifest = validateManifest(
  JSON.parse(readFileSync(path.join(bundleDir, 'model.json'), 'utf8')),
);
if (!manifest.variants?.fp32)
  throw new Error(`${bundleDir}: the bundle has no fp32 variant to compare with`);

function graph(file: BundleFile): GraphBytes {
  const read = (p: string) => new Uint8Array(readFileSync(path.join(bundleDir, p)));
  return {
    name: file.path,
    model: read(file.path),
    externalData: file.externalData
      ? file.externalData.map((d) => ({ path: path.basename(d.path), data: read(d.path) }))
      : undefined,
  };
}

const validation = readdirSync(path.join(DATA, 'fracatlas', 'images'))
  .filter((name) => Number(name.replace(/\D/g, '')) % 5 === 0)
  .slice(0, Number(countArg ?? 20))
  .map((name) => path.join(DATA, 'fracatlas', 'images', name));
const files = [
  path.join(DATA, 'dicom', 'RG2_UNC.dcm'),
  path.join(DATA, 'dicom', 'RG3_RLE.dcm'),
  ...validation,
];
const spec = maeSpec(manifest.input, manifest.mae?.normPixLoss ?? false);
const inputs = await Promise.all(
  files.map(async (f) =>
    preprocess(await openImage(f, new Uint8Array(readFileSync(f))), manifest.input),
  ),
);

type Run = { map: Float32Array; logits: Float32Array[] };
async function runVariant(variant: VariantName): Promise<Run[]> {
  const files = manifest.variants![variant]!;
  const runner = await OrtMaeRunner.create(
    ort,
    { encoder: graph(files.encoder), decoder: graph(files.decoder) },
    { channels: spec.channels, size: spec.size },
    { intraOpNumThreads: 1 },
  );
  const runs: Run[] = [];
  for (const input of inputs) {
    const result = await analyzeImage(runner, input, spec, {
      schedule: 'complementary',
      passes: 4,
      seed: 1,
      keepPasses: true,
    });
    runs.push({ map: result.map, logits: result.passes!.map((p) => p.logits) });
  }
  return runs;
}

const bytesOf = (v: { encoder: BundleFile; decoder: BundleFile }) =>
  [v.encoder, v.decoder].reduce(
    (sum, f) => sum + f.bytes + (f.externalData ?? []).reduce((n, d) => n + d.bytes, 0),
    0,
  );

const reference = await runVariant('fp32');
console.log(
  `${manifest.name}: ${files.length} radiographs (2 NEMA + ${validation.length} FracAtlas validation), 4 complementary passes each`,
);
console.log(
  '| variant | encoder+decoder MB | logits max abs err | logits mean abs err | error-map Pearson (mean, min) |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const variant of Object.keys(manifest.variants) as VariantName[]) {
  const runs = variant === 'fp32' ? reference : await runVariant(variant);
  let max = 0;
  let sum = 0;
  let count = 0;
  const correlations: number[] = [];
  runs.forEach((run, i) => {
    run.logits.forEach((logits, p) => {
      const ref = reference[i].logits[p];
      for (let k = 0; k < logits.length; k++) {
        const d = Math.abs(logits[k] - ref[k]);
        max = Math.max(max, d);
        sum += d;
      }
      count += logits.length;
    });
    correlations.push(pearson(run.map, reference[i].map));
  });
  const meanR = correlations.reduce((a, b) => a + b, 0) / correlations.length;
  const minR = Math.min(...correlations);
  const mb = (bytesOf(manifest.variants[variant]!) / 2 ** 20).toFixed(2);
  console.log(
    `| ${variant} | ${mb} | ${max.toExponential(2)} | ${(sum / count).toExponential(2)} | ${meanR.toFixed(5)}, ${minR.toFixed(5)} |`,
  );
}
