/**
 * The patch explorer's state: which patches of the analysed image the user hides, and
 * the engine's reconstruction and error for exactly that mask. Changes are debounced;
 * one request runs at a time, and a result that no longer matches the mask is dropped
 * (the latest mask is sent as soon as the engine is free).
 */
import { keptCount, mulberry32 } from '../../lib/mae/masking';
import { isAbortError } from '../engine/engine-client';
import type { Exploration } from './engine';

export type Preset = 'none' | 'random' | 'invert';

/** Share of patches the "random" preset hides, as MAE training does. */
export const RANDOM_RATIO = 0.75;

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

export function keptOf(hidden: Uint8Array): number[] {
  const kept: number[] = [];
  hidden.forEach((h, i) => {
    if (!h) kept.push(i);
  });
  return kept;
}

export class ExplorerController {
  /** 1 where the patch is hidden, in patch order. */
  hidden = $state.raw<Uint8Array>(new Uint8Array(0));
  /** The engine's answer for the mask it was asked about. */
  outcome = $state.raw<{ hidden: Uint8Array; exploration: Exploration } | undefined>(undefined);
  busy = $state(false);
  message = $state('');

  readonly #explore: (kept: number[]) => Promise<Exploration | undefined>;
  readonly #debounceMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = false;
  #pending = false;
  /** Bumped by `reset`: answers for an earlier analysis are dropped. */
  #generation = 0;
  #seed = 1;

  constructor(explore: (kept: number[]) => Promise<Exploration | undefined>, debounceMs = 150) {
    this.#explore = explore;
    this.#debounceMs = debounceMs;
  }

  get hiddenCount(): number {
    return this.hidden.reduce((a, b) => a + b, 0);
  }

  /**
   * Starts over for a new analysis with `initial` hidden (e.g. its first pass's mask).
   * Nothing is sent until the user changes the mask: a pass can take seconds.
   */
  reset(initial: Uint8Array | undefined): void {
    this.#generation++;
    clearTimeout(this.#timer);
    this.hidden = initial ? initial.slice() : new Uint8Array(0);
    this.outcome = undefined;
    this.message = '';
  }

  /** Hides or shows one patch. */
  setPatch(index: number, hide: boolean): void {
    if (index < 0 || index >= this.hidden.length || Boolean(this.hidden[index]) === hide) return;
    const next = this.hidden.slice();
    next[index] = hide ? 1 : 0;
    this.hidden = next;
    this.#schedule(this.#debounceMs);
  }

  apply(preset: Preset): void {
    const n = this.hidden.length;
    if (n === 0) return;
    let next: Uint8Array;
    if (preset === 'none') next = new Uint8Array(n);
    else if (preset === 'invert') next = this.hidden.map((h) => (h ? 0 : 1));
    else {
      const random = mulberry32(this.#seed++);
      const order = Array.from({ length: n }, (_, i) => ({ i, r: random() })).sort(
        (a, b) => a.r - b.r,
      );
      next = new Uint8Array(n).fill(1);
      for (const { i } of order.slice(0, keptCount(n, RANDOM_RATIO))) next[i] = 0;
    }
    this.hidden = next;
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#send(), delay);
  }

  async #send(): Promise<void> {
    if (this.#inFlight) {
      this.#pending = true;
      return;
    }
    this.#inFlight = true;
    this.busy = true;
    try {
      do {
        this.#pending = false;
        const generation = this.#generation;
        const mask = this.hidden;
        const kept = keptOf(mask);
        if (kept.length === 0) {
          this.message = 'Leave at least one patch visible: the model needs something to see.';
          this.outcome = undefined;
          continue;
        }
        let exploration: Exploration | undefined;
        let failure = '';
        try {
          exploration = await this.#explore(kept);
          if (!exploration) failure = 'Run an analysis of this image first.';
        } catch (error) {
          failure = isAbortError(error) ? '' : reason(error);
        }
        if (generation !== this.#generation || this.hidden !== mask) continue;
        this.message = failure;
        this.outcome = exploration ? { hidden: mask, exploration } : undefined;
      } while (this.#pending);
    } finally {
      this.#inFlight = false;
      this.busy = false;
    }
  }

  dispose(): void {
    this.#generation++;
    clearTimeout(this.#timer);
  }
}
