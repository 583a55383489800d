/**
 * Privacy you can check: during a whole session (open every shared DICOM,
 * load the bundled model, analyse, classify, export) every request the page and its
 * workers make goes to the app's own origin, is a plain GET with no body, and
 * carries no image data; the Content-Security-Policy refuses any other origin.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../helpers/data';
import {
  loadDemoModel,
  waitForShown,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';

let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  ({ server, browser } = await openBrowserApp());
});

afterAll(() => closeBrowserApp({ server, browser }));

interface Seen {
  url: string;
  method: string;
  body: number;
}

describe('privacy', () => {
  it('sends nothing anywhere: same-origin GETs only, and the CSP blocks other origins', async () => {
    const { page, context } = browser;
    const seen: Seen[] = [];
    context.on('request', (request) =>
      seen.push({
        url: request.url(),
        method: request.method(),
        body: request.postDataBuffer()?.length ?? 0,
      }),
    );
    await page.goto(server.url);
    await loadDemoModel(page);

    const dicoms = readdirSync(dataPath('dicom'))
      .filter((f) => f.endsWith('.dcm'))
      .sort();
    await page.getByTestId('file-input').setInputFiles(dicoms.map((f) => dataPath('dicom', f)));
    await waitForShown(page, dicoms[0]);
    await expect
      .poll(() => page.getByTestId('analysis-progress').getAttribute('data-phase'), {
        timeout: 90_000,
      })
      .toBe('done');
    await page.getByTestId('classification-panel').waitFor();
    // Exports are made in the page and saved through the browser's download: nothing is sent.
    for (const button of ['export-overlay', 'export-passes', 'export-report']) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(button).click(),
      ]);
      expect(download.url()).toMatch(/^blob:/);
    }

    // The policy itself: another origin is refused before any request leaves.
    const outcome = await page.evaluate(async () => {
      const violations: string[] = [];
      (window as Window & { __violations?: string[] }).__violations = violations;
      document.addEventListener('securitypolicyviolation', (e) =>
        violations.push(e.violatedDirective),
      );
      return fetch('https://example.org/collect', {
        method: 'POST',
        body: 'x',
      }).then(
        () => 'sent',
        () => 'refused',
      );
    });
    expect(outcome).toBe('refused');
    // The violation event is a task of its own, not ordered with the fetch's rejection:
    // wait for it, not for a fixed time.
    await expect
      .poll(() =>
        page.evaluate(() => (window as Window & { __violations?: string[] }).__violations),
      )
      .toContain('connect-src');

    expect(seen.length).toBeGreaterThan(10);
    const elsewhere = seen.filter(
      (r) =>
        !r.url.startsWith(server.url) && !r.url.startsWith('data:') && !r.url.startsWith('blob:'),
    );
    // The only foreign request is the one the test itself made, and the CSP stopped it.
    expect(elsewhere.map((r) => r.url)).toEqual([]);
    expect(seen.filter((r) => r.method !== 'GET' || r.body > 0)).toEqual([]);
    // No request names an opened file or carries image bytes in its address.
    for (const r of seen) {
      for (const name of dicoms) expect(r.url).not.toContain(name.replace('.dcm', ''));
      expect(r.url.length).toBeLessThan(2048);
    }
    // The app itself never trips the policy: every complaint is about the test's own fetch.
    expect(browser.errors.filter((e) => !e.includes('example.org'))).toEqual([]);
  });
});
