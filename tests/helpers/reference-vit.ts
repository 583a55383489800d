/**
 * An independent reference for the ONNX graphs: Hugging Face ViT / ViTMAE forward passes in
 * plain TypeScript (float64, naive loops), random weights in the HF layout from a seeded
 * RNG, and HF's `random_masking`. Written from HF semantics for the tests; it shares no code
 * with the graph builder, not even its config type (this one uses config.json's names).
 */

/** The config.json fields the reference needs, named as Hugging Face names them. */
export interface HfVitConfig {
  image_size: number;
  patch_size: number;
  num_channels: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  qkv_bias: boolean;
  decoder_hidden_size?: number;
  decoder_num_hidden_layers?: number;
  decoder_num_attention_heads?: number;
  decoder_intermediate_size?: number;
  num_labels?: number;
}

/** The small MAE most tests convert and run: 32x32 images, 8x8 patches, two layers. */
export const SMALL_MAE_CONFIG: HfVitConfig = {
  image_size: 32,
  patch_size: 8,
  num_channels: 3,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  decoder_hidden_size: 24,
  decoder_num_hidden_layers: 1,
  decoder_num_attention_heads: 4,
  decoder_intermediate_size: 48,
};

/** A small ViTForImageClassification, five labels. */
export const SMALL_CLASSIFIER_CONFIG: HfVitConfig = {
  image_size: 32,
  patch_size: 8,
  num_channels: 3,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  num_labels: 5,
};

export interface RefTensor {
  shape: number[];
  data: Float32Array;
}

/** Checkpoint tensors by HF name. */
export type RefWeights = Map<string, RefTensor>;

/** A sequence of token vectors: [tokens][width]. */
type Seq = number[][];

// ---------------------------------------------------------------- random numbers

/** mulberry32: a small seeded uniform generator in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller. */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function randomArray(count: number, normal: () => number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = mean + std * normal();
  return out;
}

// ---------------------------------------------------------------- HF pieces

/** HF `get_1d_sincos_pos_embed_from_grid`: [sin(pos * omega), cos(pos * omega)]. */
function sincos1d(dim: number, pos: number): number[] {
  const half = dim / 2;
  const sin: number[] = [];
  const cos: number[] = [];
  for (let k = 0; k < half; k++) {
    const omega = 1 / 10000 ** (k / half);
    sin.push(Math.sin(pos * omega));
    cos.push(Math.cos(pos * omega));
  }
  return [...sin, ...cos];
}

/**
 * HF `get_2d_sincos_pos_embed(dim, grid, add_cls_token=True)` as [1, grid*grid + 1, dim]:
 * a zero CLS row, then per patch (row i, column j) the 1-D table of j then of i (HF meshes
 * (w, h), so its "emb_h" half is built from the column index).
 */
export function sincosPositions(dim: number, grid: number): Float32Array {
  if (dim % 4 !== 0) throw new Error(`sin-cos table needs a multiple of 4, got ${dim}`);
  const out = new Float32Array((grid * grid + 1) * dim);
  for (let i = 0; i < grid; i++) {
    for (let j = 0; j < grid; j++) {
      const row = [...sincos1d(dim / 2, j), ...sincos1d(dim / 2, i)];
      out.set(row, (1 + i * grid + j) * dim);
    }
  }
  return out;
}

/** Indices that sort `values` ascending (stable). */
function argsort(values: readonly number[]): number[] {
  return values
    .map((v, i) => [v, i])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map((p) => p[1]);
}

export interface Masking {
  /** Patches kept per image: floor(N * (1 - maskRatio)). */
  kept: number;
  idsShuffle: number[][];
  idsRestore: number[][];
  idsKeep: number[][];
}

/** HF `random_masking` for noise [B][N]. */
export function randomMasking(noise: number[][], maskRatio: number): Masking {
  const n = noise[0].length;
  const kept = Math.floor(n * (1 - maskRatio));
  const idsShuffle = noise.map((row) => argsort(row));
  const idsRestore = idsShuffle.map((row) => argsort(row));
  const idsKeep = idsShuffle.map((row) => row.slice(0, kept));
  return { kept, idsShuffle, idsRestore, idsKeep };
}

