/** `skelex inspect FILE... [--json]`: decode each file and describe its pixels. */
import { readFile } from 'node:fs/promises';
import { openImage } from '../lib/imaging/open';
import { pixelSha256 } from '../lib/imaging/digest';
import { storedRange } from '../lib/imaging/stats';
import { parseCommandArgs, usageError } from './command-args';
import { expandInputs } from './files';

export interface InspectResult {
  file: string;
  ok: boolean;
  error?: string;
  transferSyntax?: string;
  photometric?: string;
  width?: number;
  height?: number;
  bitsStored?: number;
  min?: number;
  max?: number;
  pixelSha256?: string;
}

export async function inspectFile(file: string): Promise<InspectResult> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { file, ok: false, error: `${file}: cannot read the file (${code ?? String(error)})` };
  }
  try {
    const r = await openImage(file, bytes);
    const { min, max } = storedRange(r.stored, r.samplesPerPixel);
    return {
      file,
      ok: true,
      transferSyntax: r.transferSyntax,
      photometric: r.photometric,
      width: r.width,
      height: r.height,
      bitsStored: r.bitsStored,
      min,
      max,
      pixelSha256: await pixelSha256(r.stored),
    };
  } catch (error) {
    return { file, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export const INSPECT_USAGE = `usage: skelex inspect FILE... [--json]

Decodes DICOM, PNG and JPEG files (and the files in folders) and describes their pixels:
transfer syntax, photometric interpretation, size, bits stored, value range and the SHA-256
of the decoded stored values (little-endian int32). A file that cannot be read gets one line
with the reason; the others go on (exit 1 when any failed).

options:
  --json        one JSON object a file on stdout
  -h, --help    this help
`;

export async function inspect(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals: inputs } = parseCommandArgs('inspect', INSPECT_USAGE, args, {
    json: { type: 'boolean', default: false },
  });
  const json = values.json;
  if (inputs.length === 0) usageError('inspect', 'no FILE given', INSPECT_USAGE);
  let failed = 0;
  for (const file of await expandInputs(inputs)) {
    const result = await inspectFile(file);
    if (!result.ok) failed++;
    if (json) out(JSON.stringify(result));
    else if (result.ok) {
      out(
        `${file}: ${result.width}x${result.height} ${result.photometric} ${result.bitsStored} bits, ` +
          `${result.transferSyntax}, values ${result.min}..${result.max}, pixels sha256 ${result.pixelSha256}`,
      );
    } else out(`${result.error}`);
  }
  return failed > 0 ? 1 : 0;
}
