/**
 * Builds the demo bundle from the two checkpoints the recipe trains, with the
 * project's own converter: the MAE (encoder and decoder in fp32 and int8) and
 * the classifier (int8; heads fracture, implant and region). The classifier is
 * int8 only: an fp32 copy would hold the whole encoder again and break the
 * bundle's 20 MB budget. An existing MODEL_CARD.md in the output is kept.
 *
 * Run: npx tsx models/demo-training/build-bundle.ts [--mae DIR] [--classifier DIR] [--out DIR]
 */
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../../src/lib/convert/convert';
import { FolderBundleSink } from '../../src/lib/convert/bundle-sink-node';
import { makeVariant } from '../../src/lib/convert/variants';
import { validateManifest, type HeadSpec } from '../../src/lib/model/manifest';

const HEADS: HeadSpec[] = [
  { name: 'fracture', activation: 'sigmoid', outputs: [0], labels: ['fracture'] },
  { name: 'implant', activation: 'sigmoid', outputs: [1], labels: ['implant'] },
  {
    name: 'region',
    activation: 'softmax',
    outputs: [2, 3, 4, 5],
    labels: ['hand', 'leg', 'hip', 'shoulder'],
  },
];

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const here = import.meta.dirname;
const maeDir = option('--mae', path.join(here, 'checkpoint'));
const classifierDir = option('--classifier', path.join(here, 'classifier'));
const out = path.resolve(option('--out', path.join(here, '..', 'demo')));

async function open(dir: string) {
  const listing = await openDirectoryByteSources(dir);
  return { listing, checkpoint: await openCheckpointFolder(listing.files, dir) };
}

const common = { name: 'skelex-demo', version: '0.2', license: 'CC-BY-4.0', makeVariant };
const staging = `${out}.new`;
await rm(staging, { recursive: true, force: true });
const sink = await FolderBundleSink.create(staging);
const mae = await open(maeDir);
const classifier = await open(classifierDir);
try {
  const maeManifest = await convertCheckpoint(mae.checkpoint, sink, {
    ...common,
    variants: ['fp32', 'int8'],
    source: 'models/demo-training/checkpoint (ViTMAEForPreTraining)',
  });
  const classifierManifest = await convertCheckpoint(classifier.checkpoint, sink, {
    ...common,
    variants: ['int8'],
    heads: HEADS,
    source: 'models/demo-training/classifier (ViTForImageClassification)',
  });
  const manifest = validateManifest({
    ...maeManifest,
    // A model this small rebuilds every sharp edge badly: the relative map, confined to the
    // exposed field, finds what SKELEX's raw map misses (MODEL_CARD.md).
    mae: { ...maeManifest.mae!, recommendedMap: 'relative' },
    source:
      'models/demo-training: checkpoint (ViTMAEForPreTraining) and classifier (ViTForImageClassification)',
    classifier: classifierManifest.classifier,
  });
  await sink.writeFile('model.json', [
    new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'),
  ]);
  await sink.commit();
} catch (error) {
  await sink.abort();
  throw error;
} finally {
  await mae.listing.close();
  await classifier.listing.close();
}
const card = path.join(out, 'MODEL_CARD.md');
if (await stat(card).catch(() => undefined))
  await copyFile(card, path.join(staging, 'MODEL_CARD.md'));
await rm(out, { recursive: true, force: true });
await rename(staging, out);
console.error(`wrote ${out}`);
