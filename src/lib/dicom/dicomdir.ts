/**
 * DICOMDIR, the index of a DICOM CD or USB stick (PS3.3 F.3, PS3.10): a
 * sequence of directory records linked by byte offsets into a tree of
 * patients, studies, series and instances, each instance naming its file by
 * path components (Referenced File ID, e.g. DICOM\ST000001\SE000001\IM000001).
 *
 * Records are followed by their offsets (next record; first record one level
 * down), as the standard defines the tree, not by their order in the
 * sequence. Records marked not in use are skipped. A damaged offset, a loop or
 * a missing level is an error naming the file: the caller then reads the
 * files themselves.
 */
import type { DataSet } from 'dicom-parser';
import { parseDicomBytes } from './parse';

export interface DicomDirInstance {
  /** Record type: IMAGE, or another leaf (SR DOCUMENT, PRESENTATION, ...). */
  type: string;
  /** The file's path below the DICOMDIR's folder, as components. */
  fileId: string[];
  instanceNumber?: number;
  sopInstanceUid?: string;
}

export interface DicomDirSeries {
  uid: string;
  modality: string;
  number?: number;
  description: string;
  bodyPart: string;
  instances: DicomDirInstance[];
}

export interface DicomDirStudy {
  uid: string;
  /** YYYYMMDD as recorded, '' when absent. */
  date: string;
  description: string;
  id: string;
  series: DicomDirSeries[];
}

export interface DicomDirPatient {
  id: string;
  name: string;
  studies: DicomDirStudy[];
}

const DIRECTORY_RECORDS = 'x00041220';
const FIRST_ROOT_RECORD = 'x00041200';
const NEXT_RECORD = 'x00041400';
const IN_USE = 'x00041410';
const LOWER_LEVEL = 'x00041420';
const RECORD_TYPE = 'x00041430';
const FILE_ID = 'x00041500';
const SOP_INSTANCE_IN_FILE = 'x00041511';

const HIERARCHY = ['PATIENT', 'STUDY', 'SERIES'];

/** The most records followed, so that a damaged index cannot keep us busy. */
const MAX_RECORDS = 1_000_000;

const text = (ds: DataSet, tag: string) => (ds.string(tag) ?? '').replace(/\0/g, '').trim();
const integer = (ds: DataSet, tag: string) => {
  const value = Number.parseInt(text(ds, tag), 10);
  return Number.isFinite(value) ? value : undefined;
};

/** Reads a DICOMDIR; throws an Error naming `source` and what is wrong. */
export function readDicomDir(bytes: Uint8Array, source: string): DicomDirPatient[] {
  let dataSet: DataSet;
  try {
    dataSet = parseDicomBytes(bytes).dataSet;
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`, { cause: error });
  }
  const items = dataSet.elements[DIRECTORY_RECORDS]?.items;
  if (!items) throw new Error(`${source}: not a DICOMDIR (no Directory Record Sequence)`);
  // Each record by the offset of its item tag, which the links point at.
  const byOffset = new Map<number, DataSet>();
  for (const item of items) if (item.dataSet) byOffset.set(item.dataOffset - 8, item.dataSet);

  let followed = 0;
  /** The records of one level, from its first record's offset along the "next" links. */
  const level = (offset: number | undefined, where: string): DataSet[] => {
    const records: DataSet[] = [];
    const seen = new Set<number>();
    while (offset) {
      if (seen.has(offset) || ++followed > MAX_RECORDS)
        throw new Error(`${source}: directory records link in a loop (${where})`);
      seen.add(offset);
      const record = byOffset.get(offset);
      if (!record)
        throw new Error(
          `${source}: a link points at no directory record (offset ${offset}, ${where})`,
        );
      if (record.uint16(IN_USE) !== 0) records.push(record);
      offset = record.uint32(NEXT_RECORD);
    }
    return records;
  };
  const below = (record: DataSet, where: string) => level(record.uint32(LOWER_LEVEL), where);
  const typeOf = (record: DataSet) => text(record, RECORD_TYPE).toUpperCase();
  /** The records of a level that are of `type`; other record types there (PRIVATE, ...) are not ours. */
  const ofType = (records: DataSet[], type: string, where: string) =>
    records.filter((r) => {
      const found = typeOf(r);
      if (found !== type && HIERARCHY.includes(found))
        throw new Error(`${source}: a ${found} record where a ${type} belongs (${where})`);
      return found === type;
    });

  const rootOffset = dataSet.uint32(FIRST_ROOT_RECORD) ?? items[0].dataOffset - 8;
  return ofType(level(rootOffset, 'root'), 'PATIENT', 'root').map((patient) => {
    const id = text(patient, 'x00100020');
    return {
      id,
      name: text(patient, 'x00100010'),
      studies: ofType(below(patient, `patient ${id}`), 'STUDY', `patient ${id}`).map((study) => {
        const uid = text(study, 'x0020000d');
        return {
          uid,
          date: text(study, 'x00080020'),
          description: text(study, 'x00081030'),
          id: text(study, 'x00200010'),
          series: ofType(below(study, `study ${uid}`), 'SERIES', `study ${uid}`).map((series) => {
            const seriesUid = text(series, 'x0020000e');
            return {
              uid: seriesUid,
              modality: text(series, 'x00080060'),
              number: integer(series, 'x00200011'),
              description: text(series, 'x0008103e'),
              bodyPart: text(series, 'x00180015'),
              instances: below(series, `series ${seriesUid}`)
                .filter((r) => text(r, FILE_ID) !== '')
                .map((r) => ({
                  type: typeOf(r),
                  fileId: text(r, FILE_ID)
                    .split('\\')
                    .map((c) => c.trim())
                    .filter(Boolean),
                  instanceNumber: integer(r, 'x00200013'),
                  sopInstanceUid: text(r, SOP_INSTANCE_IN_FILE) || undefined,
                }))
                .sort((a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0)),
            };
          }),
        };
      }),
    };
  });
}

/**
 * A path as media file systems spell it, for matching a Referenced File ID to
 * an opened file: upper case, '/' separators, no ISO 9660 version (";1") or
 * trailing dot.
 */
export function mediaPath(components: string[]): string {
  return components.map((c) => c.replace(/;\d+$/, '').replace(/\.$/, '').toUpperCase()).join('/');
}
