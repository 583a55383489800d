/**
 * bench:browser's side-by-side worker: ONNX Runtime Web sessions alone (WASM build, no app
 * around them) for one MAE export, the project's (encoder + decoder, ids_keep/ids_restore)
 * or an ordinary one (one graph, pixel_values + noise). Loads the graphs by URL into
 * sessions, then times the same 4-pass batch `runs` times. One export per worker, so each
 * starts with an empty WASM heap.
 */
import * as ort from 'onnxruntime-web/wasm';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

export interface GraphUrl {
  url: string;
  /** External data files: the name the graph uses and where to fetch it. */
  externalData?: { path: string; url: string }[];
}

export interface GraphsRequest {
  kind: 'skelex' | 'ordinary';
  /** skelex: [encoder, decoder]; ordinary: [mae]. */
  graphs: GraphUrl[];
  threads: number;
  runs: number;
  batch: number;
  size: number;
  /** [batch, 3, size, size]. */
  pixelValues: number[];
  /** skelex: [batch, kept] and [batch, patches]; ordinary: noise [batch, patches]. */
  idsKeep: number[];
  idsRestore: number[];
  noise: number[];
}

export interface GraphsTiming {
  loadMs: number;
  runMs: number[];
}

async function bytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function session(graph: GraphUrl): Promise<ort.InferenceSession> {
  const externalData = graph.externalData
    ? await Promise.all(
        graph.externalData.map(async (d) => ({ path: d.path, data: await bytes(d.url) })),
      )
    : undefined;
  return ort.InferenceSession.create(await bytes(graph.url), {
    executionProviders: ['wasm'],
    ...(externalData ? { externalData } : {}),
  });
}

self.onmessage = async ({ data: r }: MessageEvent<GraphsRequest>) => {
  try {
    ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
    ort.env.wasm.numThreads = r.threads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    const start = performance.now();
    const sessions: ort.InferenceSession[] = [];
    for (const g of r.graphs) sessions.push(await session(g));
    const loadMs = performance.now() - start;
    const pixels = new ort.Tensor('float32', Float32Array.from(r.pixelValues), [
      r.batch,
      3,
      r.size,
      r.size,
    ]);
    const patches = r.idsRestore.length / r.batch;
    const run = async (): Promise<void> => {
      if (r.kind === 'ordinary') {
        const noise = new ort.Tensor('float32', Float32Array.from(r.noise), [r.batch, patches]);
        await sessions[0].run({ pixel_values: pixels, noise });
        return;
      }
      const idsKeep = BigInt64Array.from(r.idsKeep, BigInt);
      const { latent } = await sessions[0].run({
        pixel_values: pixels,
        ids_keep: new ort.Tensor('int64', idsKeep, [r.batch, idsKeep.length / r.batch]),
      });
      const idsRestore = BigInt64Array.from(r.idsRestore, BigInt);
      await sessions[1].run({
        latent,
        ids_restore: new ort.Tensor('int64', idsRestore, [r.batch, patches]),
      });
    };
    // The first run pays for first-touch memory and kernel set-up: not counted.
    await run();
    const runMs: number[] = [];
    for (let i = 0; i < r.runs; i++) {
      const t = performance.now();
      await run();
      runMs.push(performance.now() - t);
    }
    self.postMessage({ loadMs, runMs } satisfies GraphsTiming);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
