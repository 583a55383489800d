/**
 * `skelex analyze INPUT... --model BUNDLE_DIR --out DIR [options]`
 *
 * Error maps, overlays and summary.csv (DESIGN.md) for files and folders, as a
 * run that survives being stopped: each finished image is recorded as it
 * finishes (run-folder.ts), `--resume` continues a killed run without
 * analysing anything twice, and `--shard K/N` takes a stable slice of the
 * inputs so that N processes share a run (`skelex merge` joins them). A bad
 * file gets `ok: false` and a one-line reason; the others go on.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PASSES, type MaskSchedule } from '../lib/mae/analyze';
import type { MapKind } from '../lib/mae/map-views';
import { recommendedMap, type VariantName } from '../lib/model/manifest';
import { summaryCsv, type SummaryRow } from '../lib/report/summary';
import { analyzeFile, png, type AnalyzeSettings } from './analyze-file';
import {
  chooseVariant,
  openBundleRunners,
  readManifest,
  type BundleRunners,
} from './bundle-runners';
import { parseCommandArgs, refuse, usageError, wholeNumber } from './command-args';
import { expandInputFiles } from './files';
import { batchProgress } from './progress';
import {
  clearRun,
  readResults,
  readRunRecord,
  ResultsLog,
  settingsDifference,
  SUMMARY_FILE,
  writeRunRecord,
  type RunSettings,
} from './run-folder';
import { parseShard, shardOf, type ShardSpec } from './shard';
import { writeAtomically } from './write-atomically';

export const ANALYZE_USAGE = `usage: skelex analyze INPUT... --model BUNDLE_DIR --out DIR [options]

Error maps, overlays and summary.csv for radiograph files and folders (DICOM, PNG, JPEG).
Each finished image is recorded in DIR/results.jsonl as it finishes; summary.csv is written
when every input is done.

options:
  --model DIR       the model bundle (model.json and its ONNX files)
  --out DIR         where the pictures, results.jsonl and summary.csv go
  --passes N        masking passes (default 4 complementary, 10 random)
  --schedule S      complementary (every patch masked equally often) or random (SKELEX's)
  --seed S          seed of the masks (default 0)
  --map M           raw (SKELEX's reconstruction error) or relative (default: the one the
                    bundle recommends, raw when it says nothing)
  --variant V       fp32, fp16, int8 or q4 (default: the most exact one in the bundle)
  --resume          continue the run in DIR (or start it): finished images are kept, none twice
  --overwrite       start again in a DIR that holds a run
  --shard K/N       analyse shard K of N only (K from 0 to N-1, as JOB_COMPLETION_INDEX);
                    join the shards' folders with skelex merge
  --json            print each finished image's row as JSON on stdout
  -h, --help        this help

Ctrl-C (or SIGTERM) stops after the current image; run the same command with --resume to go on.
`;

const OPTIONS = {
  model: { type: 'string' },
  out: { type: 'string' },
  passes: { type: 'string' },
  schedule: { type: 'string', default: 'complementary' },
  seed: { type: 'string', default: '0' },
  map: { type: 'string' },
  variant: { type: 'string' },
  resume: { type: 'boolean', default: false },
  overwrite: { type: 'boolean', default: false },
  shard: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** Output names from input names, made unique (a.dcm, a.dcm in two folders -> a, a-2). */
