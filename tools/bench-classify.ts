/**
 * npm run bench:classify -- BUNDLE_DIR
 *
 * Classification time per variant: the whole image (preprocess and one run)
 * and a region (crop of the full-resolution image, preprocess, one run), for
 * the bundle's classifier and for a ViT-Large-size classifier (random weights,
 * 38 outputs as SKELEX's, converted here), in onnxruntime-web's WASM backend
 * (in Node, one thread) beside native onnxruntime-node (one thread) on the same
 * graphs and image. Median of 5 runs after a warm-up.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { FolderBundleSink } from '../src/lib/convert/bundle-sink-node';
import { openDirectoryByteSources } from '../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../src/lib/convert/convert';
import { makeVariant } from '../src/lib/convert/variants';
import { OrtClassifierRunner } from '../src/lib/engine/ort-classifier';
import type { GraphBytes, OrtModule } from '../src/lib/engine/ort-runner';
import { regionPixelValues } from '../src/lib/imaging/crop';
import { toModelGray8 } from '../src/lib/imaging/modality';
import { openImage } from '../src/lib/imaging/open';
import { preprocessGray8 } from '../src/lib/imaging/preprocess';
import {
  validateManifest,
  type BundleManifest,
  type InputSpec,
  type VariantName,
} from '../src/lib/model/manifest';
import { writeRandomVitLargeCheckpoint } from './random-vit-large';

const [bundleDir] = process.argv.slice(2);
if (!bundleDir) {
  console.error('usage: npm run bench:classify -- BUNDLE_DIR');
  process.exit(2);
}
ortWeb.env.wasm.numThreads = 1;
const DATA = process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../shared/data');
const file = path.join(DATA, 'dicom', 'RG3_RLE.dcm');
const image = await openImage(file, new Uint8Array(readFileSync(file)));
const gray = toModelGray8(image);
const box = { x: 600, y: 900, width: 440, height: 440 };

async function median(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[2];
}

async function time(ort: OrtModule, graph: GraphBytes, input: InputSpec, folder: string) {
  // onnxruntime-node looks for a graph's external .data file from the working directory.
  const cwd = process.cwd();
  process.chdir(folder);
  const runner = await OrtClassifierRunner.create(
    ort,
    graph,
    { channels: input.channels, size: input.imageSize },
    { intraOpNumThreads: 1 },
  ).finally(() => process.chdir(cwd));
  const whole = await median(async () => {
    const pre = preprocessGray8(gray, image.width, image.height, input);
    await runner.classify(pre.pixelValues, 1);
  });
  const region = await median(async () => {
    await runner.classify(regionPixelValues(gray, image.width, image.height, box, input), 1);
  });
  await runner.release();
  return { whole, region };
}

/** A bundle's classifier graphs with their external data, read from its folder. */
function classifierGraphs(folder: string, manifest: BundleManifest): [VariantName, GraphBytes][] {
  const read = (p: string) => new Uint8Array(readFileSync(path.join(folder, p)));
  return Object.entries(manifest.classifier!.variants).map(([variant, f]) => [
    variant as VariantName,
    {
      name: f.path,
      model: read(f.path),
      ...(f.externalData
        ? {
            externalData: f.externalData.map((d) => ({
              path: path.basename(d.path),
              data: read(d.path),
            })),
          }
        : {}),
    },
  ]);
}

async function report(name: string, folder: string, manifest: BundleManifest) {
  for (const [variant, graph] of classifierGraphs(folder, manifest)) {
    const web = await time(ortWeb as unknown as OrtModule, graph, manifest.input, folder);
    const native = await time(ortNode as unknown as OrtModule, graph, manifest.input, folder);
    const cell = (w: number, n: number) =>
      `${w.toFixed(0)} / ${n.toFixed(0)} (${(w / n).toFixed(1)}x)`;
    console.log(
      `| ${name} | ${variant} | ${cell(web.whole, native.whole)} | ${cell(web.region, native.region)} |`,
    );
  }
}

console.log(
  'Classification of RG3 (1760x1760), median of 5, one thread; ms as WASM / native (ratio)',
);
console.log('| model | variant | whole image | region 440x440 |');
console.log('| --- | --- | --- | --- |');
const manifest = validateManifest(
  JSON.parse(readFileSync(path.join(bundleDir, 'model.json'), 'utf8')),
);
if (!manifest.classifier) throw new Error(`${bundleDir}: the bundle has no classifier`);
await report(manifest.name, bundleDir, manifest);

const work = mkdtempSync(path.join(tmpdir(), 'skelex-bench-classify-'));
try {
  writeRandomVitLargeCheckpoint(work, { classifierLabels: 38 });
  const listing = await openDirectoryByteSources(work);
  const out = path.join(work, 'bundle');
  const sink = await FolderBundleSink.create(out);
  const large = await convertCheckpoint(await openCheckpointFolder(listing.files, work), sink, {
    variants: ['fp32', 'int8'],
    makeVariant,
  });
  await sink.commit();
  await listing.close();
  await report('ViT-L/16, 38 outputs', out, large);
} finally {
  rmSync(work, { recursive: true, force: true });
}
