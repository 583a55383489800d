/**
 * DICOMDIR reading (src/lib/dicom/dicomdir.ts) on a CD that dcmtk's dcmmkdir
 * indexes from the shared NEMA files: patients, studies, series and files as
 * dcmdump shows them; damaged indexes refused with the file's name.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mediaPath, readDicomDir } from '../../src/lib/dicom/dicomdir';
import { dataPath } from '../helpers/data';
import { CD_LAYOUT, makeDicomCd } from '../helpers/dicom-cd';

const work = mkdtempSync(path.join(tmpdir(), 'skelex-dicomdir-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const dicomdirBytes = () =>
  new Uint8Array(readFileSync(makeDicomCd(path.join(work, `cd-${Math.random()}`))));

describe('readDicomDir', () => {
  it('reads the patient, study, series and file tree that dcmmkdir wrote', () => {
    const patients = readDicomDir(dicomdirBytes(), 'CD/DICOMDIR');
    expect(patients.map((p) => p.id).sort()).toEqual(['10RG2', '11RG3']);
    const files = patients.flatMap((p) =>
      p.studies.flatMap((s) =>
        s.series.flatMap((se) => se.instances.map((i) => mediaPath(i.fileId))),
      ),
    );
    expect(files.sort()).toEqual(CD_LAYOUT.map((f) => f.fileId).sort());
    const hip = patients.find((p) => p.id === '10RG2')!;
    expect(hip.studies).toHaveLength(1);
    expect(hip.studies[0]).toMatchObject({ date: '20040826' });
    expect(hip.studies[0].uid).toMatch(/^1\.3\.6\.1\.4\.1\.5962\./);
    expect(hip.studies[0].series).toHaveLength(1);
    expect(hip.studies[0].series[0]).toMatchObject({ modality: 'CR' });
    expect(hip.studies[0].series[0].instances.map((i) => i.type)).toEqual(['IMAGE', 'IMAGE']);
  });

  it('refuses a damaged index with the file named: a link to nowhere, a loop, no records', () => {
    const bytes = dicomdirBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    // The root's first-record offset (0004,1200) UL, explicit little endian: tag, VR, length, value.
    const rootAt = findTag(bytes, 0x0004, 0x1200) + 8;
    const root = view.getUint32(rootAt, true);
    view.setUint32(rootAt, root + 2, true);
    expect(() => readDicomDir(bytes, 'CD/DICOMDIR')).toThrow(
      /^CD\/DICOMDIR: a link points at no directory record/,
    );
    view.setUint32(rootAt, root, true);
    // The first record's "next" link pointing back at itself.
    const nextAt = findTag(bytes, 0x0004, 0x1400, root) + 8;
    view.setUint32(nextAt, root, true);
    expect(() => readDicomDir(bytes, 'CD/DICOMDIR')).toThrow(
      /^CD\/DICOMDIR: directory records link in a loop/,
    );
    expect(() =>
      readDicomDir(new Uint8Array(readFileSync(dataPath('dicom', 'RG2_UNC.dcm'))), 'x/DICOMDIR'),
    ).toThrow(/^x\/DICOMDIR: not a DICOMDIR/);
  });

  it('matches file IDs to media paths however the CD spells them', () => {
    expect(mediaPath(['dicom', 'st000001', 'IM000001;1'])).toBe('DICOM/ST000001/IM000001');
    expect(mediaPath(['DICOM', 'IM1.'])).toBe('DICOM/IM1');
  });
});

/** Offset of an explicit-little-endian element's tag at or after `from`. */
function findTag(bytes: Uint8Array, group: number, element: number, from = 132): number {
  for (let i = from; i + 4 <= bytes.length; i += 2) {
    if (
      bytes[i] === (group & 0xff) &&
      bytes[i + 1] === group >> 8 &&
      bytes[i + 2] === (element & 0xff) &&
      bytes[i + 3] === element >> 8
    )
      return i;
  }
  throw new Error(`tag (${group.toString(16)},${element.toString(16)}) not found`);
}
