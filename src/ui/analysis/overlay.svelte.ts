/**
 * How the error map is shown over the image: on or off, opacity, colormap and the
 * value range the colormap spans (per image, or a fixed range the user sets).
 * Persisted in localStorage.
 */
import { COLORMAPS, percentile, valueRange, type ColormapName } from '../../lib/imaging/colormaps';
import type { Geometry } from '../../lib/imaging/preprocess';
import type { MapKind } from '../../lib/mae/map-views';
import { isBoolean, isNumberIn, isOneOf, loadSettings, saveSettings } from './persist';

/** 'minmax': the image's own min..max; 'p99': 0..its 99th percentile; 'fixed': the user's range. */
export type Scaling = 'minmax' | 'p99' | 'fixed';

/** 'raw': SKELEX's reconstruction error; 'relative': worse than its neighbours, on the body. */
export type { MapKind };

export interface OverlaySettings {
  enabled: boolean;
  kind: MapKind;
  /** Outline the map's region of interest. */
  showRoi: boolean;
  /** 0..1 */
  opacity: number;
  colormap: ColormapName;
  scaling: Scaling;
  fixedLo: number;
  fixedHi: number;
}

const SETTINGS_KEY = 'skelex.overlay';

const DEFAULTS: OverlaySettings = {
  enabled: true,
  kind: 'raw',
  showRoi: true,
  opacity: 0.5,
  colormap: 'inferno',
  scaling: 'p99',
  fixedLo: 0,
  fixedHi: 0.05,
};

export interface MapStats {
  min: number;
  max: number;
  p99: number;
}

/**
 * Statistics of a model-grid map over the pixels that count: those inside the image
 * (not letterbox padding) and, with `counts`, measured at least once.
 */
export function mapStats(map: Float32Array, geometry: Geometry, counts?: Uint16Array): MapStats {
  const S = geometry.size;
  const values: number[] = [];
  for (let y = geometry.offsetY; y < geometry.offsetY + geometry.contentHeight; y++) {
    for (let x = geometry.offsetX; x < geometry.offsetX + geometry.contentWidth; x++) {
      const i = y * S + x;
      if (!counts || counts[i] > 0) values.push(map[i]);
    }
  }
  const [min, max] = valueRange(values);
  return { min, max, p99: percentile(values, 99) };
}

export class OverlayController {
  settings = $state<OverlaySettings>(
    loadSettings(SETTINGS_KEY, DEFAULTS, {
      enabled: isBoolean,
      kind: isOneOf('raw', 'relative'),
      showRoi: isBoolean,
      opacity: isNumberIn(0, 1),
      colormap: isOneOf(...COLORMAPS),
      scaling: isOneOf('minmax', 'p99', 'fixed'),
      fixedLo: isNumberIn(-1e9, 1e9),
      fixedHi: isNumberIn(-1e9, 1e9),
    }),
  );
  #stopPersisting: () => void;

  constructor() {
    this.#stopPersisting = $effect.root(() => {
      $effect(() => saveSettings(SETTINGS_KEY, $state.snapshot(this.settings)));
    });
  }

  /** The value range the colormap spans for a map with these statistics. */
  range(stats: MapStats | undefined): [number, number] {
    const s = this.settings;
    if (s.scaling === 'fixed') return [s.fixedLo, Math.max(s.fixedHi, s.fixedLo)];
    if (!stats || !Number.isFinite(stats.min)) return [0, 1];
    if (s.scaling === 'p99') return [0, Math.max(stats.p99, 0)];
    return [stats.min, stats.max];
  }

  /** Fixes the range where the per-image scaling has it now. */
  fixRange(stats: MapStats | undefined): void {
    const [lo, hi] = this.range(stats);
    this.settings.fixedLo = lo;
    this.settings.fixedHi = hi;
    this.settings.scaling = 'fixed';
  }

  dispose(): void {
    this.#stopPersisting();
  }
}
