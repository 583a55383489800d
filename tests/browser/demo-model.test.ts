/**
 * The app out of the box: the bundled demo model (models/demo) loads from the
 * app's own origin on WASM and analyses a real radiograph, as the README's
 * quick start promises.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateManifest } from '../../src/lib/model/manifest';
import { PROJECT_ROOT, dataPath } from '../helpers/data';
import {
  launchChromium,
  startDevServer,
  waitForShown,
  type BrowserSession,
  type DevServer,
} from '../helpers/browser';

let server: DevServer;
let browser: BrowserSession;

beforeAll(async () => {
  server = await startDevServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('bundled demo model', () => {
  it('is a valid bundle', () => {
    const manifest = validateManifest(
      JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'models/demo/model.json'), 'utf8')),
    );
    expect(Object.keys(manifest.variants ?? {})).toContain('int8');
    expect(manifest.input).toMatchObject({ imageSize: 224, patchSize: 16 });
  });

  it('loads on WASM and maps a real radiograph', async () => {
    const { page } = browser;
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(server.url);
    const model = page.getByTestId('analysis-model');
    await model.waitFor();
    const demo = await model.locator('option', { hasText: 'skelex-demo' }).getAttribute('value');
    await model.selectOption(demo!);
    await page.getByTestId('analysis-backend').selectOption('wasm');
    await page.getByTestId('analysis-variant').selectOption('int8');
    await page.getByTestId('analysis-load').click();
    await expect
      .poll(() => page.getByTestId('engine-status').textContent(), { timeout: 90_000 })
      .toMatch(/In use: skelex-demo · WASM · \d+ threads? · int8/);

    await page.getByTestId('file-input').setInputFiles(dataPath('dicom', 'RG3_JLSL.dcm'));
    await waitForShown(page, 'RG3_JLSL.dcm');
    const progress = page.getByTestId('analysis-progress');
    await expect
      .poll(() => progress.getAttribute('data-phase'), { timeout: 90_000 })
      .toMatch(/done|error/);
    expect(await page.getByTestId('analysis-message').count()).toBe(0);
    expect(Number(await page.getByTestId('analysis-mean-error').textContent())).toBeGreaterThan(0);
    // The model files came from this origin, nowhere else.
    expect(requests.some((url) => url.includes('/models/demo/encoder.int8.onnx'))).toBe(true);
    expect(
      requests.filter(
        (url) =>
          !url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:'),
      ),
    ).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
