/**
 * README screenshots of the viewer: `npx tsx tools/screenshot.ts`.
 * Starts the dev server, opens the NEMA hip (RG2) and tibia (RG3) radiographs in
 * headless Chromium and writes docs/viewer-hip.png and docs/viewer-tibia.png (1280x800),
 * then, on a fresh page, the bundled model's map of a fractured FracAtlas validation image
 * (a distal forearm fracture the demo's region finds): docs/map-fracture.png.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  PROJECT_ROOT,
  afterNextRender,
  launchChromium,
  startDevServer,
  waitForShown,
} from '../tests/helpers/browser';
import { dataPath } from '../tests/helpers/data';

const MAP_SHOT = { file: 'IMG0001380.jpg', out: 'docs/map-fracture.png' };

const SHOTS = [
  { file: 'RG2_UNC.dcm', out: 'docs/viewer-hip.png' },
  { file: 'RG3_JLSL.dcm', out: 'docs/viewer-tibia.png' },
];

async function main(): Promise<void> {
  const files = SHOTS.map((s) => dataPath('dicom', s.file));
  await mkdir(path.join(PROJECT_ROOT, 'docs'), { recursive: true });
  const server = await startDevServer();
  try {
    const browser = await launchChromium({ width: 1280, height: 800 });
    try {
      const { page } = browser;
      await page.goto(server.url);
      await page.getByTestId('file-input').setInputFiles(files);
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid=entry][data-status=ready]').length === n,
        SHOTS.length,
      );
      for (const shot of SHOTS) {
        const entry = page.getByTestId('entry').filter({ hasText: shot.file }).getByRole('button');
        await afterNextRender(page, () => entry.click());
        await waitForShown(page, shot.file);
        // Rest the pointer on the image so the status bar shows a pixel readout.
        const box = await page.getByTestId('viewer').boundingBox();
        if (box) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.45);
        await page.waitForTimeout(200);
        const out = path.join(PROJECT_ROOT, shot.out);
        await page.screenshot({ path: out });
        console.log(`wrote ${path.relative(process.cwd(), out)}`);
      }
      await mapShot(page, server.url);
      if (browser.errors.length > 0) console.warn(`page errors:\n${browser.errors.join('\n')}`);
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

/** The bundled model's map, as a first visit shows it, of a fractured validation image. */
async function mapShot(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page
    .getByTestId('file-input')
    .setInputFiles(dataPath('fracatlas', 'images', MAP_SHOT.file));
  await waitForShown(page, MAP_SHOT.file);
  await page.waitForFunction(
    (file) => {
      const overlay = document.querySelector('[data-testid=heatmap-overlay]');
      return (
        overlay?.getAttribute('data-result-name') === file &&
        overlay.getAttribute('data-visible') === 'true'
      );
    },
    MAP_SHOT.file,
    { timeout: 120_000 },
  );
  const out = path.join(PROJECT_ROOT, MAP_SHOT.out);
  await page.screenshot({ path: out });
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
