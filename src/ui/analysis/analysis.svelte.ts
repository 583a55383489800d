/**
 * The analysis panel's controller: the model and engine choices, the run options, one
 * analysis at a time (cancellable; a new one replaces it) and its progress and result.
 * Choices and options persist in localStorage.
 */
import type { Radiograph } from '../../lib/imaging/radiograph';
import type { ErrorMetric } from '../../lib/mae/error-map';
import type { MapKind } from '../../lib/mae/map-views';
import { DEFAULT_PASSES } from '../../lib/mae/analyze';
import type { Rect } from '../../lib/imaging/preprocess';
import type { HeadScore } from '../../lib/model/heads';
import type { ModelStore } from '../../lib/model/store';
import type {
  AnalysisEngine,
  AnalyzeOptions,
  BackendChoice,
  EngineAnalysis,
  EnginePrefs,
  EngineStatus,
  Exploration,
  PassProgress,
  Schedule,
  VariantName,
} from './engine';
import { isAbortError, isEngineStopped } from '../engine/engine-client';
import { smallerVariant } from '../../lib/engine/failures';
import { listModelChoices, type ModelChoice } from './models';
import { mapStats, type MapStats } from './overlay.svelte';
import { isBoolean, isNumberIn, isOneOf, isString, loadSettings, saveSettings } from './persist';

export type Phase = 'idle' | 'loading' | 'running' | 'done' | 'cancelled' | 'error';

export interface AnalysisSettings {
  modelKey: string;
  backend: BackendChoice;
  variant: 'auto' | VariantName;
  /** 0: the engine decides. */
  threads: number;
  schedule: Schedule;
  passes: number;
  seed: number;
  metric: ErrorMetric;
  letterbox: boolean;
  analyseOnOpen: boolean;
  /**
   * The model last loaded on this device. Opening an image loads a model on its own only
   * once the user has loaded it before: a fresh page never fetches a large model unasked.
   */
  lastLoadedKey: string;
}

export { DEFAULT_PASSES };
export const MAX_PASSES = 64;

const SETTINGS_KEY = 'skelex.analysis';

const DEFAULTS: AnalysisSettings = {
  modelKey: '',
  backend: 'auto',
  variant: 'auto',
  threads: 0,
  schedule: 'complementary',
  passes: DEFAULT_PASSES.complementary,
  seed: 1,
  metric: 'l2',
  letterbox: false,
  analyseOnOpen: true,
  lastLoadedKey: '',
};

const isInteger = (lo: number, hi: number) => (v: unknown) =>
  isNumberIn(lo, hi)(v) && Number.isInteger(v);

function readSettings(): AnalysisSettings {
  return loadSettings(SETTINGS_KEY, DEFAULTS, {
    modelKey: isString,
    backend: isOneOf('auto', 'webgpu', 'wasm'),
    variant: isOneOf('auto', 'fp32', 'fp16', 'int8', 'q4'),
    threads: isInteger(0, 256),
    schedule: isOneOf('random', 'complementary'),
    passes: isInteger(1, MAX_PASSES),
    seed: isInteger(0, 2 ** 32 - 1),
    metric: isOneOf('l2', 'l1'),
    letterbox: isBoolean,
    analyseOnOpen: isBoolean,
    lastLoadedKey: isString,
  });
}

export interface ShownImage {
  radiograph: Radiograph;
  /** The library's key of the image (file and frame). */
  key: string;
  /** The file's name (or path in its folder), for exports. */
  name: string;
}

export interface AnalysisResult extends ShownImage {
  analysis: EngineAnalysis;
  status: EngineStatus;
  options: AnalyzeOptions;
  /** The raw map's range and 99th percentile over the image (for scaling). */
  stats: MapStats;
  /** The same for the relative map. */
  relativeStats: MapStats;
}

