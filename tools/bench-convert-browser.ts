/**
 * npx tsx tools/bench-convert-browser.ts — peak memory of converting a ViT-Large-size MAE
 * checkpoint (random weights, 1.23 GiB F32 safetensors, written to a temp folder) to an
 * fp32 bundle in headless Chromium, in the page's convert worker.
 *
 * The requirement it checks: a ViT-Large checkpoint (about 1.3 GB fp32) must convert in a
 * browser tab without holding more than about twice its size in memory.
 *
 * While the conversion runs, every 250 ms it reads /proc for each process of the Chromium it
 * launched (the browser process and all its descendants: zygotes, renderer, GPU and utility
 * processes) and records RSS (with its anonymous, file and shared-memory parts) and PSS.
 * A dedicated worker is a thread of the page's renderer process, so the worker's memory is
 * part of the renderer's figure; Blob data the renderer hands over ends up in the browser
 * process (or on disk, under the profile's blob_storage folder, which is measured too).
 *
 * Modes (BENCH_MODE):
 *   direct (default) — the page imports the app's convert client and converts the files
 *                      picked through an <input type=file webkitdirectory>; nothing is saved.
 *   app              — the real "Import model" dialog: folder input, fp32 only, converted and
 *                      saved to the model store (IndexedDB).
 * BENCH_TIMEOUT_S (default 900) gives up after that many seconds, cleaning up either way.
 * BENCH_CHECKPOINT=dir uses an existing checkpoint folder instead of writing one.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeRandomVitLargeCheckpoint } from './random-vit-large';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  startDevServer,
  type DevServer,
} from '../tests/helpers/browser';

const MODE = (process.env.BENCH_MODE ?? 'direct') as 'direct' | 'app';
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 900);
const SAMPLE_MS = 250;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

// ---------------------------------------------------------------------------------------
// The checkpoint: ViT-L/16 MAE sizes (HF facebook/vit-mae-large), random F32 weights.

// ---------------------------------------------------------------------------------------
// /proc sampling of the Chromium process tree.

interface ProcMemory {
  pid: number;
  label: string;
  rss: number;
  anon: number;
  file: number;
  shmem: number;
  pss: number;
}

interface Sample {
  t: number;
  stage: string;
  procs: ProcMemory[];
  rss: number;
  pss: number;
  /** Bytes on disk under the profile's blob_storage folder. */
  blobDisk: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[1]);
}

/**
 * A process's arguments. Chromium's zygote children rewrite their title, which turns
 * /proc/PID/cmdline into one space-separated string, so split on both.
 */
function cmdlineOf(pid: number): string[] {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split(/[\0 ]/).filter(Boolean);
}

function labelOf(args: string[]): string {
  const flag = (name: string) =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const type = flag('type');
  if (!type) return 'browser';
  if (type === 'utility') {
    const sub = flag('utility-sub-type') ?? '';
    return `utility:${
      sub
        .replace(/\.mojom\./, '.')
        .split('.')
        .at(-1) ?? sub
    }`;
  }
  return type;
}

/** The Chromium browser process started with this profile (not the /usr/bin/chromium script). */
function findBrowserPid(profile: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = cmdlineOf(Number(entry));
    if (
      args.some((a) => a === `--user-data-dir=${profile}`) &&
      !args.some((a) => a.startsWith('--type='))
    ) {
      return Number(entry);
    }
  }
  return undefined;
}

class ProcessTree {
  private readonly labels = new Map<number, string>();

  constructor(private readonly root: number) {}

  /** The root and all its descendants, alive now. */
  members(): { pid: number; label: string }[] {
    const children = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const parent = parentOf(pid);
      if (parent === undefined) continue;
      (children.get(parent) ?? children.set(parent, []).get(parent)!).push(pid);
    }
    const out: { pid: number; label: string }[] = [];
    const stack = [this.root];
    while (stack.length > 0) {
      const pid = stack.pop()!;
      let label = this.labels.get(pid);
      if (label === undefined) {
        const args = cmdlineOf(pid);
        if (args.length === 0) continue;
        label = labelOf(args);
        this.labels.set(pid, label);
      }
      out.push({ pid, label });
      stack.push(...(children.get(pid) ?? []));
    }
    return out;
  }
}

function kiloBytes(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

function memoryOf(pid: number, label: string): ProcMemory | undefined {
  const status = readText(`/proc/${pid}/status`);
  if (!status) return undefined;
  const rollup = readText(`/proc/${pid}/smaps_rollup`) ?? '';
  return {
    pid,
    label,
    rss: kiloBytes(status, 'VmRSS'),
    anon: kiloBytes(status, 'RssAnon'),
    file: kiloBytes(status, 'RssFile'),
    shmem: kiloBytes(status, 'RssShmem'),
    pss: kiloBytes(rollup, 'Pss'),
  };
}

function folderBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else if (entry.isFile()) {
      try {
        total += statSync(full).size;
      } catch {
        // removed meanwhile
      }
    }
  }
  return total;
}

