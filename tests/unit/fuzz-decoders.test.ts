/**
 * Seeded, bounded fuzzing of the decoders with the real files of the data
 * folder (tests/helpers/fuzz.ts): bit flips, truncation, corrupt lengths and
 * VRs, huge sizes, bogus transfer syntaxes, deeply nested sequences. Every
 * case must end in an image (no larger than the pixel limit) or an InputError
 * with a clear reason naming the file, and the process must stay under a fixed
 * memory cap. A fixed number of cases runs, whatever the machine's speed; a
 * runaway case is caught by the test's timeout, not by a clock. Cases that once
 * failed run first (tests/fuzz/regressions.json). `npm run fuzz` runs more
 * cases with other seeds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/lib/imaging/radiograph';
import { PROJECT_ROOT } from '../helpers/data';
import { fuzzCases, type FuzzCase } from '../helpers/fuzz';
import { fuzzSources, runCase, type CaseOutcome } from '../helpers/fuzz-run';

const SEED = 20261129;
/** All of them always run: about 20 s on a busy 2-core machine, far inside the test's timeout. */
const CASES = 600;
/** The process' peak resident memory must stay below this. */
const MEMORY_CAP = 1.5 * 2 ** 30;
/** And no single case may raise that peak by more than this. */
const CASE_MEMORY_CAP = 512 * 2 ** 20;

const regressions: FuzzCase[] = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'tests/fuzz/regressions.json'), 'utf8'),
);
const recipe = (o: CaseOutcome) => `${JSON.stringify(o.case)}: ${o.detail}`;

describe('decoders under fuzzing', () => {
  const sources = fuzzSources();

  it('survive every case that once failed', async () => {
    const failed: string[] = [];
    for (const c of regressions) {
      const outcome = await runCase(sources, c);
      if (outcome.result === 'failed') failed.push(recipe(outcome));
    }
    expect(failed).toEqual([]);
  });

  it('end every seeded case in an image or a clear error, under the memory cap', async () => {
    const start = performance.now();
    const outcomes: CaseOutcome[] = [];
    for (const c of fuzzCases(sources, CASES, SEED)) outcomes.push(await runCase(sources, c));
    const count = (r: CaseOutcome['result']) => outcomes.filter((o) => o.result === r).length;
    const peak = process.resourceUsage().maxRSS * 1024;
    // The time is printed for information only; it decides nothing.
    console.log(
      `fuzz: ${outcomes.length} cases (seed ${SEED}) in ${((performance.now() - start) / 1000).toFixed(0)} s: ${count('image')} images, ${count('refused')} refused, ${count('failed')} failed; peak memory ${(peak / 2 ** 20).toFixed(0)} MB`,
    );
    // Both ends are reached: some mutations still decode, most are refused.
    expect(count('image')).toBeGreaterThan(0);
    expect(count('refused')).toBeGreaterThan(count('image'));
    expect(outcomes.filter((o) => o.result === 'failed').map(recipe)).toEqual([]);
    // A corrupt size field may change an image's size, never past the limit checked before allocating.
    const oversized = outcomes.filter((o) => {
      if (o.result !== 'image') return false;
      const [width, height] = o.detail.split('x').map(Number);
      return !(width > 0 && height > 0 && width * height <= LIMITS.maxPixels);
    });
    expect(oversized.map(recipe), 'images without a size inside the limit').toEqual([]);
    const greedy = outcomes.filter((o) => o.peakGrowth > CASE_MEMORY_CAP).map(recipe);
    expect(greedy, 'cases that allocated past the per-case cap').toEqual([]);
    expect(peak).toBeLessThan(MEMORY_CAP);
  }, 120_000);
});
