/**
 * What a picked or dropped folder holds: a Hugging Face checkpoint to convert
 * (config.json) or a ready model bundle to import (model.json).
 */

export type FolderKind = 'checkpoint' | 'bundle';

/** The folder every path starts with, when they all share one; '' otherwise. */
export function commonFolder(paths: readonly string[]): string {
  const first = paths[0]?.split('/')[0] ?? '';
  if (first === '' || paths.some((p) => !p.startsWith(`${first}/`))) return '';
  return first;
}

const depth = (path: string): number => path.split('/').length;
const named = (path: string, name: string): boolean => path === name || path.endsWith(`/${name}`);

/**
 * A bundle when its shallowest model.json sits no deeper than any config.json (a bundle may
 * keep its source checkpoint's config beside it); a checkpoint when there is a config.json;
 * otherwise an error that says what was expected and what was found.
 */
export function folderKind(paths: readonly string[], folder = 'the folder'): FolderKind {
  const shallowest = (name: string): number =>
    Math.min(...paths.filter((p) => named(p, name)).map(depth));
  const bundle = shallowest('model.json');
  const checkpoint = shallowest('config.json');
  if (bundle !== Infinity && bundle <= checkpoint) return 'bundle';
  if (checkpoint !== Infinity) return 'checkpoint';
  const shown = paths.slice(0, 8).join(', ');
  throw new Error(
    paths.length === 0
      ? `${folder} is empty`
      : `${folder} holds neither a model bundle (model.json) nor a Hugging Face checkpoint (config.json): found ${shown}${paths.length > 8 ? ', ...' : ''}`,
  );
}
