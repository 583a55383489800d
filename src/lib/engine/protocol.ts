/**
 * What the page and the inference worker send each other for an analysis. Plain data;
 * the big arrays travel as transferred buffers.
 */
import type { ErrorMetric } from '../mae/error-map';
import type { MaskSchedule, PassProgress } from '../mae/analyze';
import type { Geometry } from '../imaging/preprocess';
import type { Radiograph } from '../imaging/radiograph';
import type { RegionOfInterest } from '../mae/regions';
import type { HeadScore } from '../model/heads';
import type { EngineStatus } from './types';

export type { PassProgress };

/** The image to analyse: a radiograph, or its 8-bit model gray (`toModelGray8`) and size. */
export type ImageInput =
  { radiograph: Radiograph } | { gray: Uint8Array; width: number; height: number; source?: string };

export interface AnalyzeRequest {
  schedule: MaskSchedule;
  passes: number;
  seed: number;
  metric: ErrorMetric;
  /** Keep the aspect ratio with black padding (SKELEX stretches). */
  letterbox: boolean;
  /** How many passes' reconstructions to return (default: every pass). */
  keepPasses?: number;
}

export interface PassPictures {
  /** 1 where the pass masked the patch [N]. */
  masked: Uint8Array;
  /** The decoder's output on every patch, [C, S, S] in [0, 1]. */
  reconstruction: Float32Array;
  /** The input on kept patches, the reconstruction on masked ones, [C, S, S] in [0, 1]. */
  reconstructionWithVisible: Float32Array;
}

export interface EngineAnalysis {
  /** S x S, row-major: mean error over the passes that masked each pixel. */
  map: Float32Array;
  /** S x S: passes that masked each pixel. */
  counts: Uint16Array;
  meanError: number;
  top1Error: number;
  /** S x S: the relative map (lib/mae/relative-map.ts), beside SKELEX's raw `map`. */
  relativeMap: Float32Array;
  /** The region of interest of each map, in the original image's pixels. */
  roi: { raw: RegionOfInterest; relative: RegionOfInterest };
  /**
   * The bundle's classifier on the whole image and on each map's region (cropped
   * from the full-resolution image); absent when the bundle has no classifier.
   */
  classification?: { whole: HeadScore[]; raw: HeadScore[]; relative: HeadScore[] };
  /** S, the model's input side. */
  size: number;
  geometry: Geometry;
  /** The S x S 8-bit gray image the model was fed. */
  gray: Uint8Array;
  passes: PassPictures[];
  /** ms; `classifyMs` is the three classifications (0 without a classifier), part of `totalMs`. */
  timings: {
    preprocessMs: number;
    encoderMs: number;
    decoderMs: number;
    classifyMs: number;
    totalMs: number;
  };
}

/** The worker's answer: the analysis, and its status when it changed (a fallback mid-run). */
export interface WorkerAnalysis extends EngineAnalysis {
  status: EngineStatus;
}

export interface ExploreOutput {
  /** [C, S, S] in [0, 1]. */
  reconstruction: Float32Array;
  reconstructionWithVisible: Float32Array;
  /** 1 where the patch was masked [N]. */
  masked: Uint8Array;
  /** The pass's error map, S x S (0 on kept patches). */
  map: Float32Array;
  /** The input with the masked patches blanked, [C, S, S] in [0, 1]. */
  maskedInput: Float32Array;
}

/** The last image, for a fresh worker that must explore it. */
export interface ExploreImage {
  input: ImageInput;
  letterbox: boolean;
  /** The metric of its analysis, for explore's map. */
  metric: ErrorMetric;
}
