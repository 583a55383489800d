/**
 * Reconstructions and the reconstruction-error map, with SKELEX's semantics:
 * for each pass the decoder's patch predictions and the input are
 * de-normalised to [0, 1] pixels (x * std[c] + mean[c]); the per-pixel error
 * is the mean over channels of the squared (or absolute) difference; it is
 * accumulated on masked patches only, and the map is the sum divided by the
 * number of passes that masked each pixel.
 *
 * With `normPixLoss` the decoder predicts each patch normalised by its own
 * mean and variance (HF `forward_loss`: mean and `var` over the patch's
 * P*P*C values; torch's `var` is the unbiased one, divided by P*P*C - 1), so
 * predictions are first mapped back with the input patch's own statistics:
 * pred * sqrt(var + 1e-6) + mean.
 */
import type { InputSpec } from '../model/manifest';
import {
  type PatchLayout,
  gridSide,
  patchCount,
  patchLength,
  patchify,
  unpatchify,
} from './patches';

export type ErrorMetric = 'l2' | 'l1';

/** What it takes to read the decoder's output. */
export interface MaeSpec extends PatchLayout {
  mean: readonly number[];
  std: readonly number[];
  normPixLoss: boolean;
}

export interface ErrorMapOptions extends MaeSpec {
  /** 'l2' (SKELEX: squared error) or 'l1' (absolute error); default 'l2'. */
  metric?: ErrorMetric;
}

export interface ErrorMap {
  /** S x S, row-major: mean error over the passes that masked each pixel; 0 where none did. */
  map: Float32Array;
  /** S x S: passes that masked each pixel. */
  counts: Uint16Array;
  /** Passes added. */
  passes: number;
}

/** The spec from a bundle's input and MAE settings. */
export function maeSpec(input: InputSpec, normPixLoss: boolean): MaeSpec {
  return {
    size: input.imageSize,
    patch: input.patchSize,
    channels: input.channels,
    mean: input.mean,
    std: input.std,
    normPixLoss,
  };
}

function checkSpec(spec: MaeSpec): void {
  gridSide(spec);
  if (spec.mean.length !== spec.channels || spec.std.length !== spec.channels) {
    throw new Error(`MAE spec: mean and std must list ${spec.channels} values`);
  }
}

function checkInputs(
  spec: MaeSpec,
  pixelValues: Float32Array,
  logits: Float32Array | null,
  masked: Uint8Array,
): void {
  const values = spec.channels * spec.size * spec.size;
  if (pixelValues.length !== values) {
    throw new Error(`pixel values: expected ${values} values [C,S,S], got ${pixelValues.length}`);
  }
  if (logits && logits.length !== values) {
    throw new Error(`logits: expected ${values} values [N,P*P*C], got ${logits.length}`);
  }
  const n = patchCount(spec);
  if (masked.length !== n) throw new Error(`mask: expected ${n} patches, got ${masked.length}`);
}

/** Each input patch's mean and sqrt(unbiased var + 1e-6), as HF normalises targets. */
function patchStats(target: Float32Array, n: number, length: number): Float64Array {
  const stats = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const base = i * length;
    let sum = 0;
    for (let j = 0; j < length; j++) sum += target[base + j];
    const mean = sum / length;
    let ss = 0;
    for (let j = 0; j < length; j++) ss += (target[base + j] - mean) ** 2;
    const variance = length > 1 ? ss / (length - 1) : 0;
    stats[i * 2] = mean;
    stats[i * 2 + 1] = Math.sqrt(variance + 1e-6);
  }
  return stats;
}

/**
 * Predictions in normalised-pixel units, patch layout [N, P*P*C]: the logits
 * themselves, or with `normPixLoss` mapped back with each input patch's
 * mean and standard deviation.
 */
export function predictedPatches(
  spec: MaeSpec,
  pixelValues: Float32Array,
  logits: Float32Array,
): Float32Array {
  if (!spec.normPixLoss) return logits.slice();
  const n = patchCount(spec);
  const length = patchLength(spec);
  const stats = patchStats(patchify(pixelValues, spec), n, length);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    const mean = stats[i * 2];
    const sd = stats[i * 2 + 1];
    for (let j = i * length; j < (i + 1) * length; j++) out[j] = logits[j] * sd + mean;
  }
  return out;
}

/** Normalised [C, S, S] values to [0, 1]-range pixels: x * std[c] + mean[c]. */
export function denormalise(spec: MaeSpec, values: Float32Array, clamp = false): Float32Array {
  const plane = spec.size * spec.size;
  const out = new Float32Array(values.length);
  for (let c = 0; c < spec.channels; c++) {
    const m = spec.mean[c];
    const s = spec.std[c];
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const v = values[i] * s + m;
      out[i] = clamp ? Math.min(1, Math.max(0, v)) : v;
    }
  }
  return out;
}

