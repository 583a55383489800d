/**
 * End to end in headless Chromium: open radiographs through the real UI, read back the
 * pixels cornerstone drew, and check they show the image the right way round.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toDisplay8 } from '../../src/lib/imaging/modality';
import { openImage } from '../../src/lib/imaging/open';
import type { Radiograph } from '../../src/lib/imaging/radiograph';
import {
  afterNextRender,
  waitForShown,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';
import { dataPath } from '../helpers/data';

const RG3 = dataPath('dicom', 'RG3_JLSL.dcm');

let server: DevServer;
let browser: BrowserSession;
let page: Page;
let scratch: string;

beforeAll(async () => {
  ({ server, browser, page, scratch } = await openBrowserApp({ scratch: 'skelex-e2e-' }));
});

afterAll(() => closeBrowserApp({ server, browser, scratch }));

beforeEach(async () => {
  await page.goto(server.url);
  await page.getByTestId('file-input').waitFor({ state: 'attached' });
  // Requests the previous test's page had in flight are aborted by the navigation: not errors.
  browser.errors.length = 0;
});

async function decodeInNode(file: string): Promise<Radiograph> {
  return openImage(path.basename(file), new Uint8Array(await readFile(file)));
}

/** Opens files through the "Open files" input. */
async function openFiles(...files: string[]): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(files);
}

interface Sampled {
  /** Mean canvas gray (of R, G, B) in each cell of a grid laid over the image's own area. */
  cells: number[];
  canvas: { width: number; height: number };
}

/**
 * Reads the cornerstone canvas and averages it over a grid × grid raster of the image
 * as fitted to the canvas (fit scale, centred), each cell shrunk 20% to stay clear of
 * its neighbours.
 */
async function sampleCanvas(
  image: { width: number; height: number },
  grid: number,
): Promise<Sampled> {
  return page.evaluate(
    ({ width, height, grid }) => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=viewer] canvas');
      const context = canvas?.getContext('2d');
      if (!canvas || !context) throw new Error('no cornerstone canvas');
      const cw = canvas.width;
      const ch = canvas.height;
      const data = context.getImageData(0, 0, cw, ch).data;
      const scale = Math.min(cw / width, ch / height);
      const left = (cw - width * scale) / 2;
      const top = (ch - height * scale) / 2;
      const cell = (width * scale) / grid;
      const cellH = (height * scale) / grid;
      const cells: number[] = [];
      for (let gy = 0; gy < grid; gy++) {
        for (let gx = 0; gx < grid; gx++) {
          const x0 = Math.ceil(left + (gx + 0.2) * cell);
          const x1 = Math.floor(left + (gx + 0.8) * cell);
          const y0 = Math.ceil(top + (gy + 0.2) * cellH);
          const y1 = Math.floor(top + (gy + 0.8) * cellH);
          let sum = 0;
          let n = 0;
          for (let y = y0; y <= y1; y++) {
            for (let x = x0; x <= x1; x++) {
              const o = (y * cw + x) * 4;
              sum += (data[o] + data[o + 1] + data[o + 2]) / 3;
              n++;
            }
          }
          cells.push(n ? sum / n : NaN);
        }
      }
      return { cells, canvas: { width: cw, height: ch } };
    },
    { width: image.width, height: image.height, grid },
  );
}

/** The same grid of means over an 8-bit display image computed in Node. */
function sampleDisplay(display: Uint8Array, width: number, height: number, grid: number): number[] {
  const cells: number[] = [];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const x0 = Math.ceil(((gx + 0.2) * width) / grid);
      const x1 = Math.floor(((gx + 0.8) * width) / grid);
      const y0 = Math.ceil(((gy + 0.2) * height) / grid);
      const y1 = Math.floor(((gy + 0.8) * height) / grid);
      let sum = 0;
      let n = 0;
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++, n++) sum += display[y * width + x];
      cells.push(sum / n);
    }
  }
  return cells;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function correlation(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Mean of the grid cells whose centres fall in [x0,x1)×[y0,y1) (fractions of the image). */
function regionMean(
  cells: number[],
  grid: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): number {
  const picked: number[] = [];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const cx = (gx + 0.5) / grid;
      const cy = (gy + 0.5) / grid;
      if (cx >= x0 && cx < x1 && cy >= y0 && cy < y1) picked.push(cells[gy * grid + gx]);
    }
  }
  return mean(picked);
}

const GRID = 16;

