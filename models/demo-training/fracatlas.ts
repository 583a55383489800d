/**
 * FracAtlas as the demo recipes read it from ../shared/data (or $SKELEX_DATA):
 * labels.csv rows, the fixed validation split, and the fracture annotations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DATA =
  process.env.SKELEX_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const ROOT = path.join(DATA, 'fracatlas');

export interface AtlasImage {
  id: string;
  file: string;
  /** labels.csv flags and sizes by column name. */
  labels: Record<string, number>;
}

export interface Fracture {
  /** [x, y, width, height] in the file's pixels. */
  box: [number, number, number, number];
  /** Polygons as flat [x0, y0, x1, y1, ...] lists. */
  polygons: number[][];
}

/** The fixed validation split: every image whose number is a multiple of 5 (as train_mae.py). */
export function isValidation(id: string): boolean {
  return Number(id.replace(/\D/g, '')) % 5 === 0;
}

export function readAtlas(): AtlasImage[] {
  let text: string;
  try {
    text = readFileSync(path.join(ROOT, 'labels.csv'), 'utf8');
  } catch {
    throw new Error(`${ROOT}/labels.csv not found: set SKELEX_DATA to the shared data folder`);
  }
  const [header, ...rows] = text.trim().split('\n');
  const columns = header.split(',');
  return rows.map((row) => {
    const cells = row.split(',');
    const labels = Object.fromEntries(columns.slice(1).map((c, i) => [c, Number(cells[i + 1])]));
    return { id: cells[0], file: path.join(ROOT, 'images', cells[0]), labels };
  });
}

/** Fractures by image file name. */
export function readFractures(): Map<string, Fracture[]> {
  const coco = JSON.parse(readFileSync(path.join(ROOT, 'fractures.coco.json'), 'utf8')) as {
    images: { id: number; file_name: string }[];
    annotations: { image_id: number; bbox: number[]; segmentation: number[][] }[];
  };
  const names = new Map(coco.images.map((i) => [i.id, i.file_name]));
  const out = new Map<string, Fracture[]>();
  for (const a of coco.annotations) {
    const name = names.get(a.image_id);
    if (!name) continue;
    const list = out.get(name) ?? [];
    list.push({ box: a.bbox as Fracture['box'], polygons: a.segmentation });
    out.set(name, list);
  }
  return out;
}
