/**
 * The analysis panel end to end in headless Chromium: a small random MAE converted in
 * Node and saved in the page's model cache, loaded through the panel on WASM, a real
 * radiograph opened and analysed on open; then the overlay (aligned with the image,
 * following opacity and zoom), the SKELEX pass panel and the patch explorer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBundleSink } from '../../src/lib/convert/bundle-sink';
import { openDirectoryByteSources } from '../../src/lib/convert/byte-source-node';
import { openCheckpointFolder } from '../../src/lib/convert/checkpoint-folder';
import { convertCheckpoint } from '../../src/lib/convert/convert';
import { makeVariant } from '../../src/lib/convert/variants';
import type { BundleManifest } from '../../src/lib/model/manifest';
import {
  afterNextRender,
  launchChromium,
  startDevServer,
  waitForShown,
  type BrowserSession,
  type DevServer,
} from '../helpers/browser';
import { dataPath } from '../helpers/data';
import { writeHfCheckpoint } from '../helpers/hf-checkpoint';
import { randomMaeWeights, type HfVitConfig, SMALL_MAE_CONFIG } from '../helpers/reference-vit';

const RG3 = dataPath('dicom', 'RG3_JLSL.dcm');
/** RG3_JLSL.dcm's size. */
let imageSize: { width: number; height: number };

const MAE: HfVitConfig = SMALL_MAE_CONFIG;

const SAVE = `
import { ModelStore } from '/src/lib/model/store.ts';
window.__save = async (manifest, files) => {
  const blob = (b) => new Blob([Uint8Array.from(atob(b), (c) => c.charCodeAt(0))]);
  const store = new ModelStore();
  return (await store.saveBundle(manifest, new Map(Object.entries(files).map(([p, b]) => [p, blob(b)])))).id;
};
`;

declare global {
  interface Window {
    __save(manifest: BundleManifest, files: Record<string, string>): Promise<string>;
  }
}

let server: DevServer;
let browser: BrowserSession;
let page: Page;
let scratch: string;
let manifest: BundleManifest;
let files: Record<string, string>;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'skelex-analysis-ui-'));
  const dir = writeHfCheckpoint(path.join(scratch, 'tiny-mae'), {
    architecture: 'ViTMAEForPreTraining',
    config: MAE,
    weights: randomMaeWeights(MAE, 7),
    preprocessor: { image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.25, 0.25], resample: 3 },
  });
  const listing = await openDirectoryByteSources(dir);
  const sink = new MemoryBundleSink();
  try {
    manifest = await convertCheckpoint(await openCheckpointFolder(listing.files, 'tiny'), sink, {
      variants: ['fp32'],
      makeVariant,
      name: 'tiny-mae',
    });
  } finally {
    await listing.close();
  }
  files = {};
  for (const [name, blob] of sink.files) {
    files[name] = Buffer.from(await blob.arrayBuffer()).toString('base64');
  }
  server = await startDevServer();
  browser = await launchChromium(undefined, { bypassCSP: true }); // the tests inject helper scripts
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface OverlayPixels {
  width: number;
  height: number;
  /** Bounding box of the pixels with any alpha. */
  box: Box | null;
  /** Alpha at the canvas centre. */
  centreAlpha: number;
  /** Pixels drawn in a colour (not gray). */
  coloured: number;
}

function readOverlay(): Promise<OverlayPixels> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=heatmap-overlay]');
    const context = canvas?.getContext('2d');
    if (!canvas || !context) throw new Error('no overlay canvas');
    const { width, height } = canvas;
    const data = context.getImageData(0, 0, width, height).data;
    let box: { left: number; top: number; right: number; bottom: number } | null = null;
    let coloured = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 4;
        if (data[o + 3] === 0) continue;
        if (
          Math.max(data[o], data[o + 1], data[o + 2]) -
            Math.min(data[o], data[o + 1], data[o + 2]) >
          8
        )
          coloured++;
        if (!box) box = { left: x, top: y, right: x + 1, bottom: y + 1 };
        else {
          box.left = Math.min(box.left, x);
          box.top = Math.min(box.top, y);
          box.right = Math.max(box.right, x + 1);
          box.bottom = Math.max(box.bottom, y + 1);
        }
      }
    }
    const c = ((height >> 1) * width + (width >> 1)) * 4;
    return { width, height, box, centreAlpha: data[c + 3], coloured };
  });
}

/** Where cornerstone shows the whole image at `scale`, centred (no pan). */
function imageBox(canvas: { width: number; height: number }, scale: number): Box {
  const w = imageSize.width * scale;
  const h = imageSize.height * scale;
  const left = (canvas.width - w) / 2;
  const top = (canvas.height - h) / 2;
  return { left, top, right: left + w, bottom: top + h };
}

