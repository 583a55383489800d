import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSkelex } from '../helpers/cli';
import { dataPath, readData } from '../helpers/data';

describe('skelex inspect --json', () => {
  it('prints one ok object a shared DICOM, equal hashes for lossless encodings', async () => {
    const names = [
      'RG2_UNC.dcm',
      'RG2_J2KR.dcm',
      'RG2_JPLL.dcm',
      'RG3_JLSL.dcm',
      'RG3_RLE.dcm',
      'RG3_JPLY.dcm',
    ];
    const { stdout, code } = await runSkelex([
      'inspect',
      ...names.map((n) => dataPath('dicom', n)),
      '--json',
    ]);
    expect(code).toBe(0);
    const results = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(results.map((r) => path.basename(r.file))).toEqual(names);
    for (const r of results) {
      expect(r).toMatchObject({ ok: true, bitsStored: 10, min: 0 });
      expect(r.pixelSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const hash = Object.fromEntries(results.map((r) => [path.basename(r.file), r.pixelSha256]));
    expect(hash['RG2_J2KR.dcm']).toBe(hash['RG2_UNC.dcm']);
    expect(hash['RG2_JPLL.dcm']).toBe(hash['RG2_UNC.dcm']);
    expect(hash['RG3_JLSL.dcm']).toBe(hash['RG3_RLE.dcm']);
    expect(hash['RG3_JPLY.dcm']).not.toBe(hash['RG3_RLE.dcm']);
    expect(results[0]).toMatchObject({
      transferSyntax: '1.2.840.10008.1.2.1',
      photometric: 'MONOCHROME2',
      width: 1760,
      height: 2140,
    });
  });

  it('reports a bad file with a reason and goes on with the rest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skelex-cli-'));
    const broken = path.join(dir, 'broken.dcm');
    writeFileSync(broken, readData('dicom', 'RG3_JLSL.dcm').slice(0, 2000));
    const { stdout, code } = await runSkelex([
      'inspect',
      broken,
      dataPath('dicom', 'RG3_RLE.dcm'),
      '--json',
    ]);
    expect(code).toBe(1);
    const [bad, good] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('broken.dcm');
    expect(bad.error.split('\n')).toHaveLength(1);
    expect(good.ok).toBe(true);
  });
});
