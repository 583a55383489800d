/**
 * A first visit, as a presenter or student has it: a fresh profile opens a
 * radiograph and sees the bundled demo model's map with no other click (the
 * bundle is served from the app's own origin), on the map the bundle
 * recommends (its model.json: the relative map), with the region of interest
 * inside the exposed field of the collimated NEMA hip and tibia, not on the
 * collimator's edge where SKELEX's raw map of a small MAE puts it; and an
 * empty page's sample radiographs, one click from a map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserApp, openBrowserApp, waitForShown, type BrowserApp } from '../helpers/browser';
import { dataPath } from '../helpers/data';
import { SAMPLES } from '../../src/ui/samples/catalog';

let app: BrowserApp;

beforeAll(async () => {
  app = await openBrowserApp();
});

afterAll(() => closeBrowserApp(app));

/**
 * The exposed field's columns, measured by eye on each image (source pixels): the blades'
 * shadows cover the hip's left 185 and right 320 columns, the tibia's left 450 and right 510.
 */
const FIELDS = [
  { file: 'RG2_UNC.dcm', left: 185, right: 1440 },
  { file: 'RG3_RLE.dcm', left: 450, right: 1250 },
];

/** The shown map's region of interest once the map of `file` is drawn. */
async function regionOf(file: string) {
  const overlay = app.page.getByTestId('heatmap-overlay');
  await expect
    .poll(() => overlay.getAttribute('data-result-name'), { timeout: 120_000 })
    .toBe(file);
  await expect.poll(() => overlay.getAttribute('data-visible')).toBe('true');
  const [x, y, width, height] = (await overlay.getAttribute('data-roi'))!.split(',').map(Number);
  return { x, y, width, height, kind: await overlay.getAttribute('data-kind') };
}

describe('first visit', () => {
  it('maps an opened radiograph with the bundled model at once, its region inside the exposed field', async () => {
    const { page } = app;
    await page.goto(app.server.url);
    await page
      .getByTestId('file-input')
      .setInputFiles(FIELDS.map((f) => dataPath('dicom', f.file)));
    for (const [i, field] of FIELDS.entries()) {
      if (i > 0) await page.getByTestId('entry').filter({ hasText: field.file }).click();
      await waitForShown(page, field.file);
      const roi = await regionOf(field.file);
      expect(roi.kind).toBe('relative');
      expect(roi.x, `${field.file} region's left edge`).toBeGreaterThanOrEqual(field.left);
      expect(roi.x + roi.width, `${field.file} region's right edge`).toBeLessThanOrEqual(
        field.right,
      );
    }
    await expect
      .poll(() => page.getByTestId('engine-status').textContent())
      .toContain('skelex-demo');
    // SKELEX's raw map stays one click away.
    await page.getByTestId('overlay-kind').selectOption('raw');
    await expect
      .poll(() => page.getByTestId('heatmap-overlay').getAttribute('data-kind'))
      .toBe('raw');
    expect(app.browser.errors).toEqual([]);
  }, 300_000);

  it('offers sample radiographs on an empty page that open, and are mapped, with one click', async () => {
    const { page } = app;
    await page.goto(app.server.url);
    const samples = page.getByTestId('sample');
    await expect.poll(() => samples.count()).toBe(SAMPLES.length);
    expect(await page.getByTestId('samples').textContent()).toContain('CC BY 4.0');
    await samples.filter({ hasText: SAMPLES[0].title }).click();
    await waitForShown(page, SAMPLES[0].file);
    const roi = await regionOf(SAMPLES[0].file);
    expect(roi.width).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('samples').count()).toBe(0); // the list took its place
    expect(app.browser.errors).toEqual([]);
  }, 300_000);
});