class Sampler {
  readonly samples: Sample[] = [];
  stage = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private readonly start = performance.now();

  constructor(
    private readonly tree: ProcessTree,
    private readonly profile: string,
  ) {}

  sample(): Sample {
    const procs = this.tree
      .members()
      .map(({ pid, label }) => memoryOf(pid, label))
      .filter((p): p is ProcMemory => p !== undefined);
    const s: Sample = {
      t: (performance.now() - this.start) / 1000,
      stage: this.stage,
      procs,
      rss: procs.reduce((n, p) => n + p.rss, 0),
      pss: procs.reduce((n, p) => n + p.pss, 0),
      blobDisk: folderBytes(path.join(this.profile, 'Default', 'blob_storage')),
    };
    this.samples.push(s);
    return s;
  }

  run(): void {
    this.timer ??= setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Samples since index `from`. */
  since(from: number): Sample[] {
    return this.samples.slice(from);
  }
}

// ---------------------------------------------------------------------------------------
// Driving the page. Page-side code is passed as strings so the TS transform adds nothing.

const DIRECT_SETUP = `(() => {
  const input = document.createElement('input');
  input.type = 'file';
  input.webkitdirectory = true;
  input.id = 'bench-folder';
  document.body.append(input);
})()`;

const DIRECT_CONVERT = `(async () => {
  const { startConversion } = await import('/src/ui/model/convert-client.ts');
  const { folderFromInput } = await import('/src/ui/model/picked-folder.ts');
  const files = folderFromInput(document.getElementById('bench-folder').files);
  window.__benchProgress('starting', 0);
  const started = performance.now();
  const conversion = startConversion(files, { variants: ['fp32'] }, (p) => {
    window.__benchProgress(p.stage, p.fraction);
  });
  const bundle = await conversion.result;
  const seconds = (performance.now() - started) / 1000;
  window.__benchProgress('converted (bundle Blobs held by the page)', 1);
  window.__benchBundle = bundle;
  return {
    seconds,
    inputs: files.map((f) => [f.path, f.file.size]),
    files: [...bundle.files].map(([p, b]) => [p, b.size]),
  };
})()`;

const APP_WATCH = `(() => {
  let last = '';
  new MutationObserver(() => {
    const stage = document.querySelector('[data-testid=import-stage]')?.textContent ?? '';
    const phase = document.querySelector('[data-testid=import-progress]')?.getAttribute('data-phase') ?? '';
    const text = phase + ': ' + stage;
    if (stage && text !== last) {
      last = text;
      window.__benchProgress(text, 0);
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

interface Outcome {
  seconds: number;
  /** From pick to the end of the conversion (app mode: until saving starts). */
  convertSeconds: number;
  detail: string[];
}

async function driveDirect(page: Page): Promise<Outcome> {
  const result = (await page.evaluate(DIRECT_CONVERT)) as {
    seconds: number;
    inputs: [string, number][];
    files: [string, number][];
  };
  return {
    seconds: result.seconds,
    convertSeconds: result.seconds,
    detail: [
      `inputs: ${result.inputs.map(([p, n]) => `${p} ${(n / MiB).toFixed(1)} MiB`).join(', ')}`,
      `bundle: ${result.files.map(([p, n]) => `${p} ${(n / MiB).toFixed(1)} MiB`).join(', ')}`,
    ],
  };
}

async function driveApp(page: Page, checkpoint: string, deadline: number): Promise<Outcome> {
  const started = performance.now();
  await page.getByTestId('model-folder-input').setInputFiles(checkpoint);
  let convertSeconds = NaN;
  let phase: string | null;
  for (;;) {
    phase = await page
      .getByTestId('import-progress')
      .getAttribute('data-phase', { timeout: 5_000 })
      .catch(() => null);
    if (phase === 'saving' && Number.isNaN(convertSeconds)) {
      convertSeconds = (performance.now() - started) / 1000;
    }
    if (phase === 'done' || phase === 'error' || phase === 'cancelled') break;
    if (performance.now() > deadline) throw new Error(`gave up (phase ${phase})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  const message = await page
    .locator('[data-testid=import-message], [data-testid=import-error]')
    .first()
    .textContent();
  if (phase !== 'done') throw new Error(`import ended ${phase}: ${message}`);
  return { seconds, convertSeconds, detail: [`app says: ${message}`] };
}

