/**
 * npm run fuzz -- [--cases N] [--seed S]
 *
 * A longer fuzzing run than the test's (tests/unit/fuzz-decoders.test.ts):
 * N seeded mutations of the real files in the data folder through the app's
 * decoders. Prints the outcome counts, the slowest cases and every failure as
 * a recipe to add to tests/fuzz/regressions.json once it is fixed.
 */
import { fuzzCases } from '../tests/helpers/fuzz';
import { fuzzSources, runCase, type CaseOutcome } from '../tests/helpers/fuzz-run';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: { cases: { type: 'string', default: '1000' }, seed: { type: 'string' } },
});
const count = Number(options.cases);
const seed = Number(options.seed ?? Date.now() % 2 ** 31);
const sources = fuzzSources(20);
const outcomes: CaseOutcome[] = [];
const start = performance.now();
for (const c of fuzzCases(sources, count, seed)) {
  const outcome = await runCase(sources, c);
  outcomes.push(outcome);
  const failures = outcomes.filter((o) => o.result === 'failed').length;
  if (outcome.result === 'failed' && failures <= 20)
    console.log(JSON.stringify({ ...c, found: outcome.detail }));
  if (outcomes.length % 100 === 0) process.stderr.write(`${outcomes.length}/${count}\n`);
}
const by = (r: CaseOutcome['result']) => outcomes.filter((o) => o.result === r).length;
console.log(
  `seed ${seed}: ${outcomes.length} cases in ${((performance.now() - start) / 1000).toFixed(0)} s: ${by('image')} images, ${by('refused')} refused, ${by('failed')} failed; peak memory ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
for (const o of [...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 5))
  console.log(
    `slow: ${o.ms.toFixed(0)} ms ${o.case.source} ${o.case.mutator} ${o.case.seed}: ${o.detail.slice(0, 100)}`,
  );
