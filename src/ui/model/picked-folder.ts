/**
 * Every file of a folder the user picked or dropped, unfiltered (a model folder is
 * JSON and weights, which the image opener skips), with paths relative to the
 * folder's parent, e.g. "vit-mae-base/config.json".
 */
import { childrenOf, fileOf } from '../files';

export interface FolderFile {
  path: string;
  file: File;
}

/** Files from an `<input type=file webkitdirectory>`. */
export function folderFromInput(list: FileList | null): FolderFile[] {
  return Array.from(list ?? [], (file) => ({
    path: file.webkitRelativePath || file.name,
    file,
  }));
}

async function walk(entry: FileSystemEntry, out: FolderFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '') || entry.name;
  try {
    if (entry.isFile) out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
    else if (entry.isDirectory) {
      for (const child of await childrenOf(entry as FileSystemDirectoryEntry)) {
        await walk(child, out);
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${path}: could not be read (${reason})`, { cause: error });
  }
}

/**
 * Files of what was dropped: one folder (walked), or loose files (a bundle's or a
 * checkpoint's files selected together). Entries are taken synchronously, as they must be.
 */
export function folderFromDrop(data: DataTransfer): Promise<FolderFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: FolderFile[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    const file = entry ? null : item.getAsFile();
    if (entry) entries.push(entry);
    else if (file) loose.push({ path: file.name, file });
  }
  return (async () => {
    const out = [...loose];
    for (const entry of entries) await walk(entry, out);
    return out;
  })();
}
