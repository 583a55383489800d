/** The DICOMDIRs among opened files, read into each listed file's study and series. */
import { readDicomDir } from '../../lib/dicom/dicomdir';
import type { PickedFile } from '../files';
import { groupsFromDicomDir, mediaKey, type RecordGroup } from './groups';

/** A CD's index file, read for the study tree rather than opened as an image. */
export function isDicomDir(path: string): boolean {
  return path.slice(path.lastIndexOf('/') + 1).toUpperCase() === 'DICOMDIR';
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

export interface IndexReading {
  /** Each listed file's place, by mediaKey of its path. */
  groups: Map<string, RecordGroup>;
  /** What the user should know: an index that could not be read, files it lists that are absent. */
  notes: string[];
}

/** Reads every index; a broken one becomes a note, and its files are grouped by their tags later. */
export async function readIndexes(
  indexes: PickedFile[],
  images: PickedFile[],
): Promise<IndexReading> {
  const groups = new Map<string, RecordGroup>();
  const notes: string[] = [];
  const opened = new Set(images.map((i) => mediaKey(i.path)));
  for (const { file, path } of indexes) {
    try {
      const listed = groupsFromDicomDir(
        path,
        readDicomDir(new Uint8Array(await file.arrayBuffer()), path),
      );
      for (const [key, group] of listed) groups.set(key, group);
      const missing = [...listed.keys()].filter((k) => !opened.has(k)).length;
      if (missing > 0)
        notes.push(
          `${path} lists ${missing} file${missing === 1 ? '' : 's'} that ${missing === 1 ? 'is' : 'are'} not in the opened folder.`,
        );
    } catch (error) {
      notes.push(`${reason(error)}. Its files are grouped by their own tags instead.`);
    }
  }
  return { groups, notes };
}