/** erf to ~1e-15: Maclaurin series near 0, continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  let f = ax;
  for (let k = 120; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}

function geluExact(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

// ---------------------------------------------------------------- forward pieces

function tensor(weights: RefWeights, name: string): Float32Array {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: no tensor "${name}"`);
  return t.data;
}

/** nn.Linear: y = x W^T + b with W [out, in]. */
function linear(weights: RefWeights, name: string, x: Seq, bias = true): Seq {
  const w = tensor(weights, `${name}.weight`);
  const b = bias ? tensor(weights, `${name}.bias`) : undefined;
  const inF = x[0].length;
  const outF = w.length / inF;
  return x.map((row) => {
    const y: number[] = [];
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += row[i] * w[o * inF + i];
      y.push(s);
    }
    return y;
  });
}

function layerNorm(weights: RefWeights, name: string, x: Seq, eps: number): Seq {
  const g = tensor(weights, `${name}.weight`);
  const b = tensor(weights, `${name}.bias`);
  return x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    const inv = 1 / Math.sqrt(variance + eps);
    return row.map((v, i) => (v - mean) * inv * g[i] + b[i]);
  });
}

function addSeq(a: Seq, b: Seq): Seq {
  return a.map((row, t) => row.map((v, i) => v + b[t][i]));
}

interface StackConfig {
  heads: number;
  layers: number;
  eps: number;
  qkvBias: boolean;
}

function selfAttention(weights: RefWeights, name: string, x: Seq, s: StackConfig): Seq {
  const att = `${name}.attention.attention`;
  const q = linear(weights, `${att}.query`, x, s.qkvBias);
  const k = linear(weights, `${att}.key`, x, s.qkvBias);
  const v = linear(weights, `${att}.value`, x, s.qkvBias);
  const width = x[0].length;
  const hd = width / s.heads;
  const tokens = x.length;
  const context: Seq = x.map(() => new Array<number>(width).fill(0));
  for (let h = 0; h < s.heads; h++) {
    for (let i = 0; i < tokens; i++) {
      const scores: number[] = [];
      for (let j = 0; j < tokens; j++) {
        let dot = 0;
        for (let c = 0; c < hd; c++) dot += q[i][h * hd + c] * k[j][h * hd + c];
        scores.push(dot / Math.sqrt(hd));
      }
      const max = Math.max(...scores);
      const exps = scores.map((sc) => Math.exp(sc - max));
      const total = exps.reduce((a, e) => a + e, 0);
      for (let j = 0; j < tokens; j++) {
        const p = exps[j] / total;
        for (let c = 0; c < hd; c++) context[i][h * hd + c] += p * v[j][h * hd + c];
      }
    }
  }
  return linear(weights, `${name}.attention.output.dense`, context);
}

/** One HF ViTLayer: pre-LN attention and MLP with residuals. */
function vitLayer(weights: RefWeights, name: string, x: Seq, s: StackConfig): Seq {
  const attended = addSeq(
    x,
    selfAttention(weights, name, layerNorm(weights, `${name}.layernorm_before`, x, s.eps), s),
  );
  const h = layerNorm(weights, `${name}.layernorm_after`, attended, s.eps);
  const m = linear(weights, `${name}.intermediate.dense`, h).map((row) => row.map(geluExact));
  return addSeq(attended, linear(weights, `${name}.output.dense`, m));
}

function stack(weights: RefWeights, name: string, x: Seq, s: StackConfig): Seq {
  let h = x;
  for (let i = 0; i < s.layers; i++) h = vitLayer(weights, `${name}.${i}`, h, s);
  return h;
}

function encoderStack(cfg: HfVitConfig): StackConfig {
  return {
    heads: cfg.num_attention_heads,
    layers: cfg.num_hidden_layers,
    eps: cfg.layer_norm_eps,
    qkvBias: cfg.qkv_bias,
  };
}

