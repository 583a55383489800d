/**
 * `skelex analyze` end to end on real radiographs with a small bundle the test
 * builds (a random MAE and a random classifier through the project's
 * converter): summary.csv has DESIGN.md's columns and the same numbers the
 * app's code gives on onnxruntime-web, pictures are written, a bad file is
 * reported and the others go on.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from 'fast-png';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSkelex } from '../helpers/cli';
import { parseCsv } from '../helpers/csv';
import { MemoryBundleSink } from '../../src/lib/convert/bundle-sink';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint, type ConvertOptions } from '../../src/lib/convert/convert';
import { OrtClassifierRunner } from '../../src/lib/engine/ort-classifier';
import { OrtMaeRunner } from '../../src/lib/engine/ort-runner';
import { openImage } from '../../src/lib/imaging/open';
import { preprocess } from '../../src/lib/imaging/preprocess';
import { analyzeImage } from '../../src/lib/mae/analyze';
import { maeSpec } from '../../src/lib/mae/error-map';
import { regionOfInterest } from '../../src/lib/mae/regions';
import { headScores } from '../../src/lib/model/heads';
import type { BundleManifest, HeadSpec } from '../../src/lib/model/manifest';
import { SUMMARY_COLUMNS } from '../../src/lib/report/summary';
import { dataPath } from '../helpers/data';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import {
  randomClassifierWeights,
  randomMaeWeights,
  SMALL_MAE_CONFIG,
  type HfVitConfig,
} from '../helpers/reference-vit';

ortWeb.env.wasm.numThreads = 1;
const work = mkdtempSync(path.join(tmpdir(), 'skelex-analyze-'));
const bundle = path.join(work, 'bundle');
const MAE: HfVitConfig = { ...SMALL_MAE_CONFIG, image_size: 64, patch_size: 16 };
const CLASSIFIER: HfVitConfig = { ...MAE, num_labels: 3 };
const HEADS: HeadSpec[] = [
  { name: 'fracture', activation: 'sigmoid', outputs: [0], labels: ['fracture'] },
  { name: 'side', activation: 'softmax', outputs: [1, 2], labels: ['left', 'right'] },
];
const PRE = { image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.25, 0.25], resample: 3 };
const FILES = [dataPath('dicom', 'RG3_RLE.dcm'), dataPath('fracatlas', 'images', 'IMG0000005.jpg')];
let manifest: BundleManifest;

async function convertInto(
  dir: string,
  sink: MemoryBundleSink,
  heads?: HeadSpec[],
  externalData?: ConvertOptions['externalData'],
) {
  const listing = await openDirectoryByteSources(dir);
  try {
    return await convertCheckpoint(await openCheckpointFolder(listing.files, dir), sink, {
      variants: ['fp32'],
      name: 'tiny',
      heads,
      externalData,
    });
  } finally {
    await listing.close();
  }
}

beforeAll(async () => {
  const maeDir = writeHfCheckpoint(path.join(work, 'mae'), {
    architecture: 'ViTMAEForPreTraining',
    config: MAE,
    weights: randomMaeWeights(MAE, 3),
    preprocessor: PRE,
  });
  const classifierDir = writeHfCheckpoint(path.join(work, 'classifier'), {
    architecture: 'ViTForImageClassification',
    config: CLASSIFIER,
    weights: randomClassifierWeights(CLASSIFIER, 4),
    preprocessor: PRE,
  });
  const sink = new MemoryBundleSink();
  const mae = await convertInto(maeDir, sink);
  const classifier = await convertInto(classifierDir, sink, HEADS);
  manifest = { ...mae, classifier: classifier.classifier };
  mkdirSync(bundle);
  for (const [name, blob] of sink.files) {
    writeFileSync(path.join(bundle, name), new Uint8Array(await blob.arrayBuffer()));
  }
  writeFileSync(path.join(bundle, 'model.json'), JSON.stringify(manifest));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What the app's code gives for one file on onnxruntime-web (the browser's runtime). */
async function appNumbers(file: string) {
  const read = (name: string) => new Uint8Array(readFileSync(path.join(bundle, name)));
  const spec = maeSpec(manifest.input, false);
  const layout = { channels: 3, size: spec.size };
  const mae = await OrtMaeRunner.create(
    ortWeb,
    {
      encoder: { name: 'encoder', model: read(manifest.variants!.fp32!.encoder.path) },
      decoder: { name: 'decoder', model: read(manifest.variants!.fp32!.decoder.path) },
    },
    layout,
  );
  const classifier = await OrtClassifierRunner.create(
    ortWeb,
    { name: 'classifier', model: read(manifest.classifier!.variants.fp32!.path) },
    layout,
  );
  const input = preprocess(
    await openImage(file, new Uint8Array(readFileSync(file))),
    manifest.input,
  );
  const result = await analyzeImage(mae, input, spec, {
    schedule: 'complementary',
    passes: 4,
    seed: 0,
  });
  const roi = regionOfInterest(result.map, input.geometry, {
    patch: spec.patch,
    counts: result.counts,
  });
  const heads = headScores(
    await classifier.classify(input.pixelValues, 1),
    manifest.classifier!.heads,
  );
  await mae.release();
  await classifier.release();
  return { result, roi, heads };
}

