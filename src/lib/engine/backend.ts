/**
 * Which execution provider and precision variant to try, in order: WebGPU when a
 * hardware adapter is granted, or any adapter when the user asks for WebGPU (fp16 only
 * with the `shader-f16` feature: without it a WebGPU backend may return zeros silently),
 * else WASM with as many threads as the device offers when the page is cross-origin
 * isolated (one thread otherwise).
 *
 * Pure functions over a `Capabilities` record; the worker fills it from `navigator`.
 */
import type { VariantName } from '../model/manifest';
import type { BackendName, EnginePrefs, GpuInfo } from './types';

export interface Capabilities {
  gpu: GpuInfo;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

/** Most WASM threads the engine asks for by default; more rarely helps a ViT. */
export const MAX_DEFAULT_THREADS = 8;
/** Most WASM threads a user may ask for. */
export const MAX_THREADS = 16;

export const SHADER_F16 = 'shader-f16';

/** WASM threads: 1 without cross-origin isolation (no SharedArrayBuffer), else up to 8 (or as asked). */
export function wasmThreadCount(caps: Capabilities, requested?: number): number {
  if (!caps.crossOriginIsolated) return 1;
  if (requested !== undefined && Number.isFinite(requested)) {
    return Math.min(MAX_THREADS, Math.max(1, Math.floor(requested)));
  }
  const cores = Number.isFinite(caps.hardwareConcurrency) ? caps.hardwareConcurrency : 1;
  return Math.min(MAX_DEFAULT_THREADS, Math.max(1, Math.floor(cores)));
}

/**
 * Whether these preferences may use WebGPU on this device. "auto" passes over a fallback
 * adapter (a software renderer such as SwiftShader, which Chromium offers when no GPU can
 * be used): it runs a ViT many times slower than WASM. Asking for WebGPU still gets it.
 */
export function mayUseWebGpu(prefs: EnginePrefs, caps: Capabilities): boolean {
  if (!caps.gpu.available) return false;
  if (prefs.backend === 'webgpu') return true;
  return prefs.backend === 'auto' && caps.gpu.fallbackAdapter !== true;
}

/** Why "auto" did not use WebGPU, for the user; undefined when it may. */
function noWebGpuNote(prefs: EnginePrefs, caps: Capabilities): string | undefined {
  if (prefs.backend === 'wasm' || mayUseWebGpu(prefs, caps)) return undefined;
  if (!caps.gpu.available) return `WebGPU is not available (${caps.gpu.reason ?? 'no adapter'})`;
  const adapter = caps.gpu.description ? ` (${caps.gpu.description})` : '';
  return `WebGPU offers only a software adapter${adapter}, slower than WASM; choose WebGPU to use it anyway`;
}

export function hasShaderF16(gpu: GpuInfo): boolean {
  return gpu.available && gpu.features.includes(SHADER_F16);
}

/** Variants a backend prefers, best first. fp16 is WebGPU-with-shader-f16 only. */
export function variantOrder(backend: BackendName, shaderF16: boolean): VariantName[] {
  if (backend === 'webgpu')
    return shaderF16 ? ['fp16', 'fp32', 'q4', 'int8'] : ['fp32', 'q4', 'int8'];
  return ['fp32', 'int8', 'q4'];
}

export interface Attempt {
  backend: BackendName;
  variant: VariantName;
}

export interface BackendPlan {
  /** Backends and variants to try, in order; the last is always WASM. */
  attempts: Attempt[];
  /** Why the preference could not be followed as given (shown to the user). */
  notes: string[];
}

function pickVariant(
  backend: BackendName,
  shaderF16: boolean,
  available: readonly VariantName[],
  requested: VariantName | undefined,
  notes: string[] | undefined,
): VariantName {
  const usable = variantOrder(backend, shaderF16);
  if (requested) {
    if (!available.includes(requested)) {
      notes?.push(`the model has no ${requested} variant`);
    } else if (usable.includes(requested)) {
      return requested;
    } else {
      notes?.push(
        backend === 'webgpu'
          ? `${requested} needs the WebGPU feature ${SHADER_F16}, which this GPU lacks`
          : `${requested} runs on WebGPU with ${SHADER_F16} only`,
      );
    }
  }
  const choice = usable.find((v) => available.includes(v));
  // A bundle with nothing this backend prefers: try what it has.
  return choice ?? available[0];
}

/** The attempts for these preferences on this device, for a bundle with these variants. */
export function planBackends(
  prefs: EnginePrefs,
  caps: Capabilities,
  available: readonly VariantName[],
): BackendPlan {
  if (available.length === 0) throw new Error('the model lists no MAE variants');
  const notes: string[] = [];
  const shaderF16 = hasShaderF16(caps.gpu);
  const attempts: Attempt[] = [];
  if (mayUseWebGpu(prefs, caps)) {
    attempts.push({
      backend: 'webgpu',
      variant: pickVariant('webgpu', shaderF16, available, prefs.variant, notes),
    });
  } else {
    const note = noWebGpuNote(prefs, caps);
    if (note) notes.push(note);
  }
  // WASM is the last resort either way; its variant notes matter only when it is first.
  const wasmNotes = attempts.length === 0 ? notes : undefined;
  attempts.push({
    backend: 'wasm',
    variant: pickVariant('wasm', false, available, prefs.variant, wasmNotes),
  });
  return { attempts, notes };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Asks `gpu` (the worker's `navigator.gpu`, possibly missing) for an adapter and reads its features. */
export async function probeGpu(gpu: GPU | undefined, timeoutMs = 5000): Promise<GpuInfo> {
  if (!gpu) {
    return { available: false, features: [], reason: 'this browser offers no WebGPU' };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await withTimeout(gpu.requestAdapter(), timeoutMs, 'requesting a WebGPU adapter');
  } catch (error) {
    return {
      available: false,
      features: [],
      reason: `requesting a WebGPU adapter failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (!adapter) return { available: false, features: [], reason: 'no WebGPU adapter was granted' };
  const features = [...adapter.features].sort();
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  const description = [info?.vendor, info?.architecture, info?.description]
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .join(' ');
  return {
    available: true,
    features,
    ...(description ? { description } : {}),
    ...(info?.isFallbackAdapter !== undefined ? { fallbackAdapter: info.isFallbackAdapter } : {}),
  };
}
