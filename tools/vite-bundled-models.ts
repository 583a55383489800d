/**
 * Puts the bundled model(s) under models/ into the production build, so the
 * app serves them from its own origin. Only model.json and the files it lists
 * are copied (not recipes or checkpoints). The dev server serves them from the
 * project root as they are.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import {
  validateManifest,
  type BundleFile,
  type BundleManifest,
} from '../src/lib/model/manifest.ts';

function listedFiles(manifest: BundleManifest): string[] {
  const files: BundleFile[] = [];
  for (const v of Object.values(manifest.variants ?? {})) files.push(v.encoder, v.decoder);
  for (const f of Object.values(manifest.classifier?.variants ?? {})) files.push(f);
  for (const f of Object.values(manifest.features?.variants ?? {})) files.push(f);
  return files.flatMap((f) => [f.path, ...(f.externalData ?? []).map((d) => d.path)]);
}

export function bundledModels(root: string, folders: string[]): Plugin {
  return {
    name: 'skelex-bundled-models',
    apply: 'build',
    generateBundle() {
      for (const folder of folders) {
        const manifestPath = path.join(root, folder, 'model.json');
        const text = readFileSync(manifestPath, 'utf8');
        const manifest = validateManifest(JSON.parse(text), manifestPath);
        this.emitFile({ type: 'asset', fileName: `${folder}/model.json`, source: text });
        for (const file of listedFiles(manifest)) {
          const source = new Uint8Array(readFileSync(path.join(root, folder, file)));
          this.emitFile({ type: 'asset', fileName: `${folder}/${file}`, source });
        }
      }
    },
  };
}
