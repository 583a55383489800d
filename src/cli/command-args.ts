/**
 * Each command's arguments through Node's own `util.parseArgs`, strict: an
 * unknown option or a missing value is a usage error (exit 2, with the usage),
 * and `--help` prints the usage (exit 0).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Ends a command early with an exit code and a text: the usage, after a problem when there is one. */
export class UsageExit extends Error {
  constructor(
    readonly code: 0 | 2,
    readonly text: string,
  ) {
    super(text);
  }
}

/** Throws a usage error for `command` (exit 2). */
export function usageError(command: string, problem: string, usage: string): never {
  throw new UsageExit(2, `skelex ${command}: ${problem}\n${usage}`);
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function parseCommandArgs<T extends Options>(
  command: string,
  usage: string,
  args: string[],
  options: T,
) {
  const config = {
    args,
    options: { ...options, ...HELP },
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    // util.parseArgs' messages name the option; its advice about '--' is not ours to give.
    const message = (error as Error).message.split('. ')[0].replace(/\.$/, '');
    return usageError(command, message, usage);
  }
  if ((parsed.values as { help?: boolean }).help) throw new UsageExit(0, usage);
  return parsed;
}

/** Refuses to start for a reason that is not a mistake in the options (exit 2, no usage). */
export function refuse(command: string, problem: string): never {
  throw new UsageExit(2, `skelex ${command}: ${problem}`);
}

/** A whole number option within [min, max], or a usage error. */
export function wholeNumber(
  command: string,
  usage: string,
  name: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || value < min || value > max)
    usageError(command, `--${name} must be a whole number from ${min} to ${max}`, usage);
  return value;
}