/** Conv2d(kernel = stride = P) of one image [C][H][W] (flat), flattened row-major: [N][D]. */
function patchEmbed(cfg: HfVitConfig, weights: RefWeights, name: string, image: Float32Array): Seq {
  const p = cfg.patch_size;
  const c = cfg.num_channels;
  const size = cfg.image_size;
  const grid = size / p;
  const w = tensor(weights, `${name}.patch_embeddings.projection.weight`);
  const b = tensor(weights, `${name}.patch_embeddings.projection.bias`);
  const out: Seq = [];
  for (let gi = 0; gi < grid; gi++) {
    for (let gj = 0; gj < grid; gj++) {
      const token: number[] = [];
      for (let d = 0; d < cfg.hidden_size; d++) {
        let s = b[d];
        for (let ch = 0; ch < c; ch++) {
          for (let u = 0; u < p; u++) {
            for (let v = 0; v < p; v++) {
              const pixel = image[(ch * size + gi * p + u) * size + gj * p + v];
              s += w[((d * c + ch) * p + u) * p + v] * pixel;
            }
          }
        }
        token.push(s);
      }
      out.push(token);
    }
  }
  return out;
}

/** One image of a [B, C, H, W] batch. */
function image(cfg: HfVitConfig, pixels: Float32Array, b: number): Float32Array {
  const size = cfg.num_channels * cfg.image_size * cfg.image_size;
  return pixels.subarray(b * size, (b + 1) * size);
}

// ---------------------------------------------------------------- models

/**
 * ViTMAEModel's encoder on kept patches: latent [B][K+1][D] (CLS first, after `layernorm`).
 * HF: patches + pos[1:], keep ids_keep, prepend cls_token + pos[:1], layers, layernorm.
 */
export function maeEncoder(
  cfg: HfVitConfig,
  weights: RefWeights,
  pixels: Float32Array,
  idsKeep: number[][],
  prefix = 'vit.',
): Seq[] {
  const d = cfg.hidden_size;
  const pos = tensor(weights, `${prefix}embeddings.position_embeddings`);
  const cls = tensor(weights, `${prefix}embeddings.cls_token`);
  return idsKeep.map((keep, b) => {
    const patches = patchEmbed(cfg, weights, `${prefix}embeddings`, image(cfg, pixels, b)).map(
      (token, n) => token.map((v, i) => v + pos[(n + 1) * d + i]),
    );
    const clsToken = Array.from({ length: d }, (_, i) => cls[i] + pos[i]);
    const x = [clsToken, ...keep.map((n) => patches[n])];
    const h = stack(weights, `${prefix}encoder.layer`, x, encoderStack(cfg));
    return layerNorm(weights, `${prefix}layernorm`, h, cfg.layer_norm_eps);
  });
}

/** ViTMAEDecoder: latent [B][K+1][D] and ids_restore -> pixel predictions [B][N][P*P*C]. */
export function maeDecoder(
  cfg: HfVitConfig,
  weights: RefWeights,
  latent: Seq[],
  idsRestore: number[][],
  prefix = 'decoder.',
): Seq[] {
  const dd = cfg.decoder_hidden_size ?? 0;
  const mask = Array.from(tensor(weights, `${prefix}mask_token`));
  const pos = tensor(weights, `${prefix}decoder_pos_embed`);
  const s: StackConfig = {
    heads: cfg.decoder_num_attention_heads ?? 0,
    layers: cfg.decoder_num_hidden_layers ?? 0,
    eps: cfg.layer_norm_eps,
    qkvBias: cfg.qkv_bias,
  };
  return latent.map((tokens, b) => {
    const x = linear(weights, `${prefix}decoder_embed`, tokens);
    const n = idsRestore[b].length;
    const pool = [...x.slice(1), ...Array.from({ length: n + 1 - x.length }, () => mask)];
    const restored = idsRestore[b].map((i) => pool[i]);
    const full = [x[0], ...restored].map((token, t) => token.map((v, i) => v + pos[t * dd + i]));
    const h = stack(weights, `${prefix}decoder_layers`, full, s);
    const normed = layerNorm(weights, `${prefix}decoder_norm`, h, cfg.layer_norm_eps);
    return linear(weights, `${prefix}decoder_pred`, normed).slice(1);
  });
}

