/**
 * npx tsx tools/bench-variants.ts — size, speed and accuracy of the precision variants
 * (src/lib/convert/variants) on a ViT-Base-sized random ViTMAE, in onnxruntime-web's WASM
 * backend inside Node on one thread (what a page without cross-origin isolation gets).
 *
 * For each scheme: bytes of all initializers (encoder + decoder) and of the Linear weights
 * alone, against fp32; the best process CPU time and wall time of an encoder run (K = 49
 * kept patches, batch 1) and of a decoder run, schemes interleaved round by round; and the
 * error of the decoder's logits when encoder and decoder both run the variant, against the
 * fp32 pair: max |err|, mean |err|, max |err| / max |logit|, and the Pearson correlation.
 *
 * Environment: BENCH_RUNS (timed rounds, default 2), BENCH_LAYERS (encoder layers,
 * default 12), BENCH_DECODER_LAYERS (default 8), BENCH_SCHEMES (comma-separated subset).
 *
 * Process CPU time is the steadier figure on a shared machine (the wall time includes waits
 * for the core). Results measured here are in the note on INT8_SCHEME in
 * src/lib/convert/variants/index.ts.
 */
import * as ort from 'onnxruntime-web';
import { buildMaeGraphs, type VitGraphConfig } from '../src/lib/convert/graphs/index.ts';
import type { OnnxGraph } from '../src/lib/convert/onnx/graph.ts';
import {
  makeVariant,
  toFloat16Graph,
  toInt8Graph,
  toMatMulNBitsGraph,
  toQ4Graph,
} from '../src/lib/convert/variants/index.ts';
import { MemoryTensors } from '../tests/helpers/memory-tensors.ts';
import {
  randomMaeWeights,
  randomMasking,
  randomNoise,
  randomPixels,
  type HfVitConfig,
} from '../tests/helpers/reference-vit.ts';

ort.env.wasm.numThreads = 1;

const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 12);
const DECODER_LAYERS = Number(process.env.BENCH_DECODER_LAYERS ?? 8);

const HF: HfVitConfig = {
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  hidden_size: 768,
  num_hidden_layers: LAYERS,
  num_attention_heads: 12,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  decoder_hidden_size: 512,
  decoder_num_hidden_layers: DECODER_LAYERS,
  decoder_num_attention_heads: 16,
  decoder_intermediate_size: 2048,
};

const CONFIG: VitGraphConfig = {
  imageSize: HF.image_size,
  patchSize: HF.patch_size,
  numChannels: HF.num_channels,
  hiddenSize: HF.hidden_size,
  numHiddenLayers: HF.num_hidden_layers,
  numAttentionHeads: HF.num_attention_heads,
  intermediateSize: HF.intermediate_size,
  layerNormEps: HF.layer_norm_eps,
  qkvBias: HF.qkv_bias,
  decoderHiddenSize: HF.decoder_hidden_size,
  decoderNumHiddenLayers: HF.decoder_num_hidden_layers,
  decoderNumAttentionHeads: HF.decoder_num_attention_heads,
  decoderIntermediateSize: HF.decoder_intermediate_size,
};

interface Scheme {
  name: string;
  make: (graph: OnnxGraph) => OnnxGraph;
}

const SCHEMES: Scheme[] = [
  { name: 'fp32', make: (g) => makeVariant(g, 'fp32') },
  { name: 'fp16', make: (g) => toFloat16Graph(g) },
  { name: 'int8 dynamic (DQL+MatMulInteger)', make: (g) => toInt8Graph(g, 'dynamic') },
  { name: 'int8 weight-only (DequantizeLinear)', make: (g) => toInt8Graph(g, 'weight-only') },
  { name: 'int8 MatMulNBits bits=8', make: (g) => toInt8Graph(g, 'nbits8') },
  {
    name: 'int8 MatMulNBits bits=8 acc=4',
    make: (g) =>
      toMatMulNBitsGraph(g, { bits: 8, blockSize: 32, symmetric: true, accuracyLevel: 4 }, 'int8'),
  },
  { name: 'q4 MatMulNBits bits=4', make: (g) => toQ4Graph(g) },
  { name: 'q4 MatMulNBits bits=4 acc=4', make: (g) => toQ4Graph(g, { accuracyLevel: 4 }) },
];

