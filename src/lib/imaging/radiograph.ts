/**
 * The one in-memory shape every opened image takes, whatever file it came from.
 * DOM-free: built in the page, a worker, Node tests and the command line alike.
 */

/** Stored sample values exactly as decoded, before any LUT. */
export type StoredPixels =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

export type SourceKind = 'dicom' | 'png' | 'jpeg';

/** Photometric interpretation after decoding: YBR colour is converted to RGB on decode. */
export type Photometric = 'MONOCHROME1' | 'MONOCHROME2' | 'RGB';

export interface WindowPreset {
  center: number;
  width: number;
  /** Window Center & Width Explanation, or a name we gave it ("Auto", "Full range"). */
  explanation: string;
}

/** A VOI LUT (0028,3010) or modality LUT (0028,3000) item. */
export interface LookupTable {
  firstValueMapped: number;
  bitsPerEntry: number;
  data: Uint16Array;
  explanation: string;
}

export interface PixelSpacing {
  /** Millimetres between row centres, then column centres. */
  rowMm: number;
  columnMm: number;
  /** Which tag it came from: detector plane spacing is not patient-plane spacing. */
  source: 'PixelSpacing' | 'ImagerPixelSpacing';
}

/** Tags safe to show by default: they describe the image, not the person. */
export interface SafeMetadata {
  modality?: string;
  bodyPart?: string;
  viewPosition?: string;
  laterality?: string;
  seriesDescription?: string;
  studyDescription?: string;
  manufacturer?: string;
}

/** Tags that identify a patient: hidden unless the user asks. */
export interface PatientMetadata {
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyDate?: string;
  accessionNumber?: string;
  institutionName?: string;
}

/** Where a DICOM image sits in its patient's record: for grouping files into studies and series. */
export interface RecordPlace {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  seriesNumber?: number;
  instanceNumber?: number;
}

export interface Radiograph {
  /** File name (or path) the image came from, for every message about it. */
  source: string;
  kind: SourceKind;
  width: number;
  height: number;
  /** 1 for grayscale, 3 for RGB (interleaved, R G B per pixel). */
  samplesPerPixel: 1 | 3;
  photometric: Photometric;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  /** Decoded stored values of the chosen frame, before any LUT; length width*height*samplesPerPixel. */
  stored: StoredPixels;
  /** Modality LUT as a linear rescale: modality value = stored * slope + intercept. */
  rescaleSlope: number;
  rescaleIntercept: number;
  /** A modality LUT sequence replaces the linear rescale when present. */
  modalityLut?: LookupTable;
  /** Smallest and largest stored value (padding excluded). */
  minStored: number;
  maxStored: number;
  /** Window presets in modality units: the file's own first, then computed ones. */
  windows: WindowPreset[];
  voiLuts: LookupTable[];
  /** Stored value (or lower bound of a range) that marks padding outside the anatomy. */
  paddingValue?: number;
  paddingRangeLimit?: number;
  pixelSpacing?: PixelSpacing;
  frameCount: number;
  frameIndex: number;
  /** DICOM transfer syntax UID, or the raster format for PNG/JPEG. */
  transferSyntax: string;
  transferSyntaxName: string;
  metadata: SafeMetadata;
  patient: PatientMetadata;
  /** DICOM files only. */
  place?: RecordPlace;
}

/** Thrown for any input we cannot open: names the file and says what is wrong. */
export class InputError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`${source}: ${reason}`);
    this.name = 'InputError';
  }
}

/** Hard limits checked before any large allocation. */
export const LIMITS = {
  maxPixels: 100_000_000,
  maxFrames: 10_000,
} as const;