function outputNames(files: string[]): string[] {
  const used = new Map<string, number>();
  return files.map((file) => {
    const base = path.basename(file).replace(/\.[^.]+$/, '') || 'image';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/** Asks the loop to stop after the current image on the first Ctrl-C or SIGTERM; a second stops at once. */
function stopSignals(onFirst: () => void): () => void {
  let stopping = false;
  const handler = () => {
    if (stopping) process.exit(130);
    stopping = true;
    onFirst();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

interface Plan {
  outDir: string;
  bundle: string;
  variant: VariantName;
  settings: AnalyzeSettings;
  runSettings: RunSettings;
  shard: ShardSpec | null;
  resume: boolean;
  overwrite: boolean;
  json: boolean;
  inputs: string[];
}

function plan(args: string[]): Plan {
  const fail = (problem: string) => usageError('analyze', problem, ANALYZE_USAGE);
  const { values, positionals } = parseCommandArgs('analyze', ANALYZE_USAGE, args, OPTIONS);
  if (positionals.length === 0) fail('no INPUT given');
  if (!values.model) fail('--model BUNDLE_DIR is required');
  if (!values.out) fail('--out DIR is required');
  if (values.resume && values.overwrite) fail('--resume and --overwrite exclude each other');
  const schedule = values.schedule as MaskSchedule;
  if (schedule !== 'complementary' && schedule !== 'random')
    fail('--schedule must be complementary or random');
  if (values.map !== undefined && values.map !== 'raw' && values.map !== 'relative')
    fail('--map must be raw or relative');
  const number = (name: string, text: string, min: number, max: number) =>
    wholeNumber('analyze', ANALYZE_USAGE, name, text, min, max);
  const passes = number('passes', values.passes ?? String(DEFAULT_PASSES[schedule]), 1, 256);
  const seed = number('seed', values.seed, -(2 ** 31), 2 ** 32 - 1);
  let shard: ShardSpec | null = null;
  if (values.shard !== undefined) {
    const parsed = parseShard(values.shard);
    if (typeof parsed === 'string') fail(parsed);
    else shard = parsed;
  }
  const bundle = values.model!;
  const manifest = readManifest(bundle);
  const map: MapKind = (values.map as MapKind | undefined) ?? recommendedMap(manifest);
  const variant = chooseVariant(manifest, values.variant);
  const graphs = manifest.variants?.[variant];
  const classifier = manifest.classifier?.variants;
  return {
    outDir: values.out!,
    bundle,
    variant,
    settings: { schedule, passes, seed, map },
    runSettings: {
      model: {
        name: manifest.name,
        version: manifest.version,
        variant,
        files: [graphs?.encoder.sha256, graphs?.decoder.sha256]
          .concat(Object.values(classifier ?? {}).map((f) => f?.sha256))
          .filter((s): s is string => Boolean(s)),
      },
      schedule,
      passes,
      seed,
      map,
    },
    shard,
    resume: values.resume!,
    overwrite: values.overwrite!,
    json: values.json!,
    inputs: positionals,
  };
}

/** Checks DIR against the run about to start there; clears it for --overwrite. */
async function prepareFolder(p: Plan): Promise<void> {
  const earlier = await readRunRecord(p.outDir);
  if (!earlier) return;
  if (p.overwrite) return clearRun(p.outDir);
  if (!p.resume)
    refuse(
      'analyze',
      `${p.outDir} already holds a run (run.json); add --resume to continue it or --overwrite to start again`,
    );
  const different = settingsDifference(earlier.settings, p.runSettings);
  if (different) refuse('analyze', `cannot resume: ${p.outDir} was run with ${different}`);
  const shardText = (s: ShardSpec | null) => (s ? `shard ${s.index}/${s.count}` : 'no shard');
  if (shardText(earlier.shard) !== shardText(p.shard))
    refuse(
      'analyze',
      `cannot resume: ${p.outDir} holds ${shardText(earlier.shard)}, not ${shardText(p.shard)}`,
    );
}

export async function analyze(args: string[], out: (line: string) => void): Promise<number> {
  const p = plan(args);
  await mkdir(p.outDir, { recursive: true });
  await prepareFolder(p);

  const inputs = await expandInputFiles(p.inputs);
  const names = outputNames(inputs.map((f) => f.file));
  const mine = inputs
    .map((input, i) => ({ ...input, name: names[i] }))
    .filter((f) => !p.shard || shardOf(f.relative, p.shard.count) === p.shard.index);
  const finished = new Map<string, SummaryRow>();
  for (const row of await readResults(p.outDir, true)) finished.set(row.file, row);
  const pending = mine.filter((f) => !finished.has(f.file));
  const counts = {
    done: mine.length - pending.length,
    failed: mine.filter((f) => finished.get(f.file)?.ok === false).length,
    total: mine.length,
  };
  const resumed = counts.done;

  let stopRequested = false;
  const releaseSignals = stopSignals(() => {
    stopRequested = true;
    process.stderr.write('\nstopping after the current image (again to stop at once)\n');
  });
  let runners: BundleRunners | undefined;
  const log = await ResultsLog.open(p.outDir);
  const progress = batchProgress('analyze', counts);
  try {
    if (pending.length > 0) runners = await openBundleRunners(p.bundle, p.variant);
    // Recorded once the model opens, so a run that could not start leaves no run behind.
    await writeRunRecord(p.outDir, {
      format: 'skelex-run/1',
      settings: p.runSettings,
      shard: p.shard,
      inputs: inputs.map((f) => f.file),
    });
    for (const input of pending) {
      if (stopRequested) break;
      progress.update();
      const { row, overlay } = await analyzeFile(input.file, runners!, p.settings);
      // The pictures first: a row in results.jsonl means its pictures are there.
      if (overlay) {
        const { rgba, map, width, height } = overlay;
        const base = path.join(p.outDir, input.name);
        await writeAtomically(`${base}.overlay.png`, png(rgba, width, height));
        await writeAtomically(`${base}.map.png`, png(map, width, height));
      }
      await log.append(row);
      finished.set(row.file, row);
      counts.done++;
      if (!row.ok) counts.failed++;
      if (p.json) out(JSON.stringify(row));
    }
    progress.update();
  } finally {
    releaseSignals();
    await log.close();
    await runners?.mae.release();
    await runners?.classifier?.release();
  }
  const { seconds, analysed } = progress.finish();
  const timing = `${analysed} analysed in ${seconds.toFixed(1)} s${resumed > 0 ? `, ${resumed} from an earlier run` : ''}`;
  if (counts.done < counts.total) {
    process.stderr.write(
      `stopped: ${counts.done} of ${counts.total} files done (${timing}); run the same command with --resume to go on\n`,
    );
    return 130;
  }
  const rows = mine.map((f) => finished.get(f.file)!);
  const summary = path.join(p.outDir, SUMMARY_FILE);
  await writeAtomically(summary, summaryCsv(rows));
  const shard = p.shard
    ? `, shard ${p.shard.index}/${p.shard.count} of ${inputs.length} files`
    : '';
  const { name } = p.runSettings.model;
  process.stderr.write(
    `analysed ${counts.total - counts.failed} of ${counts.total} files with ${name} (${p.variant}, ${p.settings.schedule} ${p.settings.passes} passes, ${p.settings.map} map${shard}; ${timing}); wrote ${summary}\n`,
  );
  return counts.failed > 0 ? 1 : 0;
}