/** ViTModel's sequence output (after `layernorm`), no masking: [B][N+1][D]. */
export function vitSequence(
  cfg: HfVitConfig,
  weights: RefWeights,
  pixels: Float32Array,
  batch: number,
  prefix: string,
): Seq[] {
  const d = cfg.hidden_size;
  const pos = tensor(weights, `${prefix}embeddings.position_embeddings`);
  const cls = Array.from(tensor(weights, `${prefix}embeddings.cls_token`));
  return Array.from({ length: batch }, (_, b) => {
    const patches = patchEmbed(cfg, weights, `${prefix}embeddings`, image(cfg, pixels, b));
    // HF ViTEmbeddings: concatenate CLS, then add all position embeddings.
    const x = [cls, ...patches].map((token, t) => token.map((v, i) => v + pos[t * d + i]));
    const h = stack(weights, `${prefix}encoder.layer`, x, encoderStack(cfg));
    return layerNorm(weights, `${prefix}layernorm`, h, cfg.layer_norm_eps);
  });
}

/** ViTForImageClassification logits [B][num_labels] from the CLS token. */
export function vitClassifier(
  cfg: HfVitConfig,
  weights: RefWeights,
  pixels: Float32Array,
  batch: number,
): number[][] {
  const seq = vitSequence(cfg, weights, pixels, batch, 'vit.');
  return seq.map((tokens) => linear(weights, 'classifier', [tokens[0]])[0]);
}

/** CLS token and mean patch token after the final layer norm: [B][D] each. */
export function vitFeatures(
  cfg: HfVitConfig,
  weights: RefWeights,
  pixels: Float32Array,
  batch: number,
  prefix: string,
): { cls: number[][]; mean: number[][] } {
  const seq = vitSequence(cfg, weights, pixels, batch, prefix);
  return {
    cls: seq.map((tokens) => tokens[0]),
    mean: seq.map((tokens) => {
      const patches = tokens.slice(1);
      return patches[0].map((_, i) => patches.reduce((s, t) => s + t[i], 0) / patches.length);
    }),
  };
}

// ---------------------------------------------------------------- random checkpoints

function put(weights: RefWeights, name: string, shape: number[], data: Float32Array): void {
  weights.set(name, { shape, data });
}

function randomLinear(
  weights: RefWeights,
  normal: () => number,
  name: string,
  inF: number,
  outF: number,
  bias = true,
): void {
  put(weights, `${name}.weight`, [outF, inF], randomArray(inF * outF, normal, 1 / Math.sqrt(inF)));
  if (bias) put(weights, `${name}.bias`, [outF], randomArray(outF, normal, 0.1));
}

function randomLayerNorm(weights: RefWeights, normal: () => number, name: string, size: number) {
  put(weights, `${name}.weight`, [size], randomArray(size, normal, 0.1, 1));
  put(weights, `${name}.bias`, [size], randomArray(size, normal, 0.1));
}

function randomLayers(
  weights: RefWeights,
  normal: () => number,
  name: string,
  layers: number,
  hidden: number,
  intermediate: number,
  qkvBias: boolean,
): void {
  for (let l = 0; l < layers; l++) {
    const p = `${name}.${l}`;
    randomLayerNorm(weights, normal, `${p}.layernorm_before`, hidden);
    for (const part of ['query', 'key', 'value']) {
      randomLinear(weights, normal, `${p}.attention.attention.${part}`, hidden, hidden, qkvBias);
    }
    randomLinear(weights, normal, `${p}.attention.output.dense`, hidden, hidden);
    randomLayerNorm(weights, normal, `${p}.layernorm_after`, hidden);
    randomLinear(weights, normal, `${p}.intermediate.dense`, hidden, intermediate);
    randomLinear(weights, normal, `${p}.output.dense`, intermediate, hidden);
  }
}

