/**
 * Hugging Face checkpoint side files: `config.json` for ViTMAE and ViT models
 * (with the library's defaults for absent fields), `preprocessor_config.json`
 * and a `classes.txt` of `id: name` lines. Every error names the file and the
 * field (or line) at fault.
 */

export const SUPPORTED_ARCHITECTURES = [
  'ViTMAEForPreTraining',
  'ViTForImageClassification',
  'ViTMAEModel',
  'ViTModel',
] as const;
export type VitArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

export interface VitDecoderConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
}

export interface VitConfig {
  architecture: VitArchitecture;
  modelType: 'vit_mae' | 'vit';
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** Always the exact (erf) GELU; other activations are refused. */
  hiddenAct: 'gelu';
  layerNormEps: number;
  imageSize: number;
  patchSize: number;
  numChannels: number;
  qkvBias: boolean;
  /** MAE decoder; present for `vit_mae` models only. */
  decoder?: VitDecoderConfig;
  /** `vit_mae` only (HF default 0.75; undefined for `vit`). */
  maskRatio?: number;
  /** `vit_mae` only (HF default false; undefined for `vit`). */
  normPixLoss?: boolean;
  /** Class names by id: from id2label, else `LABEL_<i>` for num_labels (HF default 2). */
  labels: string[];
  numLabels: number;
}

/** HF `ViTConfig` / `ViTMAEConfig` defaults (transformers 4.x). */
export const VIT_DEFAULTS = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  qkv_bias: true,
  num_labels: 2,
} as const;

export const VIT_MAE_DEFAULTS = {
  ...VIT_DEFAULTS,
  decoder_hidden_size: 512,
  decoder_num_hidden_layers: 8,
  decoder_num_attention_heads: 16,
  decoder_intermediate_size: 2048,
  mask_ratio: 0.75,
  norm_pix_loss: false,
} as const;

type Json = Record<string, unknown>;