// ---------------------------------------------------------------------------------------
// Reporting.

const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
const gib = (n: number) => `${(n / GiB).toFixed(2)} GiB`;

function byLabel(s: Sample): Map<string, ProcMemory> {
  const out = new Map<string, ProcMemory>();
  for (const p of s.procs) {
    const prev = out.get(p.label);
    if (!prev) out.set(p.label, { ...p });
    else {
      prev.rss += p.rss;
      prev.anon += p.anon;
      prev.file += p.file;
      prev.shmem += p.shmem;
      prev.pss += p.pss;
    }
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function report(checkpointBytes: number, baseline: Sample[], run: Sample[], outcome: Outcome) {
  const base = baseline.at(-1)!;
  const baseRss = median(baseline.map((s) => s.rss));
  const basePss = median(baseline.map((s) => s.pss));
  const peak = run.reduce((a, b) => (b.rss > a.rss ? b : a), base);
  const peakPss = run.reduce((a, b) => (b.pss > a.pss ? b : a), base);
  const times = (n: number) => `${(n / checkpointBytes).toFixed(2)}×`;

  console.log('');
  console.log(`mode:                 ${MODE}`);
  console.log(
    `checkpoint:           ${gib(checkpointBytes)} (${checkpointBytes} bytes) F32 safetensors`,
  );
  console.log(`conversion time:      ${outcome.convertSeconds.toFixed(1)} s`);
  if (MODE === 'app') console.log(`import time (+save):  ${outcome.seconds.toFixed(1)} s`);
  for (const line of outcome.detail) console.log(line);
  console.log(`baseline RSS (sum):   ${mib(baseRss)}   PSS ${mib(basePss)}`);
  console.log(
    `peak RSS (sum):       ${mib(peak.rss)} at ${peak.t.toFixed(1)} s, during "${peak.stage}"`,
  );
  console.log(
    `peak − baseline:      ${mib(peak.rss - baseRss)} = ${times(peak.rss - baseRss)} the checkpoint`,
  );
  console.log(
    `peak PSS − baseline:  ${mib(peakPss.pss - basePss)} = ${times(peakPss.pss - basePss)} (peak PSS ${mib(peakPss.pss)} at ${peakPss.t.toFixed(1)} s, "${peakPss.stage}")`,
  );
  console.log(
    `blob_storage on disk at the peak: ${mib(peak.blobDisk)}; most ever: ${mib(Math.max(...run.map((s) => s.blobDisk)))}`,
  );

  console.log(
    '\nby process type at baseline → at the peak (RSS; anon/file/shmem parts at the peak)',
  );
  const before = byLabel(base);
  const at = byLabel(peak);
  for (const label of new Set([...before.keys(), ...at.keys()])) {
    const b = before.get(label);
    const p = at.get(label);
    console.log(
      `  ${label.padEnd(24)} ${mib(b?.rss ?? 0).padStart(9)} → ${mib(p?.rss ?? 0).padStart(9)}` +
        (p
          ? `   (anon ${mib(p.anon)}, file ${mib(p.file)}, shmem ${mib(p.shmem)}, pss ${mib(p.pss)})`
          : ''),
    );
  }

  console.log('\nhighest RSS of each process during the run');
  const highest = new Map<number, ProcMemory & { t: number; stage: string }>();
  for (const s of run) {
    for (const p of s.procs) {
      if ((highest.get(p.pid)?.rss ?? -1) < p.rss)
        highest.set(p.pid, { ...p, t: s.t, stage: s.stage });
    }
  }
  for (const p of [...highest.values()].sort((a, b) => b.rss - a.rss)) {
    console.log(
      `  ${String(p.pid).padStart(7)} ${p.label.padEnd(24)} ${mib(p.rss).padStart(9)} (anon ${mib(p.anon)}) at ${p.t.toFixed(1)} s "${p.stage}"`,
    );
  }

  // A timeline: the largest sample of each stage, and one line every ~5 s.
  console.log(
    '\ntimeline (sum RSS over baseline; renderer and browser process RSS; blob files on disk)',
  );
  let lastT = -Infinity;
  let lastStage = '';
  for (const s of run) {
    const stageBase = s.stage.replace(/ \d+%$/, '').replace(/ · \d+%$/, '');
    if (s.t - lastT < 5 && stageBase === lastStage && s !== peak) continue;
    lastT = s.t;
    lastStage = stageBase;
    const labels = byLabel(s);
    console.log(
      `  ${s.t.toFixed(1).padStart(6)} s  ${mib(s.rss - baseRss).padStart(9)}  renderer ${mib(labels.get('renderer')?.rss ?? 0).padStart(9)}  browser ${mib(labels.get('browser')?.rss ?? 0).padStart(9)}  disk ${mib(s.blobDisk).padStart(8)}  ${s === peak ? '<- peak  ' : ''}${s.stage}`,
    );
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const deadline = performance.now() + TIMEOUT_S * 1000;
  const work = mkdtempSync(path.join(tmpdir(), 'skelex-bench-convert-browser-'));
  let server: DevServer | undefined;
  let context: BrowserContext | undefined;
  let sampler: Sampler | undefined;
  const cleanup = async () => {
    sampler?.stop();
    await context?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const giveUp = setTimeout(() => {
    console.error(`\ngave up after ${TIMEOUT_S} s`);
    if (sampler && sampler.samples.length > 0) {
      const top = sampler.samples.reduce((a, b) => (b.rss > a.rss ? b : a));
      console.error(`highest sum RSS so far: ${mib(top.rss)} during "${top.stage}"`);
    }
    void cleanup().then(() => process.exit(2));
  }, TIMEOUT_S * 1000);
  giveUp.unref();

  try {
    let checkpoint = process.env.BENCH_CHECKPOINT;
    let checkpointBytes: number;
    if (checkpoint) {
      checkpointBytes = statSync(path.join(checkpoint, 'model.safetensors')).size;
    } else {
      checkpoint = path.join(work, 'vit-large-mae');
      mkdirSync(checkpoint);
      const t0 = performance.now();
      checkpointBytes = writeRandomVitLargeCheckpoint(checkpoint);
      console.log(
        `wrote random ViT-L/16 MAE checkpoint: ${gib(checkpointBytes)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }

    server = await startDevServer();
    const profile = path.join(work, 'profile');
    mkdirSync(profile);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        errors.push(m.text());
      }
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') {
        errors.push(`HTTP ${r.status()} ${r.url()}`);
      }
    });
    page.on('crash', () => errors.push('the page crashed'));

    const browserPid = findBrowserPid(profile);
    if (!browserPid) throw new Error('could not find the Chromium browser process in /proc');
    sampler = new Sampler(new ProcessTree(browserPid), profile);
    const s = sampler;
    const progressLog: { t: number; stage: string }[] = [];
    const startedAt = performance.now();
    await page.exposeFunction('__benchProgress', (stage: string, fraction: number) => {
      const text = MODE === 'direct' ? `${stage} ${Math.round(fraction * 100)}%` : stage;
      s.stage = text;
      const t = (performance.now() - startedAt) / 1000;
      if (progressLog.at(-1)?.stage.replace(/\d+%/, '') !== text.replace(/\d+%/, '')) {
        progressLog.push({ t, stage: text });
      }
    });

    await page.goto(server.url);
    await page.getByTestId('models-button').waitFor({ timeout: 120_000 });
    if (MODE === 'direct') {
      await page.evaluate(DIRECT_SETUP);
      await page.locator('#bench-folder').setInputFiles(checkpoint);
      // Load the client and its worker's modules once, so the dev server's first-load
      // transforms are not counted as conversion time.
      await page.evaluate(`import('/src/ui/model/convert-client.ts')`);
    } else {
      await page.getByTestId('models-button').click();
      await page.getByTestId('models-dialog').waitFor();
      for (const v of ['fp32', 'fp16', 'int8', 'q4']) {
        await page.getByTestId(`variant-${v}`).setChecked(v === 'fp32');
      }
      await page.evaluate(APP_WATCH);
    }

    // Baseline: the page loaded and idle, before the conversion starts.
    s.stage = 'baseline';
    s.run();
    await new Promise((r) => setTimeout(r, 3_000));
    const baseline = s.since(0);
    const runFrom = s.samples.length;
    s.stage = 'starting';

    console.log(`converting in Chromium (${MODE} mode)…`);
    const outcome =
      MODE === 'direct' ? await driveDirect(page) : await driveApp(page, checkpoint, deadline);
    // A few more seconds with the result held, to see what stays.
    s.stage = MODE === 'direct' ? 'bundle held by the page' : 'import done';
    await new Promise((r) => setTimeout(r, 3_000));
    s.stop();
    const run = s.since(runFrom);

    report(checkpointBytes, baseline, run, outcome);
    console.log('\nstages (seconds since page load)');
    for (const { t, stage } of progressLog)
      console.log(`  ${t.toFixed(1).padStart(6)} s  ${stage}`);
    if (errors.length > 0) console.log(`\npage errors:\n  ${errors.join('\n  ')}`);
  } finally {
    clearTimeout(giveUp);
    await cleanup();
  }
}

await main();
