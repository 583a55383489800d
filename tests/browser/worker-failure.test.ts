/**
 * The inference worker dying under the app: the app says so, keeps the opened
 * images and the last result, offers a smaller variant, and goes on with it.
 * The death is an uncaught WebAssembly trap thrown inside the real worker.
 */
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadDemoModel,
  waitForShown,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';
import { dataPath } from '../helpers/data';

let server: DevServer;
let browser: BrowserSession;
let page: Page;

beforeAll(async () => {
  ({ server, browser, page } = await openBrowserApp());
});

afterAll(() => closeBrowserApp({ server, browser }));

async function analysisDone(): Promise<void> {
  await expect
    .poll(() => page.getByTestId('analysis-progress').getAttribute('data-phase'), {
      timeout: 90_000,
    })
    .toMatch(/done|error/);
}

function inferenceWorker(): Worker {
  const worker = page.workers().find((w) => w.url().includes('inference.worker'));
  if (!worker) throw new Error('the inference worker is not running');
  return worker;
}

describe('a dying inference worker', () => {
  it('is reported and replaced; images and results stay; a smaller variant is offered', async () => {
    await page.goto(server.url);
    await loadDemoModel(page, 'fp32');
    await page
      .getByTestId('file-input')
      .setInputFiles([dataPath('dicom', 'RG3_JLSL.dcm'), dataPath('dicom', 'RG2_UNC.dcm')]);
    // The first in path order is shown (and analysed).
    await waitForShown(page, 'RG2_UNC.dcm');
    await analysisDone();
    const meanError = await page.getByTestId('analysis-mean-error').textContent();
    expect(Number(meanError)).toBeGreaterThan(0);

    await inferenceWorker().evaluate(() => {
      setTimeout(() => {
        throw new WebAssembly.RuntimeError('memory access out of bounds (simulated)');
      });
    });

    const message = page.getByTestId('analysis-message');
    await expect
      .poll(() => message.textContent(), { timeout: 10_000 })
      .toMatch(/inference worker stopped.*simulated.*restarts/);
    expect(await page.getByTestId('retry-smaller').textContent()).toContain('int8');
    expect(await page.getByTestId('retry-wasm').count()).toBe(0); // it ran on WASM already
    // Nothing opened or computed is lost.
    expect(await page.getByTestId('entry').count()).toBe(2);
    expect(await page.getByTestId('analysis-mean-error').textContent()).toBe(meanError);
    // The map stays on show, not merely the overlay's canvas in the page.
    expect(await page.getByTestId('heatmap-overlay').getAttribute('data-visible')).toBe('true');

    await page.getByTestId('retry-smaller').click();
    // The phase still says 'error' from the stop until the retry gets going: wait for the
    // smaller variant to be in use first, so the next wait is for the retry's own run.
    await expect
      .poll(() => page.getByTestId('engine-status').textContent(), { timeout: 90_000 })
      .toMatch(/skelex-demo · WASM · \d+ threads? · int8/);
    await analysisDone();
    expect(await page.getByTestId('analysis-message').count()).toBe(0);
    expect(await page.getByTestId('engine-stopped').count()).toBe(0);
    expect(Number(await page.getByTestId('analysis-mean-error').textContent())).toBeGreaterThan(0);
    expect(browser.errors.filter((e) => !e.includes('simulated'))).toEqual([]);
  }, 240_000);
});
