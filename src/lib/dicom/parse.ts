/**
 * DICOM Part 10 (with or without the 128-byte preamble, or a bare data set)
 * to a dicom-parser DataSet, with every failure turned into a plain reason.
 */
import dicomParser, { type DataSet } from 'dicom-parser';
import { inflateSync } from 'fflate';
import { findTransferSyntax, describeUnsupported, type TransferSyntax } from './transfer-syntax';

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntax: TransferSyntax;
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

function hasText(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

const isUpper = (b: number | undefined) => b !== undefined && b >= 65 && b <= 90;

/**
 * Guesses the encoding of a data set with no file meta information from its
 * first element: an explicit VR shows as two capital letters after the tag,
 * and a big-endian group number has its low byte first as zero.
 */
function sniffBareSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const explicit = isUpper(bytes[4]) && isUpper(bytes[5]);
  const littleGroup = bytes[0] | (bytes[1] << 8);
  const bigGroup = (bytes[0] << 8) | bytes[1];
  // Data sets start with a low, even group (0x0008 typically).
  if (
    explicit &&
    bigGroup > 0 &&
    bigGroup <= 0x0028 &&
    bigGroup % 2 === 0 &&
    littleGroup > 0x00ff
  ) {
    return EXPLICIT_BE;
  }
  if (littleGroup === 0 || littleGroup > 0x0028 || littleGroup % 2 !== 0) return undefined;
  return explicit ? EXPLICIT_LE : IMPLICIT_LE;
}

function parserMessage(error: unknown): string {
  const inner =
    typeof error === 'object' && error !== null && 'exception' in error
      ? (error as { exception: unknown }).exception
      : error;
  // dicom-parser reads nested sequences by recursion: a deep enough nest overflows the stack.
  if (inner instanceof RangeError && /call stack/i.test(inner.message))
    return 'sequences are nested too deeply to read';
  const text = inner instanceof Error ? inner.message : String(inner);
  return text.replace(/^dicomParser\.[A-Za-z0-9]+: /, '');
}

/** Raw-deflated data set after the meta header, as PS3.5 A.5 requires. */
function inflateAfter(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateSync(bytes.subarray(position));
  const whole = new Uint8Array(position + inflated.length);
  whole.set(bytes.subarray(0, position), 0);
  whole.set(inflated, position);
  return whole;
}

/** Throws an Error whose message is a reason a user can act on. */
export function parseDicomBytes(bytes: Uint8Array): ParsedDicom {
  let input = bytes;
  let bareSyntax: string | undefined;
  if (!hasText(bytes, 128, 'DICM')) {
    if (hasText(bytes, 0, 'DICM')) {
      // Meta header without its preamble: put the 128 bytes back.
      input = new Uint8Array(bytes.length + 128);
      input.set(bytes, 128);
    } else {
      bareSyntax = sniffBareSyntax(bytes);
      if (!bareSyntax)
        throw new Error('not a DICOM file (no DICM prefix and no recognisable data set)');
    }
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(input, {
      TransferSyntaxUID: bareSyntax,
      inflater: inflateAfter as (arr: Uint8Array, position: number) => void,
    });
  } catch (error) {
    throw new Error(`DICOM structure is damaged: ${parserMessage(error)}`, { cause: error });
  }
  const uid = (dataSet.string('x00020010') ?? bareSyntax ?? '').replace(/\0/g, '').trim();
  const transferSyntax = findTransferSyntax(uid);
  if (!transferSyntax) throw new Error(describeUnsupported(uid));
  return { dataSet, transferSyntax };
}
