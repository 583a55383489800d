/**
 * Precision variants of the ViTMAE and ViT classifier graphs (fp32, fp16, int8, q4), run in
 * onnxruntime-node and onnxruntime-web (WASM) against the fp32 graph, plus the float16 and
 * MatMulNBits encodings checked against plain TypeScript readings of their specs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import protoRoot from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClassifierGraph, buildMaeGraphs } from '../../src/lib/convert/graphs/index.ts';
import { GraphBuilder, attr, type OnnxGraph } from '../../src/lib/convert/onnx/graph-builder.ts';
import {
  VARIANTS,
  dequantizeBlockwise,
  float16Bits,
  float16Value,
  makeVariant,
  quantizeBlockwise,
  toFloat16Graph,
  toInt8Graph,
  toMatMulNBitsGraph,
  INT8_SCHEMES,
  type BlockQuantOptions,
  type Variant,
} from '../../src/lib/convert/variants/index.ts';
import { MemoryTensors } from '../helpers/memory-tensors.ts';
import {
  BACKENDS,
  float32Tensor,
  int64Tensor,
  joinedDataFiles,
  maxAbsDiff,
  runModel,
  type Backend,
  type HostTensor,
} from '../helpers/ort.ts';
import {
  gaussian,
  randomClassifierWeights,
  randomMaeWeights,
  randomMasking,
  randomNoise,
  randomPixels,
  seededRandom,
  type HfVitConfig,
  type RefWeights,
} from '../helpers/reference-vit.ts';
import { graphConfig } from '../helpers/graph-config';

function reader(weights: RefWeights, source: string): MemoryTensors {
  const r = new MemoryTensors(source);
  for (const [name, t] of weights) r.set(name, t.shape, t.data);
  return r;
}

/**
 * Moderate sizes, so that quantisation error is representative. The decoder's width 48 is
 * not a multiple of 32: its Linear layers reading 48 features pad the last 4-bit block.
 */
const MAE: HfVitConfig = {
  image_size: 64,
  patch_size: 16,
  num_channels: 3,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 256,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  decoder_hidden_size: 48,
  decoder_num_hidden_layers: 2,
  decoder_num_attention_heads: 4,
  decoder_intermediate_size: 192,
};

const CLASSIFIER: HfVitConfig = {
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 256,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  num_labels: 38,
};

// ---------------------------------------------------------------- measures

interface Errors {
  /** max |a - b|. */
  max: number;
  /** max |a - b| / max |b|. */
  relative: number;
  /** Pearson correlation of a and b. */
  correlation: number;
}

function compare(actual: Float32Array, expected: Float32Array): Errors {
  const n = expected.length;
  const max = maxAbsDiff(actual, expected);
  let scale = 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
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
  return { max, relative: max / scale, correlation: ab / Math.sqrt(aa * bb) };
}

/**
 * Bounds per variant, set from measured errors (printed at the end) with margin. The
 * relative error is max |err| / max |fp32 output| on one graph fed exact fp32 inputs.
 */
const BOUNDS: Record<Exclude<Variant, 'fp32'>, { relative: number; correlation: number }> = {
  fp16: { relative: 5e-3, correlation: 0.99999 },
  int8: { relative: 0.05, correlation: 0.999 },
  q4: { relative: 0.3, correlation: 0.98 },
};

const measured: string[] = [];

function checkErrors(
  label: string,
  variant: Variant,
  actual: Float32Array,
  expected: Float32Array,
) {
  const e = compare(actual, expected);
  measured.push(
    `${label.padEnd(34)} max ${e.max.toExponential(2)}  rel ${e.relative.toExponential(2)}  corr ${e.correlation.toFixed(6)}`,
  );
  if (variant === 'fp32') {
    expect(e.max, label).toBe(0);
    return;
  }
  expect(e.relative, label).toBeLessThan(BOUNDS[variant].relative);
  expect(e.correlation, label).toBeGreaterThan(BOUNDS[variant].correlation);
}

afterAll(() => {
  console.log(`variant outputs against fp32:\n${measured.join('\n')}`);
});

/** Names of the Linear weights: MatMul B operands that are initializers. */
function linearWeights(graph: OnnxGraph): Set<string> {
  return new Set(
    graph.nodes
      .filter((n) => n.opType === 'MatMul' && graph.initializer(n.inputs[1]) !== undefined)
      .map((n) => n.inputs[1]),
  );
}

