/**
 * A patient CD as a clinic gets one, built from the shared NEMA files: files
 * named like IM000001 (no extension) in upper-case folders, indexed by a
 * DICOMDIR that dcmtk's dcmmkdir writes (a General Purpose CD profile; the
 * compressed transfer syntaxes are let in with a warning, as real CDs have them).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { dataPath } from './data';

/**
 * Where each NEMA file goes on the CD: the hip's study (patient 10RG2), and two studies of the
 * tibia (patient 11RG3: RG3_RLE carries a study of 2003, the JPEG-LS and JPEG copies one of 2004).
 */
/** `instance`: the file's Instance Number, by which a series is ordered. */
export const CD_LAYOUT: { source: string; fileId: string; study: number; instance: number }[] = [
  { source: 'RG2_UNC.dcm', fileId: 'DICOM/ST000001/SE000001/IM000001', study: 1, instance: 1 },
  { source: 'RG2_JPLL.dcm', fileId: 'DICOM/ST000001/SE000001/IM000002', study: 1, instance: 4 },
  { source: 'RG3_JLSL.dcm', fileId: 'DICOM/ST000002/SE000001/IM000001', study: 2, instance: 6 },
  { source: 'RG3_JPLY.dcm', fileId: 'DICOM/ST000002/SE000001/IM000002', study: 2, instance: 5 },
  { source: 'RG3_RLE.dcm', fileId: 'DICOM/ST000003/SE000001/IM000001', study: 3, instance: 8 },
];

/** Writes the CD into `root` (which must not exist yet) and returns its DICOMDIR's path. */
export function makeDicomCd(root: string): string {
  if (!existsSync('/usr/bin/dcmmkdir')) {
    throw new Error('dcmmkdir not found: install dcmtk (apt-get install dcmtk)');
  }
  for (const { source, fileId } of CD_LAYOUT) {
    const target = path.join(root, fileId);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(dataPath('dicom', source), target);
  }
  execFileSync('/usr/bin/dcmmkdir', ['+r', '-Pgp', '+I', '-Nxc', 'DICOM'], {
    cwd: root,
    stdio: 'pipe',
  });
  return path.join(root, 'DICOMDIR');
}
