/**
 * npm run bench:analysis -- BUNDLE_DIR
 *
 * Time of one 4-pass complementary analysis (batch of 4) of a real radiograph,
 * per variant, in onnxruntime-web's WASM backend (the app's fallback path, here
 * in Node, one thread) beside native onnxruntime-node (one thread) on the same
 * graphs and input. Median of 5 runs after a warm-up.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { validateManifest, type BundleFile, type VariantName } from '../src/lib/model/manifest';
import { OrtMaeRunner, type GraphBytes, type OrtModule } from '../src/lib/engine/ort-runner';
import { analyzeImage } from '../src/lib/mae/analyze';
import { maeSpec } from '../src/lib/mae/error-map';
import { preprocess } from '../src/lib/imaging/preprocess';
import { openImage } from '../src/lib/imaging/open';

const [bundleDir] = process.argv.slice(2);
if (!bundleDir) {
  console.error('usage: npm run bench:analysis -- BUNDLE_DIR');
  process.exit(2);
}
ortWeb.env.wasm.numThreads = 1;
const DATA = process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../shared/data');
const manifest = validateManifest(
  JSON.parse(readFileSync(path.join(bundleDir, 'model.json'), 'utf8')),
);
const spec = maeSpec(manifest.input, manifest.mae?.normPixLoss ?? false);
const file = path.join(DATA, 'dicom', 'RG3_RLE.dcm');
const input = preprocess(await openImage(file, new Uint8Array(readFileSync(file))), manifest.input);
const graph = (f: BundleFile): GraphBytes => ({
  name: f.path,
  model: new Uint8Array(readFileSync(path.join(bundleDir, f.path))),
});

async function time(ort: OrtModule, variant: VariantName): Promise<number> {
  const files = manifest.variants![variant]!;
  const runner = await OrtMaeRunner.create(
    ort,
    { encoder: graph(files.encoder), decoder: graph(files.decoder) },
    { channels: spec.channels, size: spec.size },
    { intraOpNumThreads: 1 },
  );
  const run = () =>
    analyzeImage(runner, input, spec, { schedule: 'complementary', passes: 4, seed: 1 });
  await run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[2];
}

console.log(
  `${manifest.name}: 4-pass complementary analysis of RG3 (224x224 input), median of 5, one thread`,
);
console.log('| variant | onnxruntime-web WASM ms | onnxruntime-node ms | web/node |');
console.log('| --- | --- | --- | --- |');
for (const variant of Object.keys(manifest.variants ?? {}) as VariantName[]) {
  const web = await time(ortWeb as unknown as OrtModule, variant);
  const native = await time(ortNode as unknown as OrtModule, variant);
  console.log(
    `| ${variant} | ${web.toFixed(0)} | ${native.toFixed(0)} | ${(web / native).toFixed(2)} |`,
  );
}