/** Embeddings, encoder layers and final layer norm under `prefix`. */
function randomVit(
  weights: RefWeights,
  normal: () => number,
  cfg: HfVitConfig,
  prefix: string,
  sincos: boolean,
): void {
  const d = cfg.hidden_size;
  const p = cfg.patch_size;
  const c = cfg.num_channels;
  const grid = cfg.image_size / p;
  const e = `${prefix}embeddings`;
  put(weights, `${e}.cls_token`, [1, 1, d], randomArray(d, normal, 0.5));
  put(
    weights,
    `${e}.position_embeddings`,
    [1, grid * grid + 1, d],
    sincos ? sincosPositions(d, grid) : randomArray((grid * grid + 1) * d, normal, 0.5),
  );
  put(
    weights,
    `${e}.patch_embeddings.projection.weight`,
    [d, c, p, p],
    randomArray(d * c * p * p, normal, 1 / Math.sqrt(c * p * p)),
  );
  put(weights, `${e}.patch_embeddings.projection.bias`, [d], randomArray(d, normal, 0.1));
  randomLayers(
    weights,
    normal,
    `${prefix}encoder.layer`,
    cfg.num_hidden_layers,
    d,
    cfg.intermediate_size,
    cfg.qkv_bias,
  );
  randomLayerNorm(weights, normal, `${prefix}layernorm`, d);
}

/** A ViTMAEForPreTraining checkpoint (sin-cos position tables with a zero CLS row). */
export function randomMaeWeights(cfg: HfVitConfig, seed: number): RefWeights {
  const normal = gaussian(seededRandom(seed));
  const weights: RefWeights = new Map();
  randomVit(weights, normal, cfg, 'vit.', true);
  const dd = cfg.decoder_hidden_size ?? 0;
  const grid = cfg.image_size / cfg.patch_size;
  const pixelsPerPatch = cfg.patch_size * cfg.patch_size * cfg.num_channels;
  randomLinear(weights, normal, 'decoder.decoder_embed', cfg.hidden_size, dd);
  put(weights, 'decoder.mask_token', [1, 1, dd], randomArray(dd, normal, 0.5));
  put(weights, 'decoder.decoder_pos_embed', [1, grid * grid + 1, dd], sincosPositions(dd, grid));
  randomLayers(
    weights,
    normal,
    'decoder.decoder_layers',
    cfg.decoder_num_hidden_layers ?? 0,
    dd,
    cfg.decoder_intermediate_size ?? 0,
    cfg.qkv_bias,
  );
  randomLayerNorm(weights, normal, 'decoder.decoder_norm', dd);
  randomLinear(weights, normal, 'decoder.decoder_pred', dd, pixelsPerPatch);
  return weights;
}

/** A ViTForImageClassification checkpoint (random position embeddings). */
export function randomClassifierWeights(cfg: HfVitConfig, seed: number): RefWeights {
  const normal = gaussian(seededRandom(seed));
  const weights: RefWeights = new Map();
  randomVit(weights, normal, cfg, 'vit.', false);
  randomLinear(weights, normal, 'classifier', cfg.hidden_size, cfg.num_labels ?? 0);
  return weights;
}

/** A standalone ViTModel / ViTMAEModel checkpoint (no `vit.` prefix). */
export function randomVitModelWeights(cfg: HfVitConfig, seed: number, sincos: boolean) {
  const normal = gaussian(seededRandom(seed));
  const weights: RefWeights = new Map();
  randomVit(weights, normal, cfg, '', sincos);
  return weights;
}

/** Pixels [B, C, H, W] ~ N(0, 1), as after ImageNet normalisation. */
export function randomPixels(cfg: HfVitConfig, batch: number, seed: number): Float32Array {
  const count = batch * cfg.num_channels * cfg.image_size * cfg.image_size;
  return randomArray(count, gaussian(seededRandom(seed)), 1);
}

/** Uniform noise [B][N] for random_masking. */
export function randomNoise(batch: number, patches: number, seed: number): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: batch }, () => Array.from({ length: patches }, rand));
}

/** [B][T][W] (or [B][W]) flattened row-major. */
export function flatten(x: number[][][] | number[][]): Float32Array {
  return Float32Array.from((x as number[][]).flat(2) as number[]);
}
