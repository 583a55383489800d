/**
 * `skelex convert` end to end: checkpoint folders written by the tests (F32,
 * F16, BF16 safetensors, a PyTorch .bin, a classifier, norm_pix_loss) become
 * bundles whose ONNX outputs match the independent reference forward pass,
 * and bad input fails with one line and leaves no output folder behind.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSkelex, type CliResult } from '../helpers/cli';
import { validateManifest, type BundleManifest } from '../../src/lib/model/manifest';
import {
  float32FromBits,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  hostilePickle,
  writeZip,
} from '../helpers/checkpoint-writer';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import { float32Tensor, int64Tensor, maxAbsDiff, runModel } from '../helpers/ort';
import {
  flatten,
  maeDecoder,
  maeEncoder,
  randomClassifierWeights,
  randomMaeWeights,
  randomMasking,
  randomNoise,
  randomPixels,
  vitClassifier,
  type HfVitConfig,
  type RefWeights,
  SMALL_MAE_CONFIG,
} from '../helpers/reference-vit';

const work = mkdtempSync(path.join(tmpdir(), 'skelex-convert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MAE: HfVitConfig = SMALL_MAE_CONFIG;

/** Weights rounded as a lower-precision checkpoint stores them, so the reference sees the same values. */
function rounded(
  weights: RefWeights,
  toBits: (v: number) => number,
  fromBits: (b: number) => number,
): RefWeights {
  const out: RefWeights = new Map();
  for (const [name, t] of weights)
    out.set(name, { shape: t.shape, data: t.data.map((v) => fromBits(toBits(v))) });
  return out;
}

/** IEEE half to number, written here so the test does not lean on the reader it checks. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

async function convertFolder(
  name: string,
  args: string[] = [],
): Promise<{ out: string; result: CliResult }> {
  const out = path.join(work, `${name}-bundle`);
  const result = await runSkelex(['convert', path.join(work, name), '--out', out, ...args]);
  return { out, result };
}

function readManifest(out: string): BundleManifest {
  const manifest = validateManifest(JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')));
  // Every listed file exists with the size and hash model.json gives.
  for (const variant of Object.values(manifest.variants ?? {})) {
    for (const file of [variant.encoder, variant.decoder]) {
      const bytes = readFileSync(path.join(out, file.path));
      expect(bytes.length).toBe(file.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    }
  }
  return manifest;
}

/** Runs the bundle's fp32 encoder and decoder and returns the worst error against the reference. */
async function maeError(out: string, weights: RefWeights): Promise<number> {
  const manifest = readManifest(out);
  const pixels = randomPixels(MAE, 2, 7);
  const masking = randomMasking(randomNoise(2, 16, 8), 0.75);
  const latentRef = maeEncoder(MAE, weights, pixels, masking.idsKeep);
  const logitsRef = maeDecoder(MAE, weights, latentRef, masking.idsRestore);
  const fp32 = manifest.variants!.fp32!;
  const { latent } = await runModel('node', path.join(out, fp32.encoder.path), {
    pixel_values: float32Tensor([2, 3, 32, 32], pixels),
    ids_keep: int64Tensor(masking.idsKeep),
  });
  const { logits } = await runModel('node', path.join(out, fp32.decoder.path), {
    latent: float32Tensor(latent.dims, latent.data),
    ids_restore: int64Tensor(masking.idsRestore),
  });
  return Math.max(
    maxAbsDiff(latent.data, flatten(latentRef)),
    maxAbsDiff(logits.data, flatten(logitsRef)),
  );
}

