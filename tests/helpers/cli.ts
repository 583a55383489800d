/** Runs the `skelex` command line as a user would, in a child process, from the project's folder. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './data';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `skelex ...args`: its exit code and output, whether it succeeded or not. */
export async function runSkelex(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(PROJECT_ROOT, 'bin/skelex.js'), ...args],
      { cwd: PROJECT_ROOT },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

export interface RunningSkelex {
  child: ChildProcess;
  /** Resolves when the process ends: its exit code (null when a signal ended it) and output. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `skelex ...args` (or another command line) in the background, to signal it while it runs. */
export function startSkelex(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; command?: string[] } = {},
): RunningSkelex {
  const [program, ...programArgs] = options.command ?? [
    process.execPath,
    path.join(PROJECT_ROOT, 'bin/skelex.js'),
  ];
  const child = spawn(program, [...programArgs, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exited };
}
