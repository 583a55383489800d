/** `skelex convert CKPT_DIR --out BUNDLE_DIR [--variants fp32,int8,...]` */
import path from 'node:path';
import { openDirectoryByteSources } from '../lib/convert/byte-source-node';
import { openCheckpointFolder } from '../lib/convert/checkpoint-folder';
import { ALL_VARIANTS, convertCheckpoint } from '../lib/convert/convert';
import { FolderBundleSink } from '../lib/convert/bundle-sink-node';
import type { VariantName } from '../lib/model/manifest';
import { parseCommandArgs, usageError } from './command-args';
import { progressBar } from './progress';

export const CONVERT_USAGE = `usage: skelex convert CKPT_DIR --out BUNDLE_DIR [options]

Turns a Hugging Face ViTMAEForPreTraining or ViTForImageClassification checkpoint folder
(config.json, model.safetensors or pytorch_model.bin, preprocessor_config.json) into a model
bundle: model.json and ONNX graphs.

options:
  --out DIR         the bundle folder to write
  --variants LIST   comma-separated: fp32, fp16, int8, q4 (default fp32)
  --name NAME       the bundle's name (default: the checkpoint folder's name)
  --license L       the licence recorded in model.json
  --version V       the version recorded in model.json
  -h, --help        this help
`;

export async function convert(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('convert', CONVERT_USAGE, args, {
    out: { type: 'string' },
    variants: { type: 'string', default: 'fp32' },
    name: { type: 'string' },
    license: { type: 'string' },
    version: { type: 'string' },
  });
  const [checkpointDir] = positionals;
  const outDir = values.out;
  if (!checkpointDir) usageError('convert', 'no CKPT_DIR given', CONVERT_USAGE);
  if (positionals.length > 1) usageError('convert', 'one CKPT_DIR at a time', CONVERT_USAGE);
  if (!outDir) usageError('convert', '--out BUNDLE_DIR is required', CONVERT_USAGE);
  const variants = values.variants.split(',').map((v) => v.trim()) as VariantName[];
  const unknown = variants.filter((v) => !ALL_VARIANTS.includes(v));
  if (unknown.length > 0) {
    usageError(
      'convert',
      `unknown variant ${unknown.join(', ')} (known: ${ALL_VARIANTS.join(', ')})`,
      CONVERT_USAGE,
    );
  }
  const listing = await openDirectoryByteSources(checkpointDir).catch(
    (error: NodeJS.ErrnoException) => {
      throw new Error(`${checkpointDir}: cannot read the folder (${error.code ?? error.message})`);
    },
  );
  let sink: FolderBundleSink | undefined;
  try {
    const checkpoint = await openCheckpointFolder(listing.files, checkpointDir);
    sink = await FolderBundleSink.create(outDir);
    // Quantisers are loaded only when a variant beyond fp32 is asked for.
    const makeVariant = variants.some((v) => v !== 'fp32')
      ? (await import('../lib/convert/variants')).makeVariant
      : undefined;
    const manifest = await convertCheckpoint(checkpoint, sink, {
      variants,
      makeVariant,
      name: values.name ?? path.basename(path.resolve(checkpointDir)),
      license: values.license,
      version: values.version,
      source: path.basename(path.resolve(checkpointDir)),
      onProgress: (() => {
        const bar = progressBar('convert');
        return ({ stage, fraction }) => bar(stage, fraction);
      })(),
    });
    await sink.commit();
    process.stderr.write(`wrote ${outDir} (${manifest.name}: ${variants.join(', ')})\n`);
    return 0;
  } catch (error) {
    await sink?.abort();
    throw error;
  } finally {
    await listing.close();
  }
}
