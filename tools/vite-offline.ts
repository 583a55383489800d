/**
 * Builds the offline service worker (workers/service-worker.ts) into `sw.js`
 * at the root of the build and writes into it the list of every file of the
 * build (and of public/), with a version from their contents, so the worker
 * precaches exactly this build. Prints the precache's size.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

export const SERVICE_WORKER_ENTRY = 'workers/service-worker.ts';
const PLACEHOLDER = '__PRECACHE_MANIFEST__';

function publicFiles(dir: string, prefix = ''): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory()
      ? publicFiles(full, `${prefix}${name}/`)
      : [`${prefix}${name}`];
  });
}

export function offline(root: string): Plugin {
  return {
    name: 'skelex-offline',
    apply: 'build',
    enforce: 'post',
    config() {
      return {
        build: {
          rollupOptions: {
            input: {
              index: path.join(root, 'index.html'),
              sw: path.join(root, SERVICE_WORKER_ENTRY),
            },
            output: {
              entryFileNames: (chunk) =>
                chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js',
            },
          },
        },
      };
    },
    generateBundle(_options, bundle) {
      const worker = bundle['sw.js'];
      if (!worker || worker.type !== 'chunk') throw new Error('offline: sw.js was not built');
      const hash = createHash('sha256');
      const files: string[] = [];
      let bytes = 0;
      for (const [name, item] of Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b))) {
        if (name === 'sw.js' || name.endsWith('.map')) continue;
        const content = item.type === 'chunk' ? item.code : item.source;
        hash.update(name).update(content);
        bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.length;
        files.push(name === 'index.html' ? './' : name);
      }
      for (const name of publicFiles(path.join(root, 'public'))) {
        const content = readFileSync(path.join(root, 'public', name));
        hash.update(name).update(content);
        bytes += content.length;
        files.push(name);
      }
      const manifest = { version: hash.digest('hex').slice(0, 16), files };
      if (!worker.code.includes(PLACEHOLDER))
        throw new Error('offline: sw.js lost its manifest placeholder');
      worker.code = worker.code.replaceAll(PLACEHOLDER, JSON.stringify(manifest));
      this.info(
        `precache: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB (version ${manifest.version})`,
      );
    },
  };
}