/** Bytes the Linear layers take in `variant`: new initializers plus renamed-in-place weights. */
function linearBytes(original: OnnxGraph, variant: OnnxGraph): number {
  const linear = linearWeights(original);
  return variant.initializers
    .filter((init) => linear.has(init.name) || original.initializer(init.name) === undefined)
    .reduce((n, init) => n + init.data.byteLength, 0);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function decode(graph: OnnxGraph) {
  return protoRoot.onnx.ModelProto.decode(graph.toModelBytes());
}

// ---------------------------------------------------------------- float16

describe('float16 encoding', () => {
  it('round-trips every float16 value and rounds midpoints to even', () => {
    const wrong: string[] = [];
    const want = (value: number, bits: number) => {
      if (float16Bits(value) !== bits) wrong.push(`${value} -> ${float16Bits(value)}, not ${bits}`);
    };
    for (let h = 0; h < 0x10000; h++) {
      const v = float16Value(h);
      if (Number.isNaN(v)) {
        if (!Number.isNaN(float16Value(float16Bits(v)))) wrong.push(`NaN ${h}`);
        continue;
      }
      want(v, h);
      // The midpoint to the next value up in magnitude (exact in float32), and either side.
      if ((h & 0x7fff) >= 0x7bff) continue; // the largest finite half, infinities
      const next = float16Value(h + 1);
      const mid = (v + next) / 2;
      if (Math.fround(mid) !== mid) wrong.push(`midpoint ${mid} is not a float32`);
      want(mid, (h & 1) === 0 ? h : h + 1);
      want(mid + (next - v) * 1e-3, h + 1);
      want(mid - (next - v) * 1e-3, h);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('overflows, underflows and keeps signs as IEEE round-to-nearest-even does', () => {
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65519.99)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00);
    expect(float16Bits(1e10)).toBe(0x7c00);
    expect(float16Bits(-Infinity)).toBe(0xfc00);
    expect(float16Bits(2 ** -24)).toBe(1);
    expect(float16Bits(2 ** -25)).toBe(0); // tie, to even
    expect(float16Bits(2 ** -25 * 1.0001)).toBe(1);
    expect(float16Bits(-(2 ** -26))).toBe(0x8000);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(float16Bits(1 / 3)).toBe(0x3555);
    expect(float16Bits(Math.SQRT1_2)).toBe(0x39a8);
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
  });
});

// ---------------------------------------------------------------- MatMulNBits encoding

/**
 * The MatMulNBits weight, read straight from the contrib-op spec: B [N, blocks, blob] with
 * codes along K, 4-bit codes two a byte low nibble first; scales [N, blocks]; zero points
 * [N, ceil(blocks * bits / 8)] packed the same way, default 2^(bits-1). Returns W [K, N].
 */
function specDequantize(
  b: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | undefined,
  k: number,
  n: number,
  bits: number,
  blockSize: number,
): Float64Array {
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpRow = Math.ceil((blocks * bits) / 8);
  const w = new Float64Array(k * n);
  const nibble = (byte: number, high: boolean) => (high ? byte >> 4 : byte & 15);
  for (let col = 0; col < n; col++) {
    for (let kk = 0; kk < k; kk++) {
      const block = Math.floor(kk / blockSize);
      const inBlock = kk % blockSize;
      const blobStart = (col * blocks + block) * blob;
      const code =
        bits === 8
          ? b[blobStart + inBlock]
          : nibble(b[blobStart + Math.floor(inBlock / 2)], inBlock % 2 === 1);
      let zero = 2 ** (bits - 1);
      if (zeroPoints !== undefined) {
        zero =
          bits === 8
            ? zeroPoints[col * zpRow + block]
            : nibble(zeroPoints[col * zpRow + Math.floor(block / 2)], block % 2 === 1);
      }
      w[kk * n + col] = (code - zero) * scales[col * blocks + block];
    }
  }
  return w;
}

function randomMatrix(count: number, seed: number, std = 1): Float32Array {
  const normal = gaussian(seededRandom(seed));
  return Float32Array.from({ length: count }, () => std * normal());
}

/** One MatMul with a constant [k, n] weight: A [2, rows, k] -> Y [2, rows, n]. */
function singleMatMul(weight: Float32Array, k: number, n: number): OnnxGraph {
  const b = new GraphBuilder('single_matmul');
  const a = b.input('A', 'float32', ['batch', 'rows', k]);
  const y = b.op('MatMul', [a, b.weight('W', [k, n], weight)]);
  b.output(y, 'Y', 'float32', ['batch', 'rows', n]);
  return b.finish();
}

/** A [m, k] x W [k, n] in float64. */
function matmul(a: Float32Array, w: Float64Array, m: number, k: number, n: number): Float32Array {
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * w[t * n + j];
      y[i * n + j] = s;
    }
  }
  return y;
}

