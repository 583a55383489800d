/**
 * `skelex analyze INPUT... --model BUNDLE_DIR --out DIR [--passes N]
 *  [--schedule complementary|random] [--seed S] [--map raw|relative]
 *  [--variant V] [--json]`
 *
 * Each radiograph through the bundle's MAE on onnxruntime-node, with the
 * app's own code (preprocess, analyzeImage, mapViews, headScores), so the numbers equal the app's. Writes, in
 * DIR, for every image `NAME.overlay.png` (the image with the chosen map and
 * its region outlined) and `NAME.map.png` (the map alone, same size), and
 * `summary.csv` for all of them (DESIGN.md). A bad file gets `ok: false` and
 * a one-line reason; the others go on. Progress goes to stderr; `--json`
 * prints one JSON object a file on stdout.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode } from 'fast-png';
import { percentile } from '../../src/lib/imaging/colormaps';
import { toModelGray8 } from '../../src/lib/imaging/modality';
import { openImage } from '../../src/lib/imaging/open';
import { composeOverlay } from '../../src/lib/imaging/overlay';
import { mapToSource, preprocess } from '../../src/lib/imaging/preprocess';
import { analyzeImage, DEFAULT_PASSES, type MaskSchedule } from '../../src/lib/mae/analyze';
import { mapViews, type MapKind } from '../../src/lib/mae/map-views';
import { headScores } from '../../src/lib/model/heads';
import type { VariantName } from '../../src/lib/model/manifest';
import { summaryCsv, type SummaryRow } from '../../src/lib/report/summary';
import { parseArgs } from './args';
import { openBundleRunners, type BundleRunners } from './bundle-runners';
import { expandInputs } from './files';
import { progressBar } from './progress';

export const ANALYZE_USAGE =
  'usage: skelex analyze INPUT... --model BUNDLE_DIR --out DIR [--passes N] [--schedule complementary|random] [--seed S] [--map raw|relative] [--variant fp32|fp16|int8|q4] [--json]';

export interface AnalyzeSettings {
  schedule: MaskSchedule;
  passes: number;
  seed: number;
  map: MapKind;
}

/** What one file gives: its summary row, and the pictures to write when it worked. */
export interface FileAnalysis {
  row: SummaryRow;
  overlay?: { rgba: Uint8Array; map: Uint8Array; width: number; height: number };
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** One file through the MAE (and the classifier when the bundle has one). */
export async function analyzeFile(
  file: string,
  runners: BundleRunners,
  settings: AnalyzeSettings,
): Promise<FileAnalysis> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      row: { file, ok: false, error: `${file}: cannot read the file (${code ?? message(error)})` },
    };
  }
  try {
    const { manifest, spec, mae, classifier } = runners;
    const radiograph = await openImage(file, bytes);
    const input = preprocess(radiograph, manifest.input);
    const result = await analyzeImage(mae, input, spec, {
      schedule: settings.schedule,
      passes: settings.passes,
      seed: settings.seed,
      maskRatio: manifest.mae!.maskRatio,
    });
    const views = mapViews(result, input.gray, input.geometry, spec);
    const map = settings.map === 'relative' ? views.relative.map : result.map;
    const roi = views.roi[settings.map];
    const heads = classifier
      ? headScores(await classifier.classify(input.pixelValues, 1), manifest.classifier!.heads)
      : undefined;
    // The pictures: the map at the image's own size, scaled 0..99th percentile as the app does.
    const full = mapToSource(input.geometry, map);
    const hi = Math.max(percentile(full, 99), 1e-12);
    const gray = toModelGray8(radiograph);
    const { width, height } = radiograph;
    const colourOnly = composeOverlay(new Uint8Array(width * height), width, height, full, {
      lo: 0,
      hi,
      colormap: 'inferno',
      opacity: 1,
    });
    const rgba = composeOverlay(gray, width, height, full, {
      lo: 0,
      hi,
      colormap: 'inferno',
      opacity: 0.5,
      roi: roi.box,
    });
    return {
      row: {
        file,
        ok: true,
        width,
        height,
        meanError: result.meanError,
        top1Error: result.top1Error,
        roi: roi.box,
        heads,
      },
      overlay: { rgba, map: colourOnly, width, height },
    };
  } catch (error) {
    return { row: { file, ok: false, error: message(error) } };
  }
}

