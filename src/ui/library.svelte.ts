/**
 * The opened files: their decode status, thumbnails, errors, the selection, and a
 * bounded cache of decoded images (files stay on disk; a dropped image is decoded again).
 */
import type { Radiograph } from '../lib/imaging/radiograph';
import { DecodeClient, type Thumbnail } from './decode-client';
import type { PickedFile } from './files';
import { groupFromTags, mediaKey, type RecordGroup } from './studies/groups';
import { isDicomDir, readIndexes } from './studies/indexes';

export type EntryStatus = 'queued' | 'decoding' | 'ready' | 'error';

export interface Entry {
  id: number;
  /** File name, or its path inside an opened folder. */
  path: string;
  /** File size in bytes. */
  size: number;
  status: EntryStatus;
  /** One line naming the file and what is wrong, for files that did not open. */
  error?: string;
  thumbnail?: Thumbnail;
  width?: number;
  height?: number;
  frameCount: number;
  /** Frame shown, 0-based. */
  frame: number;
  /** Its patient, study and series: from a DICOMDIR, else from its tags once decoded. */
  group?: RecordGroup;
}

export interface Shown {
  entryId: number;
  frame: number;
  radiograph: Radiograph;
  /** Unique per entry and frame: the viewer's image id. */
  key: string;
}

/** Decoded pixels kept in memory for quick switching between images. */
const CACHE_BYTES = 512 * 1024 * 1024;

class RadiographCache {
  readonly #items = new Map<string, Radiograph>();
  #bytes = 0;

  get(key: string): Radiograph | undefined {
    const r = this.#items.get(key);
    if (r) {
      this.#items.delete(key);
      this.#items.set(key, r);
    }
    return r;
  }

  put(key: string, r: Radiograph, keep?: string): void {
    this.delete(key);
    this.#items.set(key, r);
    this.#bytes += r.stored.byteLength;
    for (const [oldKey, old] of this.#items) {
      if (this.#bytes <= CACHE_BYTES) break;
      if (oldKey === key || oldKey === keep) continue;
      this.#items.delete(oldKey);
      this.#bytes -= old.stored.byteLength;
    }
  }

  delete(key: string): void {
    const r = this.#items.get(key);
    if (!r) return;
    this.#items.delete(key);
    this.#bytes -= r.stored.byteLength;
  }
}

function keyOf(entryId: number, frame: number): string {
  return `${entryId}/${frame}`;
}

export class Library {
  entries = $state<Entry[]>([]);
  selectedId = $state<number | undefined>(undefined);
  /** The selected image once decoded. */
  shown = $state.raw<Shown | undefined>(undefined);
  /** True while the selected image is being decoded for display. */
  busy = $state(false);
  /** Files queued or decoding. */
  pending = $state(0);
  /** Why the selected image (or frame) could not be shown, when it could not. */
  viewError = $state<string | undefined>(undefined);
  /** What the user should know about opened folders (a DICOMDIR that could not be read, ...). */
  notes = $state<string[]>([]);

  readonly #client: DecodeClient;
  readonly #cache = new RadiographCache();
  // Not reactive on purpose: the File handles are only read back to decode again.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #files = new Map<number, File>();
  #nextId = 1;
  #wanted = '';

  constructor(client: DecodeClient = new DecodeClient()) {
    this.#client = client;
  }

  get selected(): Entry | undefined {
    return this.entries.find((e) => e.id === this.selectedId);
  }

  #entry(id: number): Entry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /**
   * Adds files to the list and decodes them one by one; `failures` are listed as errors.
   * A DICOMDIR among them is read first: the files it lists join their study and series.
   */
  add(files: PickedFile[], failures: string[] = []): void {
    const indexes = files.filter((f) => isDicomDir(f.path));
    const images = files.filter((f) => !isDicomDir(f.path));
    if (indexes.length === 0) return this.#addImages(images, failures);
    this.pending += 1;
    void readIndexes(indexes, images).then(({ groups, notes }) => {
      this.pending -= 1;
      this.notes.push(...notes);
      this.#addImages(images, failures, groups);
    });
  }

