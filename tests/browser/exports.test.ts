/**
 * Exports from the app: the overlay PNG (image, map, region, colour bar with
 * values), the SKELEX panel PNG, and the JSON report, de-identified unless the
 * user asks for patient data. The image is a DICOM the test writes, with a
 * patient name to look for.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FORMAT } from '../../src/lib/report/image-report';
import {
  loadDemoModel,
  waitForShown,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';
import { makeImage, writeDicom } from '../helpers/dicom-writer';

const NAME = 'export-me.dcm';
const PATIENT = 'Doe^Jane';
const SIZE = 320;

let server: DevServer;
let browser: BrowserSession;
let page: Page;
let scratch: string;

beforeAll(async () => {
  ({ server, browser, page, scratch } = await openBrowserApp({ scratch: 'skelex-exports-' }));
});

afterAll(() => closeBrowserApp({ server, browser, scratch }));

async function saved(button: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(button).click(),
  ]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

/** A bone-like bright band with a notch, on a dark background, 12 bits. */
function pixels(): Uint16Array {
  const out = new Uint16Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const band = Math.abs(x - SIZE / 2) < 50 && !(y > 150 && y < 160 && x < SIZE / 2);
      out[y * SIZE + x] = band ? 3000 + ((x * 7 + y * 3) % 200) : 300 + ((x + y) % 50);
    }
  }
  return out;
}

describe('exports', () => {
  it('saves the overlay, the passes and a de-identified report', async () => {
    const file = path.join(scratch, NAME);
    await writeFile(
      file,
      writeDicom(
        makeImage({
          rows: SIZE,
          columns: SIZE,
          pixels: pixels(),
          bitsStored: 12,
          patientName: PATIENT,
        }),
      ),
    );
    await page.goto(server.url);
    await loadDemoModel(page, 'int8');
    await page.getByTestId('file-input').setInputFiles(file);
    await waitForShown(page, NAME);
    await expect
      .poll(() => page.getByTestId('analysis-progress').getAttribute('data-phase'), {
        timeout: 90_000,
      })
      .toBe('done');

    // The demo bundle recommends the relative map, so the overlay starts on it. This drawn
    // image's dark flat sides read as collimation, leaving the relative map little to show:
    // the export is checked on SKELEX's raw map, one click away.
    await expect.poll(() => page.getByTestId('overlay-kind').inputValue()).toBe('relative');
    await page.getByTestId('overlay-kind').selectOption('raw');
    const overlay = await saved('export-overlay');
    expect(overlay.name).toBe('export-me.overlay.png');
    const png = decode(overlay.bytes);
    expect(png.height).toBe(SIZE);
    expect(png.width).toBeGreaterThan(SIZE); // the colour bar's strip
    const rgba = (x: number, y: number) => {
      const o = (y * png.width + x) * png.channels;
      return [png.data[o], png.data[o + 1], png.data[o + 2]];
    };
    // The region of interest's outline in its colour, on the image.
    const report = JSON.parse((await saved('export-report')).bytes.toString('utf8'));
    const box = report.regionsOfInterest.raw.box;
    expect(rgba(Math.round(box.x) + 1, Math.round(box.y + box.height / 2))).toEqual([56, 189, 248]);
    // The bar: colours down a column of the strip, and light text beside it.
    const strip = [...Array(SIZE).keys()].map((y) =>
      rgba(SIZE + Math.round((png.width - SIZE) * 0.15), y),
    );
    expect(new Set(strip.map((c) => c.join())).size).toBeGreaterThan(20);
    let light = 0;
    for (let y = 0; y < SIZE; y++)
      for (let x = SIZE + Math.round((png.width - SIZE) * 0.45); x < png.width; x++)
        if (rgba(x, y).every((v) => v > 200)) light++;
    expect(light, 'tick labels').toBeGreaterThan(20);

    const passes = await saved('export-passes');
    expect(passes.name).toBe('export-me.passes.png');
    const panel = decode(passes.bytes);
    expect([panel.width, panel.height]).toEqual([4 * 224 + 3 * 8, 224 + 20]);

    expect(report.format).toBe(REPORT_FORMAT);
    expect(report.file).toBe(NAME);
    expect(report.image).toMatchObject({ width: SIZE, height: SIZE });
    expect(report.model).toMatchObject({ name: 'skelex-demo', variant: 'int8', backend: 'wasm' });
    expect(report.scores.meanError.toPrecision(3)).toBe(
      await page.getByTestId('analysis-mean-error').textContent(),
    );
    expect(report.patchErrors.raw).toHaveLength(14);
    expect(Object.keys(report.classification.wholeImage)).toContain('fracture/fracture');
    expect(report.patient).toBeUndefined();
    expect(JSON.stringify(report)).not.toContain('Doe');

    await page.getByTestId('export-patient').check();
    const identified = JSON.parse((await saved('export-report')).bytes.toString('utf8'));
    expect(identified.patient.patientName).toBe(PATIENT);
    expect(browser.errors).toEqual([]);
  }, 240_000);
});
