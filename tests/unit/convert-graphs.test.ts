/**
 * ONNX graphs built from Hugging Face ViT / ViTMAE weights, run in onnxruntime-node and
 * onnxruntime-web (WASM) and compared with an independent TypeScript reference.
 */
import { mkdtempSync, rmSync, writeFileSync, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import protoRoot from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildClassifierGraph,
  buildFeatureGraph,
  buildMaeGraphs,
  findVitPrefix,
  type VitGraphConfig,
} from '../../src/lib/convert/graphs/index.ts';
import { GraphBuilder, attr } from '../../src/lib/convert/onnx/graph-builder.ts';
import { MemoryTensors } from '../helpers/memory-tensors.ts';
import {
  BACKENDS,
  float32Tensor,
  int64Tensor,
  joinedDataFiles,
  maxAbsDiff,
  runModel,
  type Backend,
} from '../helpers/ort.ts';
import {
  flatten,
  maeDecoder,
  maeEncoder,
  randomClassifierWeights,
  randomMaeWeights,
  randomMasking,
  randomNoise,
  randomPixels,
  randomVitModelWeights,
  vitClassifier,
  vitFeatures,
  type HfVitConfig,
  type RefWeights,
  SMALL_MAE_CONFIG,
  SMALL_CLASSIFIER_CONFIG,
} from '../helpers/reference-vit.ts';
import { graphConfig } from '../helpers/graph-config';

const TOLERANCE = 1e-4;

function reader(weights: RefWeights, source: string): MemoryTensors {
  const r = new MemoryTensors(source);
  for (const [name, t] of weights) r.set(name, t.shape, t.data);
  return r;
}

const SMALL_MAE: HfVitConfig = SMALL_MAE_CONFIG;

const ODD_MAE: HfVitConfig = {
  image_size: 48,
  patch_size: 16,
  num_channels: 1,
  hidden_size: 48,
  num_hidden_layers: 3,
  num_attention_heads: 3,
  intermediate_size: 96,
  layer_norm_eps: 1e-5,
  qkv_bias: false,
  decoder_hidden_size: 32,
  decoder_num_hidden_layers: 2,
  decoder_num_attention_heads: 2,
  decoder_intermediate_size: 40,
};

const WIDE_MAE: HfVitConfig = {
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  decoder_hidden_size: 16,
  decoder_num_hidden_layers: 1,
  decoder_num_attention_heads: 2,
  decoder_intermediate_size: 24,
};

const CLASSIFIER: HfVitConfig = SMALL_CLASSIFIER_CONFIG;

/** Measured errors, printed at the end: case, graph output, backend, max abs error. */
const measured: { case: string; output: string; backend: Backend; error: number }[] = [];

function check(
  caseName: string,
  output: string,
  backend: Backend,
  actual: Float32Array,
  expected: Float32Array,
) {
  const error = maxAbsDiff(actual, expected);
  measured.push({ case: caseName, output, backend, error });
  expect(error, `${caseName} ${output} on ${backend}`).toBeLessThanOrEqual(TOLERANCE);
}

afterAll(() => {
  const lines = measured.map(
    (m) =>
      `${m.case.padEnd(28)} ${m.output.padEnd(8)} ${m.backend.padEnd(5)} ${m.error.toExponential(2)}`,
  );
  console.log(`max abs error against the reference:\n${lines.join('\n')}`);
});

interface MaeCase {
  name: string;
  cfg: HfVitConfig;
  batch: number;
  maskRatio: number;
  seed: number;
}

const MAE_CASES: MaeCase[] = [
  { name: 'mae 32/8 C3 D32', cfg: SMALL_MAE, batch: 2, maskRatio: 0.75, seed: 1 },
  { name: 'mae 48/16 C1 D48 no-qkv-bias', cfg: ODD_MAE, batch: 1, maskRatio: 0.75, seed: 2 },
  { name: 'mae 224/16 N196 K49', cfg: WIDE_MAE, batch: 2, maskRatio: 0.75, seed: 3 },
];

