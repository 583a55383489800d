import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { bundledModels } from './tools/vite-bundled-models.ts';
import { offline } from './tools/vite-offline.ts';
import { samples } from './tools/vite-samples.ts';

// Cross-origin isolation lets onnxruntime-web use WASM threads (SharedArrayBuffer).
// Without these headers ORT silently falls back to one thread.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [
    svelte(),
    bundledModels(import.meta.dirname, ['models/demo']),
    offline(import.meta.dirname),
    samples(import.meta.dirname),
  ],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  // Naming the worker as an entry lets Vite pre-bundle its dependencies at start-up;
  // otherwise it finds them when the worker loads and reloads the page, losing opened files.
  optimizeDeps: { entries: ['index.html', 'workers/*.worker.ts'], exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
