/**
 * `skelex merge OUT_DIR... --out DIR`: the folders of one run's shards (each
 * from `skelex analyze --shard K/N`) joined into one run folder, with the
 * summary.csv a single run would have written, row for row. Refuses folders
 * run with other settings or over other inputs, and a file analysed in two of
 * them; reports the files no folder has (exit 1, listed in DIR/missing.txt).
 * The merged folder is itself a run: `skelex analyze ... --out DIR --resume`
 * analyses what is missing.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { summaryCsv, type SummaryRow } from '../lib/report/summary';
import { parseCommandArgs, usageError } from './command-args';
import {
  clearRun,
  readResults,
  readRunRecord,
  RESULTS_FILE,
  settingsDifference,
  SUMMARY_FILE,
  writeRunRecord,
  type RunRecord,
} from './run-folder';
import { writeAtomically } from './write-atomically';

export const MERGE_USAGE = `usage: skelex merge OUT_DIR... --out DIR

Joins the output folders of one run's shards (skelex analyze --shard K/N) into one run folder
with one summary.csv, in the order a single run gives. Refuses folders run with other settings
or over other inputs, and files analysed twice; lists files no shard has analysed.

options:
  --out DIR     the merged run folder (run.json, results.jsonl, summary.csv)
  -h, --help    this help
`;

/** Thrown for shards that cannot be merged; the message says which folders and why. */
class MergeRefused extends Error {}

const MISSING_FILE = 'missing.txt';

function checkSameRun(first: [string, RunRecord], other: [string, RunRecord]): void {
  const [firstDir, a] = first;
  const [dir, b] = other;
  const different = settingsDifference(a.settings, b.settings);
  if (different) throw new MergeRefused(`${dir} was run with ${different} (${firstDir})`);
  if (a.inputs.length !== b.inputs.length || a.inputs.some((f, i) => f !== b.inputs[i]))
    throw new MergeRefused(`${dir} was run over other inputs than ${firstDir}`);
  if ((a.shard?.count ?? 1) !== (b.shard?.count ?? 1))
    throw new MergeRefused(
      `${dir} is one of ${b.shard?.count ?? 1} shards, ${firstDir} one of ${a.shard?.count ?? 1}`,
    );
}

export async function merge(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', MERGE_USAGE, args, {
    out: { type: 'string' },
  });
  if (positionals.length === 0) usageError('merge', 'no OUT_DIR given', MERGE_USAGE);
  if (!values.out) usageError('merge', '--out DIR is required', MERGE_USAGE);
  const outDir = values.out;

  const runs: [string, RunRecord][] = [];
  for (const dir of positionals) {
    const record = await readRunRecord(dir);
    if (!record) throw new Error(`${dir}: not a skelex analyze output folder (no run.json)`);
    runs.push([dir, record]);
  }
  const rows = new Map<string, SummaryRow>();
  const from = new Map<string, string>();
  try {
    for (const run of runs.slice(1)) checkSameRun(runs[0], run);
    for (const [dir] of runs) {
      for (const row of await readResults(dir, false)) {
        const earlier = from.get(row.file);
        if (earlier !== undefined)
          throw new MergeRefused(`${row.file} was analysed in both ${earlier} and ${dir}`);
        rows.set(row.file, row);
        from.set(row.file, dir);
      }
    }
  } catch (error) {
    if (!(error instanceof MergeRefused)) throw error;
    process.stderr.write(`skelex merge: refused: ${error.message}\n`);
    return 1;
  }

  const [, first] = runs[0];
  const inputs = first.inputs;
  const missing = inputs.filter((f) => !rows.has(f));
  const merged = inputs.filter((f) => rows.has(f)).map((f) => rows.get(f)!);
  await mkdir(outDir, { recursive: true });
  await clearRun(outDir);
  await writeRunRecord(outDir, { ...first, shard: null });
  await rm(path.join(outDir, MISSING_FILE), { force: true });
  const lines = merged.map((row) => JSON.stringify(row) + '\n').join('');
  await writeAtomically(path.join(outDir, RESULTS_FILE), lines);
  await writeAtomically(path.join(outDir, SUMMARY_FILE), summaryCsv(merged));
  const missingList = path.join(outDir, MISSING_FILE);
  if (missing.length > 0) await writeAtomically(missingList, missing.join('\n') + '\n');
  const shardIndices = new Set(runs.map(([, r]) => r.shard?.index));
  process.stderr.write(
    `merged ${runs.length} folders (${shardIndices.size} of ${first.shard?.count ?? 1} shards): ` +
      `${merged.length} of ${inputs.length} files; wrote ${path.join(outDir, SUMMARY_FILE)}\n`,
  );
  if (missing.length === 0) return 0;
  const shown = missing
    .slice(0, 10)
    .map((f) => `  ${f}\n`)
    .join('');
  process.stderr.write(
    `missing ${missing.length} files (all listed in ${missingList}):\n${shown}` +
      (missing.length > 10 ? `  ... and ${missing.length - 10} more\n` : '') +
      `analyse them with skelex analyze ... --out ${outDir} --resume\n`,
  );
  return 1;
}
