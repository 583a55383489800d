/** The one entry point for opening an image file of any kind we accept. */
import { readDicom } from '../dicom/read-dicom';
import { isJpeg, isPng, readJpeg, readPng } from './raster';
import { InputError, type Radiograph } from './radiograph';

export interface OpenOptions {
  /** Frame of a multi-frame DICOM, from 0. */
  frame?: number;
}

/** Opens a file's bytes; any failure becomes an InputError naming the file. */
export async function openImage(
  source: string,
  bytes: Uint8Array,
  options: OpenOptions = {},
): Promise<Radiograph> {
  try {
    if (bytes.length === 0) throw new Error('the file is empty');
    if (isPng(bytes)) return readPng(source, bytes);
    if (isJpeg(bytes)) return await readJpeg(source, bytes);
    return await readDicom(source, bytes, options);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const reason =
      error instanceof Error
        ? error.message
        : typeof error === 'string'
          ? error
          : `unexpected failure (${String(error)})`;
    throw new InputError(source, reason);
  }
}
