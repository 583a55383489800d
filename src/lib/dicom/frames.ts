/** Finds the bytes of one frame in the pixel data element, before any decoding. */
import dicomParser, { type DataSet, type Element } from 'dicom-parser';

export interface FrameGeometry {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  frameCount: number;
}

export function nativeFrameBytes(geometry: FrameGeometry): number {
  const pixels = geometry.rows * geometry.columns * geometry.samplesPerPixel;
  return geometry.bitsAllocated === 1
    ? Math.ceil(pixels / 8)
    : (pixels * geometry.bitsAllocated) / 8;
}

/** One frame of uncompressed pixel data, as a view into the file's bytes. */
export function nativeFrame(
  dataSet: DataSet,
  element: Element,
  geometry: FrameGeometry,
  frame: number,
): Uint8Array {
  const frameBytes = nativeFrameBytes(geometry);
  const end = (frame + 1) * frameBytes;
  const available = Math.min(element.length, dataSet.byteArray.length - element.dataOffset);
  if (end > available) {
    throw new Error(
      `pixel data holds ${available} bytes but frame ${frame + 1} needs bytes up to ${end} ` +
        `(${geometry.columns}x${geometry.rows}, ${geometry.bitsAllocated} bits allocated)`,
    );
  }
  return new Uint8Array(
    dataSet.byteArray.buffer,
    dataSet.byteArray.byteOffset + element.dataOffset + frame * frameBytes,
    frameBytes,
  );
}

/** One frame of encapsulated pixel data: its fragments joined. */
export function encapsulatedFrame(
  dataSet: DataSet,
  element: Element,
  frameCount: number,
  frame: number,
): Uint8Array {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) throw new Error('encapsulated pixel data has no fragments');
  const end = element.dataOffset + element.length;
  for (const f of fragments) {
    if (
      f.position + f.length > dataSet.byteArray.length ||
      (element.length > 0 && f.position + f.length > end + 8)
    ) {
      throw new Error('a pixel data fragment runs past the end of the file');
    }
  }
  if (frameCount === 1) {
    return dicomParser.readEncapsulatedPixelDataFromFragments(
      dataSet,
      element,
      0,
      fragments.length,
    );
  }
  const offsets = element.basicOffsetTable ?? [];
  if (offsets.length > 0) {
    if (offsets.length !== frameCount) {
      throw new Error(
        `basic offset table lists ${offsets.length} frames, the header says ${frameCount}`,
      );
    }
    return dicomParser.readEncapsulatedImageFrame(dataSet, element, frame, offsets, fragments);
  }
  if (fragments.length === frameCount) {
    return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, frame, 1);
  }
  // No offset table and several fragments a frame: JPEG frames can be found by their markers.
  const table = dicomParser.createJPEGBasicOffsetTable(dataSet, element, fragments);
  if (table.length !== frameCount) {
    throw new Error(`cannot tell ${frameCount} frames apart in ${fragments.length} fragments`);
  }
  return dicomParser.readEncapsulatedImageFrame(dataSet, element, frame, table, fragments);
}
