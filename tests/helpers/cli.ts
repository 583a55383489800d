/** Runs the `skelex` command line as a user would, in a child process, from the project's folder. */
import { execFile } from 'node:child_process';
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
