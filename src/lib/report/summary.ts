/**
 * summary.csv, as DESIGN.md fixes it: one row a file with
 *   file, ok, error, width, height, mean_error, top1_error, roi_x, roi_y, roi_w, roi_h
 * (the region in the original image's pixels), then one column a classifier
 * output named `head/label`. The command line and the app's batch export share it.
 */
import type { HeadScore } from '../model/heads';
import type { Rect } from '../imaging/preprocess';

export const SUMMARY_COLUMNS = [
  'file',
  'ok',
  'error',
  'width',
  'height',
  'mean_error',
  'top1_error',
  'roi_x',
  'roi_y',
  'roi_w',
  'roi_h',
] as const;

export interface SummaryRow {
  file: string;
  ok: boolean;
  error?: string;
  width?: number;
  height?: number;
  meanError?: number;
  top1Error?: number;
  roi?: Rect;
  heads?: HeadScore[];
}

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' && !Number.isFinite(value) ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The whole file: header, then the rows; head columns in the order the first row with heads gives. */
export function summaryCsv(rows: readonly SummaryRow[]): string {
  const headColumns = rows.find((r) => r.heads)?.heads?.map((h) => h.column) ?? [];
  const lines = [[...SUMMARY_COLUMNS, ...headColumns].map(csvField).join(',')];
  for (const r of rows) {
    const probabilities = new Map(r.heads?.map((h) => [h.column, h.probability]));
    const cells = [
      r.file,
      r.ok,
      r.error,
      r.width,
      r.height,
      r.meanError,
      r.top1Error,
      r.roi?.x,
      r.roi?.y,
      r.roi?.width,
      r.roi?.height,
      ...headColumns.map((c) => probabilities.get(c)),
    ];
    lines.push(cells.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}