describe('MatMulNBits packing', () => {
  it('packs a small weight exactly as the spec lays it out', () => {
    // K = 3 (one block of 16, padded), N = 2; asymmetric, no range search.
    const w = Float32Array.from([0, -1.6, 1.4, 0, 3, 1.4]); // [k][n]
    const q = quantizeBlockwise(w, 3, 2, {
      bits: 4,
      blockSize: 16,
      symmetric: false,
      search: false,
    });
    expect(q.blocks).toBe(1);
    // Column 0 holds 0, 1.4, 3: range [0, 3], scale 0.2, zero point 0, codes 0, 7, 15.
    // Column 1 holds -1.6, 0, 1.4: range [-1.6, 1.4], scale 0.2, zero point 8, codes 0, 8, 15.
    expect(Array.from(q.scales)).toEqual([Math.fround(0.2), Math.fround(0.2)]);
    expect(Array.from(q.zeroPoints ?? [])).toEqual([0, 8]); // one byte a column, low nibble
    // [N=2, blocks=1, blob=8]; low nibble first; padding codes are the zero point.
    expect(Array.from(q.data)).toEqual([
      ...[0x70, 0x0f, 0, 0, 0, 0, 0, 0],
      ...[0x80, 0x8f, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88],
    ]);
    const back = dequantizeBlockwise(q);
    expect(maxAbsDiff(back, w)).toBeLessThan(1e-6);
  });

  const cases: { k: number; n: number; options: BlockQuantOptions }[] = [
    { k: 64, n: 24, options: { bits: 4, blockSize: 32, symmetric: false } },
    { k: 100, n: 7, options: { bits: 4, blockSize: 32, symmetric: false } }, // 4 blocks, padded
    { k: 80, n: 9, options: { bits: 4, blockSize: 32, symmetric: false } }, // 3 blocks: odd
    { k: 48, n: 16, options: { bits: 4, blockSize: 32, symmetric: true } },
    { k: 72, n: 10, options: { bits: 8, blockSize: 32, symmetric: true } },
    { k: 40, n: 10, options: { bits: 8, blockSize: 16, symmetric: false } },
  ];
  for (const c of cases) {
    const o = c.options;
    const label = `K=${c.k} N=${c.n} bits=${o.bits} block=${o.blockSize} ${o.symmetric ? 'sym' : 'asym'}`;
    it(`${label}: codes follow the spec, and ONNX Runtime multiplies by them`, async () => {
      const weight = randomMatrix(c.k * c.n, c.k + c.n, 1 / Math.sqrt(c.k));
      const q = quantizeBlockwise(weight, c.k, c.n, o);
      const fromSpec = specDequantize(
        q.data,
        q.scales,
        q.zeroPoints,
        c.k,
        c.n,
        o.bits,
        o.blockSize,
      );
      expect(Array.from(dequantizeBlockwise(q))).toEqual(Array.from(fromSpec, Math.fround));
      let err = 0;
      let sum = 0;
      for (let i = 0; i < weight.length; i++) {
        err += (fromSpec[i] - weight[i]) ** 2;
        sum += weight[i] ** 2;
      }
      // Relative RMS error of the weights: ~8% with 4 bits, ~0.5% with 8.
      expect(Math.sqrt(err / sum)).toBeLessThan(o.bits === 4 ? 0.1 : 0.008);

      const graph = toMatMulNBitsGraph(singleMatMul(weight, c.k, c.n), o, 'test');
      const node = graph.nodes.find((n) => n.opType === 'MatMulNBits');
      expect(node?.domain).toBe('com.microsoft');
      expect(graph.initializer('W')).toBeUndefined();
      const rows = 3;
      const a = randomMatrix(2 * rows * c.k, 99);
      const expected = matmul(a, fromSpec, 2 * rows, c.k, c.n);
      for (const backend of BACKENDS) {
        const out = await runModel(backend, graph.toModelBytes(), {
          A: float32Tensor([2, rows, c.k], a),
        });
        expect(out.Y.dims).toEqual([2, rows, c.n]);
        expect(maxAbsDiff(out.Y.data, expected), `${label} ${backend}`).toBeLessThan(1e-4);
      }
    });
  }
});

