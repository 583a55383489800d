/**
 * The file list's study grouping (src/ui/studies/groups.ts): patients numbered
 * as they appear (no names), series by number, files by instance number,
 * files without a place apart; a DICOMDIR's files matched however the media
 * spells their names.
 */
import { describe, expect, it } from 'vitest';
import {
  formatDicomDate,
  groupByStudy,
  groupsFromDicomDir,
  mediaKey,
  type RecordGroup,
} from '../../src/ui/studies/groups';

const group = (patient: string, study: string, series: number, order: number): RecordGroup => ({
  source: 'tags',
  patientKey: patient,
  studyKey: study,
  seriesKey: `${study}.${series}`,
  studyDate: '20240102',
  studyDescription: study === 's1' ? 'Wrist' : '',
  modality: 'CR',
  bodyPart: 'HAND',
  seriesDescription: '',
  seriesNumber: series,
  order,
});

describe('groupByStudy', () => {
  it('groups by patient, study and series, in order, with the rest apart', () => {
    const files = [
      { name: 'c', g: group('anna', 's1', 2, 1) },
      { name: 'loose.png', g: undefined },
      { name: 'b', g: group('anna', 's1', 1, 2) },
      { name: 'a', g: group('anna', 's1', 1, 1) },
      { name: 'd', g: group('ben', 's2', 1, 1) },
    ];
    const { studies, ungrouped } = groupByStudy(files, (f) => f.g);
    expect(ungrouped.map((f) => f.name)).toEqual(['loose.png']);
    expect(studies.map((s) => [s.patient, s.label])).toEqual([
      ['Patient 1', 'Wrist · 2024-01-02'],
      ['Patient 2', 'Study · 2024-01-02'],
    ]);
    expect(studies[0].series.map((s) => s.items.map((f) => f.name))).toEqual([['a', 'b'], ['c']]);
    expect(studies[0].series[0].label).toBe('CR HAND · Series 1 · 2 images');
    const shown = studies.flatMap((s) => [s.patient, s.label, ...s.series.map((se) => se.label)]);
    expect(shown.join(' ')).not.toContain('anna'); // the patient's key is never a label
  });

  it('formats DICOM dates and leaves other text alone', () => {
    expect(formatDicomDate('20031208')).toBe('2003-12-08');
    expect(formatDicomDate('')).toBe('');
    expect(formatDicomDate('2003')).toBe('2003');
  });
});

describe('groupsFromDicomDir', () => {
  it("places each listed file by its path below the DICOMDIR's folder, in any spelling", () => {
    const groups = groupsFromDicomDir('CD/DICOMDIR', [
      {
        id: 'P1',
        name: 'Doe^Anna',
        studies: [
          {
            uid: '1.2.3',
            date: '20240102',
            description: 'Wrist',
            id: '1',
            series: [
              {
                uid: '1.2.3.4',
                modality: 'CR',
                number: 1,
                description: '',
                bodyPart: 'HAND',
                instances: [{ type: 'IMAGE', fileId: ['DICOM', 'IM000001'], instanceNumber: 7 }],
              },
            ],
          },
        ],
      },
    ]);
    const placed = groups.get(mediaKey('CD/dicom/im000001'));
    expect(placed).toMatchObject({ studyKey: '1.2.3', seriesKey: '1.2.3.4', order: 7 });
    expect(groups.size).toBe(1);
  });
});
