/**
 * The bundled demo model (models/demo) keeps its promises: the MAE in fp32 and
 * int8, a classifier with the fracture, implant and region heads, every file
 * as model.json says, at most 20 MB in all, a model card that carries the
 * measured figures (models/demo-training/metrics.json), and heads that work on
 * real validation radiographs.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OrtClassifierRunner } from '../../src/lib/engine/ort-classifier';
import { openImage } from '../../src/lib/imaging/open';
import { preprocess } from '../../src/lib/imaging/preprocess';
import { headScores } from '../../src/lib/model/heads';
import { validateManifest, type BundleFile } from '../../src/lib/model/manifest';
import { dataPath, PROJECT_ROOT } from '../helpers/data';

const BUNDLE = path.join(PROJECT_ROOT, 'models/demo');
const manifest = validateManifest(
  JSON.parse(readFileSync(path.join(BUNDLE, 'model.json'), 'utf8')),
);
const metrics = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'models/demo-training/metrics.json'), 'utf8'),
) as Record<string, number>;

function files(): BundleFile[] {
  const out: BundleFile[] = [];
  for (const v of Object.values(manifest.variants ?? {})) out.push(v.encoder, v.decoder);
  out.push(...Object.values(manifest.classifier?.variants ?? {}));
  return out;
}

describe('the demo bundle', () => {
  it('holds the MAE in fp32 and int8 and the three heads', () => {
    expect(Object.keys(manifest.variants ?? {}).sort()).toEqual(['fp32', 'int8']);
    expect(manifest.classifier?.variants.int8).toBeDefined();
    expect(manifest.classifier?.heads).toEqual([
      { name: 'fracture', activation: 'sigmoid', outputs: [0], labels: ['fracture'] },
      { name: 'implant', activation: 'sigmoid', outputs: [1], labels: ['implant'] },
      {
        name: 'region',
        activation: 'softmax',
        outputs: [2, 3, 4, 5],
        labels: ['hand', 'leg', 'hip', 'shoulder'],
      },
    ]);
  });

  it('has every file with the size and SHA-256 model.json gives, 20 MB at most in all', () => {
    for (const file of files()) {
      const bytes = readFileSync(path.join(BUNDLE, file.path));
      expect(bytes.length, file.path).toBe(file.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), file.path).toBe(file.sha256);
    }
    const total = readdirSync(BUNDLE).reduce(
      (sum, f) => sum + statSync(path.join(BUNDLE, f)).size,
      0,
    );
    expect(total).toBeLessThanOrEqual(20_000_000);
  });

  it('has a model card with the data licence, the warning and the measured figures', () => {
    const card = readFileSync(path.join(BUNDLE, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('FracAtlas');
    expect(card).toContain('CC BY 4.0');
    expect(card).toMatch(/not for clinical use/i);
    for (const key of [
      'fractureAuroc',
      'implantAuroc',
      'fractureAurocRegionRaw',
      'fractureAurocRegionRelative',
      'roiOnFractureRelative',
      'pixelAurocRaw',
    ]) {
      const value = metrics[key];
      expect(Number.isFinite(value), key).toBe(true);
      const shown = key.startsWith('roi') ? `${(value * 100).toFixed(1)}%` : value.toFixed(3);
      expect(card, `${key} ${shown}`).toContain(shown);
    }
  });

  it('names the body region of real validation radiographs, 6 of each, far better than chance', async () => {
    const runner = await OrtClassifierRunner.create(
      ort,
      {
        name: manifest.classifier!.variants.int8!.path,
        model: new Uint8Array(
          readFileSync(path.join(BUNDLE, manifest.classifier!.variants.int8!.path)),
        ),
      },
      { channels: 3, size: manifest.input.imageSize },
    );
    const labels = readFileSync(dataPath('fracatlas', 'labels.csv'), 'utf8').trim().split('\n');
    const columns = labels[0].split(',');
    const regions = ['hand', 'leg', 'hip', 'shoulder'];
    // The first 6 validation images (numbers divisible by 5) of each region, with one region.
    const single = labels
      .slice(1)
      .map((row) => row.split(','))
      .filter((cells) => Number(cells[0].replace(/\D/g, '')) % 5 === 0)
      .map((cells) => ({
        id: cells[0],
        flags: regions.map((r) => Number(cells[columns.indexOf(r)])),
      }))
      .filter((c) => c.flags.reduce((a, b) => a + b, 0) === 1);
    const cases = regions.flatMap((_, r) => single.filter((c) => c.flags[r]).slice(0, 6));
    expect(cases).toHaveLength(24);
    let right = 0;
    for (const c of cases) {
      const image = await openImage(
        c.id,
        new Uint8Array(readFileSync(dataPath('fracatlas', 'images', c.id))),
      );
      const logits = await runner.classify(preprocess(image, manifest.input).pixelValues, 1);
      const scores = headScores(logits, manifest.classifier!.heads);
      const region = scores.filter((s) => s.head === 'region');
      expect(region.reduce((a, s) => a + s.probability, 0)).toBeCloseTo(1, 5);
      const top = region.reduce((a, b) => (b.probability > a.probability ? b : a));
      if (c.flags[regions.indexOf(top.label)]) right++;
    }
    await runner.release();
    // Chance is 6 of 24; the whole validation split gives about 86% (MODEL_CARD.md).
    expect(right).toBeGreaterThanOrEqual(15);
  });
});
