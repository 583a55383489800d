/**
 * Studies, not files: where each opened file sits in its patient's record
 * (patient, study, series, order), from a DICOMDIR or from the file's own
 * tags, and the file list grouped by it. DOM-free.
 */
import { mediaPath, type DicomDirPatient } from '../../lib/dicom/dicomdir';
import type { Radiograph } from '../../lib/imaging/radiograph';

export interface RecordGroup {
  /** Known before decoding (a DICOMDIR), or read from the file's tags once decoded. */
  source: 'dicomdir' | 'tags';
  /** Keys that tell patients, studies and series apart (IDs and UIDs: never shown). */
  patientKey: string;
  studyKey: string;
  seriesKey: string;
  /** What the list shows: no names or IDs, only what describes the study and series. */
  studyDate: string;
  studyDescription: string;
  modality: string;
  bodyPart: string;
  seriesDescription: string;
  seriesNumber?: number;
  /** Position within the series (instance number, or its place in the DICOMDIR). */
  order: number;
}

/** The folder part of a picked file's path ('' at the top). */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The key a picked file is matched by: its path as media file systems spell it. */
export function mediaKey(path: string): string {
  return mediaPath(path.split('/').filter(Boolean));
}

/**
 * Each file a DICOMDIR lists, by mediaKey of its path as the picker reports it
 * (the DICOMDIR's folder, then the Referenced File ID).
 */
export function groupsFromDicomDir(
  dicomdirPath: string,
  patients: DicomDirPatient[],
): Map<string, RecordGroup> {
  const folder = folderOf(dicomdirPath);
  const out = new Map<string, RecordGroup>();
  for (const [p, patient] of patients.entries()) {
    for (const study of patient.studies) {
      for (const series of study.series) {
        for (const [i, instance] of series.instances.entries()) {
          const path = [folder, ...instance.fileId].filter(Boolean).join('/');
          out.set(mediaKey(path), {
            source: 'dicomdir',
            patientKey: `${dicomdirPath}#${p}:${patient.id}`,
            studyKey: study.uid || `${dicomdirPath}#${p}:${study.id}`,
            seriesKey: series.uid || `${study.uid}#${series.number ?? ''}`,
            studyDate: study.date,
            studyDescription: study.description,
            modality: series.modality,
            bodyPart: series.bodyPart,
            seriesDescription: series.description,
            seriesNumber: series.number,
            order: instance.instanceNumber ?? i,
          });
        }
      }
    }
  }
  return out;
}

/** A DICOM file's place from its own tags; undefined for files without study and series UIDs. */
export function groupFromTags(r: Radiograph): RecordGroup | undefined {
  const place = r.place;
  if (!place?.studyInstanceUid || !place.seriesInstanceUid) return undefined;
  return {
    source: 'tags',
    patientKey: r.patient.patientId ?? r.patient.patientName ?? '',
    studyKey: place.studyInstanceUid,
    seriesKey: place.seriesInstanceUid,
    studyDate: r.patient.studyDate ?? '',
    studyDescription: r.metadata.studyDescription ?? '',
    modality: r.metadata.modality ?? '',
    bodyPart: r.metadata.bodyPart ?? '',
    seriesDescription: r.metadata.seriesDescription ?? '',
    seriesNumber: place.seriesNumber,
    order: place.instanceNumber ?? 0,
  };
}

export interface SeriesView<T> {
  key: string;
  label: string;
  items: T[];
}

export interface StudyView<T> {
  key: string;
  /** "Patient 2", numbered in the order patients appear: no names on screen. */
  patient: string;
  label: string;
  series: SeriesView<T>[];
}

/** YYYYMMDD as YYYY-MM-DD; anything else as it is. */
export function formatDicomDate(date: string): string {
  return /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : date;
}

function seriesLabel(g: RecordGroup, count: number): string {
  const what = [g.modality, g.bodyPart].filter(Boolean).join(' ');
  const name =
    g.seriesDescription || (g.seriesNumber !== undefined ? `Series ${g.seriesNumber}` : 'Series');
  return `${[what, name].filter(Boolean).join(' · ')} · ${count} image${count === 1 ? '' : 's'}`;
}

/**
 * Items grouped by patient, study and series, in the order their first item
 * came, series by number and items by their order in the series; items with
 * no group come back apart.
 */
export function groupByStudy<T>(
  items: T[],
  groupOf: (item: T) => RecordGroup | undefined,
): { studies: StudyView<T>[]; ungrouped: T[] } {
  const ungrouped: T[] = [];
  const patients = new Map<string, number>();
  const studies = new Map<
    string,
    { first: RecordGroup; series: Map<string, { first: RecordGroup; items: T[] }> }
  >();
  for (const item of items) {
    const g = groupOf(item);
    if (!g) {
      ungrouped.push(item);
      continue;
    }
    if (!patients.has(g.patientKey)) patients.set(g.patientKey, patients.size + 1);
    let study = studies.get(g.studyKey);
    if (!study) studies.set(g.studyKey, (study = { first: g, series: new Map() }));
    let series = study.series.get(g.seriesKey);
    if (!series) study.series.set(g.seriesKey, (series = { first: g, items: [] }));
    series.items.push(item);
  }
  const order = (item: T) => groupOf(item)!.order;
  return {
    ungrouped,
    studies: [...studies.entries()].map(([key, study]) => {
      const g = study.first;
      const date = formatDicomDate(g.studyDate);
      return {
        key,
        patient: `Patient ${patients.get(g.patientKey)}`,
        label: [g.studyDescription || 'Study', date].filter(Boolean).join(' · '),
        series: [...study.series.entries()]
          .sort(([, a], [, b]) => (a.first.seriesNumber ?? 0) - (b.first.seriesNumber ?? 0))
          .map(([seriesKey, s]) => ({
            key: seriesKey,
            label: seriesLabel(s.first, s.items.length),
            items: [...s.items].sort((a, b) => order(a) - order(b)),
          })),
      };
    }),
  };
}