// ---------------------------------------------------------------- whole graphs

interface MaeSetup {
  encoder: OnnxGraph;
  decoder: OnnxGraph;
  encoderFeeds: Record<string, HostTensor>;
  decoderFeeds: Record<string, HostTensor>;
  /** fp32 outputs per backend. */
  latent: Record<Backend, Float32Array>;
  logits: Record<Backend, Float32Array>;
  /** Serialised fp32 graphs before any variant was made. */
  encoderBytes: Uint8Array;
  decoderBytes: Uint8Array;
}

let mae: MaeSetup;

beforeAll(async () => {
  const weights = randomMaeWeights(MAE, 5);
  const { encoder, decoder } = await buildMaeGraphs(graphConfig(MAE), reader(weights, 'mae'));
  const masking = randomMasking(randomNoise(2, 16, 6), 0.75);
  const encoderFeeds = {
    pixel_values: float32Tensor([2, 3, 64, 64], randomPixels(MAE, 2, 7)),
    ids_keep: int64Tensor(masking.idsKeep),
  };
  const encoderBytes = encoder.toModelBytes();
  const decoderBytes = decoder.toModelBytes();
  const latent = {} as Record<Backend, Float32Array>;
  const logits = {} as Record<Backend, Float32Array>;
  for (const backend of BACKENDS) {
    latent[backend] = (await runModel(backend, encoderBytes, encoderFeeds)).latent.data;
  }
  // Both backends' decoders read the same latent (node's), so each graph is compared alone.
  const decoderFeeds = {
    latent: float32Tensor([2, 5, 64], latent.node),
    ids_restore: int64Tensor(masking.idsRestore),
  };
  for (const backend of BACKENDS) {
    logits[backend] = (await runModel(backend, decoderBytes, decoderFeeds)).logits.data;
  }
  mae = {
    encoder,
    decoder,
    encoderFeeds,
    decoderFeeds,
    latent,
    logits,
    encoderBytes,
    decoderBytes,
  };
});

