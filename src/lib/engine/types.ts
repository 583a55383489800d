/**
 * The inference engine's plain-data types: what the page asks for (a model source and
 * preferences) and what the engine reports back (its status). All of it crosses the
 * worker boundary by structured clone.
 */
import type { MaeSpec } from '../mae/error-map';
import type { VariantName } from '../model/manifest';

export type BackendName = 'webgpu' | 'wasm';
export type BackendPreference = 'auto' | BackendName;

/** Where a model bundle comes from. */
export type ModelSource =
  | {
      kind: 'store';
      /** The id the ModelStore saved it under. */
      id: string;
      /** The bundle folder it was fetched from, if known: damaged cached files are fetched again from there. */
      baseUrl?: string;
    }
  | {
      kind: 'url';
      /** A folder holding model.json, e.g. `/models/demo/` (relative URLs resolve against the app). */
      baseUrl: string;
    };

export interface EnginePrefs {
  backend: BackendPreference;
  /** Precision variant; the engine picks one for the backend when absent or unusable. */
  variant?: VariantName;
  /** WASM threads; default from the device (see `wasmThreadCount`). */
  threads?: number;
}

/** (bytes loaded so far, bytes to load in all, the file being loaded). */
export type LoadProgress = (loadedBytes: number, totalBytes: number, file: string) => void;

/** What the WebGPU probe found. */
export interface GpuInfo {
  /** An adapter was granted. */
  available: boolean;
  /** The adapter's features, e.g. `shader-f16`. */
  features: string[];
  /** Vendor, architecture and description as the adapter reports them (may be empty). */
  description?: string;
  /** A software (fallback) adapter, e.g. SwiftShader. */
  fallbackAdapter?: boolean;
  /** Why no adapter is available. */
  reason?: string;
}

export interface EngineStatus {
  backend: BackendName;
  /** WASM threads ORT runs with (1 unless the page is cross-origin isolated). */
  threads: number;
  variant: VariantName;
  /** Why the preferred backend or variant is not the one in use. */
  fallbackReason?: string;
  modelName: string;
  modelVersion: string;
  spec: MaeSpec;
  /** Share of patches masked in a pass. */
  maskRatio: number;
  gpu: GpuInfo;
  crossOriginIsolated: boolean;
  /** The bundle's classifier, when it has one and it loaded. */
  classifier?: { backend: BackendName; variant: VariantName };
  /** Why the bundle's classifier is not available. */
  classifierError?: string;
}
