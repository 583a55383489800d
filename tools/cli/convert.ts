/** `skelex convert CKPT_DIR --out BUNDLE_DIR [--variants fp32,int8,...]` */
import path from 'node:path';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { ALL_VARIANTS, convertCheckpoint } from '../../src/lib/convert/convert';
import { FolderBundleSink } from '../../src/lib/convert/bundle-sink-node';
import type { VariantName } from '../../src/lib/model/manifest';
import { parseArgs } from './args';
import { progressBar } from './progress';

export const CONVERT_USAGE =
  'usage: skelex convert CKPT_DIR --out BUNDLE_DIR [--variants fp32,fp16,int8,q4] [--name NAME] [--license LICENSE]';

export async function convert(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--out', '--variants', '--name', '--license', '--version']);
  const [checkpointDir] = parsed.positional;
  const outDir = parsed.options.get('--out');
  if (!checkpointDir || !outDir || parsed.positional.length > 1) {
    process.stderr.write(CONVERT_USAGE + '\n');
    return 2;
  }
  const variants = (parsed.options.get('--variants') ?? 'fp32')
    .split(',')
    .map((v) => v.trim()) as VariantName[];
  const unknown = variants.filter((v) => !ALL_VARIANTS.includes(v));
  if (unknown.length > 0) {
    process.stderr.write(
      `skelex convert: unknown variant ${unknown.join(', ')} (known: ${ALL_VARIANTS.join(', ')})\n`,
    );
    return 2;
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
      ? (await import('../../src/lib/convert/variants')).makeVariant
      : undefined;
    const manifest = await convertCheckpoint(checkpoint, sink, {
      variants,
      makeVariant,
      name: parsed.options.get('--name') ?? path.basename(path.resolve(checkpointDir)),
      license: parsed.options.get('--license'),
      version: parsed.options.get('--version'),
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
