/** Dispatches `skelex <command>`; each command lives in its own module. */
import { inspect } from './inspect';

const USAGE = `usage: skelex <command> [options]

commands:
  inspect FILE... [--json]   decode DICOM/PNG/JPEG files and describe their pixels
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(line + '\n');
  switch (command) {
    case 'inspect':
      return inspect(rest, out);
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`skelex: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}
