/**
 * The page's view of the model cache: the saved models, and one import at a time
 * (a checkpoint converted in a worker, or a ready bundle) with its progress.
 */
import { commonFolder, folderKind } from '../../lib/model/bundle-folder';
import type { VariantName } from '../../lib/model/manifest';
import { ModelStore, type ModelSummary, type StorageEstimateLike } from '../../lib/model/store';
import { formatBytes } from '../format';
import { ConvertCancelled, startConversion, type Conversion } from './convert-client';
import type { FolderFile } from './picked-folder';

export type ImportPhase = 'idle' | 'converting' | 'saving' | 'done' | 'error' | 'cancelled';

export const VARIANT_CHOICES: { name: VariantName; hint: string }[] = [
  { name: 'fp32', hint: 'full precision: exact, largest' },
  { name: 'fp16', hint: 'half the size; for GPUs with 16-bit float support' },
  { name: 'int8', hint: 'a quarter of the size; runs everywhere' },
  { name: 'q4', hint: 'smallest; 4-bit weights' },
];

/** Share of the progress bar for converting; checking and saving take the rest. */
const CONVERT_SHARE = 0.85;

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

function estimate(): Promise<StorageEstimateLike> {
  return navigator.storage?.estimate ? navigator.storage.estimate() : Promise.resolve({});
}

export class ModelManager {
  models = $state<ModelSummary[]>([]);
  /** Set when the cache cannot be read at all (e.g. storage disabled). */
  listError = $state('');
  loaded = $state(false);

  phase = $state<ImportPhase>('idle');
  stage = $state('');
  /** 0..1 over the whole import. */
  fraction = $state(0);
  /** What the last import did, or why it failed: one line. */
  outcome = $state('');
  variants = $state<VariantName[]>(['fp32', 'int8']);

  #store: ModelStore | undefined;
  #conversion: Conversion | undefined;

  /** Opened on first use, so a page that never touches models never opens the database. */
  private get store(): ModelStore {
    return (this.#store ??= new ModelStore({ estimate }));
  }

  get busy(): boolean {
    return this.phase === 'converting' || this.phase === 'saving';
  }

  async refresh(): Promise<void> {
    try {
      this.models = await this.store.listModels();
      this.listError = '';
    } catch (error) {
      this.listError = `The model cache cannot be read: ${message(error)}`;
    } finally {
      this.loaded = true;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.store.deleteModel(id);
    } catch (error) {
      this.listError = `Could not delete the model: ${message(error)}`;
    }
    await this.refresh();
  }

  /** Imports a picked or dropped folder: converts a checkpoint, or saves a ready bundle. */
  async importFolder(files: FolderFile[]): Promise<void> {
    if (this.busy) return;
    this.outcome = '';
    this.progress('starting', 0);
    try {
      const paths = files.map((f) => f.path);
      const folder = commonFolder(paths) || 'the dropped files';
      let saved: ModelSummary;
      if (folderKind(paths, folder) === 'bundle') {
        this.phase = 'saving';
        // A plain Map: a listing handed to the store, not reactive state.
        // eslint-disable-next-line svelte/prefer-svelte-reactivity
        const listing = new Map(files.map((f) => [f.path, f.file as Blob]));
        saved = await this.store.importBundleFolder(listing, {
          onProgress: (p) => this.progress(p.stage, p.fraction),
        });
      } else {
        if (this.variants.length === 0) throw new Error('Choose at least one variant to make');
        this.phase = 'converting';
        const order = VARIANT_CHOICES.map((c) => c.name);
        const variants = order.filter((v) => this.variants.includes(v));
        this.#conversion = startConversion(files, { variants }, (p) =>
          this.progress(p.stage, p.fraction * CONVERT_SHARE),
        );
        const bundle = await this.#conversion.result;
        this.#conversion = undefined;
        this.phase = 'saving';
        saved = await this.store.saveBundle(bundle.manifest, bundle.files, {
          onProgress: (p) =>
            this.progress(p.stage, CONVERT_SHARE + (1 - CONVERT_SHARE) * p.fraction),
        });
      }
      this.progress('done', 1);
      this.phase = 'done';
      const variants = saved.variants.map((v) => v.name).join(', ');
      this.outcome = `Saved ${saved.name} on this device (${variants}; ${formatBytes(saved.totalBytes)})`;
      // Ask the browser not to evict models under storage pressure; a refusal changes nothing.
      void navigator.storage?.persist?.().catch(() => false);
    } catch (error) {
      this.#conversion = undefined;
      if (error instanceof ConvertCancelled) {
        this.phase = 'cancelled';
        this.outcome = 'Conversion cancelled; nothing was saved.';
      } else {
        this.phase = 'error';
        this.outcome = message(error);
      }
    } finally {
      await this.refresh();
    }
  }

  cancel(): void {
    this.#conversion?.cancel();
  }

  private progress(stage: string, fraction: number): void {
    this.stage = stage;
    this.fraction = Math.max(0, Math.min(1, fraction));
  }
}