describe('skelex convert', () => {
  const weights = randomMaeWeights(MAE, 11);

  it('turns an F32 safetensors MAE into a bundle that matches the reference', async () => {
    writeHfCheckpoint(path.join(work, 'mae-f32'), {
      architecture: 'ViTMAEForPreTraining',
      config: MAE,
      weights,
      preprocessor: {
        image_mean: [0.485, 0.456, 0.406],
        image_std: [0.229, 0.224, 0.225],
        resample: 3,
      },
    });
    const { out, result } = await convertFolder('mae-f32');
    expect(result.stderr).toContain('convert');
    expect(result.code).toBe(0);
    const manifest = readManifest(out);
    expect(manifest.input).toMatchObject({
      imageSize: 32,
      patchSize: 8,
      channels: 3,
      resample: 'bicubic',
    });
    expect(manifest.input.mean).toEqual([0.485, 0.456, 0.406]);
    expect(manifest.mae).toEqual({ maskRatio: 0.75, normPixLoss: false });
    expect(await maeError(out, weights)).toBeLessThanOrEqual(1e-4);
  });

  it.each([
    ['F16', float32ToFloat16Bits, halfToNumber],
    ['BF16', float32ToBFloat16Bits, (b: number) => float32FromBits(b << 16)],
  ] as const)(
    'converts %s safetensors exactly as their values',
    async (dtype, toBits, fromBits) => {
      const exact = rounded(weights, toBits, fromBits);
      writeHfCheckpoint(path.join(work, `mae-${dtype}`), {
        architecture: 'ViTMAEForPreTraining',
        config: MAE,
        weights,
        dtype,
        extraConfig: { norm_pix_loss: true, mask_ratio: 0.5 },
      });
      const { out, result } = await convertFolder(`mae-${dtype}`);
      expect(result.code).toBe(0);
      expect(readManifest(out).mae).toEqual({ maskRatio: 0.5, normPixLoss: true });
      expect(await maeError(out, exact)).toBeLessThanOrEqual(1e-4);
    },
  );

  it('converts a PyTorch .bin classifier with its labels', async () => {
    const config: HfVitConfig = { ...MAE, num_labels: 3 };
    const classifierWeights = randomClassifierWeights(config, 5);
    writeHfCheckpoint(path.join(work, 'cls-bin'), {
      architecture: 'ViTForImageClassification',
      config,
      weights: classifierWeights,
      format: 'bin',
      extraConfig: { id2label: { 0: 'hand', 1: 'leg', 2: 'hip' } },
    });
    const { out, result } = await convertFolder('cls-bin');
    expect(result.code).toBe(0);
    const manifest = readManifest(out);
    expect(manifest.classifier!.heads).toEqual([
      { name: 'class', activation: 'softmax', outputs: [0, 1, 2], labels: ['hand', 'leg', 'hip'] },
    ]);
    const pixels = randomPixels(config, 2, 3);
    const { logits } = await runModel(
      'node',
      path.join(out, manifest.classifier!.variants.fp32!.path),
      {
        pixel_values: float32Tensor([2, 3, 32, 32], pixels),
      },
    );
    expect(
      maxAbsDiff(logits.data, flatten(vitClassifier(config, classifierWeights, pixels, 2))),
    ).toBeLessThanOrEqual(1e-4);
  });

  describe('bad input: one line naming the problem, exit 1, no output folder', () => {
    function checkpointWith(name: string, edit: (dir: string) => void): void {
      const dir = path.join(work, name);
      writeHfCheckpoint(dir, { architecture: 'ViTMAEForPreTraining', config: MAE, weights });
      edit(dir);
    }

    const cases: [string, (dir: string) => void, RegExp][] = [
      ['missing config', (dir) => rmSync(path.join(dir, 'config.json')), /config\.json/],
      [
        'unknown architecture',
        (dir) =>
          writeFileSync(
            path.join(dir, 'config.json'),
            JSON.stringify({ architectures: ['BertModel'], model_type: 'bert' }),
          ),
        /BertModel/,
      ],
      [
        'truncated safetensors',
        (dir) => {
          const file = path.join(dir, 'model.safetensors');
          writeFileSync(file, readFileSync(file).subarray(0, 5000));
        },
        /model\.safetensors/,
      ],
      [
        'shape mismatch',
        (dir) => {
          const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
          writeFileSync(
            path.join(dir, 'config.json'),
            JSON.stringify({ ...config, intermediate_size: 60 }),
          );
        },
        /intermediate\.dense\.weight.*shape/,
      ],
      [
        'a pickle naming os.system',
        (dir) => {
          rmSync(path.join(dir, 'model.safetensors'));
          const marker = path.join(work, 'pwned');
          const pickle = hostilePickle('os', 'system', `touch ${marker}`);
          writeFileSync(
            path.join(dir, 'pytorch_model.bin'),
            writeZip([{ name: 'archive/data.pkl', data: pickle }]),
          );
        },
        /os\.system/,
      ],
    ];

    it.each(cases)('%s', async (name, edit, message) => {
      const folder = name.replace(/\W+/g, '-');
      checkpointWith(folder, edit);
      const { out, result } = await convertFolder(folder);
      expect(result.code).toBe(1);
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('npm warn'));
      expect(lines.at(-1)).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(work).filter((f) => f.includes('.partial-'))).toEqual([]);
      expect(existsSync(path.join(work, 'pwned'))).toBe(false);
    });

    it('refuses to write into a folder that holds files', async () => {
      // Its own checkpoint, so that this test stands alone.
      const checkpoint = path.join(work, 'mae-for-occupied');
      writeHfCheckpoint(checkpoint, { architecture: 'ViTMAEForPreTraining', config: MAE, weights });
      const out = path.join(work, 'occupied');
      mkdirSync(out);
      writeFileSync(path.join(out, 'keep.txt'), 'mine');
      const result = await runSkelex(['convert', checkpoint, '--out', out]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not empty/);
      expect(readdirSync(out)).toEqual(['keep.txt']);
    });
  });
});
