/**
 * Runs fuzz cases through what the app does with a file: open it (decoders),
 * then the model's gray, the display pixels and SKELEX's preprocessing. Each
 * case must end in an image or an InputError naming the file. How long a case
 * took is recorded for `npm run fuzz`'s report but never fails it: a loaded
 * machine would turn that into chance failures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { openImage } from '../../src/lib/imaging/open';
import { toDisplay8 } from '../../src/lib/imaging/modality';
import { preprocess } from '../../src/lib/imaging/preprocess';
import { InputError } from '../../src/lib/imaging/radiograph';
import type { InputSpec } from '../../src/lib/model/manifest';
import { dataPath } from './data';
import { mutate, type FuzzCase, type FuzzKind, type FuzzSource } from './fuzz';

const SPEC: InputSpec = {
  imageSize: 224,
  patchSize: 16,
  channels: 3,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resample: 'bicubic',
};

export interface CaseOutcome {
  case: FuzzCase;
  result: 'image' | 'refused' | 'failed';
  /** Wall-clock time of the case, for reports only. */
  ms: number;
  /** The refusal's reason, or what went wrong. */
  detail: string;
  /** Growth of the process' peak resident memory during the case, bytes. */
  peakGrowth: number;
}

/** A file of the data folder, by its path there (`dicom/RG3_RLE.dcm`). */
function loadSource(name: string): FuzzSource {
  const kind: FuzzKind = name.endsWith('.png') ? 'png' : name.endsWith('.jpg') ? 'jpeg' : 'dicom';
  return { name, kind, bytes: new Uint8Array(readFileSync(dataPath(...name.split('/')))) };
}

/** The real files the fuzzer starts from: all DICOMs, the 16-bit PNGs and a few FracAtlas JPEGs. */
export function fuzzSources(jpegs = 4): FuzzSource[] {
  const list = (folder: string, take = Infinity) =>
    readdirSync(dataPath(...folder.split('/')))
      .sort()
      .slice(0, take)
      .map((file) => loadSource(`${folder}/${file}`));
  return [...list('dicom'), ...list('png16'), ...list('fracatlas/images', jpegs)];
}

/**
 * A reason a user can act on: not empty, not a bare codec number ("(75913)"),
 * not a JavaScript engine message leaking through.
 */
function isClear(reason: string): boolean {
  return (
    /[a-z]{3}/i.test(reason) &&
    !/\(\d+\)\s*$/.test(reason) &&
    !/call stack|is not a function|undefined|null|NaN/.test(reason)
  );
}

const peakRss = () => process.resourceUsage().maxRSS * 1024;

export async function runCase(sources: FuzzSource[], c: FuzzCase): Promise<CaseOutcome> {
  const source = sources.find((s) => s.name === c.source) ?? loadSource(c.source);
  const bytes = mutate(source, c.mutator, c.seed);
  const name = `${c.source}#${c.mutator}-${c.seed}`;
  const peakBefore = peakRss();
  const start = performance.now();
  let result: CaseOutcome['result'];
  let detail: string;
  try {
    const radiograph = await openImage(name, bytes);
    toDisplay8(radiograph);
    preprocess(radiograph, SPEC);
    result = 'image';
    detail = `${radiograph.width}x${radiograph.height}`;
  } catch (error) {
    if (error instanceof InputError && error.source === name && isClear(error.reason)) {
      result = 'refused';
      detail = error.reason;
    } else {
      result = 'failed';
      detail = `not an InputError naming the file with a clear reason: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    }
  }
  const ms = performance.now() - start;
  return { case: c, result, ms, detail, peakGrowth: peakRss() - peakBefore };
}
