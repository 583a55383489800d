/**
 * Serves the sample radiographs (src/ui/samples/catalog.ts) from the shared
 * data folder, never copied into the repository: the dev server answers
 * /samples/* from it, and the production build copies them in. samples/index.json
 * lists the samples present, so a machine without the data folder builds an
 * app that simply offers none.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import { SAMPLES, SAMPLES_FOLDER } from '../src/ui/samples/catalog.ts';

function imagesFolder(root: string): string {
  const data = process.env.SKELEX_DATA ?? path.resolve(root, '../shared/data');
  return path.join(data, 'fracatlas', 'images');
}

function present(root: string): string[] {
  const folder = imagesFolder(root);
  return SAMPLES.map((s) => s.file).filter((f) => existsSync(path.join(folder, f)));
}

export function samples(root: string): Plugin {
  return {
    name: 'skelex-samples',
    configureServer(server) {
      const prefix = `${server.config.base}${SAMPLES_FOLDER}`;
      server.middlewares.use((request, response, next) => {
        const url = (request.url ?? '').split('?')[0];
        if (!url.startsWith(prefix)) return next();
        const name = url.slice(prefix.length);
        const files = present(root);
        if (name === 'index.json') {
          response.setHeader('Content-Type', 'application/json');
          response.end(JSON.stringify(files));
        } else if (files.includes(name)) {
          response.setHeader('Content-Type', 'image/jpeg');
          response.end(readFileSync(path.join(imagesFolder(root), name)));
        } else next();
      });
    },
    generateBundle() {
      const files = present(root);
      this.emitFile({
        type: 'asset',
        fileName: `${SAMPLES_FOLDER}index.json`,
        source: JSON.stringify(files),
      });
      for (const file of files) {
        const source = new Uint8Array(readFileSync(path.join(imagesFolder(root), file)));
        this.emitFile({ type: 'asset', fileName: `${SAMPLES_FOLDER}${file}`, source });
      }
    },
  };
}
