/** Dispatches `skelex <command>`; each command lives in its own module. */
import { analyze } from './analyze';
import { UsageExit } from './command-args';
import { convert } from './convert';
import { inspect } from './inspect';
import { merge } from './merge';

const USAGE = `usage: skelex <command> [options]   (skelex <command> --help for its options)

commands:
  inspect FILE... [--json]   decode DICOM/PNG/JPEG files and describe their pixels
  convert CKPT_DIR --out BUNDLE_DIR [--variants fp32,fp16,int8,q4]
                             turn a Hugging Face ViT/ViTMAE checkpoint into a model bundle
  analyze INPUT... --model BUNDLE_DIR --out DIR [--resume] [--shard K/N] [...]
                             error maps, overlays and summary.csv for files and folders
  merge OUT_DIR... --out DIR join the output folders of a run's shards into one summary.csv
`;

type Command = (args: string[], out: (line: string) => void) => Promise<number>;
const COMMANDS: Record<string, Command> = { inspect, convert, analyze, merge };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(line + '\n');
  if (command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const run = command === undefined ? undefined : COMMANDS[command];
  if (!run) {
    const problem =
      command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`;
    process.stderr.write(`skelex: ${problem}\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest, out);
  } catch (error) {
    if (error instanceof UsageExit) {
      (error.code === 0 ? process.stdout : process.stderr).write(error.text.trimEnd() + '\n');
      return error.code;
    }
    // One line a user can act on; no stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`skelex ${command}: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
