/**
 * Offline use: a production build served by `vite preview` (as `npm run serve`
 * does), visited once, then the network switched off through the browser's
 * emulation: the app reloads, opens a radiograph and maps it with the bundled
 * model, everything from the service worker's cache.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, dataPath } from '../helpers/data';
import {
  launchChromium,
  loadDemoModel,
  waitForShown,
  type BrowserSession,
} from '../helpers/browser';

const run = promisify(execFile);
let outDir: string;
let server: PreviewServer;
let browser: BrowserSession;
let url: string;
let precacheLine = '';

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'skelex-dist-'));
  const { stdout, stderr } = await run(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--outDir',
      outDir,
      '--emptyOutDir',
    ],
    // Vitest sets NODE_ENV=test, which would build without production's service worker.
    { cwd: PROJECT_ROOT, env: { ...process.env, NODE_ENV: 'production' } },
  );
  precacheLine = `${stdout}\n${stderr}`.split('\n').find((l) => l.includes('precache:')) ?? '';
  server = await preview({
    root: PROJECT_ROOT,
    configFile: path.join(PROJECT_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  const address = server.httpServer.address() as AddressInfo;
  url = `http://127.0.0.1:${address.port}/`;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.httpServer.close(() => resolve()));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('offline', () => {
  it('works with the network off after one visit', async () => {
    expect(precacheLine).toMatch(/precache: \d+ files, [\d.]+ MB/);
    const { page, context } = browser;
    await page.goto(url);
    // The service worker installs once every file of the build is cached.
    await expect
      .poll(
        () =>
          page.evaluate(async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            return registration?.active?.state ?? 'none';
          }),
        { timeout: 120_000 },
      )
      .toBe('activated');
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('skelex-'))!);
      return (await cache.keys()).map((r) => new URL(r.url).pathname);
    });
    expect(cached).toContain('/');
    expect(cached).toContain('/models/demo/model.json');
    expect(cached.some((p) => p.endsWith('.wasm') && p.includes('ort-wasm'))).toBe(true);

    await context.setOffline(true);
    await page.reload();
    await loadDemoModel(page);
    await page.getByTestId('file-input').setInputFiles(dataPath('dicom', 'RG3_RLE.dcm'));
    await waitForShown(page, 'RG3_RLE.dcm');
    await expect
      .poll(() => page.getByTestId('analysis-progress').getAttribute('data-phase'), {
        timeout: 90_000,
      })
      .toMatch(/done|error/);
    expect(await page.getByTestId('analysis-message').count()).toBe(0);
    expect(Number(await page.getByTestId('analysis-mean-error').textContent())).toBeGreaterThan(0);
    expect(browser.errors).toEqual([]);
    await context.setOffline(false);
  }, 300_000);
});
