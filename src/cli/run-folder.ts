/**
 * The output folder of `skelex analyze` as a run that survives being killed:
 *
 * - `run.json`: the settings (model, variant, masking, map, shard) and every
 *   input of the whole run, written when a run starts or resumes;
 * - `results.jsonl`: one finished image a line (its summary row), appended and
 *   flushed to disk as each image finishes, after its pictures are in place. A
 *   line is written with one `write`, so a kill leaves whole lines; a line cut
 *   short by a crash of the machine itself is dropped when the run is read.
 * - `summary.csv`: derived from results.jsonl when every input is done.
 */
import { existsSync } from 'node:fs';
import { open, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { SummaryRow } from '../lib/report/summary';
import type { ShardSpec } from './shard';
import { writeAtomically } from './write-atomically';

export const RUN_FORMAT = 'skelex-run/1';

/** What must match for two runs' rows to belong together. */
export interface RunSettings {
  model: { name: string; version: string; variant: string; files: string[] };
  schedule: string;
  passes: number;
  seed: number;
  map: string;
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  settings: RunSettings;
  shard: ShardSpec | null;
  /** Every input of the whole run (all shards), in summary order. */
  inputs: string[];
}

export const RUN_FILE = 'run.json';
export const RESULTS_FILE = 'results.jsonl';
export const SUMMARY_FILE = 'summary.csv';

/** The first difference between two runs' settings, or undefined when they agree. */
export function settingsDifference(a: RunSettings, b: RunSettings): string | undefined {
  for (const key of ['schedule', 'passes', 'seed', 'map'] as const)
    if (a[key] !== b[key]) return `${key} ${a[key]} against ${b[key]}`;
  const [ma, mb] = [a.model, b.model];
  if (ma.name !== mb.name || ma.version !== mb.version)
    return `model ${ma.name} ${ma.version} against ${mb.name} ${mb.version}`;
  if (ma.variant !== mb.variant) return `variant ${ma.variant} against ${mb.variant}`;
  if (ma.files.join() !== mb.files.join()) return 'model files with other contents (SHA-256)';
  return undefined;
}

export async function readRunRecord(dir: string): Promise<RunRecord | undefined> {
  const file = path.join(dir, RUN_FILE);
  if (!existsSync(file)) return undefined;
  let record: RunRecord;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as RunRecord;
  } catch (error) {
    throw new Error(`${file}: not readable as JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (record.format !== RUN_FORMAT) throw new Error(`${file}: not a ${RUN_FORMAT} record`);
  return record;
}

export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  await writeAtomically(path.join(dir, RUN_FILE), JSON.stringify(record));
}

/**
 * The finished rows in a run folder, in the order they were written. A last
 * line with no line end (a crash mid-write) is cut off the file; any other
 * unreadable line is an error naming its line number.
 */
export async function readResults(dir: string, repair: boolean): Promise<SummaryRow[]> {
  const file = path.join(dir, RESULTS_FILE);
  if (!existsSync(file)) return [];
  const text = await readFile(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length && repair) await truncate(file, Buffer.byteLength(text.slice(0, end)));
  const rows: SummaryRow[] = [];
  const lines = text.slice(0, end).split('\n');
  lines.pop(); // after the last line end
  for (const [i, line] of lines.entries()) {
    try {
      const row = JSON.parse(line) as SummaryRow;
      if (typeof row.file !== 'string' || typeof row.ok !== 'boolean') throw new Error('no file');
      rows.push(row);
    } catch {
      throw new Error(`${file}: line ${i + 1} is not a result row; the folder is damaged`);
    }
  }
  return rows;
}

/** Removes what an earlier run left, for `--overwrite`. Pictures are replaced as they come. */
export async function clearRun(dir: string): Promise<void> {
  for (const name of [RESULTS_FILE, SUMMARY_FILE, RUN_FILE])
    await rm(path.join(dir, name), { force: true });
}

/** Appends finished rows to results.jsonl, each on disk before the next image starts. */
export class ResultsLog {
  private constructor(private readonly handle: FileHandle) {}

  static async open(dir: string): Promise<ResultsLog> {
    return new ResultsLog(await open(path.join(dir, RESULTS_FILE), 'a'));
  }

  async append(row: SummaryRow): Promise<void> {
    await this.handle.write(JSON.stringify(row) + '\n');
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