describe('MAE encoder and decoder variants', () => {
  for (const variant of VARIANTS) {
    it(`${variant}: same inputs and outputs, outputs close to fp32 on node and web`, async () => {
      const encoder = makeVariant(mae.encoder, variant);
      const decoder = makeVariant(mae.decoder, variant);
      // The fp32 graphs are untouched.
      expect(sameBytes(mae.encoder.toModelBytes(), mae.encoderBytes)).toBe(true);
      expect(sameBytes(mae.decoder.toModelBytes(), mae.decoderBytes)).toBe(true);
      for (const [v, original] of [
        [encoder, mae.encoder],
        [decoder, mae.decoder],
      ]) {
        expect(v.inputs).toEqual(original.inputs);
        expect(v.outputs).toEqual(original.outputs);
      }
      if (variant === 'fp32') {
        expect(sameBytes(encoder.toModelBytes(), mae.encoderBytes)).toBe(true);
        expect(sameBytes(decoder.toModelBytes(), mae.decoderBytes)).toBe(true);
      }
      for (const backend of BACKENDS) {
        const enc = await runModel(backend, encoder.toModelBytes(), mae.encoderFeeds);
        expect(enc.latent.dims).toEqual([2, 5, 64]);
        checkErrors(
          `mae ${variant} latent ${backend}`,
          variant,
          enc.latent.data,
          mae.latent[backend],
        );
        const dec = await runModel(backend, decoder.toModelBytes(), mae.decoderFeeds);
        expect(dec.logits.dims).toEqual([2, 16, 768]);
        checkErrors(
          `mae ${variant} logits ${backend}`,
          variant,
          dec.logits.data,
          mae.logits[backend],
        );
      }
    });
  }

  it('sizes: Linear weights take 1/2 (fp16), ~1/4 (int8), ~1/6 (q4) of their fp32 bytes', () => {
    const ratios: Record<string, number> = {};
    for (const variant of VARIANTS) {
      for (const [name, graph] of [
        ['encoder', mae.encoder],
        ['decoder', mae.decoder],
      ] as const) {
        const v = makeVariant(graph, variant);
        const ratio = linearBytes(graph, v) / linearBytes(graph, graph);
        ratios[`${variant} ${name}`] = ratio;
      }
    }
    measured.push(
      `linear-weight bytes / fp32: ${Object.entries(ratios)
        .map(([k, r]) => `${k} ${r.toFixed(3)}`)
        .join(', ')}`,
    );
    expect(ratios['fp32 encoder']).toBe(1);
    expect(ratios['fp16 encoder']).toBe(0.5);
    expect(ratios['fp16 decoder']).toBe(0.5);
    for (const g of ['encoder', 'decoder']) {
      // int8 codes plus one float scale a column.
      expect(ratios[`int8 ${g}`]).toBeGreaterThan(0.25);
      expect(ratios[`int8 ${g}`]).toBeLessThan(0.27);
    }
    // 4-bit codes, a float scale and half a byte of zero point per 32: 20.5 / 128.
    expect(ratios['q4 encoder']).toBeCloseTo(20.5 / 128, 3);
    // The decoder's K = 48 rows fill two blocks of 32: more padding, still under 1/4.
    expect(ratios['q4 decoder']).toBeGreaterThan(1 / 8);
    expect(ratios['q4 decoder']).toBeLessThan(1 / 4);
  });

  it('rewrites exactly the Linear MatMuls; attention, Conv and LayerNorm stay as they were', () => {
    const linear = linearWeights(mae.encoder).size;
    const attentionMatMuls = mae.encoder.nodes.filter((n) => n.opType === 'MatMul').length - linear;
    expect(linear).toBe(2 * 6);
    expect(attentionMatMuls).toBe(2 * 2);
    const count = (g: OnnxGraph, op: string) => g.nodes.filter((n) => n.opType === op).length;
    const opsets = (g: OnnxGraph) =>
      decode(g).opsetImport.map((o) => [o.domain ?? '', Number(o.version)]);

    const q4 = makeVariant(mae.encoder, 'q4');
    expect(count(q4, 'MatMulNBits')).toBe(linear);
    expect(count(q4, 'MatMul')).toBe(attentionMatMuls);
    expect(opsets(q4)).toEqual([
      ['', 17],
      ['com.microsoft', 1],
    ]);
    for (const op of ['Conv', 'LayerNormalization', 'Softmax', 'Erf']) {
      expect(count(q4, op)).toBe(count(mae.encoder, op));
    }
    const fc2 = q4.nodes.find((n) => n.name.startsWith('/vit.encoder.layer.1/mlp/MatMul_1'));
    expect(fc2?.opType).toBe('MatMulNBits');
    expect(fc2?.attributes).toMatchObject({
      K: attr.int(256),
      N: attr.int(64),
      bits: attr.int(4),
      block_size: attr.int(32),
    });
    const b = q4.initializer(fc2?.inputs[1] ?? '');
    expect(b?.dataType).toBe('uint8');
    expect(b?.dims).toEqual([64, 8, 16]);
    expect(q4.initializer(fc2?.inputs[2] ?? '')?.dims).toEqual([64, 8]);
    expect(q4.initializer(fc2?.inputs[3] ?? '')?.dims).toEqual([64, 4]);
    expect(q4.initializer('vit.encoder.layer.1.output.dense.weight.T')).toBeUndefined();
    // The patch embedding and the biases stay float32.
    expect(q4.initializer('vit.embeddings.patch_embeddings.projection.weight')?.dataType).toBe(
      'float32',
    );

    // Decoder: K = 48 gives 2 blocks, packed zero points 1 byte a column.
    const q4d = makeVariant(mae.decoder, 'q4');
    const embed = q4d.nodes.find((n) => n.opType === 'MatMulNBits' && n.attributes.K?.value === 48);
    expect(q4d.initializer(embed?.inputs[1] ?? '')?.dims).toEqual([48, 2, 16]);
    expect(q4d.initializer(embed?.inputs[3] ?? '')?.dims).toEqual([48, 1]);

    const int8 = makeVariant(mae.encoder, 'int8');
    expect(opsets(int8)).toEqual([['', 17]]);
    expect(int8.initializers.filter((i) => i.dataType === 'int8')).toHaveLength(linear);
    expect(int8.initializers.some((i) => i.dataType === 'float32' && i.dims.length === 2)).toBe(
      false,
    );

    const fp16 = makeVariant(mae.encoder, 'fp16');
    expect(fp16.initializers.filter((i) => i.dataType === 'float32')).toHaveLength(0);
    expect(fp16.nodes[0]).toMatchObject({
      opType: 'Cast',
      inputs: ['pixel_values'],
      attributes: { to: attr.int(10) },
    });
    expect(fp16.nodes[fp16.nodes.length - 1]).toMatchObject({
      opType: 'Cast',
      outputs: ['latent'],
      attributes: { to: attr.int(1) },
    });
    expect(fp16.metadata['skelex.variant']).toBe('fp16');
  });

  it('every int8 scheme runs on node and web, within the int8 bounds', async () => {
    for (const scheme of INT8_SCHEMES) {
      const decoder = toInt8Graph(mae.decoder, scheme);
      for (const backend of BACKENDS) {
        const out = await runModel(backend, decoder.toModelBytes(), mae.decoderFeeds);
        checkErrors(
          `mae int8 ${scheme} logits ${backend}`,
          'int8',
          out.logits.data,
          mae.logits[backend],
        );
      }
    }
  });

  it('fp16 with LayerNormalization kept float32 runs and is no worse', async () => {
    const decoder = toFloat16Graph(mae.decoder, { keepFloat32: ['LayerNormalization'] });
    const norms = decoder.nodes.filter((n) => n.opType === 'LayerNormalization');
    expect(norms.length).toBeGreaterThan(0);
    for (const norm of norms) {
      for (const input of norm.inputs.slice(1)) {
        expect(decoder.initializer(input)?.dataType).toBe('float32');
      }
    }
    const out = await runModel('web', decoder.toModelBytes(), mae.decoderFeeds);
    checkErrors('mae fp16 (LayerNorm fp32) logits web', 'fp16', out.logits.data, mae.logits.web);
    expect(() => toFloat16Graph(mae.decoder, { keepFloat32: ['MatMul'] })).toThrow('MatMul');
  });

  it('variants serialise with external data and load from it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skelex-variants-'));
    try {
      for (const variant of VARIANTS) {
        const encoder = makeVariant(mae.encoder, variant);
        const ext = encoder.toExternal(`encoder.${variant}.onnx.data`);
        const model = protoRoot.onnx.ModelProto.decode(ext.modelBytes);
        const external = (model.graph?.initializer ?? []).filter((t) => t.dataLocation === 1);
        expect(external.length, variant).toBeGreaterThan(5);
        const dataFiles = joinedDataFiles(ext);
        expect(dataFiles).toHaveLength(1);
        const modelPath = path.join(dir, `encoder.${variant}.onnx`);
        writeFileSync(modelPath, ext.modelBytes);
        writeFileSync(path.join(dir, dataFiles[0].path), dataFiles[0].data);
        const embedded = await runModel('web', encoder.toModelBytes(), mae.encoderFeeds);
        const web = await runModel('web', ext.modelBytes, mae.encoderFeeds, {
          externalData: dataFiles,
        });
        const node = await runModel('node', modelPath, mae.encoderFeeds);
        expect(maxAbsDiff(web.latent.data, embedded.latent.data), variant).toBe(0);
        checkErrors(
          `mae ${variant} latent node (external)`,
          variant,
          node.latent.data,
          mae.latent.node,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('classifier variants', () => {
  it('224/16, 38 labels: every variant keeps its logits close to fp32 on node and web', async () => {
    const weights = randomClassifierWeights(CLASSIFIER, 15);
    const graph = await buildClassifierGraph(graphConfig(CLASSIFIER), reader(weights, 'cls'));
    const feeds = {
      pixel_values: float32Tensor([2, 3, 224, 224], randomPixels(CLASSIFIER, 2, 16)),
    };
    const expected: Partial<Record<Backend, Float32Array>> = {};
    for (const backend of BACKENDS) {
      expected[backend] = (await runModel(backend, graph.toModelBytes(), feeds)).logits.data;
    }
    for (const variant of VARIANTS) {
      const v = makeVariant(graph, variant);
      expect(v.inputs).toEqual(graph.inputs);
      expect(v.outputs).toEqual(graph.outputs);
      for (const backend of BACKENDS) {
        const out = await runModel(backend, v.toModelBytes(), feeds);
        expect(out.logits.dims).toEqual([2, 38]);
        const ref = expected[backend] ?? new Float32Array();
        checkErrors(`classifier ${variant} logits ${backend}`, variant, out.logits.data, ref);
      }
    }
  });
});
