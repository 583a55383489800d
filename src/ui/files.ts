/**
 * Gathers the files a user hands us: from the file pickers or dropped files and folders.
 */

export interface PickedFile {
  file: File;
  /** Name shown to the user: the path inside a chosen folder, else the file name. */
  path: string;
}

/** Extensions that are certainly not images; DICOM files often have no extension at all. */
const NOT_IMAGES = new Set([
  'txt',
  'md',
  'csv',
  'tsv',
  'json',
  'xml',
  'html',
  'htm',
  'pdf',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'zip',
  'gz',
  'tar',
  '7z',
  'exe',
  'dll',
  'js',
  'ts',
  'py',
  'ini',
  'cfg',
  'log',
  'db',
  'ds_store',
]);

/**
 * Inside a folder we skip what is surely not a radiograph (hidden files, documents), so that
 * one folder does not fill the list with errors; a DICOMDIR is kept, for the library to read
 * as the folder's index. Files picked one by one are always tried.
 */
export function belongsInFolderScan(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name === '' || name.startsWith('.')) return false;
  if (name.toUpperCase() === 'DICOMDIR') return true;
  const dot = name.lastIndexOf('.');
  return dot < 0 || !NOT_IMAGES.has(name.slice(dot + 1).toLowerCase());
}

function byPath(a: PickedFile, b: PickedFile): number {
  return a.path.localeCompare(b.path, undefined, { numeric: true });
}

/** Files from an `<input type=file>`, with or without `webkitdirectory`. */
export function filesFromInput(list: FileList | null): PickedFile[] {
  const picked = Array.from(list ?? [], (file) => ({
    file,
    path: file.webkitRelativePath || file.name,
  }));
  const fromFolder = picked.some((p) => p.path.includes('/'));
  return (fromFolder ? picked.filter((p) => belongsInFolderScan(p.path)) : picked).sort(byPath);
}

export function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** readEntries returns at most ~100 entries a call: call until it returns none. */
export async function childrenOf(entry: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = entry.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

export interface DropResult {
  files: PickedFile[];
  /** Messages for entries that could not be read, each naming the entry. */
  failures: string[];
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function walk(entry: FileSystemEntry, inFolder: boolean, out: DropResult): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '') || entry.name;
  try {
    if (isFile(entry)) {
      if (inFolder && !belongsInFolderScan(path)) return;
      out.files.push({ file: await fileOf(entry), path });
    } else if (isDirectory(entry)) {
      for (const child of await childrenOf(entry)) await walk(child, true, out);
    }
  } catch (error) {
    out.failures.push(`${path}: could not be read (${reason(error)})`);
  }
}

/**
 * Files and folders dropped on the page, folders walked recursively. The entries are
 * taken from the DataTransfer synchronously, as they must be, inside the drop handler.
 */
export function filesFromDrop(data: DataTransfer): Promise<DropResult> {
  const entries: FileSystemEntry[] = [];
  const out: DropResult = { files: [], failures: [] };
  for (const item of Array.from(data.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    const file = entry ? null : item.getAsFile();
    if (entry) entries.push(entry);
    else if (file) out.files.push({ file, path: file.name });
  }
  return (async () => {
    for (const entry of entries) await walk(entry, false, out);
    out.files.sort(byPath);
    return out;
  })();
}
