/** The tags we show: a safe, descriptive subset, and the identifying ones kept apart. */
import type { DataSet } from 'dicom-parser';
import type {
  PatientMetadata,
  PixelSpacing,
  RecordPlace,
  SafeMetadata,
} from '../imaging/radiograph';

const text = (dataSet: DataSet, tag: string): string | undefined => {
  const value = dataSet.string(tag)?.replace(/\0/g, '').trim();
  return value ? value : undefined;
};

/** Drops keys whose value is missing, so the panels list only what the file has. */
function defined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

export function readSafeMetadata(dataSet: DataSet): SafeMetadata {
  return defined({
    modality: text(dataSet, 'x00080060'),
    bodyPart: text(dataSet, 'x00180015'),
    viewPosition: text(dataSet, 'x00185101'),
    laterality: text(dataSet, 'x00200062') ?? text(dataSet, 'x00200060'),
    seriesDescription: text(dataSet, 'x0008103e'),
    studyDescription: text(dataSet, 'x00081030'),
    manufacturer: text(dataSet, 'x00080070'),
  });
}

const integer = (dataSet: DataSet, tag: string): number | undefined => {
  const value = Number.parseInt(text(dataSet, tag) ?? '', 10);
  return Number.isFinite(value) ? value : undefined;
};

export function readRecordPlace(dataSet: DataSet): RecordPlace {
  return defined({
    studyInstanceUid: text(dataSet, 'x0020000d'),
    seriesInstanceUid: text(dataSet, 'x0020000e'),
    seriesNumber: integer(dataSet, 'x00200011'),
    instanceNumber: integer(dataSet, 'x00200013'),
  });
}

export function readPatientMetadata(dataSet: DataSet): PatientMetadata {
  return defined({
    patientName: text(dataSet, 'x00100010'),
    patientId: text(dataSet, 'x00100020'),
    patientBirthDate: text(dataSet, 'x00100030'),
    patientSex: text(dataSet, 'x00100040'),
    studyDate: text(dataSet, 'x00080020'),
    accessionNumber: text(dataSet, 'x00080050'),
    institutionName: text(dataSet, 'x00080080'),
  });
}

export function readPixelSpacing(dataSet: DataSet): PixelSpacing | undefined {
  for (const [tag, source] of [
    ['x00280030', 'PixelSpacing'],
    ['x00181164', 'ImagerPixelSpacing'],
  ] as const) {
    const rowMm = dataSet.floatString(tag, 0);
    const columnMm = dataSet.floatString(tag, 1) ?? rowMm;
    if (rowMm !== undefined && columnMm !== undefined && rowMm > 0 && columnMm > 0) {
      return { rowMm, columnMm, source };
    }
  }
  return undefined;
}