  #addImages(
    files: PickedFile[],
    failures: string[],
    groups?: ReadonlyMap<string, RecordGroup>,
  ): void {
    for (const message of failures) {
      const path = message.slice(0, message.indexOf(':')) || message;
      this.entries.push({
        id: this.#nextId++,
        path,
        size: 0,
        status: 'error',
        error: message,
        frameCount: 1,
        frame: 0,
      });
    }
    for (const { file, path } of files) {
      const id = this.#nextId++;
      this.#files.set(id, file);
      const group = groups?.get(mediaKey(path));
      this.entries.push({
        id,
        path,
        size: file.size,
        status: 'queued',
        frameCount: 1,
        frame: 0,
        ...(group ? { group } : {}),
      });
      void this.#decodeForList(id, path, file);
    }
  }

  async #decodeForList(id: number, path: string, file: File): Promise<void> {
    this.pending++;
    const result = await this.#client.open(path, () => {
      const entry = this.#entry(id);
      if (entry) entry.status = 'decoding';
      return file.arrayBuffer();
    });
    this.pending--;
    const entry = this.#entry(id);
    if (!entry) return;
    if (!result.ok) {
      entry.status = 'error';
      entry.error = result.error;
      return;
    }
    const r = result.image;
    entry.status = 'ready';
    entry.thumbnail = result.thumbnail;
    entry.width = r.width;
    entry.height = r.height;
    entry.frameCount = r.frameCount;
    entry.frame = r.frameIndex;
    entry.group ??= groupFromTags(r);
    this.#cache.put(keyOf(id, r.frameIndex), r, this.shown?.key);
    if (this.selectedId === undefined) this.select(id);
    else if (this.selectedId === id) void this.#show(id, entry.frame);
  }

  select(id: number): void {
    const entry = this.#entry(id);
    if (!entry) return;
    this.selectedId = id;
    if (entry.status === 'ready') void this.#show(id, entry.frame);
  }

  /** Shows another frame of the selected multi-frame image. */
  setFrame(frame: number): void {
    const entry = this.selected;
    if (!entry || entry.status !== 'ready') return;
    const f = Math.min(Math.max(Math.round(frame), 0), entry.frameCount - 1);
    entry.frame = f;
    void this.#show(entry.id, f);
  }

  async #show(id: number, frame: number): Promise<void> {
    const key = keyOf(id, frame);
    this.#wanted = key;
    const cached = this.#cache.get(key);
    this.viewError = undefined;
    if (cached) {
      this.busy = false;
      this.shown = { entryId: id, frame, radiograph: cached, key };
      return;
    }
    const file = this.#files.get(id);
    const entry = this.#entry(id);
    if (!file || !entry) return;
    this.busy = true;
    const result = await this.#client.open(entry.path, () => file.arrayBuffer(), {
      frame,
      urgent: true,
    });
    if (this.#wanted !== key) return;
    this.busy = false;
    if (!result.ok) {
      this.viewError = result.error;
      return;
    }
    this.#cache.put(key, result.image, this.shown?.key);
    this.shown = { entryId: id, frame, radiograph: result.image, key };
  }

  /**
   * The decoded image of an entry (its current frame) without showing it: from
   * the cache, or decoded again. For batch analysis; throws the file's one-line error.
   */
  async radiograph(id: number): Promise<{ radiograph: Radiograph; key: string }> {
    const entry = this.#entry(id);
    const file = this.#files.get(id);
    if (!entry || entry.status === 'error' || !file)
      throw new Error(entry?.error ?? `no open file with id ${id}`);
    const key = keyOf(id, entry.frame);
    const cached = this.#cache.get(key);
    if (cached) return { radiograph: cached, key };
    const result = await this.#client.open(entry.path, () => file.arrayBuffer(), {
      frame: entry.frame,
    });
    if (!result.ok) throw new Error(result.error);
    this.#cache.put(key, result.image, this.shown?.key);
    return { radiograph: result.image, key };
  }

  /** Stops decoding; the list stays as it is. */
  dispose(): void {
    this.#client.dispose();
  }
}