/** Fills (or copies) whole patches of a [C, S, S] image where `select[n]` is 1. */
function forPatches(
  spec: MaeSpec,
  select: Uint8Array,
  want: number,
  write: (index: number, channel: number) => void,
): void {
  const { size: S, patch: P, channels: C } = spec;
  const side = S / P;
  for (let n = 0; n < select.length; n++) {
    if (select[n] !== want) continue;
    const x0 = (n % side) * P;
    const y0 = Math.floor(n / side) * P;
    for (let c = 0; c < C; c++) {
      for (let y = y0; y < y0 + P; y++) {
        for (let x = x0; x < x0 + P; x++) write(c * S * S + y * S + x, c);
      }
    }
  }
}

export interface ReconstructionOptions {
  /** Show the input itself on visible (kept) patches, as MAE's "reconstruction + visible". */
  pasteVisible?: boolean;
  /** Clamp to [0, 1] (default true: for display). */
  clamp?: boolean;
}

/** The decoder's reconstruction as a [C, S, S] image in [0, 1]. */
export function reconstruction(
  spec: MaeSpec,
  pixelValues: Float32Array,
  logits: Float32Array,
  masked: Uint8Array,
  options: ReconstructionOptions = {},
): Float32Array {
  checkSpec(spec);
  checkInputs(spec, pixelValues, logits, masked);
  const predicted = unpatchify(predictedPatches(spec, pixelValues, logits), spec);
  if (options.pasteVisible) {
    forPatches(spec, masked, 0, (i) => {
      predicted[i] = pixelValues[i];
    });
  }
  return denormalise(spec, predicted, options.clamp ?? true);
}

export interface MaskedInputOptions {
  /** [0, 1] pixel value for masked patches, or 'mean' (default): the channel mean, i.e. 0 in normalised units, as MAE's demo shows them. */
  fill?: number | 'mean';
  /** Clamp to [0, 1] (default true). */
  clamp?: boolean;
}

/** The input as a [C, S, S] image in [0, 1] with the masked patches blanked. */
export function maskedInput(
  spec: MaeSpec,
  pixelValues: Float32Array,
  masked: Uint8Array,
  options: MaskedInputOptions = {},
): Float32Array {
  checkSpec(spec);
  checkInputs(spec, pixelValues, null, masked);
  const out = denormalise(spec, pixelValues, options.clamp ?? true);
  const fill = options.fill ?? 'mean';
  forPatches(spec, masked, 1, (i, c) => {
    out[i] = fill === 'mean' ? spec.mean[c] : fill;
  });
  return out;
}

/** Sums per-pixel reconstruction error over passes; see the module comment. */
export class ErrorMapAccumulator {
  readonly spec: MaeSpec;
  readonly metric: ErrorMetric;
  private readonly sum: Float64Array;
  private readonly counts: Uint16Array;
  private passes = 0;

  constructor(options: ErrorMapOptions) {
    const { metric = 'l2', ...spec } = options;
    checkSpec(spec);
    this.spec = spec;
    this.metric = metric;
    this.sum = new Float64Array(spec.size * spec.size);
    this.counts = new Uint16Array(spec.size * spec.size);
  }

  /** Passes added so far. */
  get passCount(): number {
    return this.passes;
  }

  /**
   * One pass: `pixelValues` the normalised input [C, S, S] (a subarray of a
   * batch is fine), `logits` the decoder's output for it [N, P*P*C], `masked`
   * the pass's mask (1 = removed).
   */
  add(pixelValues: Float32Array, logits: Float32Array, masked: Uint8Array): void {
    const spec = this.spec;
    checkInputs(spec, pixelValues, logits, masked);
    if (this.passes === 0xffff) throw new Error('error map: at most 65535 passes');
    const { size: S, patch: P, channels: C } = spec;
    const n = patchCount(spec);
    const length = patchLength(spec);
    const target = patchify(pixelValues, spec);
    const stats = spec.normPixLoss ? patchStats(target, n, length) : null;
    const side = S / P;
    const l1 = this.metric === 'l1';
    for (let i = 0; i < n; i++) {
      if (!masked[i]) continue;
      const base = i * length;
      const mean = stats ? stats[i * 2] : 0;
      const sd = stats ? stats[i * 2 + 1] : 1;
      const x0 = (i % side) * P;
      const y0 = Math.floor(i / side) * P;
      for (let p = 0; p < P; p++) {
        for (let q = 0; q < P; q++) {
          const at = base + (p * P + q) * C;
          let error = 0;
          for (let c = 0; c < C; c++) {
            // (pred * std + mean) - (input * std + mean), in [0, 1] pixel units.
            const d = (logits[at + c] * sd + mean - target[at + c]) * spec.std[c];
            error += l1 ? Math.abs(d) : d * d;
          }
          const pixel = (y0 + p) * S + x0 + q;
          this.sum[pixel] += error / C;
          this.counts[pixel]++;
        }
      }
    }
    this.passes++;
  }

  /** The map so far (copies: adding more passes later does not change it). */
  result(): ErrorMap {
    const map = new Float32Array(this.sum.length);
    for (let i = 0; i < map.length; i++) {
      if (this.counts[i] > 0) map[i] = this.sum[i] / this.counts[i];
    }
    return { map, counts: this.counts.slice(), passes: this.passes };
  }

  /** Starts over (same spec). */
  reset(): void {
    this.sum.fill(0);
    this.counts.fill(0);
    this.passes = 0;
  }
}
