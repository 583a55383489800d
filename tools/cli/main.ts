/** Dispatches `skelex <command>`; each command lives in its own module. */
import { inspect } from './inspect';
import { convert } from './convert';
import { analyze } from './analyze';

const USAGE = `usage: skelex <command> [options]

commands:
  inspect FILE... [--json]   decode DICOM/PNG/JPEG files and describe their pixels
  convert CKPT_DIR --out BUNDLE_DIR [--variants fp32,fp16,int8,q4]
                             turn a Hugging Face ViT/ViTMAE checkpoint into a model bundle
  analyze INPUT... --model BUNDLE_DIR --out DIR [--passes N] [--schedule complementary|random]
          [--seed S] [--map raw|relative] [--variant V] [--json]
                             error maps, overlays and summary.csv for files and folders
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(line + '\n');
  try {
    switch (command) {
      case 'inspect':
        return await inspect(rest, out);
      case 'convert':
        return await convert(rest);
      case 'analyze':
        return await analyze(rest, out);
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`skelex: unknown command ${JSON.stringify(command)}\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    // One line a user can act on; no stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`skelex ${command}: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