type Feeds = Record<string, ort.Tensor>;

interface Timing {
  /** Fastest wall-clock time of a run, ms. */
  wall: number;
  /** Fastest process CPU time of a run, ms (WASM runs on this one thread). */
  cpu: number;
}

/**
 * Times one graph per scheme, interleaved: every round runs each session once, so a burst
 * of other work on a shared machine slows all schemes alike; the best of RUNS rounds (after
 * one untimed run) is kept. Returns each scheme's timing and outputs.
 */
async function timeInterleaved(
  graphs: (OnnxGraph | undefined)[],
  feeds: (Feeds | undefined)[],
): Promise<({ timing: Timing; out: ort.Tensor } | Error)[]> {
  const sessions: (ort.InferenceSession | Error)[] = [];
  for (const graph of graphs) {
    try {
      if (graph === undefined) throw new Error('no graph');
      sessions.push(
        await ort.InferenceSession.create(graph.toModelBytes(), { executionProviders: ['wasm'] }),
      );
    } catch (error) {
      sessions.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  const results = sessions.map((s): Error | { timing: Timing; out: ort.Tensor | undefined } =>
    s instanceof Error ? s : { timing: { wall: Infinity, cpu: Infinity }, out: undefined },
  );
  for (let round = 0; round <= RUNS; round++) {
    for (let i = 0; i < sessions.length; i++) {
      const session = sessions[i];
      const result = results[i];
      const input = feeds[i];
      if (session instanceof Error || result instanceof Error || input === undefined) continue;
      try {
        const cpu = process.cpuUsage();
        const start = performance.now();
        const out = await session.run(input);
        const wall = performance.now() - start;
        const used = process.cpuUsage(cpu);
        result.out = out[session.outputNames[0]];
        if (round > 0) {
          result.timing.wall = Math.min(result.timing.wall, wall);
          result.timing.cpu = Math.min(result.timing.cpu, (used.user + used.system) / 1000);
        }
      } catch (error) {
        results[i] = error instanceof Error ? error : new Error(String(error));
      }
    }
  }
  for (const session of sessions) if (!(session instanceof Error)) await session.release();
  return results.map((r) =>
    r instanceof Error || r.out === undefined
      ? r instanceof Error
        ? r
        : new Error('no output')
      : { timing: r.timing, out: r.out },
  );
}

/**
 * Bytes of the Linear weights in `variant` of `original`: initializers the variant added
 * (codes, scales, zero points) plus those still named as an original Linear weight.
 */
function linearWeightBytes(original: OnnxGraph, variant: OnnxGraph): number {
  const linear = new Set(
    original.nodes
      .filter((n) => n.opType === 'MatMul' && original.initializer(n.inputs[1]) !== undefined)
      .map((n) => n.inputs[1]),
  );
  return variant.initializers
    .filter((init) => linear.has(init.name) || original.initializer(init.name) === undefined)
    .reduce((n, init) => n + init.data.byteLength, 0);
}

interface Errors {
  max: number;
  mean: number;
  relative: number;
  correlation: number;
}

function compare(actual: Float32Array, expected: Float32Array): Errors {
  const n = expected.length;
  let max = 0;
  let sum = 0;
  let scale = 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    max = Math.max(max, d);
    sum += d;
    scale = Math.max(scale, Math.abs(expected[i]));
    ma += actual[i] / n;
    mb += expected[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (actual[i] - ma) * (expected[i] - mb);
    aa += (actual[i] - ma) ** 2;
    bb += (expected[i] - mb) ** 2;
  }
  return { max, mean: sum / n, relative: max / scale, correlation: ab / Math.sqrt(aa * bb) };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const only = process.env.BENCH_SCHEMES?.split(',').map((s) => s.trim());
  const schemes = SCHEMES.filter(
    (s) => only === undefined || only.some((o) => s.name.startsWith(o)),
  );
  console.log(
    `random ViTMAE: encoder D=${HF.hidden_size} x${LAYERS} layers, decoder D=${HF.decoder_hidden_size} ` +
      `x${DECODER_LAYERS}, ${HF.image_size}/${HF.patch_size}, K=49, batch 1; ` +
      `onnxruntime-web ${ort.env.versions.web} WASM, 1 thread, best of ${RUNS} interleaved rounds`,
  );
  const weights = randomMaeWeights(HF, 7);
  const reader = new MemoryTensors('bench');
  for (const [name, t] of weights) reader.set(name, t.shape, t.data);
  weights.clear();
  const { encoder, decoder } = await buildMaeGraphs(CONFIG, reader);
  const masking = randomMasking(randomNoise(1, 196, 8), 0.75);
  const pixels = new ort.Tensor('float32', randomPixels(HF, 1, 9), [1, 3, 224, 224]);
  const keep = new ort.Tensor('int64', BigInt64Array.from(masking.idsKeep[0], BigInt), [1, 49]);
  const restore = new ort.Tensor(
    'int64',
    BigInt64Array.from(masking.idsRestore[0], BigInt),
    [1, 196],
  );

  const baseBytes = encoder.weightBytes + decoder.weightBytes;
  const baseLinear = linearWeightBytes(encoder, encoder) + linearWeightBytes(decoder, decoder);
  const sizes = schemes.map(() => ({ bytes: 0, linear: 0 }));
  const make = (graph: OnnxGraph, i: number): OnnxGraph | undefined => {
    try {
      const v = schemes[i].make(graph);
      sizes[i].bytes += v.weightBytes;
      sizes[i].linear += linearWeightBytes(graph, v);
      return v;
    } catch (error) {
      console.log(`${schemes[i].name}: ${String(error)}`);
      return undefined;
    }
  };
  const encoders = await timeInterleaved(
    schemes.map((_, i) => make(encoder, i)),
    schemes.map(() => ({ pixel_values: pixels, ids_keep: keep })),
  );
  const decoders = await timeInterleaved(
    schemes.map((_, i) => make(decoder, i)),
    encoders.map((e) => (e instanceof Error ? undefined : { latent: e.out, ids_restore: restore })),
  );
  const first = decoders[0];
  if (first instanceof Error) throw first;
  const reference = first.out.data as Float32Array;
  const rows: string[][] = schemes.map((scheme, i) => {
    const e = encoders[i];
    const d = decoders[i];
    const size = sizes[i];
    const sizeCells = [
      `${mib(size.bytes)} (${(size.bytes / baseBytes).toFixed(3)})`,
      (size.linear / baseLinear).toFixed(3),
    ];
    if (e instanceof Error || d instanceof Error) {
      const why = (e instanceof Error ? e : (d as Error)).message.split('\n')[0].slice(0, 100);
      return [scheme.name, ...sizeCells, `failed: ${why}`];
    }
    const err = compare(d.out.data as Float32Array, reference);
    const ms = (t: Timing) => `${t.cpu.toFixed(0)} / ${t.wall.toFixed(0)}`;
    return [
      scheme.name,
      ...sizeCells,
      ms(e.timing),
      ms(d.timing),
      err.max.toExponential(2),
      err.mean.toExponential(2),
      err.relative.toExponential(2),
      err.correlation.toFixed(5),
    ];
  });
  const header = [
    'scheme',
    'weights MiB (x fp32)',
    'linear x fp32',
    'encoder ms cpu / wall',
    'decoder ms cpu / wall',
    'max |err|',
    'mean |err|',
    'max err/max',
    'corr',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));
}

await main();
