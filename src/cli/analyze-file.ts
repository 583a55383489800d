/**
 * One radiograph through a bundle's MAE (and its classifier when it has one)
 * on onnxruntime-node, with the app's own code (preprocess, analyzeImage,
 * mapViews, headScores), so the numbers equal the app's: its summary row, and
 * the overlay and map pictures at the image's own size.
 */
import { readFile } from 'node:fs/promises';
import { encode } from 'fast-png';
import { percentile } from '../lib/imaging/colormaps';
import { toModelGray8 } from '../lib/imaging/modality';
import { openImage } from '../lib/imaging/open';
import { composeOverlay } from '../lib/imaging/overlay';
import { mapToSource, preprocess } from '../lib/imaging/preprocess';
import { analyzeImage, type MaskSchedule } from '../lib/mae/analyze';
import { mapViews, type MapKind } from '../lib/mae/map-views';
import { headScores } from '../lib/model/heads';
import type { SummaryRow } from '../lib/report/summary';
import type { BundleRunners } from './bundle-runners';

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

/** RGBA pixels as a PNG file's bytes. */
export function png(rgba: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: rgba, channels: 4, depth: 8 });
}
