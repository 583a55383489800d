/**
 * npm run bench:batch -- [--images N] [--variants fp32,int8]
 *
 * Batch throughput: the app's "Analyse all" in headless Chromium (the demo
 * model, WASM, 2 threads; per image: decode, 4-pass map, relative map,
 * regions, three classifications) beside `skelex analyze` on onnxruntime-node
 * (the same work, plus writing two PNGs an image) on the same files, in one
 * run. Prints images a minute for N FracAtlas JPEGs and for the six DICOMs.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, PROJECT_ROOT, startDevServer } from '../tests/helpers/browser';
import { runSkelex } from '../tests/helpers/cli';

const { values: options } = parseArgs({
  options: {
    images: { type: 'string', default: '60' },
    variants: { type: 'string', default: 'fp32,int8' },
  },
});
const IMAGES = Number(options.images);
const VARIANTS = options.variants.split(',');
const DATA = process.env.SKELEX_DATA ?? path.resolve(PROJECT_ROOT, '../shared/data');

const listed = (folder: string, take = Infinity) =>
  readdirSync(path.join(DATA, folder))
    .sort()
    .slice(0, take)
    .map((f) => path.join(DATA, folder, f));
const SETS: [string, string[]][] = [
  [`${IMAGES} FracAtlas JPEGs (about 450x512)`, listed('fracatlas/images', IMAGES)],
  ['6 NEMA DICOMs (1760x1760 to 1760x2140)', listed('dicom')],
];

async function chooseDemo(page: Page, variant: string): Promise<void> {
  const model = page.getByTestId('analysis-model');
  await model.waitFor();
  const demo = await model.locator('option', { hasText: 'skelex-demo' }).getAttribute('value');
  await model.selectOption(demo!);
  await page.getByTestId('analysis-backend').selectOption('wasm');
  await page.getByTestId('analysis-variant').selectOption(variant);
  await page.getByTestId('analysis-load').click();
  await page.waitForFunction(
    (v) =>
      /In use: skelex-demo · WASM/.test(
        document.querySelector('[data-testid=engine-status]')?.textContent ?? '',
      ) && (document.querySelector('[data-testid=engine-status]')?.textContent ?? '').includes(v),
    variant,
    { timeout: 120_000 },
  );
}

/** Opens the files, runs "Analyse all", and returns images a minute from start to the last row. */
async function appRate(page: Page, url: string, variant: string, files: string[]): Promise<number> {
  await page.goto(url);
  await page.getByTestId('analysis-on-open').uncheck();
  await chooseDemo(page, variant);
  await page.getByTestId('file-input').setInputFiles(files);
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=entry]').length === n,
    files.length,
  );
  const start = performance.now();
  await page.getByTestId('batch-start').click();
  await page.waitForFunction(
    (n) =>
      (document.querySelector('[data-testid=batch-count]')?.textContent ?? '').startsWith(
        `${n} of ${n}`,
      ),
    files.length,
    { timeout: 30 * 60_000, polling: 200 },
  );
  const seconds = (performance.now() - start) / 1000;
  const failed = await page.locator('[data-testid=batch-row][data-status=error]').count();
  if (failed > 0) throw new Error(`${failed} images failed in the app`);
  return (files.length * 60) / seconds;
}

async function cliRate(variant: string, files: string[]): Promise<number> {
  const out = mkdtempSync(path.join(tmpdir(), 'skelex-bench-batch-'));
  try {
    const start = performance.now();
    const analysed = await runSkelex([
      'analyze',
      ...files,
      '--model',
      path.join(PROJECT_ROOT, 'models/demo'),
      '--variant',
      variant,
      '--out',
      out,
    ]);
    if (analysed.code !== 0) throw new Error(`skelex analyze failed: ${analysed.stderr}`);
    return (files.length * 60) / ((performance.now() - start) / 1000);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const server = await startDevServer();
const browser = await launchChromium();
try {
  console.log(
    'Batch throughput, demo model, images a minute (4-pass complementary maps, regions, classifier)',
  );
  console.log(
    '| images | variant | app (Chromium, WASM 2 threads) | skelex analyze (native) | ratio |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const [label, files] of SETS) {
    for (const variant of VARIANTS) {
      const app = await appRate(browser.page, server.url, variant, files);
      const cli = await cliRate(variant, files);
      console.log(
        `| ${label} | ${variant} | ${app.toFixed(0)} | ${cli.toFixed(0)} | ${(app / cli).toFixed(2)} |`,
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
}