function parseJsonObject(text: string, file: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file}: not a JSON object`);
  }
  return value as Json;
}

class Fields {
  constructor(
    readonly file: string,
    readonly json: Json,
  ) {}

  fail(key: string, message: string): never {
    throw new Error(`${this.file}: ${key} ${message}`);
  }

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  positiveInt(key: string, fallback: number): number {
    const v = this.has(key) ? this.json[key] : fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      this.fail(key, `is ${JSON.stringify(v)}; expected a positive integer`);
    }
    return v;
  }

  positiveNumber(key: string, fallback: number): number {
    const v = this.has(key) ? this.json[key] : fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      this.fail(key, `is ${JSON.stringify(v)}; expected a positive number`);
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.has(key) ? this.json[key] : fallback;
    if (typeof v !== 'boolean') this.fail(key, `is ${JSON.stringify(v)}; expected true or false`);
    return v;
  }

  /** An int, or a [h, w] pair that must be square (the app assumes square inputs). */
  squareSize(key: string, fallback: number): number {
    const v = this.has(key) ? this.json[key] : fallback;
    if (Array.isArray(v) && v.length === 2 && v[0] === v[1]) return this.checkedInt(key, v[0]);
    if (Array.isArray(v)) {
      this.fail(key, `is ${JSON.stringify(v)}; only square sizes are supported`);
    }
    return this.checkedInt(key, v);
  }

  private checkedInt(key: string, v: unknown): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      this.fail(key, `is ${JSON.stringify(v)}; expected a positive integer`);
    }
    return v;
  }
}

function pickArchitecture(f: Fields): VitArchitecture {
  const supported = SUPPORTED_ARCHITECTURES.join(', ');
  const listed = f.json.architectures;
  if (listed !== undefined && listed !== null) {
    if (
      !Array.isArray(listed) ||
      listed.length === 0 ||
      !listed.every((a) => typeof a === 'string')
    ) {
      f.fail('architectures', `is ${JSON.stringify(listed)}; expected a list of class names`);
    }
    const found = (listed as string[]).find((a): a is VitArchitecture =>
      (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a),
    );
    if (!found) {
      const names = (listed as string[]).map((a) => `"${a}"`).join(', ');
      throw new Error(
        `${f.file}: architecture ${names} is not supported; supported architectures: ${supported}`,
      );
    }
    return found;
  }
  // No architectures listed: infer from model_type.
  const type = f.json.model_type;
  if (type === 'vit_mae') return 'ViTMAEForPreTraining';
  if (type === 'vit') {
    return f.has('id2label') || f.has('num_labels') ? 'ViTForImageClassification' : 'ViTModel';
  }
  throw new Error(
    `${f.file}: names no architectures and model_type ${JSON.stringify(type)} is not "vit_mae" or "vit"; supported architectures: ${supported}`,
  );
}

function parseLabels(f: Fields): string[] {
  let labels: string[] | undefined;
  if (f.has('id2label')) {
    const raw = f.json.id2label;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      f.fail('id2label', 'is not an object of id: label');
    }
    const entries = Object.entries(raw as Json);
    labels = new Array<string>(entries.length);
    for (const [key, value] of entries) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0 || String(id) !== key || id >= entries.length) {
        f.fail('id2label', `has id "${key}"; ids must be 0..${entries.length - 1}`);
      }
      if (typeof value !== 'string') f.fail('id2label', `"${key}" is not a string`);
      labels[id] = value;
    }
  }
  if (f.has('num_labels')) {
    const n = f.json.num_labels;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
      f.fail('num_labels', `is ${JSON.stringify(n)}; expected a positive integer`);
    }
    if (labels && labels.length !== n) {
      f.fail('num_labels', `is ${n}, but id2label names ${labels.length} classes`);
    }
    labels ??= Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  }
  labels ??= Array.from({ length: VIT_DEFAULTS.num_labels }, (_, i) => `LABEL_${i}`);
  if (f.has('label2id')) {
    const raw = f.json.label2id;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      f.fail('label2id', 'is not an object of label: id');
    }
    for (const [label, id] of Object.entries(raw as Json)) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id >= labels.length) {
        f.fail(
          'label2id',
          `maps "${label}" to ${JSON.stringify(id)}, not an id 0..${labels.length - 1}`,
        );
      }
    }
  }
  return labels;
}

/** Parses a ViTMAE or ViT `config.json`; `file` names it in errors. */
export function parseVitConfig(text: string, file = 'config.json'): VitConfig {
  const f: Fields = new Fields(file, parseJsonObject(text, file));
  const architecture = pickArchitecture(f);
  const modelType = architecture.startsWith('ViTMAE') ? 'vit_mae' : 'vit';
  if (f.has('model_type') && f.json.model_type !== modelType) {
    f.fail(
      'model_type',
      `is ${JSON.stringify(f.json.model_type)}, but ${architecture} is a "${modelType}" model`,
    );
  }
  const d = modelType === 'vit_mae' ? VIT_MAE_DEFAULTS : VIT_DEFAULTS;
  const act = f.has('hidden_act') ? f.json.hidden_act : d.hidden_act;
  if (act !== 'gelu') {
    f.fail(
      'hidden_act',
      `is ${JSON.stringify(act)}; only "gelu" (the exact erf GELU) is supported`,
    );
  }
  const hiddenSize = f.positiveInt('hidden_size', d.hidden_size);
  const numAttentionHeads = f.positiveInt('num_attention_heads', d.num_attention_heads);
  if (hiddenSize % numAttentionHeads !== 0) {
    f.fail(
      'hidden_size',
      `${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`,
    );
  }
  const imageSize = f.squareSize('image_size', d.image_size);
  const patchSize = f.squareSize('patch_size', d.patch_size);
  if (imageSize % patchSize !== 0) {
    f.fail('image_size', `${imageSize} is not a multiple of patch_size ${patchSize}`);
  }
  const labels = parseLabels(f);
  const config: VitConfig = {
    architecture,
    modelType,
    hiddenSize,
    numHiddenLayers: f.positiveInt('num_hidden_layers', d.num_hidden_layers),
    numAttentionHeads,
    intermediateSize: f.positiveInt('intermediate_size', d.intermediate_size),
    hiddenAct: 'gelu',
    layerNormEps: f.positiveNumber('layer_norm_eps', d.layer_norm_eps),
    imageSize,
    patchSize,
    numChannels: f.positiveInt('num_channels', d.num_channels),
    qkvBias: f.bool('qkv_bias', d.qkv_bias),
    labels,
    numLabels: labels.length,
  };
  if (modelType === 'vit_mae') {
    const m = VIT_MAE_DEFAULTS;
    const decoder: VitDecoderConfig = {
      hiddenSize: f.positiveInt('decoder_hidden_size', m.decoder_hidden_size),
      numHiddenLayers: f.positiveInt('decoder_num_hidden_layers', m.decoder_num_hidden_layers),
      numAttentionHeads: f.positiveInt(
        'decoder_num_attention_heads',
        m.decoder_num_attention_heads,
      ),
      intermediateSize: f.positiveInt('decoder_intermediate_size', m.decoder_intermediate_size),
    };
    if (decoder.hiddenSize % decoder.numAttentionHeads !== 0) {
      f.fail(
        'decoder_hidden_size',
        `${decoder.hiddenSize} is not a multiple of decoder_num_attention_heads ${decoder.numAttentionHeads}`,
      );
    }
    const maskRatio = f.has('mask_ratio') ? f.json.mask_ratio : m.mask_ratio;
    if (typeof maskRatio !== 'number' || !(maskRatio >= 0 && maskRatio < 1)) {
      f.fail('mask_ratio', `is ${JSON.stringify(maskRatio)}; expected a number in [0, 1)`);
    }
    config.decoder = decoder;
    config.maskRatio = maskRatio;
    config.normPixLoss = f.bool('norm_pix_loss', m.norm_pix_loss);
  }
  return config;
}

/** PIL resampling filters by the integer HF stores. */
export const RESAMPLE_NAMES = {
  0: 'nearest',
  1: 'lanczos',
  2: 'bilinear',
  3: 'bicubic',
  4: 'box',
  5: 'hamming',
} as const;
export type ResampleName = (typeof RESAMPLE_NAMES)[keyof typeof RESAMPLE_NAMES];

export interface PreprocessorConfig {
  doResize: boolean;
  size: { height: number; width: number };
  resample: ResampleName;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: number[];
  imageStd: number[];
}

/** HF `ViTImageProcessor` defaults (note: mean and std 0.5, not ImageNet's). */
export const VIT_PREPROCESSOR_DEFAULTS: PreprocessorConfig = {
  doResize: true,
  size: { height: 224, width: 224 },
  resample: 'bilinear',
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: [0.5, 0.5, 0.5],
  imageStd: [0.5, 0.5, 0.5],
};

/** Parses `preprocessor_config.json`; `numChannels` sizes a scalar mean or std. */
export function parsePreprocessorConfig(
  text: string,
  file = 'preprocessor_config.json',
  numChannels = 3,
): PreprocessorConfig {
  const f: Fields = new Fields(file, parseJsonObject(text, file));
  const d = VIT_PREPROCESSOR_DEFAULTS;
  let size = { ...d.size };
  if (f.has('size')) {
    const raw = f.json.size;
    if (typeof raw === 'number') {
      const n = f.positiveInt('size', 0);
      size = { height: n, width: n };
    } else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const s = new Fields(file, raw as Json);
      if (!s.has('height') || !s.has('width')) {
        f.fail('size', `is ${JSON.stringify(raw)}; expected {"height", "width"} or one integer`);
      }
      size = { height: s.positiveInt('height', 0), width: s.positiveInt('width', 0) };
    } else {
      f.fail('size', `is ${JSON.stringify(raw)}; expected {"height", "width"} or one integer`);
    }
  }
  let resample = d.resample;
  if (f.has('resample')) {
    const r = f.json.resample;
    const name =
      typeof r === 'number' ? RESAMPLE_NAMES[r as keyof typeof RESAMPLE_NAMES] : undefined;
    if (!name) {
      f.fail('resample', `is ${JSON.stringify(r)}; expected a PIL filter number 0-5`);
    }
    resample = name;
  }
  const vector = (
    key: 'image_mean' | 'image_std',
    fallback: number[],
    positive: boolean,
  ): number[] => {
    if (!f.has(key)) return [...fallback];
    const raw = f.json[key];
    const list = typeof raw === 'number' ? new Array<number>(numChannels).fill(raw) : raw;
    if (
      !Array.isArray(list) ||
      list.length !== numChannels ||
      !list.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))
    ) {
      f.fail(
        key,
        `is ${JSON.stringify(raw)}; expected ${numChannels} ${positive ? 'positive ' : ''}numbers`,
      );
    }
    return list as number[];
  };
  return {
    doResize: f.bool('do_resize', d.doResize),
    size,
    resample,
    doRescale: f.bool('do_rescale', d.doRescale),
    rescaleFactor: f.positiveNumber('rescale_factor', d.rescaleFactor),
    doNormalize: f.bool('do_normalize', d.doNormalize),
    imageMean: vector('image_mean', d.imageMean, false),
    imageStd: vector('image_std', d.imageStd, true),
  };
}

/**
 * Parses `classes.txt`: one `id: name` a line, ids 0..n-1 each once, in any
 * order; blank lines, a BOM and CRLF line ends are tolerated. Returns names by id.
 */
export function parseClassesTxt(text: string, file = 'classes.txt'): string[] {
  const byId = new Map<number, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = /^(\d+)\s*:\s*(.*)$/.exec(line);
    if (!m) {
      throw new Error(
        `${file}: line ${i + 1} ("${line.slice(0, 40)}") is not "id: name" (e.g. "0: abnormal")`,
      );
    }
    const id = Number(m[1]);
    const name = m[2].trim();
    if (name === '') throw new Error(`${file}: line ${i + 1} gives class ${id} no name`);
    if (byId.has(id)) {
      throw new Error(`${file}: line ${i + 1} names class ${id} again (it was "${byId.get(id)}")`);
    }
    byId.set(id, name);
  });
  if (byId.size === 0) throw new Error(`${file}: no classes listed`);
  const names: string[] = [];
  for (let id = 0; id < byId.size; id++) {
    const name = byId.get(id);
    if (name === undefined) {
      throw new Error(`${file}: class ids must be 0..${byId.size - 1}, but ${id} is missing`);
    }
    names.push(name);
  }
  return names;
}
