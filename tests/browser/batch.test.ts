/**
 * Batch analysis in the app: open real radiographs and a broken file, analyse
 * them all with the demo model (fp32 MAE on WASM), sort the table, open a row
 * with its map, export summary.csv, and compare it with `skelex analyze` on the
 * same files (onnxruntime-node) column by column.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_COLUMNS } from '../../src/lib/report/summary';
import {
  PROJECT_ROOT,
  loadDemoModel,
  waitForShown,
  type BrowserSession,
  type DevServer,
  closeBrowserApp,
  openBrowserApp,
} from '../helpers/browser';
import { runSkelex } from '../helpers/cli';
import { parseCsv } from '../helpers/csv';
import { dataPath } from '../helpers/data';

const FILES = [
  dataPath('dicom', 'RG3_RLE.dcm'),
  dataPath('dicom', 'RG2_JPLL.dcm'),
  dataPath('png16', '2425_1070629475_01_WRI-L2_F005.png'),
  dataPath('fracatlas', 'images', 'IMG0000010.jpg'),
  dataPath('fracatlas', 'images', 'IMG0000011.jpg'),
];
const BROKEN = 'broken.dcm';

let server: DevServer;
let browser: BrowserSession;
let page: Page;
let scratch: string;

beforeAll(async () => {
  ({ server, browser, page, scratch } = await openBrowserApp({ scratch: 'skelex-batch-' }));
});

afterAll(() => closeBrowserApp({ server, browser, scratch }));

async function tableColumn(key: string): Promise<string[]> {
  const headers = await page
    .getByTestId('batch-sort')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
  const index = headers.indexOf(key);
  expect(index, `column ${key}`).toBeGreaterThanOrEqual(0);
  return page
    .getByTestId('batch-row')
    .evaluateAll((rows, i) => rows.map((r) => r.children[i].textContent!.trim()), index);
}

const numbers = (cells: string[]) => cells.map(Number).filter((n) => Number.isFinite(n));

/** Sorts the table by `key` with a click on its header; returns the order it says it has. */
async function sortBy(key: string): Promise<string | null> {
  const header = page.locator(`[data-testid=batch-sort][data-key="${key}"]`);
  await header.click();
  return header.locator('xpath=..').getAttribute('aria-sort');
}