describe('viewer in Chromium', () => {
  it('shows the MONOCHROME1 tibia with bone bright, and windows it by dragging', async () => {
    const expected = await decodeInNode(RG3);
    expect(expected.photometric).toBe('MONOCHROME1');
    await openFiles(RG3);
    await waitForShown(page, 'RG3_JLSL.dcm');

    const shown = await sampleCanvas(expected, GRID);
    const reference = sampleDisplay(toDisplay8(expected), expected.width, expected.height, GRID);
    // Same picture, same orientation, same polarity: the cell means follow Node's rendering.
    expect(correlation(shown.cells, reference)).toBeGreaterThan(0.95);
    expect(Math.abs(mean(shown.cells) - mean(reference))).toBeLessThan(12);
    // The tibia (middle of the image) is brighter than the soft tissue and air beside it.
    const bone = regionMean(shown.cells, GRID, 0.4, 0.6, 0.1, 0.7);
    const softTissue = regionMean(shown.cells, GRID, 0.25, 0.375, 0.1, 0.9);
    expect(bone).toBeGreaterThan(softTissue + 40);

    // The metadata panel shows the safe subset; patient tags stay hidden until asked.
    const metadata = page.getByTestId('metadata');
    await expect.poll(() => metadata.textContent()).toContain('JPEG-LS');
    expect(await metadata.textContent()).toContain('MONOCHROME1');
    expect(await page.getByTestId('patient').count()).toBe(0);

    // Window/level: a vertical drag moves the window centre and the picture with it.
    const windowText = await page.getByTestId('status-window').textContent();
    const box = await page.getByTestId('viewer').boundingBox();
    if (!box) throw new Error('viewer has no box');
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await afterNextRender(page, async () => {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      for (let step = 1; step <= 6; step++) await page.mouse.move(cx, cy + step * 20);
      await page.mouse.up();
    });
    // The first draw after the drag may show only part of it (the last moves are drawn
    // at the next frame): poll the picture until it has moved, not for a fixed time.
    const moved = async () =>
      Math.abs(mean((await sampleCanvas(expected, GRID)).cells) - mean(shown.cells));
    await expect.poll(moved).toBeGreaterThan(10);
    expect(await page.getByTestId('status-window').textContent()).not.toBe(windowText);
    // The pixel readout reports the value under the cursor.
    expect(await page.getByTestId('status-pixel').textContent()).toMatch(
      /x \d+, y \d+ · stored \d+/,
    );
    expect(browser.errors).toEqual([]);
  });

  it('lists a corrupt file with an error naming it and keeps the good image', async () => {
    const expected = await decodeInNode(RG3);
    const broken = path.join(scratch, 'broken.dcm');
    await writeFile(broken, (await readFile(RG3)).subarray(0, 2000));
    await openFiles(RG3);
    await waitForShown(page, 'RG3_JLSL.dcm');
    const before = await sampleCanvas(expected, GRID);

    await openFiles(broken);
    const error = page.getByTestId('entry-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toContain('broken.dcm');
    expect(
      await page.getByTestId('entry').filter({ hasText: 'broken.dcm' }).getAttribute('data-status'),
    ).toBe('error');

    // The good image is still on screen, unchanged, and can still be selected.
    const after = await sampleCanvas(expected, GRID);
    expect(correlation(after.cells, before.cells)).toBeGreaterThan(0.99);
    const good = page.getByTestId('entry').filter({ hasText: 'RG3_JLSL.dcm' }).getByRole('button');
    await afterNextRender(page, () => good.click());
    expect(await good.getAttribute('aria-current')).toBe('true');
    const reselected = await sampleCanvas(expected, GRID);
    expect(correlation(reselected.cells, before.cells)).toBeGreaterThan(0.99);
    expect(browser.errors).toEqual([]);
  });

  it('opens a 16-bit PNG', async () => {
    const folder = dataPath('png16');
    const name = (await readdir(folder)).filter((f) => f.endsWith('.png')).sort()[0];
    const file = path.join(folder, name);
    const expected = await decodeInNode(file);
    expect(expected.bitsStored).toBe(16);
    await openFiles(file);
    await waitForShown(page, name);
    const shown = await sampleCanvas(expected, GRID);
    const reference = sampleDisplay(toDisplay8(expected), expected.width, expected.height, GRID);
    expect(correlation(shown.cells, reference)).toBeGreaterThan(0.95);
    expect(Math.max(...shown.cells) - Math.min(...shown.cells)).toBeGreaterThan(50);
    expect(browser.errors).toEqual([]);
  });

  it('opens every image in a folder, one by one', async () => {
    const folder = dataPath('png16');
    const names = (await readdir(folder)).filter((f) => f.endsWith('.png'));
    await page.getByTestId('folder-input').setInputFiles(folder);
    const entries = page.getByTestId('entry');
    await expect.poll(() => entries.count(), { timeout: 10_000 }).toBe(names.length);
    await expect
      .poll(() => page.locator('[data-testid=entry][data-status=ready]').count(), {
        timeout: 60_000,
      })
      .toBe(names.length);
    // The first in path order is shown.
    await waitForShown(page, names.sort()[0]);
    expect(await entries.first().getByRole('button').getAttribute('aria-current')).toBe('true');
    expect(browser.errors).toEqual([]);
  });

  it('shows an RGB image dropped on the page in colour', async () => {
    // Left half red, right half blue.
    const width = 64;
    const height = 48;
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++)
        rgb.set(x < width / 2 ? [200, 30, 30] : [30, 30, 200], (y * width + x) * 3);
    }
    const png = Buffer.from(
      encodePng({ width, height, data: rgb, channels: 3, depth: 8 }),
    ).toString('base64');
    await page.evaluate((base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'colour.png', { type: 'image/png' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        window.dispatchEvent(
          new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }),
        );
      }
    }, png);
    await waitForShown(page, 'colour.png');
    const cells = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=viewer] canvas');
      const context = canvas?.getContext('2d');
      if (!canvas || !context) throw new Error('no cornerstone canvas');
      const at = (fx: number) =>
        Array.from(
          context.getImageData(Math.round(canvas.width * fx), canvas.height >> 1, 1, 1).data,
        );
      // The 64×48 image fitted to the canvas spans its full width.
      return { left: at(0.25), right: at(0.75) };
    });
    expect(cells.left[0]).toBeGreaterThan(cells.left[2] + 100);
    expect(cells.right[2]).toBeGreaterThan(cells.right[0] + 100);
    expect(browser.errors).toEqual([]);
  });
});