describe('ViTMAE encoder and decoder graphs', () => {
  for (const c of MAE_CASES) {
    it(`${c.name}, batch ${c.batch}: latent and logits match the reference`, async () => {
      const weights = randomMaeWeights(c.cfg, c.seed);
      const { encoder, decoder } = await buildMaeGraphs(
        graphConfig(c.cfg),
        reader(weights, c.name),
      );
      const grid = c.cfg.image_size / c.cfg.patch_size;
      const n = grid * grid;
      const pixels = randomPixels(c.cfg, c.batch, c.seed + 100);
      const masking = randomMasking(randomNoise(c.batch, n, c.seed + 200), c.maskRatio);
      expect(masking.kept).toBe(Math.floor(n * (1 - c.maskRatio)));
      if (c.batch > 1) expect(masking.idsKeep[0]).not.toEqual(masking.idsKeep[1]);

      const latent = maeEncoder(c.cfg, weights, pixels, masking.idsKeep);
      const logits = maeDecoder(c.cfg, weights, latent, masking.idsRestore);
      const latentRef = flatten(latent);
      const logitsRef = flatten(logits);
      const d = c.cfg.hidden_size;
      const ppc = c.cfg.patch_size ** 2 * c.cfg.num_channels;

      const encoderBytes = encoder.toModelBytes();
      const decoderBytes = decoder.toModelBytes();
      for (const backend of BACKENDS) {
        const enc = await runModel(backend, encoderBytes, {
          pixel_values: float32Tensor(
            [c.batch, c.cfg.num_channels, c.cfg.image_size, c.cfg.image_size],
            pixels,
          ),
          ids_keep: int64Tensor(masking.idsKeep),
        });
        expect(enc.latent.dims).toEqual([c.batch, masking.kept + 1, d]);
        check(c.name, 'latent', backend, enc.latent.data, latentRef);

        const dec = await runModel(backend, decoderBytes, {
          latent: float32Tensor([c.batch, masking.kept + 1, d], latentRef),
          ids_restore: int64Tensor(masking.idsRestore),
        });
        expect(dec.logits.dims).toEqual([c.batch, n, ppc]);
        check(c.name, 'logits', backend, dec.logits.data, logitsRef);
      }
    });
  }
});

describe('ViT classifier and feature graphs', () => {
  it('ViTForImageClassification, 5 labels, batch 2: logits match the reference', async () => {
    const weights = randomClassifierWeights(CLASSIFIER, 11);
    const graph = await buildClassifierGraph(graphConfig(CLASSIFIER), reader(weights, 'cls'));
    const pixels = randomPixels(CLASSIFIER, 2, 12);
    const expected = flatten(vitClassifier(CLASSIFIER, weights, pixels, 2));
    const bytes = graph.toModelBytes();
    for (const backend of BACKENDS) {
      const out = await runModel(backend, bytes, {
        pixel_values: float32Tensor([2, 3, 32, 32], pixels),
      });
      expect(out.logits.dims).toEqual([2, 5]);
      check('classifier 5 labels', 'logits', backend, out.logits.data, expected);
    }
  });

  const featureCases = [
    {
      name: 'features ViTModel (no prefix)',
      cfg: { ...ODD_MAE, qkv_bias: true },
      weights: () => randomVitModelWeights({ ...ODD_MAE, qkv_bias: true }, 21, false),
      prefix: '',
    },
    {
      name: 'features ViTMAE vit.',
      cfg: SMALL_MAE,
      weights: () => randomMaeWeights(SMALL_MAE, 22),
      prefix: 'vit.',
    },
  ];
  for (const c of featureCases) {
    it(`${c.name}, batch 2: cls and mean match the reference`, async () => {
      const weights = c.weights();
      const r = reader(weights, c.name);
      expect(findVitPrefix(r)).toBe(c.prefix);
      const graph = await buildFeatureGraph(graphConfig(c.cfg), r);
      // Only the encoder's tensors are read.
      expect(
        r.reads.every(
          (name) =>
            name.startsWith(`${c.prefix}embeddings`) ||
            name.startsWith(`${c.prefix}encoder`) ||
            name.startsWith(`${c.prefix}layernorm`),
        ),
      ).toBe(true);
      const pixels = randomPixels(c.cfg, 2, 23);
      const expected = vitFeatures(c.cfg, weights, pixels, 2, c.prefix);
      const bytes = graph.toModelBytes();
      const size = c.cfg.image_size;
      for (const backend of BACKENDS) {
        const out = await runModel(backend, bytes, {
          pixel_values: float32Tensor([2, c.cfg.num_channels, size, size], pixels),
        });
        expect(out.cls.dims).toEqual([2, c.cfg.hidden_size]);
        expect(out.mean.dims).toEqual([2, c.cfg.hidden_size]);
        check(c.name, 'cls', backend, out.cls.data, flatten(expected.cls));
        check(c.name, 'mean', backend, out.mean.data, flatten(expected.mean));
      }
    });
  }
});

