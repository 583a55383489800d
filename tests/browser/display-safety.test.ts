/**
 * Display safety: DICOM tag values and file names holding HTML or script show
 * as inert text. The page runs with its Content-Security-Policy set aside, so
 * the test checks the rendering itself, not only the CSP behind it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  waitForShown,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';
import { makeImage, tag, writeDicom } from '../helpers/dicom-writer';

/** Each payload sets window.__pwned when it runs. */
const PAYLOADS = {
  patientName: `<img src=x onerror="window.__pwned='PatientName'">`,
  seriesDescription: `<script>window.__pwned='SeriesDescription'</script>`,
  institution: `"><svg onload="window.__pwned='InstitutionName'">`,
  patientId: `<iframe srcdoc="<script>parent.__pwned='PatientID'</script>">`,
};
const HOSTILE_NAME = `<img src=x onerror="window.__pwned='file name'">.dcm`;
// No slash: file names cannot hold one.
const BROKEN_NAME = `<b onmouseover="window.__pwned='error'">broken<b>.dcm`;

let server: DevServer;
let browser: BrowserSession;
let page: Page;
let scratch: string;
const dialogs: string[] = [];
/** Paths of every request the page made. */
const requested: string[] = [];

beforeAll(async () => {
  ({ server, browser, page, scratch } = await openBrowserApp({
    scratch: 'skelex-display-safety-',
    bypassCSP: true,
  }));
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

afterAll(() => closeBrowserApp({ server, browser, scratch }));

describe('hostile tag values and file names', () => {
  it('show as text and run nothing', async () => {
    const pixels = new Uint16Array(64 * 64).map((_, i) => (i * 37) % 4096);
    const dicom = writeDicom(
      makeImage({
        rows: 64,
        columns: 64,
        pixels,
        bitsStored: 12,
        patientName: PAYLOADS.patientName,
        seriesDescription: PAYLOADS.seriesDescription,
        extra: [
          { tag: tag(0x0008, 0x0080), vr: 'LO', value: PAYLOADS.institution },
          { tag: tag(0x0010, 0x0020), vr: 'LO', value: PAYLOADS.patientId },
        ],
      }),
    );
    const file = path.join(scratch, HOSTILE_NAME);
    const broken = path.join(scratch, BROKEN_NAME);
    await writeFile(file, dicom);
    await writeFile(broken, dicom.subarray(0, 300));

    await page.goto(server.url);
    await page.getByTestId('file-input').setInputFiles([file, broken]);
    await waitForShown(page, HOSTILE_NAME);
    await page.getByTestId('show-patient').check();

    const metadata = await page.getByTestId('metadata').innerText();
    expect(metadata).toContain(PAYLOADS.seriesDescription);
    expect(metadata).toContain(PAYLOADS.institution);
    const patient = await page.getByTestId('patient').innerText();
    expect(patient).toContain(PAYLOADS.patientName);
    expect(patient).toContain(PAYLOADS.patientId);
    const names = await page.getByTestId('entry-name').allInnerTexts();
    expect(names).toContain(HOSTILE_NAME);
    expect(names).toContain(BROKEN_NAME);
    const error = page.getByTestId('entry-error');
    await error.waitFor();
    expect(await error.innerText()).toContain(BROKEN_NAME);

    // Hover and click over everything a payload could have become, then look for what ran.
    await page.getByTestId('entry-error').hover();
    // The hover's handlers ran during the hover itself. An element a payload made would have
    // asked for its source when it was inserted, before now: the page asks for a marker after
    // the hover, and once the marker's request is seen, every earlier request has been too.
    expect(requested).not.toContain('/index.html');
    await page.evaluate(() => fetch('/index.html', { cache: 'no-store' }).then(() => undefined));
    await expect.poll(() => requested).toContain('/index.html');
    const injected = await page.evaluate(() => ({
      pwned: (window as Window & { __pwned?: string }).__pwned,
      elements: document.querySelectorAll(
        'img[src="x"], svg[onload], iframe[srcdoc], [onerror], [onload], [onmouseover], b',
      ).length,
      scripts: [...document.scripts].filter((s) => s.textContent?.includes('__pwned')).length,
    }));
    expect(injected).toEqual({ pwned: undefined, elements: 0, scripts: 0 });
    // No <img src=x> was ever made, even one removed again: its onerror is not on its way.
    expect(requested).not.toContain('/x');
    expect(dialogs).toEqual([]);
  });
});
