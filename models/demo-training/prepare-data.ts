/**
 * Prepares FracAtlas for training with the app's own pipeline: each image is
 * opened by `openImage`, turned into SKELEX's 8-bit input (`toModelGray8`) and
 * resized to 256x256 with the Pillow-exact bicubic the app uses, so the model
 * trains on exactly what it will see. Writes (not committed):
 *   models/demo-training/.cache/fracatlas-256.u8   N x 256 x 256 bytes
 *   models/demo-training/.cache/fracatlas-256.csv  the labels.csv rows in the same order
 * Run: npx tsx models/demo-training/prepare-data.ts
 */
import { mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { openImage } from '../../src/lib/imaging/open';
import { toModelGray8 } from '../../src/lib/imaging/modality';
import { resizeGray8 } from '../../src/lib/imaging/resample';

const SIZE = 256;
const DATA = process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const OUT = path.join(import.meta.dirname, '.cache');

const labels = readFileSync(path.join(DATA, 'fracatlas', 'labels.csv'), 'utf8')
  .trim()
  .split('\n');
mkdirSync(OUT, { recursive: true });
const fd = openSync(path.join(OUT, `fracatlas-${SIZE}.u8`), 'w');
const kept = [labels[0]];
for (const row of labels.slice(1)) {
  const id = row.split(',')[0];
  const file = path.join(DATA, 'fracatlas', 'images', id);
  try {
    const r = await openImage(id, new Uint8Array(readFileSync(file)));
    writeSync(fd, resizeGray8(toModelGray8(r), r.width, r.height, SIZE, SIZE, 'bicubic'));
    kept.push(row);
  } catch (error) {
    console.error(`skipped ${(error as Error).message}`);
  }
  if (kept.length % 500 === 0) console.error(`${kept.length - 1} images`);
}
closeSync(fd);
writeFileSync(path.join(OUT, `fracatlas-${SIZE}.csv`), kept.join('\n') + '\n');
console.error(`wrote ${kept.length - 1} images of ${SIZE}x${SIZE}`);
