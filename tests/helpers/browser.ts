/**
 * Browser end-to-end plumbing: Vite's dev server started in-process on a free port,
 * and Debian's Chromium driven by playwright-core with a fresh profile.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { expect } from 'vitest';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface DevServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the app's dev server with the project's own vite.config.ts, on 127.0.0.1 and a
 * port the OS picks, with its own dependency cache so it never collides with `npm run dev`.
 */
export async function startDevServer(): Promise<DevServer> {
  const server: ViteDevServer = await createServer({
    root: PROJECT_ROOT,
    configFile: path.join(PROJECT_ROOT, 'vite.config.ts'),
    cacheDir: path.join(PROJECT_ROOT, 'node_modules/.vite-e2e'),
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, watch: null, hmr: false },
  });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo | null;
  if (!address || typeof address !== 'object') {
    await server.close();
    throw new Error('Vite dev server did not report the address it listens on');
  }
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and uncaught exceptions: tests print them on failure. */
  errors: string[];
  /** The browser's profile directory (its --user-data-dir). */
  profile: string;
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches /usr/bin/chromium headless with a fresh profile directory (removed on close).
 * Playwright refuses a `--user-data-dir` argument and takes the directory as the
 * persistent context's first parameter instead, which is the same thing.
 */
export async function launchChromium(
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
  options: { bypassCSP?: boolean } = {},
): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\``,
    );
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'skelex-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      deviceScaleFactor: 1,
      // Tests that inject helper scripts into the app's page need the app's CSP set aside.
      bypassCSP: options.bypassCSP ?? false,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    // Failed loads are reported below with their URL instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(message.text());
    }
  });
  page.on('response', (response) => {
    const url = new URL(response.url());
    // The app ships no favicon; the browser asks for one anyway.
    if (response.status() >= 400 && url.pathname !== '/favicon.ico') {
      errors.push(`HTTP ${response.status()} ${response.url()}`);
    }
  });
  page.on('requestfailed', (request) => {
    errors.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  return {
    context,
    page,
    errors,
    profile,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** What most browser tests start with: the app's dev server, Chromium on it, a scratch folder. */
export interface BrowserApp {
  server: DevServer;
  browser: BrowserSession;
  page: Page;
  /** A fresh temp folder when asked for (`scratch`, its name prefix), else ''. */
  scratch: string;
}

/** Starts a BrowserApp; whatever started before a failure is stopped again. */
export async function openBrowserApp(
  options: { scratch?: string; bypassCSP?: boolean } = {},
): Promise<BrowserApp> {
  const app: Partial<BrowserApp> = {};
  try {
    app.scratch = options.scratch ? await mkdtemp(path.join(tmpdir(), options.scratch)) : '';
    app.server = await startDevServer();
    app.browser = await launchChromium(undefined, { bypassCSP: options.bypassCSP });
    app.page = app.browser.page;
    return app as BrowserApp;
  } catch (error) {
    await closeBrowserApp(app);
    throw error;
  }
}

/** Stops what `openBrowserApp` started (any part may be missing) and removes the scratch folder. */
export async function closeBrowserApp(app: Partial<BrowserApp>): Promise<void> {
  await app.browser?.close();
  await app.server?.close();
  if (app.scratch) await rm(app.scratch, { recursive: true, force: true });
}

/** Number of times the viewer has drawn so far. */
async function renderCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('viewer').getAttribute('data-renders'));
}

/**
 * Waits until the file list shows `name` opened (or failed: then throws with its message)
 * and the viewer has drawn that file: not merely any image, since after a click on another
 * row the previous one is still on screen until the new one is drawn.
 */
export async function waitForShown(page: Page, name: string, timeout = 60_000): Promise<void> {
  const entry = page.getByTestId('entry').filter({ hasText: name });
  await entry.first().waitFor({ timeout });
  const status = await page.waitForFunction(
    (n) => {
      for (const li of document.querySelectorAll('[data-testid=entry]')) {
        if (li.querySelector('[data-testid=entry-name]')?.textContent !== n) continue;
        const s = li.getAttribute('data-status');
        if (s === 'ready' || s === 'error') return s;
      }
      return false;
    },
    name,
    { timeout, polling: 100 },
  );
  if ((await status.jsonValue()) !== 'ready') {
    throw new Error(`${name} did not open: ${await entry.first().textContent()}`);
  }
  // The viewer names the file of the image it drew last (see Viewer.svelte).
  await page
    .waitForFunction(
      (n) => document.querySelector('[data-testid=viewer]')?.getAttribute('data-shown-name') === n,
      name,
      { timeout },
    )
    .catch(async (error: unknown) => {
      const shown = await page.getByTestId('viewer').getAttribute('data-shown-name');
      throw new Error(`${name} was not drawn; the viewer shows ${JSON.stringify(shown)}`, {
        cause: error,
      });
    });
}

/** Runs `action` and waits until the viewer has drawn again. */
export async function afterNextRender(page: Page, action: () => Promise<void>): Promise<void> {
  const before = await renderCount(page);
  await action();
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=viewer]')?.getAttribute('data-renders')) > n,
    before,
    { timeout: 10_000 },
  );
}

/**
 * Picks the bundled demo model in the analysis panel, on WASM (and `variant` when given),
 * loads it, and waits until the panel says it is in use.
 */
export async function loadDemoModel(page: Page, variant?: string): Promise<void> {
  const model = page.getByTestId('analysis-model');
  await model.waitFor();
  const demo = await model.locator('option', { hasText: 'skelex-demo' }).getAttribute('value');
  await model.selectOption(demo!);
  await page.getByTestId('analysis-backend').selectOption('wasm');
  if (variant) await page.getByTestId('analysis-variant').selectOption(variant);
  await page.getByTestId('analysis-load').click();
  const inUse = new RegExp(
    `In use: skelex-demo · WASM · \\d+ threads?${variant ? ` · ${variant}` : ''}`,
  );
  await expect
    .poll(() => page.getByTestId('engine-status').textContent(), { timeout: 90_000 })
    .toMatch(inUse);
}
