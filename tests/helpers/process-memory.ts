/**
 * Resident memory of a headless Chromium's renderer processes, read from
 * /proc: the page, its workers, their JS heaps and WASM memories all live in
 * the renderer, so this is what the user's machine gives the app.
 */
import { readdirSync, readFileSync } from 'node:fs';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // the process ended while we looked
  }
}

/** Bytes resident in the renderers of the Chromium whose profile is `profile`. */
export function rendererMemory(profile: string): number {
  let bytes = 0;
  let renderers = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    // Chromium gives its child processes the profile directory too; zygote children
    // rewrite their command line into one space-separated string.
    const args = read(`/proc/${pid}/cmdline`).split(/[\0 ]/);
    if (!args.includes('--type=renderer') || !args.includes(`--user-data-dir=${profile}`)) continue;
    const rss = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`));
    if (!rss) continue;
    bytes += Number(rss[1]) * 1024;
    renderers++;
  }
  if (renderers === 0) throw new Error(`no Chromium renderer runs with the profile ${profile}`);
  return bytes;
}