describe('skelex analyze', () => {
  it("writes summary.csv with DESIGN.md's columns and the app's numbers, and the pictures", async () => {
    const out = path.join(work, 'out');
    const bad = path.join(work, 'broken.dcm');
    writeFileSync(bad, new Uint8Array(300));
    const result = await runSkelex([
      'analyze',
      ...FILES,
      bad,
      '--model',
      bundle,
      '--out',
      out,
      '--json',
    ]);
    expect(result.code).toBe(1); // one file failed
    expect(result.stderr).toContain('analysed 2 of 3 files');
    expect(result.stdout.trim().split('\n')).toHaveLength(3);

    const csv = readFileSync(path.join(out, 'summary.csv'), 'utf8');
    const header = csv.split('\n')[0].split(',');
    expect(header).toEqual([...SUMMARY_COLUMNS, 'fracture/fracture', 'side/left', 'side/right']);
    const rows = parseCsv(csv);
    expect(rows.map((r) => r.ok)).toEqual(['true', 'true', 'false']);
    expect(rows[2].error).toContain('broken.dcm');

    for (const [i, file] of FILES.entries()) {
      const row = rows[i];
      const app = await appNumbers(file);
      expect(Number(row.mean_error)).toBeCloseTo(app.result.meanError, 5);
      expect(Number(row.top1_error)).toBeCloseTo(app.result.top1Error, 5);
      for (const [column, key] of [
        ['roi_x', 'x'],
        ['roi_y', 'y'],
        ['roi_w', 'width'],
        ['roi_h', 'height'],
      ] as const) {
        expect(Math.abs(Number(row[column]) - app.roi.box[key]), column).toBeLessThanOrEqual(2);
      }
      for (const h of app.heads)
        expect(Number(row[h.column]), h.column).toBeCloseTo(h.probability, 5);
      const name = path.basename(file).replace(/\.[^.]+$/, '');
      for (const picture of ['overlay', 'map']) {
        const png = decode(readFileSync(path.join(out, `${name}.${picture}.png`)));
        expect([png.width, png.height]).toEqual([Number(row.width), Number(row.height)]);
      }
    }
  }, 120_000);

  it('reads a bundle whose weights are split over external data files, from any folder', async () => {
    // The MAE again, its graphs' weights in .data files of at most 20 kB each.
    const sink = new MemoryBundleSink();
    const split = await convertInto(path.join(work, 'mae'), sink, undefined, {
      thresholdBytes: 0,
      maxFileBytes: 20_000,
    });
    expect(split.variants!.fp32!.encoder.externalData!.length).toBeGreaterThan(2);
    const folder = path.join(work, 'split-bundle');
    mkdirSync(folder);
    for (const [name, blob] of sink.files)
      writeFileSync(path.join(folder, name), new Uint8Array(await blob.arrayBuffer()));
    writeFileSync(path.join(folder, 'model.json'), JSON.stringify(split));
    const [whole, parts] = await Promise.all(
      [bundle, folder].map(async (model, i) => {
        const out = path.join(work, `split-out-${i}`);
        const result = await runSkelex(['analyze', FILES[1], '--model', model, '--out', out]);
        expect(result.code, result.stderr).toBe(0);
        return parseCsv(readFileSync(path.join(out, 'summary.csv'), 'utf8'))[0];
      }),
    );
    expect(Number(parts.mean_error)).toBeCloseTo(Number(whole.mean_error), 6);
    expect(parts.roi_x).toBe(whole.roi_x);
  }, 120_000);

  it('refuses bad options with the usage line', async () => {
    const out = path.join(work, 'unused');
    for (const args of [
      ['--schedule', 'sometimes'],
      ['--passes', '0'],
      ['--map', 'pretty'],
      ['--colour'],
    ]) {
      const result = await runSkelex([
        'analyze',
        FILES[0],
        '--model',
        bundle,
        '--out',
        out,
        ...args,
      ]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage: skelex analyze');
    }
    expect((await runSkelex(['analyze', FILES[0], '--out', out])).code).toBe(2);
  });
});
