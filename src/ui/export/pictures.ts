/**
 * PNG pictures for export, drawn on canvases in the page: the error map over
 * the radiograph with a colour bar and its values, and the SKELEX panel
 * (original, masked, reconstruction, reconstruction with visible patches).
 */
import {
  colormapTable,
  niceTicks,
  tickLabel,
  type ColormapName,
} from '../../lib/imaging/colormaps';
import { toModelGray8 } from '../../lib/imaging/modality';
import { composeOverlay } from '../../lib/imaging/overlay';
import { mapToSource, type Rect } from '../../lib/imaging/preprocess';
import type { EngineAnalysis } from '../../lib/engine/protocol';
import type { Radiograph } from '../../lib/imaging/radiograph';
import { grayToRgba, maskGray, planesToGray } from '../analysis/pixels';

function canvasOf(width: number, height: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw on a canvas');
  return [canvas, context];
}

function png(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))),
      'image/png',
    ),
  );
}

export interface OverlayPictureOptions {
  map: 'raw' | 'relative';
  lo: number;
  hi: number;
  colormap: ColormapName;
  opacity: number;
  roi?: Rect;
}

/** The image with the map over it at full resolution, and a colour bar with its values on the right. */
export function overlayPng(
  radiograph: Radiograph,
  analysis: EngineAnalysis,
  options: OverlayPictureOptions,
): Promise<Blob> {
  const { width, height } = radiograph;
  const values = mapToSource(
    analysis.geometry,
    options.map === 'relative' ? analysis.relativeMap : analysis.map,
  );
  if (options.map === 'raw' && analysis.counts.includes(0)) {
    // Pixels no pass masked have no error: leave the image visible there.
    const measured = mapToSource(
      analysis.geometry,
      Float32Array.from(analysis.counts, (c) => (c > 0 ? 1 : 0)),
    );
    for (let i = 0; i < values.length; i++) if (measured[i] < 0.5) values[i] = NaN;
  }
  const rgba = composeOverlay(toModelGray8(radiograph), width, height, values, options);
  const bar = Math.max(64, Math.round(width * 0.1));
  const [canvas, context] = canvasOf(width + bar, height);
  context.fillStyle = '#000';
  context.fillRect(0, 0, width + bar, height);
  context.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  drawColourBar(context, width, height, bar, options);
  return png(canvas);
}

/** A vertical colour bar (high at the top) with tick values, in the strip right of the image. */
function drawColourBar(
  context: CanvasRenderingContext2D,
  left: number,
  height: number,
  strip: number,
  options: OverlayPictureOptions,
): void {
  const table = colormapTable(options.colormap);
  const steps = table.length / 3;
  const top = Math.round(height * 0.1);
  const barHeight = Math.round(height * 0.8);
  const barWidth = Math.max(8, Math.round(strip * 0.25));
  const x = left + Math.round(strip * 0.12);
  for (let y = 0; y < barHeight; y++) {
    const k = Math.round((1 - y / Math.max(1, barHeight - 1)) * (steps - 1)) * 3;
    context.fillStyle = `rgb(${table[k]},${table[k + 1]},${table[k + 2]})`;
    context.fillRect(x, top + y, barWidth, 1);
  }
  const font = Math.max(10, Math.round(strip * 0.16));
  context.font = `${font}px sans-serif`;
  context.fillStyle = '#fff';
  context.textBaseline = 'middle';
  const span = options.hi - options.lo;
  for (const tick of niceTicks(options.lo, options.hi, 5)) {
    const y = top + (span > 0 ? (1 - (tick - options.lo) / span) * (barHeight - 1) : barHeight);
    context.fillRect(x + barWidth, Math.round(y), 4, 1);
    context.fillText(tickLabel(tick), x + barWidth + 6, y, strip - barWidth - 8);
  }
}

/** The four SKELEX pictures of one pass side by side, labelled. */
export function skelexPanelPng(
  analysis: EngineAnalysis,
  pass: number,
  fill: number,
): Promise<Blob> {
  const chosen = analysis.passes[pass];
  if (!chosen) throw new Error('this analysis kept no pass pictures: run it again');
  const size = analysis.size;
  const tiles: [string, Uint8ClampedArray<ArrayBuffer>][] = [
    ['original', grayToRgba(analysis.gray)],
    ['masked', grayToRgba(maskGray(analysis.gray, size, chosen.masked, fill))],
    ['reconstruction', grayToRgba(planesToGray(chosen.reconstruction, size))],
    ['reconstruction + visible', grayToRgba(planesToGray(chosen.reconstructionWithVisible, size))],
  ];
  const gap = 8;
  const caption = 20;
  const [canvas, context] = canvasOf(
    tiles.length * size + (tiles.length - 1) * gap,
    size + caption,
  );
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.font = '13px sans-serif';
  context.fillStyle = '#000';
  context.textBaseline = 'middle';
  tiles.forEach(([label, rgba], i) => {
    const x = i * (size + gap);
    context.putImageData(new ImageData(rgba, size, size), x, 0);
    context.fillText(label, x + 2, size + caption / 2, size - 4);
  });
  return png(canvas);
}
