/**
 * Batch analysis of the open images: a queue run one image at a time through
 * the analysis controller (so each result is also remembered for viewing),
 * with overall progress, per-file status, cancel, a table sortable by any
 * column, and the rows as summary.csv (the command line's columns).
 */
import { summaryCsv, type SummaryRow } from '../../lib/report/summary';
import type { AnalysisController } from '../analysis/analysis.svelte';
import { isAbortError } from '../engine/engine-client';
import type { Library } from '../library.svelte';

export type RowStatus = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

/** A table row: summary.csv's fields (but `ok`, which `status` says) and the queue's own. */
export interface BatchRow extends Omit<SummaryRow, 'ok'> {
  entryId: number;
  status: RowStatus;
  bodyPart?: string;
  ms?: number;
}

/** A sortable column: fixed ones, or a head column (`head/label`). */
export type SortKey = 'file' | 'status' | 'bodyPart' | 'meanError' | 'top1Error' | string;

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** The value a row sorts by under `key`; undefined when missing (or not a finite number). */
export function sortValue(row: BatchRow, key: SortKey): string | number | undefined {
  const value = rawSortValue(row, key);
  return typeof value === 'number' && !Number.isFinite(value) ? undefined : value;
}

function rawSortValue(row: BatchRow, key: SortKey): string | number | undefined {
  switch (key) {
    case 'file':
      return row.file.toLowerCase();
    case 'status':
      return row.status;
    case 'bodyPart':
      return row.bodyPart?.toLowerCase() || undefined;
    case 'meanError':
      return row.meanError;
    case 'top1Error':
      return row.top1Error;
    default:
      return row.heads?.find((h) => h.column === key)?.probability;
  }
}

export function sortRows(rows: readonly BatchRow[], key: SortKey, descending: boolean): BatchRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    // Missing values last, whichever way the column sorts.
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    if (x < y) return -sign;
    if (x > y) return sign;
    return 0;
  });
}

export class BatchController {
  rows = $state.raw<BatchRow[]>([]);
  running = $state(false);
  /** Whole run's time so far, ms (for images a minute). */
  elapsedMs = $state(0);
  sortKey = $state<SortKey>('file');
  descending = $state(false);

  readonly #analysis: AnalysisController;
  readonly #library: Library;
  #cancelled = false;

  constructor(analysis: AnalysisController, library: Library) {
    this.#analysis = analysis;
    this.#library = library;
  }

  get finished(): number {
    return this.rows.filter((r) => r.status !== 'queued' && r.status !== 'running').length;
  }

  get sorted(): BatchRow[] {
    return sortRows(this.rows, this.sortKey, this.descending);
  }

  /** Head columns, in the order the first classified row gives. */
  get headColumns(): string[] {
    return this.rows.find((r) => r.heads)?.heads?.map((h) => h.column) ?? [];
  }

  /** Images a minute over the finished ones. */
  get perMinute(): number {
    const done = this.rows.filter((r) => r.status === 'done' || r.status === 'error').length;
    return this.elapsedMs > 0 ? (done * 60_000) / this.elapsedMs : 0;
  }

  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      // Errors and probabilities read best largest first.
      this.descending = key !== 'file' && key !== 'status' && key !== 'bodyPart';
    }
  }

  #update(entryId: number, change: Partial<BatchRow>): void {
    this.rows = this.rows.map((r) => (r.entryId === entryId ? { ...r, ...change } : r));
  }

  /** Analyses every open image, one after another. */
  async start(): Promise<void> {
    if (this.running) return;
    const entries = this.#library.entries;
    this.rows = entries.map((e) => ({
      entryId: e.id,
      file: e.path,
      status: e.status === 'error' ? 'error' : 'queued',
      ...(e.status === 'error' ? { error: e.error } : {}),
    }));
    this.running = true;
    this.#cancelled = false;
    this.#analysis.batchActive = true;
    const start = performance.now();
    try {
      for (const row of this.rows) {
        if (this.#cancelled) break;
        if (row.status !== 'queued') continue;
        this.#update(row.entryId, { status: 'running' });
        const t0 = performance.now();
        try {
          const { radiograph, key } = await this.#library.radiograph(row.entryId);
          const result = await this.#analysis.analyzeForBatch({ radiograph, key, name: row.file });
          const a = result.analysis;
          this.#update(row.entryId, {
            status: 'done',
            bodyPart: radiograph.metadata.bodyPart,
            width: radiograph.width,
            height: radiograph.height,
            meanError: a.meanError,
            top1Error: a.top1Error,
            // summary.csv's region: the loaded bundle's recommended map's, as skelex analyze's.
            roi: a.roi[this.#analysis.recommendedMap].box,
            heads: a.classification?.whole,
            ms: performance.now() - t0,
          });
        } catch (error) {
          if (isAbortError(error) && this.#cancelled) break;
          this.#update(row.entryId, { status: 'error', error: reason(error) });
        }
        this.elapsedMs = performance.now() - start;
      }
    } finally {
      this.rows = this.rows.map((r) =>
        r.status === 'queued' || r.status === 'running' ? { ...r, status: 'cancelled' } : r,
      );
      this.elapsedMs = performance.now() - start;
      this.running = false;
      this.#analysis.batchActive = false;
    }
  }

  cancel(): void {
    if (!this.running) return;
    this.#cancelled = true;
    this.#analysis.cancelBatchRun();
  }

  /** The finished rows as summary.csv (DESIGN.md's columns, then `head/label`). */
  summaryCsv(): string {
    return summaryCsv(
      this.rows
        .filter((r) => r.status === 'done' || r.status === 'error')
        .map((r) => ({ ...r, ok: r.status === 'done' })),
    );
  }
}