export interface EngineStop {
  /** What happened, in one line. */
  reason: string;
  /** A smaller variant of the model than the one that was running, if it has one. */
  smaller?: VariantName;
  /** The engine ran on WebGPU, so WASM is an alternative. */
  wasm: boolean;
}

export interface LoadProgress {
  loaded: number;
  total: number;
  file: string;
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** Results remembered for going back to an image (maps and scores, under 1 MB each)... */
const RESULTS_KEPT = 64;
/** ...of which the latest few keep their pass pictures too. */
const PASSES_KEPT = 4;

export const NO_MODEL =
  'No model yet: import one with “Models” at the top (a checkpoint folder or a model bundle).';

export class AnalysisController {
  settings = $state<AnalysisSettings>(readSettings());
  models = $state.raw<ModelChoice[]>([]);
  modelsLoaded = $state(false);
  modelsError = $state('');

  phase = $state<Phase>('idle');
  /** One line: what went wrong, or what was stopped. */
  message = $state('');
  /** The model and preferences the engine has loaded (see `#loadKey`). */
  loadedKey = $state('');
  /** The model the engine last loaded. */
  loadedModel = $state<ModelChoice | undefined>();
  /** What the engine runs with now (after the last load). */
  status = $state.raw<EngineStatus | undefined>(undefined);
  loadProgress = $state.raw<LoadProgress | undefined>(undefined);
  /** Passes finished so far in the current run, in order. */
  passLog = $state.raw<PassProgress[]>([]);
  passTotal = $state(0);
  result = $state.raw<AnalysisResult | undefined>(undefined);
  /** The classifier on a box the user drew over the analysed image. */
  userRegion = $state.raw<{ key: string; box: Rect; scores: HeadScore[] } | undefined>(undefined);
  /** The image on screen. */
  current = $state.raw<ShownImage | undefined>(undefined);
  /** The pass the SKELEX panel shows (and exports). */
  pass = $state(0);
  /**
   * The inference worker died or failed past trusting: why, and the ways to go
   * on (a smaller variant, WASM instead of WebGPU). Images and results stay.
   */
  engineStopped = $state.raw<EngineStop | undefined>(undefined);
  /** A batch (src/ui/batch) drives the engine: no automatic or manual single runs meanwhile. */
  batchActive = $state(false);

  readonly #createEngine: (onStopped: (error: Error) => void) => AnalysisEngine;
  readonly #store: () => Pick<ModelStore, 'listModels'>;
  #engine: AnalysisEngine | undefined;
  #token = 0;
  /** The load that failed last: opening images does not retry it on its own. */
  #failedKey = '';
  #loads: Promise<unknown> = Promise.resolve();
  #stopPersisting: () => void;
  /** Recent results by image, model and options, so going back to an image shows its map at once. */
  // Not reactive on purpose: read only when an image is shown.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #results = new Map<string, Omit<AnalysisResult, 'radiograph'>>();
  /** The image the worker analysed last (explore and drawn boxes run on it). */
  #engineImage = '';