describe('dynamic sizes', () => {
  it('one encoder runs with any number of kept patches and any batch', async () => {
    const weights = randomMaeWeights(SMALL_MAE, 61);
    const { encoder } = await buildMaeGraphs(graphConfig(SMALL_MAE), reader(weights, 'dyn'));
    const bytes = encoder.toModelBytes();
    for (const [batch, ratio] of [
      [1, 0.5],
      [3, 0.9],
    ]) {
      const pixels = randomPixels(SMALL_MAE, batch, 62);
      const masking = randomMasking(randomNoise(batch, 16, 63), ratio);
      const out = await runModel('web', bytes, {
        pixel_values: float32Tensor([batch, 3, 32, 32], pixels),
        ids_keep: int64Tensor(masking.idsKeep),
      });
      expect(out.latent.dims).toEqual([batch, masking.kept + 1, 32]);
      const expected = flatten(maeEncoder(SMALL_MAE, weights, pixels, masking.idsKeep));
      check(`mae 32/8 B${batch} K${masking.kept}`, 'latent', 'web', out.latent.data, expected);
    }
  });
});

describe('graph contents', () => {
  it('uses only default-domain opset-17 ops, with Linear weights as [in, out] MatMul operands', async () => {
    const weights = randomMaeWeights(SMALL_MAE, 31);
    const { encoder, decoder } = await buildMaeGraphs(
      graphConfig(SMALL_MAE),
      reader(weights, 'ops'),
    );
    const allowed = new Set([
      'Add',
      'Concat',
      'Conv',
      'Erf',
      'Expand',
      'GatherElements',
      'LayerNormalization',
      'MatMul',
      'Mul',
      'Reshape',
      'Shape',
      'Slice',
      'Softmax',
      'Transpose',
      'Unsqueeze',
    ]);
    for (const graph of [encoder, decoder]) {
      const model = protoRoot.onnx.ModelProto.decode(graph.toModelBytes());
      expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
      for (const node of model.graph?.node ?? []) {
        expect(node.domain ?? '').toBe('');
        const op = node.opType ?? '';
        expect(allowed.has(op), op).toBe(true);
      }
      const names = (model.graph?.node ?? []).map((n) => n.name);
      expect(new Set(names).size).toBe(names.length);
    }
    const q = encoder.initializer('vit.encoder.layer.1.attention.attention.query.weight.T');
    expect(q?.dims).toEqual([32, 32]);
    const hfQ = weights.get('vit.encoder.layer.1.attention.attention.query.weight')?.data;
    expect(q?.data[1 * 32 + 5]).toBe(hfQ?.[5 * 32 + 1]); // [in=1, out=5] = HF [out=5, in=1]
    const fc1 = encoder.initializer('vit.encoder.layer.0.intermediate.dense.weight.T');
    expect(fc1?.dims).toEqual([32, 64]);
    const matmulB = encoder.nodes.filter((n) => n.opType === 'MatMul').map((n) => n.inputs[1]);
    expect(matmulB.filter((name) => encoder.initializer(name) !== undefined)).toHaveLength(2 * 6);
    expect(encoder.inputs.map((i) => [i.name, i.dims])).toEqual([
      ['pixel_values', ['batch', 3, 32, 32]],
      ['ids_keep', ['batch', 'kept']],
    ]);
    expect(decoder.outputs.map((o) => [o.name, o.dims])).toEqual([['logits', ['batch', 16, 192]]]);
  });

  it('builder: unique names, renamed outputs, attributes', () => {
    const b = new GraphBuilder('tiny');
    const x = b.input('x', 'float32', ['batch', 4]);
    const y = b.op('Softmax', [b.op('Mul', [x, b.float(2)])], { axis: attr.int(-1) });
    const z = b.op('Mul', [y, b.float(2)]);
    b.output(z, 'z', 'float32', ['batch', 4]);
    expect(() => b.op('Relu', ['nope'])).toThrow('unknown input "nope"');
    const graph = b.finish();
    expect(graph.initializers).toHaveLength(1); // the shared constant 2
    expect(graph.nodes.map((n) => n.name)).toEqual(['Mul', 'Softmax', 'Mul_1']);
    expect(graph.nodes[2].outputs).toEqual(['z']);
    const model = protoRoot.onnx.ModelProto.decode(graph.toModelBytes());
    const axis = model.graph?.node?.[1].attribute?.[0];
    expect(axis?.name).toBe('axis');
    expect(Number(axis?.i)).toBe(-1);
  });
});

