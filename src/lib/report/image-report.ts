/**
 * The JSON report of one analysed image: what was run (model, variant,
 * backend, masking), the scores, both maps' regions of interest and
 * 14x14 patch errors, the classifier's probabilities, and the image's
 * non-identifying tags. Patient-identifying tags are left out unless the
 * user asks for them. DOM-free, so the app and tests share it.
 */
import type { Radiograph } from '../imaging/radiograph';
import type { EngineAnalysis } from '../engine/protocol';
import type { EngineStatus } from '../engine/types';
import type { HeadScore } from '../model/heads';
import type { MaskSchedule } from '../mae/analyze';
import type { ErrorMetric } from '../mae/error-map';
import type { PatchLayout } from '../mae/patches';
import { patchMeans } from '../mae/regions';

export const REPORT_FORMAT = 'skelex-web image report 1';

export interface ReportInput {
  file: string;
  radiograph: Radiograph;
  analysis: EngineAnalysis;
  status: EngineStatus;
  options: {
    schedule: MaskSchedule;
    passes: number;
    seed: number;
    metric: ErrorMetric;
    letterbox: boolean;
  };
  /** A box the user drew and its scores, when there is one. */
  userRegion?: {
    box: { x: number; y: number; width: number; height: number };
    scores: HeadScore[];
  };
}

const probabilities = (scores: HeadScore[] | undefined) =>
  scores && Object.fromEntries(scores.map((s) => [s.column, s.probability]));

/** Patch means of a model-grid map, rounded for a readable file (null: never measured). */
function patchGrid(
  map: Float32Array,
  layout: PatchLayout,
  counts?: Uint16Array,
): (number | null)[][] {
  const means = patchMeans(map, layout, counts);
  const side = layout.size / layout.patch;
  return Array.from({ length: side }, (_, y) =>
    Array.from(means.subarray(y * side, (y + 1) * side), (v) =>
      Number.isFinite(v) ? Number(v.toPrecision(4)) : null,
    ),
  );
}

export function imageReport(input: ReportInput, options: { includePatient?: boolean } = {}) {
  const { radiograph: r, analysis: a, status } = input;
  return {
    format: REPORT_FORMAT,
    file: input.file,
    image: {
      width: r.width,
      height: r.height,
      frame: r.frameIndex,
      transferSyntax: r.transferSyntaxName,
      photometric: r.photometric,
      ...(r.pixelSpacing
        ? { pixelSpacingMm: [r.pixelSpacing.rowMm, r.pixelSpacing.columnMm] }
        : {}),
      tags: { ...r.metadata },
    },
    ...(options.includePatient ? { patient: { ...r.patient } } : {}),
    model: {
      name: status.modelName,
      variant: status.variant,
      backend: status.backend,
      threads: status.threads,
      ...(status.classifier ? { classifier: status.classifier } : {}),
    },
    analysis: { ...input.options, maskRatio: status.maskRatio },
    scores: { meanError: a.meanError, top1Error: a.top1Error },
    regionsOfInterest: { raw: a.roi.raw, relative: a.roi.relative },
    patchErrors: {
      raw: patchGrid(a.map, status.spec, a.counts),
      relative: patchGrid(a.relativeMap, status.spec),
    },
    ...(a.classification
      ? {
          classification: {
            wholeImage: probabilities(a.classification.whole),
            rawRegion: probabilities(a.classification.raw),
            relativeRegion: probabilities(a.classification.relative),
            ...(input.userRegion
              ? {
                  drawnBox: {
                    box: input.userRegion.box,
                    ...probabilities(input.userRegion.scores),
                  },
                }
              : {}),
          },
        }
      : {}),
    timingsMs: a.timings,
    note: 'A research tool, not a diagnosis.',
  };
}