function expectBoxNear(got: Box | null, want: Box, tolerance = 2): void {
  expect(got).not.toBeNull();
  for (const side of ['left', 'top', 'right', 'bottom'] as const) {
    expect(
      Math.abs(got![side] - want[side]),
      `${side}: ${got![side]} vs ${want[side]}`,
    ).toBeLessThanOrEqual(tolerance);
  }
}

/** How far, in canvas pixels, the farthest side of `got` lies from `want` (Infinity for no box). */
function boxError(got: Box | null, want: Box): number {
  if (!got) return Infinity;
  return Math.max(
    ...(['left', 'top', 'right', 'bottom'] as const).map((side) =>
      Math.abs(got[side] - want[side]),
    ),
  );
}

async function overlayDraws(): Promise<number> {
  return Number(await page.getByTestId('heatmap-overlay').getAttribute('data-draws'));
}

/** Runs `action` and waits until the overlay has drawn again. */
async function afterOverlayDraw(action: () => Promise<void>): Promise<void> {
  const before = await overlayDraws();
  await action();
  await expect.poll(overlayDraws, { timeout: 10_000 }).toBeGreaterThan(before);
}

/** Stats of a canvas's pixels: how many are not black, and the spread of their gray. */
function canvasStats(
  testid: string,
): Promise<{ width: number; lit: number; spread: number; sum: number }> {
  return page.evaluate((id) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid=${id}]`);
    const context = canvas?.getContext('2d');
    if (!canvas || !context) throw new Error(`no canvas ${id}`);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    let lo = 255;
    let hi = 0;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) {
      const v = (data[i] + data[i + 1] + data[i + 2]) / 3;
      if (data[i + 3] > 0 && v > 0) lit++;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v * (i / 4 + 1);
    }
    return { width: canvas.width, lit, spread: hi - lo, sum };
  }, testid);
}

/**
 * What the analysis tests start from, made by each of them so any runs alone: a fresh page
 * with the test's model in the page's cache, chosen and loaded on WASM by hand, and RG3
 * opened and analysed on open.
 */
async function openAnalysed(): Promise<void> {
  await page.goto(server.url);
  // The model goes into the page's cache, as "Models" would put it there.
  await page.addScriptTag({ type: 'module', content: SAVE });
  await page.waitForFunction(() => typeof window.__save === 'function');
  await page.evaluate(({ manifest, files }) => window.__save(manifest, files), {
    manifest,
    files,
  });
  await page.reload();
  const model = page.getByTestId('analysis-model');
  await model.waitFor();
  // The bundled demo model is listed too: choose the test's own.
  await expect
    .poll(() => model.locator('option').allTextContents())
    .toContainEqual(expect.stringContaining('tiny-mae'));
  const tiny = await model.locator('option', { hasText: 'tiny-mae' }).getAttribute('value');
  await model.selectOption(tiny!);
  expect(await model.locator('option:checked').textContent()).toContain('tiny-mae');

  // WASM, loaded once by hand: from then on, opening an image analyses it.
  await page.getByTestId('analysis-backend').selectOption('wasm');
  await page.getByTestId('analysis-load').click();
  const status = page.getByTestId('engine-status');
  await expect
    .poll(() => status.textContent(), { timeout: 60_000 })
    .toMatch(/In use: tiny-mae · WASM · \d+ threads? · fp32/);

  await page.getByTestId('file-input').setInputFiles(RG3);
  await waitForShown(page, 'RG3_JLSL.dcm');
  await expect
    .poll(() => page.getByTestId('analysis-progress').getAttribute('data-phase'), {
      timeout: 60_000,
    })
    .toMatch(/done|error/);
  expect(await page.getByTestId('analysis-message').count()).toBe(0);
}

describe('analysis panel in Chromium', () => {
  it('offers the bundled demo model on a fresh page', async () => {
    await page.goto(server.url);
    const model = page.getByTestId('analysis-model');
    // The <select> is there before the page has listed the models: wait for the list.
    await expect
      .poll(() => model.locator('option').allTextContents())
      .toContainEqual(expect.stringContaining('skelex-demo'));
    expect(browser.errors).toEqual([]);
  });

  it('analyses on open, overlays the map aligned with the image, and explores masks', async () => {
    await openAnalysed();
    const progress = page.getByTestId('analysis-progress');
    expect(await progress.getAttribute('data-done')).toBe('4');
    expect(await progress.getAttribute('data-total')).toBe('4');
    expect(await page.getByTestId('analysis-timings').textContent()).toMatch(/Encoder\s*[\d.]+ ms/);
    expect(Number(await page.getByTestId('analysis-mean-error').textContent())).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('analysis-top1-error').textContent())).toBeGreaterThan(0);

    // The overlay covers the image as cornerstone fits it, in colour, at 50% opacity.
    imageSize = await page.evaluate(() => {
      const text = document.querySelector('[data-testid=metadata]')?.textContent ?? '';
      const m = /(\d+) × (\d+) px/.exec(text);
      return { width: Number(m?.[1]), height: Number(m?.[2]) };
    });
    expect(imageSize.width).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('heatmap-overlay').getAttribute('data-visible'))
      .toBe('true');
    const fitted = await readOverlay();
    const fit = Math.min(fitted.width / imageSize.width, fitted.height / imageSize.height);
    expectBoxNear(fitted.box, imageBox(fitted, fit));
    expect(fitted.coloured).toBeGreaterThan(1000);
    expect(fitted.centreAlpha).toBeGreaterThan(110);
    expect(fitted.centreAlpha).toBeLessThan(145);

    // Opacity is the overlay's alpha.
    await afterOverlayDraw(() => page.getByTestId('overlay-opacity').fill('1'));
    expect((await readOverlay()).centreAlpha).toBe(255);
    await afterOverlayDraw(() => page.getByTestId('overlay-opacity').fill('0.25'));
    const quarter = (await readOverlay()).centreAlpha;
    expect(quarter).toBeGreaterThan(50);
    expect(quarter).toBeLessThan(80);

    // Another colormap, other colours.
    const centreColour = () =>
      page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=heatmap-overlay]')!;
        const { width, height } = canvas;
        return Array.from(
          canvas.getContext('2d')!.getImageData(width >> 1, height >> 1, 1, 1).data,
        ).join();
      });
    const inferno = await centreColour();
    await afterOverlayDraw(async () => {
      await page.getByTestId('overlay-colormap').selectOption('viridis');
    });
    expect(await centreColour()).not.toBe(inferno);

    // A colour bar with values spans the range.
    expect(await page.getByTestId('colorbar-tick').count()).toBeGreaterThan(1);

    // Zooming out about the centre keeps the overlay on the image.
    const viewerBox = (await page.getByTestId('viewer').boundingBox())!;
    await afterOverlayDraw(() =>
      afterNextRender(page, async () => {
        await page.mouse.move(
          viewerBox.x + viewerBox.width / 2,
          viewerBox.y + viewerBox.height / 2,
        );
        await page.mouse.wheel(0, 250);
      }),
    );
    // Not a fixed wait: poll the state asserted, the overlay where the whole wheel turn puts
    // the image, until the viewer and the overlay have both drawn it.
    const zoomedBox = (o: OverlayPixels) => imageBox(o, fit * 2 ** (-250 / 500));
    await expect
      .poll(async () => {
        const o = await readOverlay();
        return boxError(o.box, zoomedBox(o));
      })
      .toBeLessThanOrEqual(2);
    const zoomed = await readOverlay();
    expectBoxNear(zoomed.box, zoomedBox(zoomed));

    // Turned off, nothing is drawn.
    await afterOverlayDraw(() => page.getByTestId('overlay-enabled').uncheck());
    expect((await readOverlay()).box).toBeNull();
    await afterOverlayDraw(() => page.getByTestId('overlay-enabled').check());

    // The map's region of interest is outlined, in solid sky blue over the translucent map.
    const roiPixels = () =>
      page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=heatmap-overlay]')!;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let o = 0; o < data.length; o += 4) {
          const sky =
            Math.abs(data[o] - 56) + Math.abs(data[o + 1] - 189) + Math.abs(data[o + 2] - 248);
          if (data[o + 3] === 255 && sky < 24) n++;
        }
        return n;
      });
    const overlayAttribute = (name: string) =>
      page.getByTestId('heatmap-overlay').getAttribute(name);
    expect(await overlayAttribute('data-roi')).toMatch(/^\d+,\d+,\d+,\d+$/);
    expect(await roiPixels()).toBeGreaterThan(40);
    await afterOverlayDraw(() => page.getByTestId('overlay-roi').uncheck());
    expect(await roiPixels()).toBe(0);
    await afterOverlayDraw(() => page.getByTestId('overlay-roi').check());
    // The relative map is the other choice, with its own region.
    await afterOverlayDraw(async () => {
      await page.getByTestId('overlay-kind').selectOption('relative');
    });
    expect(await overlayAttribute('data-kind')).toBe('relative');
    expect(await overlayAttribute('data-roi')).toMatch(/^\d+,\d+,\d+,\d+$/);
    expect(await roiPixels()).toBeGreaterThan(40);
    await afterOverlayDraw(async () => {
      await page.getByTestId('overlay-kind').selectOption('raw');
    });

    // The SKELEX panel shows the model's input, the masked input and both reconstructions.
    for (const id of [
      'skelex-original',
      'skelex-masked',
      'skelex-reconstruction',
      'skelex-visible',
    ]) {
      const stats = await canvasStats(id);
      expect(stats.width, id).toBe(32);
      expect(stats.lit, id).toBeGreaterThan(100);
      expect(stats.spread, id).toBeGreaterThan(10);
    }

    // Another pass, another mask.
    const firstMask = (await canvasStats('skelex-masked')).sum;
    await page.getByTestId('skelex-pass').selectOption('1');
    await expect.poll(async () => (await canvasStats('skelex-masked')).sum).not.toBe(firstMask);

    // The explorer: clicking a patch hides it and shows that mask's reconstruction.
    const grid = page.getByTestId('explorer-grid');
    expect(await grid.getAttribute('data-side')).toBe('4');
    const hiddenBefore = Number(await grid.getAttribute('data-hidden'));
    expect(hiddenBefore).toBe(12);
    const gridBox = (await grid.boundingBox())!;
    const cell = gridBox.width / 4;
    // The patch at (1, 1) flips; the answer is for the new mask.
    await grid.click({ position: { x: cell * 1.5, y: cell * 1.5 } });
    await expect.poll(() => grid.getAttribute('data-hidden')).not.toBe(String(hiddenBefore));
    const hiddenAfter = Number(await grid.getAttribute('data-hidden'));
    const outcome = page.getByTestId('explorer-outcome');
    await expect
      .poll(() => outcome.getAttribute('data-hidden'), { timeout: 30_000 })
      .toBe(String(hiddenAfter));
    const first = await canvasStats('explorer-reconstruction');
    expect(first.lit).toBeGreaterThan(100);
    expect((await canvasStats('explorer-error')).lit).toBeGreaterThan(0);

    // Hiding every other patch too changes the reconstruction.
    await page.getByTestId('explorer-invert').click();
    const inverted = 16 - hiddenAfter;
    await expect
      .poll(() => outcome.getAttribute('data-hidden'), { timeout: 30_000 })
      .toBe(String(inverted));
    const second = await canvasStats('explorer-reconstruction');
    expect(second.sum).not.toBe(first.sum);

    expect(browser.errors).toEqual([]);
  });

  it('cancels a running analysis and starts another', async () => {
    await openAnalysed();
    const progress = page.getByTestId('analysis-progress');
    await page.getByTestId('analysis-passes').fill('64');
    // Run, and cancel before the worker can answer.
    const phase = await page.evaluate(async () => {
      const button = (id: string) =>
        document.querySelector<HTMLButtonElement>(`[data-testid=${id}]`)!;
      const progress = document.querySelector('[data-testid=analysis-progress]')!;
      // Waits until the run shows (the phase attribute changes from 'done'), then cancels at
      // once: the worker's answer to 64 passes is far behind.
      const shown = new Promise<string | null>((resolve) => {
        const observer = new MutationObserver(() => {
          const phase = progress.getAttribute('data-phase');
          if (phase === 'done') return;
          observer.disconnect();
          resolve(phase);
        });
        observer.observe(progress, { attributes: true, attributeFilter: ['data-phase'] });
      });
      button('analysis-run').click();
      const running = await shown;
      button('analysis-cancel').click();
      return running;
    });
    expect(phase).toBe('running');
    await expect.poll(() => progress.getAttribute('data-phase')).toBe('cancelled');
    expect(await page.getByTestId('analysis-message').textContent()).toContain('cancelled');
    // The overlay of the earlier run stays off until a new result is in.
    await page.getByTestId('analysis-passes').fill('4');
    await page.getByTestId('analysis-run').click();
    await expect.poll(() => progress.getAttribute('data-phase'), { timeout: 60_000 }).toBe('done');
    expect(await progress.getAttribute('data-done')).toBe('4');
    expect(await page.getByTestId('heatmap-overlay').getAttribute('data-visible')).toBe('true');

    // The choices outlive the page: this test's own, and overlay ones set here rather than
    // left by the test before (they are saved as they change, before the reload below).
    await page.getByTestId('overlay-opacity').fill('0.25');
    await page.getByTestId('overlay-colormap').selectOption('viridis');
    await page.reload();
    await page.getByTestId('analysis-model').waitFor();
    expect(await page.getByTestId('analysis-backend').inputValue()).toBe('wasm');
    expect(await page.getByTestId('analysis-passes').inputValue()).toBe('4');
    expect(await page.getByTestId('overlay-opacity').inputValue()).toBe('0.25');
    expect(await page.getByTestId('overlay-colormap').inputValue()).toBe('viridis');
    expect(browser.errors).toEqual([]);
  });
});