describe('weights that do not fit the config', () => {
  const cfg = graphConfig(SMALL_MAE);

  it('names the tensor with the wrong shape', async () => {
    const r = reader(randomMaeWeights(SMALL_MAE, 41), 'ckpt/model.safetensors');
    r.set('vit.encoder.layer.1.intermediate.dense.weight', [64, 31], new Float32Array(64 * 31));
    await expect(buildMaeGraphs(cfg, r)).rejects.toThrow(
      'ckpt/model.safetensors: tensor "vit.encoder.layer.1.intermediate.dense.weight" has shape [64, 31], expected [64, 32]',
    );
  });

  it('names the missing tensor', async () => {
    const r = reader(randomMaeWeights(SMALL_MAE, 42), 'ckpt/model.safetensors').delete(
      'decoder.mask_token',
    );
    await expect(buildMaeGraphs(cfg, r)).rejects.toThrow(
      'ckpt/model.safetensors: tensor "decoder.mask_token" is missing',
    );
  });

  it('wants query/key/value biases when qkv_bias is true', async () => {
    const weights = randomMaeWeights({ ...SMALL_MAE, qkv_bias: false }, 43);
    await expect(buildMaeGraphs(cfg, reader(weights, 'nobias'))).rejects.toThrow(
      'nobias: tensor "vit.encoder.layer.0.attention.attention.query.bias" is missing',
    );
  });

  it('rejects configs that cannot be built', async () => {
    const r = reader(randomMaeWeights(SMALL_MAE, 44), 'x');
    await expect(buildMaeGraphs({ ...cfg, numAttentionHeads: 5 }, r)).rejects.toThrow(
      'hiddenSize 32 is not a multiple of 5 heads',
    );
    await expect(buildMaeGraphs({ ...cfg, decoderHiddenSize: undefined }, r)).rejects.toThrow(
      'decoderHiddenSize must be a positive integer',
    );
    await expect(buildClassifierGraph(cfg, r)).rejects.toThrow('numLabels');
  });

  it('takes the decoder sizes grouped too (as the config.json parser gives them)', async () => {
    const r = reader(randomMaeWeights(SMALL_MAE, 45), 'grouped');
    const grouped: VitGraphConfig = {
      ...cfg,
      decoderHiddenSize: undefined,
      decoderNumHiddenLayers: undefined,
      decoderNumAttentionHeads: undefined,
      decoderIntermediateSize: undefined,
      decoder: { hiddenSize: 24, numHiddenLayers: 1, numAttentionHeads: 4, intermediateSize: 48 },
    };
    const { decoder } = await buildMaeGraphs(grouped, r);
    expect(decoder.outputs[0].dims).toEqual(['batch', 16, 192]);
  });
});

describe('external data', () => {
  it.each([
    ['one .data file', 2 ** 30, 1],
    ['several .data files, none past the cap', 40_000, 3],
  ])('a model with its weights in %s loads and gives the same outputs', async (_, cap, least) => {
    const weights = randomMaeWeights(SMALL_MAE, 51);
    const { encoder } = await buildMaeGraphs(graphConfig(SMALL_MAE), reader(weights, 'ext'));
    const ext = encoder.toExternal('encoder.onnx.data', { maxFileBytes: cap });
    expect(ext.modelBytes.byteLength).toBeLessThan(40_000);
    expect(ext.files.length).toBeGreaterThanOrEqual(least);
    if (least === 1) expect(ext.files).toHaveLength(1);
    for (const file of ext.files) {
      expect(file.chunks.reduce((n, c) => n + c.byteLength, 0)).toBe(file.bytes);
      expect(file.bytes).toBeLessThanOrEqual(cap);
    }
    expect(ext.files.map((f) => f.name).slice(0, 2)).toEqual(
      ['encoder.onnx.data', 'encoder.onnx.data.2'].slice(0, ext.files.length),
    );

    const model = protoRoot.onnx.ModelProto.decode(ext.modelBytes);
    const external = (model.graph?.initializer ?? []).filter((t) => t.dataLocation === 1);
    expect(external.length).toBeGreaterThan(10);
    for (const t of external) {
      const entries = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      expect(ext.files.map((f) => f.name)).toContain(entries.location);
      expect(Number(entries.offset) % 4096).toBe(0);
    }

    const dir = mkdtempSync(path.join(tmpdir(), 'skelex-onnx-'));
    try {
      const modelPath = path.join(dir, 'encoder.onnx');
      writeFileSync(modelPath, ext.modelBytes);
      for (const file of ext.files) {
        const stream = createWriteStream(path.join(dir, file.name));
        for (const chunk of file.chunks) {
          if (!stream.write(chunk)) await once(stream, 'drain');
        }
        stream.end();
        await once(stream, 'finish');
        expect(statSync(path.join(dir, file.name)).size).toBe(file.bytes);
      }

      const masking = randomMasking(randomNoise(2, 16, 52), 0.75);
      const feeds = {
        pixel_values: float32Tensor([2, 3, 32, 32], randomPixels(SMALL_MAE, 2, 53)),
        ids_keep: int64Tensor(masking.idsKeep),
      };
      const embedded = await runModel('node', encoder.toModelBytes(), feeds);
      const fromFile = await runModel('node', modelPath, feeds);
      const web = await runModel('web', ext.modelBytes, feeds, {
        externalData: joinedDataFiles(ext),
      });
      expect(maxAbsDiff(fromFile.latent.data, embedded.latent.data)).toBe(0);
      expect(maxAbsDiff(web.latent.data, embedded.latent.data)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