/** Output names from input names, made unique (a.dcm, a.dcm in two folders -> a, a-2). */
function outputNames(files: string[]): string[] {
  const used = new Map<string, number>();
  return files.map((file) => {
    const base = path.basename(file).replace(/\.[^.]+$/, '') || 'image';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

async function writeAtomically(target: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${target}.partial`, data);
  await rename(`${target}.partial`, target);
}

function png(rgba: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: rgba, channels: 4, depth: 8 });
}

export async function analyze(args: string[], out: (line: string) => void): Promise<number> {
  const parsed = parseArgs(args, [
    '--model',
    '--out',
    '--passes',
    '--schedule',
    '--seed',
    '--map',
    '--variant',
  ]);
  const unknown = [...parsed.flags].filter((f) => f !== '--json');
  if (unknown.length > 0) {
    process.stderr.write(`skelex analyze: unknown option ${unknown[0]}\n${ANALYZE_USAGE}\n`);
    return 2;
  }
  const json = parsed.flags.has('--json');
  const bundle = parsed.options.get('--model');
  const outDir = parsed.options.get('--out');
  if (parsed.positional.length === 0 || !bundle || !outDir) {
    process.stderr.write(ANALYZE_USAGE + '\n');
    return 2;
  }
  const schedule = (parsed.options.get('--schedule') ?? 'complementary') as MaskSchedule;
  const map = (parsed.options.get('--map') ?? 'raw') as MapKind;
  const passes = Number(parsed.options.get('--passes') ?? DEFAULT_PASSES[schedule]);
  const seed = Number(parsed.options.get('--seed') ?? 0);
  const problems = [
    schedule !== 'complementary' &&
      schedule !== 'random' &&
      `--schedule must be complementary or random`,
    map !== 'raw' && map !== 'relative' && `--map must be raw or relative`,
    !(Number.isInteger(passes) && passes >= 1 && passes <= 256) &&
      `--passes must be a whole number from 1 to 256`,
    !Number.isInteger(seed) && `--seed must be a whole number`,
  ].filter(Boolean);
  if (problems.length > 0) {
    process.stderr.write(`skelex analyze: ${problems[0]}\n${ANALYZE_USAGE}\n`);
    return 2;
  }
  const runners = await openBundleRunners(
    bundle,
    parsed.options.get('--variant') as VariantName | undefined,
  );
  await mkdir(outDir, { recursive: true });
  const files = await expandInputs(parsed.positional);
  const names = outputNames(files);
  const bar = progressBar('analyze');
  const rows: SummaryRow[] = [];
  try {
    for (const [i, file] of files.entries()) {
      bar(path.basename(file), i / files.length);
      const { row, overlay } = await analyzeFile(file, runners, { schedule, passes, seed, map });
      rows.push(row);
      if (overlay) {
        const { rgba, map: colours, width, height } = overlay;
        await writeAtomically(
          path.join(outDir, `${names[i]}.overlay.png`),
          png(rgba, width, height),
        );
        await writeAtomically(
          path.join(outDir, `${names[i]}.map.png`),
          png(colours, width, height),
        );
      }
      if (json) out(JSON.stringify(row));
    }
    bar('done', 1);
    await writeAtomically(path.join(outDir, 'summary.csv'), summaryCsv(rows));
  } finally {
    await runners.mae.release();
    await runners.classifier?.release();
  }
  const failed = rows.filter((r) => !r.ok).length;
  process.stderr.write(
    `analysed ${rows.length - failed} of ${rows.length} files with ${runners.manifest.name} (${runners.variant}, ${schedule} ${passes} passes, ${map} map); wrote ${path.join(outDir, 'summary.csv')}\n`,
  );
  return failed > 0 ? 1 : 0;
}
