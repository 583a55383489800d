/**
 * What the analysis panel needs of the inference engine: the shape of src/ui/engine's
 * EngineClient, as an interface, so the panel's logic can also be driven by a stand-in.
 */
import type { Radiograph } from '../../lib/imaging/radiograph';
import type { Rect } from '../../lib/imaging/preprocess';
import type { HeadScore } from '../../lib/model/heads';
import type {
  AnalyzeOptions as EngineAnalyzeOptions,
  EngineAnalysis,
  EnginePrefs,
  EngineStatus,
  ExploreOutput,
  LoadProgress,
  ModelSource,
  PassProgress,
} from '../engine/engine-client';

export type { VariantName } from '../../lib/model/manifest';
export type {
  BackendName as Backend,
  BackendPreference as BackendChoice,
  EngineAnalysis,
  EnginePrefs,
  EngineStatus,
  ModelSource,
  PassProgress,
} from '../engine/engine-client';
export type { MaskSchedule as Schedule } from '../../lib/mae/analyze';

export type AnalyzeOptions = Omit<EngineAnalyzeOptions, 'keepPasses'>;
export type Exploration = ExploreOutput;

export interface AnalysisEngine {
  load(source: ModelSource, prefs: EnginePrefs, onProgress?: LoadProgress): Promise<EngineStatus>;
  analyze(
    radiograph: Radiograph,
    options: AnalyzeOptions,
    onPass?: (p: PassProgress) => void,
  ): Promise<EngineAnalysis>;
  explore(keptPatches: number[]): Promise<Exploration>;
  classifyRegion(box: Rect): Promise<HeadScore[]>;
  cancel(): void;
  dispose(): void;
  readonly status: EngineStatus | undefined;
}