describe('batch analysis', () => {
  it('fills a sortable table, opens rows with their map, exports the numbers skelex analyze gives, and cancels', async () => {
    const broken = path.join(scratch, BROKEN);
    await writeFile(broken, (await readFile(FILES[0])).subarray(0, 400));
    await page.goto(server.url);
    await page.getByTestId('analysis-on-open').uncheck();
    // The same settings as the command line below.
    await page.getByTestId('analysis-schedule').selectOption('complementary');
    await page.getByTestId('analysis-passes').fill('4');
    await page.getByTestId('analysis-seed').fill('7');
    await loadDemoModel(page, 'fp32');
    await page.getByTestId('file-input').setInputFiles([...FILES, broken]);
    // The list is in path order, as the app sorts it, and the first that opens is shown.
    const first = FILES.map((f) => path.basename(f)).sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true }),
    )[0];
    await waitForShown(page, first);

    await page.getByTestId('batch-start').click();
    await expect
      .poll(() => page.getByTestId('batch-count').textContent(), { timeout: 180_000 })
      .toMatch(/^6 of 6/);
    const statuses = await page
      .getByTestId('batch-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses.filter((s) => s === 'done')).toHaveLength(FILES.length);
    expect(statuses.filter((s) => s === 'error')).toHaveLength(1);
    expect(await page.getByTestId('batch-count').textContent()).toMatch(/images a minute/);

    // Sorting: mean error largest first, then smallest first; a head column too. Each
    // column holds different values, or any order of it would pass as sorted.
    expect(await sortBy('meanError')).toBe('descending');
    const down = numbers(await tableColumn('meanError'));
    expect(down).toHaveLength(FILES.length);
    expect(new Set(down).size).toBeGreaterThan(1);
    expect(down).toEqual([...down].sort((a, b) => b - a));
    expect(await sortBy('meanError')).toBe('ascending');
    const up = numbers(await tableColumn('meanError'));
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(up).not.toEqual(down);
    expect(await sortBy('fracture/fracture')).toBe('descending');
    const fracture = numbers(await tableColumn('fracture/fracture'));
    expect(fracture).toHaveLength(FILES.length);
    expect(new Set(fracture).size).toBeGreaterThan(1);
    expect(fracture).toEqual([...fracture].sort((a, b) => b - a));
    expect(await sortBy('file')).toBe('ascending');
    const files = await tableColumn('file');
    expect(new Set(files).size).toBe(FILES.length + 1);
    expect(files).toEqual(
      [...files].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    );

    // A row opens its image with its map at once (remembered, not run again).
    const name = path.basename(FILES[1]);
    const row = page.locator(`[data-testid=batch-row][data-file="${name}"]`);
    const rowError = (await row.locator('td').nth(3).textContent())!.trim();
    await row.click();
    await waitForShown(page, name);
    await expect.poll(() => page.getByTestId('analysis-mean-error').textContent()).toBe(rowError);
    // Its map is on show over it, not merely the overlay's canvas in the page.
    await expect
      .poll(() => page.getByTestId('heatmap-overlay').getAttribute('data-visible'))
      .toBe('true');

    // summary.csv from the app beside skelex analyze on the same files.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('batch-export').click(),
    ]);
    expect(download.suggestedFilename()).toBe('summary.csv');
    const app = parseCsv(await readFile(await download.path(), 'utf8'));
    expect(app).toHaveLength(FILES.length + 1);
    const out = path.join(scratch, 'cli');
    const analysed = await runSkelex([
      'analyze',
      ...FILES,
      '--model',
      path.join(PROJECT_ROOT, 'models/demo'),
      '--out',
      out,
      '--schedule',
      'complementary',
      '--passes',
      '4',
      '--seed',
      '7',
    ]);
    expect(analysed.code, analysed.stderr).toBe(0);
    const cli = parseCsv(await readFile(path.join(out, 'summary.csv'), 'utf8'));
    expect(Object.keys(app[0])).toEqual(Object.keys(cli[0]));
    expect(Object.keys(app[0]).slice(0, SUMMARY_COLUMNS.length)).toEqual([...SUMMARY_COLUMNS]);
    for (const c of cli) {
      const a = app.find((r) => path.basename(r.file) === path.basename(c.file));
      expect(a, c.file).toBeDefined();
      expect(a!.ok).toBe('true');
      expect([a!.width, a!.height]).toEqual([c.width, c.height]);
      // fp32 on onnxruntime-web (WASM) and onnxruntime-node: the same up to float rounding.
      for (const column of ['mean_error', 'top1_error'])
        expect(Number(a![column]), `${c.file} ${column}`).toBeCloseTo(Number(c[column]), 5);
      for (const column of ['roi_x', 'roi_y', 'roi_w', 'roi_h'])
        expect(
          Math.abs(Number(a![column]) - Number(c[column])),
          `${c.file} ${column}`,
        ).toBeLessThan(3);
      // The classifier is int8 only, and the two runtimes round its kernels differently.
      for (const column of Object.keys(c).filter((k) => k.includes('/')))
        expect(
          Math.abs(Number(a![column]) - Number(c[column])),
          `${c.file} ${column}`,
        ).toBeLessThan(0.1);
    }
    const failed = app.find((r) => r.file === BROKEN)!;
    expect(failed.ok).toBe('false');
    expect(failed.error).toContain(BROKEN);

    // Cancel: a second run stopped early leaves the rest cancelled, and the app goes on.
    await page.getByTestId('batch-start').click();
    await page.locator('[data-testid=batch-row][data-status=running]').first().waitFor();
    await page.getByTestId('batch-cancel').click();
    await expect
      .poll(() =>
        page
          .getByTestId('batch-row')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))),
      )
      .not.toContain('running');
    const after = await page
      .getByTestId('batch-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(after).not.toContain('queued');
    expect(after).toContain('cancelled');
    await page.getByTestId('analysis-run').click();
    await expect
      .poll(() => page.getByTestId('analysis-progress').getAttribute('data-phase'), {
        timeout: 60_000,
      })
      .toBe('done');
    expect(browser.errors).toEqual([]);
  }, 400_000);
});