  constructor(
    createEngine: (onStopped: (error: Error) => void) => AnalysisEngine,
    store: () => Pick<ModelStore, 'listModels'>,
  ) {
    this.#createEngine = createEngine;
    this.#store = store;
    this.#stopPersisting = $effect.root(() => {
      $effect(() => saveSettings(SETTINGS_KEY, $state.snapshot(this.settings)));
    });
  }

  get busy(): boolean {
    return this.phase === 'loading' || this.phase === 'running';
  }

  get selectedModel(): ModelChoice | undefined {
    return this.models.find((m) => m.key === this.settings.modelKey);
  }

  /** The engine, created on first use. */
  get engine(): AnalysisEngine {
    return (this.#engine ??= this.#createEngine((error) => this.#stoppedEngine(error)));
  }

  /** Options of the next run, from the settings. */
  get options(): AnalyzeOptions {
    const s = this.settings;
    // Number inputs can hold anything while being typed in.
    const passes = Math.round(Number(s.passes)) || DEFAULT_PASSES[s.schedule];
    return {
      schedule: s.schedule,
      passes: Math.min(MAX_PASSES, Math.max(1, passes)),
      seed: Math.floor(Math.abs(Number(s.seed)) || 0) % 2 ** 32,
      metric: s.metric,
      letterbox: s.letterbox,
    };
  }

  get prefs(): EnginePrefs {
    const s = this.settings;
    const model = this.selectedModel;
    const variant =
      s.variant !== 'auto' && model?.variants.includes(s.variant) ? s.variant : undefined;
    return { backend: s.backend, variant, threads: s.threads > 0 ? s.threads : undefined };
  }

  /** Switches schedule, moving the pass count along when it was the old schedule's default. */
  setSchedule(schedule: Schedule): void {
    const s = this.settings;
    if (s.passes === DEFAULT_PASSES[s.schedule]) s.passes = DEFAULT_PASSES[schedule];
    s.schedule = schedule;
  }

  async refreshModels(): Promise<void> {
    const listing = await listModelChoices(this.#store());
    this.models = listing.choices;
    this.modelsError = listing.error ?? '';
    this.modelsLoaded = true;
    if (!this.selectedModel && listing.choices.length > 0) {
      this.settings.modelKey = listing.choices[0].key;
    }
    this.#autoRun();
  }

  /** The viewer shows another image (or the same one again). */
  imageShown(image: ShownImage | undefined): void {
    if (image && this.current?.key === image.key && this.current.radiograph === image.radiograph)
      return;
    this.current = image;
    if (this.result && this.result.radiograph !== image?.radiograph) this.result = undefined;
    if (this.batchActive) {
      this.#showRemembered();
      return;
    }
    if (this.busy) this.#stop('idle', '');
    if (!this.#showRemembered()) this.#autoRun();
  }

  #resultKey(imageKey: string): string {
    return JSON.stringify([imageKey, this.#loadKey(), this.options]);
  }

  #remember(result: AnalysisResult): void {
    const key = this.#resultKey(result.key);
    this.#results.delete(key);
    this.#results.set(key, { ...result, radiograph: undefined } as Omit<
      AnalysisResult,
      'radiograph'
    >);
    const keys = [...this.#results.keys()];
    keys.forEach((old, i) => {
      const age = keys.length - 1 - i;
      if (age >= RESULTS_KEPT) this.#results.delete(old);
      else if (age >= PASSES_KEPT) {
        // The pass pictures are most of a result's size (about 1.2 MB a pass): keep them for the latest few.
        const r = this.#results.get(old)!;
        if (r.analysis.passes.length > 0)
          this.#results.set(old, { ...r, analysis: { ...r.analysis, passes: [] } });
      }
    });
  }

  /** Shows the remembered result of the image on screen, if there is one. */
  #showRemembered(): boolean {
    const image = this.current;
    const known = image && this.#results.get(this.#resultKey(image.key));
    if (!image || !known) return false;
    this.result = { ...known, radiograph: image.radiograph };
    this.userRegion = undefined;
    if (!this.busy) {
      this.phase = 'done';
      this.message = '';
    }
    return true;
  }

  /**
   * One image of a batch: loads the model if needed, analyses, remembers the
   * result (and shows it when the image is on screen). Errors are thrown.
   */
  async analyzeForBatch(image: ShownImage): Promise<AnalysisResult> {
    const { radiograph, key } = image;
    const status = await this.#ensureLoaded(this.#token);
    if (this.phase === 'loading') this.phase = 'idle';
    const options = this.options;
    const analysis = await this.engine.analyze(radiograph, options);
    this.#engineImage = key;
    const result = this.#resultOf(image, analysis, this.engine.status ?? status, options);
    this.#remember(result);
    if (this.current?.key === key) this.#showRemembered();
    return result;
  }

  /** Stops the batch's analysis in progress (its call rejects with an AbortError). */
  cancelBatchRun(): void {
    this.#engine?.cancel();
  }

  #resultOf(
    image: ShownImage,
    analysis: EngineAnalysis,
    status: EngineStatus,
    options: AnalyzeOptions,
  ): AnalysisResult {
    const stats = mapStats(analysis.map, analysis.geometry, analysis.counts);
    const relativeStats = mapStats(analysis.relativeMap, analysis.geometry);
    return { ...image, analysis, status, options, stats, relativeStats };
  }

  #autoRun(): void {
    const s = this.settings;
    // After the engine stopped, the user chooses how to go on (it could stop again).
    if (
      !s.analyseOnOpen ||
      !this.current ||
      this.result ||
      this.busy ||
      this.engineStopped ||
      this.batchActive
    )
      return;
    // A model loaded here before, or the one served with the app (small, from its own origin):
    // a fresh page shows the bundled model's map at once; an imported model waits to be asked.
    const known =
      this.status !== undefined ||
      s.lastLoadedKey === s.modelKey ||
      this.selectedModel?.bundled === true;
    if (known && this.selectedModel && this.#loadKey() !== this.#failedKey) void this.run();
  }

  /** The map the loaded model's bundle recommends (SKELEX's raw map when none is loaded). */
  get recommendedMap(): MapKind {
    return (this.loadedKey && this.loadedModel?.recommendedMap) || 'raw';
  }

  /** True when the chosen model, backend, variant or threads differ from what is loaded. */
  get changedSinceLoad(): boolean {
    return this.loadedKey !== '' && this.loadedKey !== this.#loadKey();
  }

  /** Identifies a model with the engine preferences it is loaded with. */
  #loadKey(): string {
    return JSON.stringify([this.settings.modelKey, this.prefs]);
  }

  /** Loads the chosen model with the chosen backend and variant, unless already loaded. */
  async load(): Promise<EngineStatus | undefined> {
    const token = ++this.#token;
    try {
      const status = await this.#ensureLoaded(token);
      if (token === this.#token) {
        this.phase = 'idle';
        this.#autoRun();
      }
      return status;
    } catch (error) {
      if (token === this.#token) this.#fail(error);
      return undefined;
    }
  }

  async #ensureLoaded(token: number): Promise<EngineStatus> {
    const model = this.selectedModel;
    if (!model) throw new Error(NO_MODEL);
    const prefs = this.prefs;
    const key = this.#loadKey();
    // Loads run one after another; a later one waits for the one in progress.
    const run = this.#loads.then(async (): Promise<EngineStatus> => {
      const engine = this.engine;
      if (this.loadedKey === key && engine.status) return engine.status;
      this.loadedKey = '';
      this.status = undefined;
      if (token === this.#token) {
        this.phase = 'loading';
        this.loadProgress = { loaded: 0, total: 0, file: model.label };
      }
      let status: EngineStatus;
      try {
        status = await engine.load(model.source, prefs, (loaded, total, file) => {
          if (token === this.#token) this.loadProgress = { loaded, total, file };
        });
      } catch (error) {
        if (!isAbortError(error)) this.#failedKey = key;
        throw error;
      }
      this.loadedKey = key;
      this.loadedModel = model;
      this.#failedKey = '';
      this.settings.lastLoadedKey = model.key;
      this.loadProgress = undefined;
      this.status = status;
      return status;
    });
    this.#loads = run.catch(() => undefined);
    return run;
  }

  /** Analyses the image on screen; a run in progress is cancelled first. */
  async run(): Promise<void> {
    const image = this.current;
    if (!image || this.batchActive) return;
    if (this.busy) this.#engine?.cancel();
    const token = ++this.#token;
    this.message = '';
    this.passLog = [];
    this.passTotal = this.options.passes;
    if (this.result?.key !== image.key) this.result = undefined;
    try {
      const status = await this.#ensureLoaded(token);
      if (token !== this.#token) return;
      this.phase = 'running';
      const options = this.options;
      const analysis = await this.engine.analyze(image.radiograph, options, (p) => {
        if (token !== this.#token) return;
        this.passTotal = p.total;
        this.passLog = [...this.passLog, p];
      });
      if (token !== this.#token) return;
      // The engine may have fallen back (say WebGPU to WASM) during the run.
      this.status = this.engine.status ?? status;
      this.#engineImage = image.key;
      this.result = this.#resultOf(image, analysis, this.status, options);
      this.#remember(this.result);
      this.userRegion = undefined;
      this.engineStopped = undefined;
      this.phase = 'done';
    } catch (error) {
      if (token === this.#token) this.#fail(error);
    }
  }

  /** Stops the run in progress; its result is dropped. */
  cancel(): void {
    if (!this.busy) return;
    this.#stop('cancelled', 'Analysis cancelled.');
  }

  #stop(phase: Phase, message: string): void {
    this.#token++;
    this.#engine?.cancel();
    this.phase = phase;
    this.message = message;
    this.loadProgress = undefined;
  }

  #fail(error: unknown): void {
    if (isAbortError(error)) {
      this.#stop('cancelled', 'Analysis cancelled.');
      return;
    }
    if (isEngineStopped(error)) this.#stoppedEngine(error as Error);
    this.phase = 'error';
    this.message = reason(error);
    this.loadProgress = undefined;
  }

  /** The worker is gone with its model: note the ways to go on (once per stop). */
  #stoppedEngine(error: Error): void {
    if (!this.engineStopped) {
      const status = this.status;
      const model = this.selectedModel;
      this.engineStopped = {
        reason: reason(error),
        smaller: status && model ? smallerVariant(model.variants, status.variant) : undefined,
        wasm: status?.backend === 'webgpu',
      };
    }
    this.loadedKey = '';
    this.status = undefined;
    if (!this.busy) {
      this.phase = 'error';
      this.message = reason(error);
    }
  }

  /** Goes on after the engine stopped: as before, with a smaller variant, or on WASM. */
  async retryAfterStop(choice: 'again' | 'smaller' | 'wasm'): Promise<void> {
    const stop = this.engineStopped;
    if (choice === 'smaller' && stop?.smaller) this.settings.variant = stop.smaller;
    if (choice === 'wasm') this.settings.backend = 'wasm';
    this.engineStopped = undefined;
    this.message = '';
    if (this.current) await this.run();
    else await this.load();
  }

  /**
   * The reconstruction and error of one user-made mask over the analysed image.
   * Undefined while no analysis of the image on screen is finished.
   */
  async explore(kept: number[]): Promise<Exploration | undefined> {
    if (this.busy || this.batchActive) throw new Error('Wait for the analysis to finish.');
    if (!this.result) return undefined;
    await this.#onEngine(this.result);
    return this.engine.explore(kept);
  }

  /** A remembered result's image may not be the worker's last: analyse it there again. */
  async #onEngine(result: AnalysisResult): Promise<void> {
    if (this.#engineImage === result.key) return;
    await this.run();
    if (this.#engineImage !== result.key) throw new Error('Analyse the image again first.');
  }

  /**
   * Classifies a box the user drew on the analysed image; its scores land in
   * `userRegion` (cleared by the next analysis). Errors go to `message`.
   */
  async classifyBox(box: Rect): Promise<void> {
    let result = this.result;
    if (!result || this.busy || this.batchActive || !result.status.classifier) return;
    try {
      await this.#onEngine(result);
      result = this.result ?? result;
      const scores = await this.engine.classifyRegion(box);
      if (this.result === result) this.userRegion = { key: result.key, box, scores };
    } catch (error) {
      if (!isAbortError(error)) this.message = reason(error);
    }
  }

  dispose(): void {
    this.#token++;
    this.#stopPersisting();
    this.#engine?.dispose();
    this.#engine = undefined;
  }
}
