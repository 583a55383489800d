/**
 * Studies, not files: a patient CD's folder (a DICOMDIR that dcmtk's dcmmkdir
 * writes over the shared NEMA files, named IM000001 in upper-case folders)
 * opens grouped by patient, study and series; a plain folder of DICOM files
 * is grouped by the files' own tags; a DICOMDIR that cannot be read becomes a
 * note and its files are grouped by their tags instead.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserApp, openBrowserApp, type BrowserApp } from '../helpers/browser';
import { dataPath } from '../helpers/data';
import { CD_LAYOUT, makeDicomCd } from '../helpers/dicom-cd';

let app: BrowserApp;

beforeAll(async () => {
  app = await openBrowserApp({ scratch: 'skelex-studies-' });
});

afterAll(() => closeBrowserApp(app));

/** Opens a folder with the folder picker and waits until every image in it has opened. */
async function openFolder(folder: string, images: number): Promise<void> {
  const { page } = app;
  await page.goto(app.server.url);
  await page.getByTestId('folder-input').setInputFiles(folder);
  await expect
    .poll(() => page.locator('[data-testid=entry][data-status=ready]').count(), {
      timeout: 120_000,
    })
    .toBe(images);
}

/** What the list shows: each study's heading and its series' headings and file names. */
function studyList() {
  return app.page.getByTestId('study').evaluateAll((studies) =>
    studies.map((s) => ({
      heading: s.querySelector('h3')?.textContent?.trim(),
      series: [...s.querySelectorAll('[data-testid=series]')].map((se) => ({
        heading: se.querySelector('h4')?.textContent?.trim(),
        files: [...se.querySelectorAll('[data-testid=entry-name]')].map((n) => n.textContent),
      })),
    })),
  );
}

describe('studies', () => {
  it('opens a CD folder grouped by its DICOMDIR: patients, studies, series', async () => {
    const cd = path.join(app.scratch, 'CD');
    makeDicomCd(cd);
    await openFolder(cd, CD_LAYOUT.length);
    const studies = await studyList();
    // Three studies, of two patients (the tibia's patient has two); no names on screen.
    expect(studies.map((s) => s.heading)).toEqual([
      'Patient 1 HIP JOINT · 2004-08-26',
      'Patient 2 Non-ossifying fibroma of distal tibia · 2004-08-26',
      'Patient 2 Non-ossifying fibroma of distal tibia · 2003-12-08',
    ]);
    for (const [i, study] of studies.entries()) {
      // In a series, files come by Instance Number (the 2004 tibia study: JPEG's 5 before JPEG-LS' 6).
      const files = CD_LAYOUT.filter((f) => f.study === i + 1).sort(
        (a, b) => a.instance - b.instance,
      );
      expect(study.series).toHaveLength(1);
      expect(study.series[0].heading).toMatch(new RegExp(`^CR .*· ${files.length} images?$`));
      expect(study.series[0].files).toEqual(files.map((f) => path.basename(f.fileId)));
    }
    // The index is read, not listed as an image; nothing is left over.
    await expect.poll(() => app.page.getByTestId('ungrouped').count()).toBe(0);
    expect(await app.page.getByTestId('library-note').count()).toBe(0);
    expect(app.browser.errors).toEqual([]);
  }, 180_000);

  it('groups a plain folder by the files’ own tags, and goes on without a broken DICOMDIR', async () => {
    const folder = path.join(app.scratch, 'plain');
    mkdirSync(folder);
    for (const { source } of CD_LAYOUT)
      copyFileSync(dataPath('dicom', source), path.join(folder, source));
    writeFileSync(path.join(folder, 'DICOMDIR'), new Uint8Array(400)); // not a DICOMDIR at all
    await openFolder(folder, CD_LAYOUT.length);
    await expect.poll(() => app.page.getByTestId('study').count()).toBe(3);
    const studies = await studyList();
    const files = studies.flatMap((s) => s.series.flatMap((se) => se.files)).sort();
    expect(files).toEqual(CD_LAYOUT.map((f) => f.source).sort());
    for (const study of [1, 2, 3]) {
      const sources = CD_LAYOUT.filter((f) => f.study === study).map((f) => f.source);
      const found = studies.find((s) => s.series[0].files.includes(sources[0]))!;
      expect(found.series[0].files.sort()).toEqual(sources.sort());
    }
    const note = app.page.getByTestId('library-note');
    await expect
      .poll(() => note.textContent())
      .toMatch(/DICOMDIR: .*grouped by their own tags instead/);
  }, 180_000);
});
