/**
 * The model maths against PyTorch, not only against the project's own
 * TypeScript reference: the training recipe's MAE and classifier (Hugging
 * Face's forward, models/demo-training) with small random weights, their
 * checkpoints and outputs committed in tests/fixtures/golden by
 * tools/make-torch-golden.py. Each checkpoint goes through the project's
 * converter into every variant, and each variant runs on onnxruntime-node and
 * onnxruntime-web (WASM) against PyTorch's numbers: fp32 to float rounding,
 * the lower precisions within what their rounding allows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBundleSink } from '../../src/lib/convert/bundle-sink';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../../src/lib/convert/convert';
import { makeVariant } from '../../src/lib/convert/variants/index.ts';
import type { BundleManifest, VariantName } from '../../src/lib/model/manifest';
import { PROJECT_ROOT } from '../helpers/data';
import { BACKENDS, float32Tensor, int64Tensor, maxAbsDiff, runModel } from '../helpers/ort';

const GOLDEN = path.join(PROJECT_ROOT, 'tests/fixtures/golden');
const VARIANTS: VariantName[] = ['fp32', 'fp16', 'int8', 'q4'];

interface Stored {
  dims: number[];
  base64: string;
}
const golden = JSON.parse(readFileSync(path.join(GOLDEN, 'golden.json'), 'utf8')) as Record<
  'pixelValues' | 'noise' | 'latent' | 'logits' | 'classifierLogits',
  Stored
> & { idsKeep: number[][]; idsRestore: number[][] };

function floats(stored: Stored): Float32Array {
  const bytes = Buffer.from(stored.base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Largest error relative to the largest magnitude of the expected values. */
function relativeError(got: Float32Array, want: Float32Array): number {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(got, want) / scale;
}

/** How far each variant may be from PyTorch (relative to the output's largest value): measured
 *  here with margin; fp32 differs from PyTorch only in the order of float additions. */
const TOLERANCE: Record<VariantName, number> = { fp32: 1e-5, fp16: 5e-3, int8: 0.05, q4: 0.3 };

async function convert(folder: string) {
  const listing = await openDirectoryByteSources(path.join(GOLDEN, folder));
  const sink = new MemoryBundleSink();
  try {
    const checkpoint = await openCheckpointFolder(listing.files, folder);
    const manifest = await convertCheckpoint(checkpoint, sink, {
      variants: VARIANTS,
      makeVariant,
      name: folder,
    });
    const bytes = async (file: string) => new Uint8Array(await sink.files.get(file)!.arrayBuffer());
    return { manifest, bytes };
  } finally {
    await listing.close();
  }
}

const pixels = float32Tensor(golden.pixelValues.dims, floats(golden.pixelValues));

describe('converted graphs against PyTorch (training recipe, HF forward)', () => {
  it('keeps and restores the patches PyTorch does for the same noise (HF random_masking)', () => {
    const noise = floats(golden.noise);
    const [batch, patches] = golden.noise.dims;
    for (let b = 0; b < batch; b++) {
      const row = Array.from(noise.subarray(b * patches, (b + 1) * patches));
      const shuffle = row
        .map((v, i) => [v, i])
        .sort((x, y) => x[0] - y[0])
        .map(([, i]) => i);
      expect(shuffle.slice(0, golden.idsKeep[b].length)).toEqual(golden.idsKeep[b]);
      const restore = new Array<number>(patches);
      shuffle.forEach((patch, position) => (restore[patch] = position));
      expect(restore).toEqual(golden.idsRestore[b]);
    }
  });

  it.each(BACKENDS)(
    'MAE encoder and decoder, every variant, on %s',
    async (backend) => {
      const { manifest, bytes } = await convert('mae');
      const errors: string[] = [];
      for (const variant of VARIANTS) {
        const files = (manifest as BundleManifest).variants![variant]!;
        const { latent } = await runModel(backend, await bytes(files.encoder.path), {
          pixel_values: pixels,
          ids_keep: int64Tensor(golden.idsKeep),
        });
        expect(latent.dims).toEqual(golden.latent.dims);
        const { logits } = await runModel(backend, await bytes(files.decoder.path), {
          latent: float32Tensor(latent.dims, latent.data),
          ids_restore: int64Tensor(golden.idsRestore),
        });
        expect(logits.dims).toEqual(golden.logits.dims);
        const latentError = relativeError(latent.data, floats(golden.latent));
        const logitsError = relativeError(logits.data, floats(golden.logits));
        errors.push(
          `${variant}: latent ${latentError.toExponential(2)}, logits ${logitsError.toExponential(2)}`,
        );
        expect(latentError, `${variant} latent`).toBeLessThan(TOLERANCE[variant]);
        expect(logitsError, `${variant} logits`).toBeLessThan(TOLERANCE[variant]);
      }
      console.info(`MAE against PyTorch (${backend}): ${errors.join('; ')}`);
    },
    120_000,
  );

  it.each(BACKENDS)(
    'classifier, every variant, on %s',
    async (backend) => {
      const { manifest, bytes } = await convert('classifier');
      const want = floats(golden.classifierLogits);
      const errors: string[] = [];
      for (const variant of VARIANTS) {
        const file = (manifest as BundleManifest).classifier!.variants[variant]!;
        const { logits } = await runModel(backend, await bytes(file.path), {
          pixel_values: pixels,
        });
        expect(logits.dims).toEqual(golden.classifierLogits.dims);
        const error = relativeError(logits.data, want);
        errors.push(`${variant} ${error.toExponential(2)}`);
        expect(error, variant).toBeLessThan(TOLERANCE[variant]);
      }
      console.info(`classifier against PyTorch (${backend}): ${errors.join('; ')}`);
    },
    120_000,
  );
});
