/**
 * `skelex analyze` as a run that survives being stopped and that N processes
 * share, with the bundled demo model on real radiographs: a SIGKILL mid-run
 * and `--resume` give the summary.csv of an uninterrupted run, nothing
 * analysed twice (a torn last line repaired); Ctrl-C stops after the current
 * image; the Kubernetes Indexed Job's container command
 * (docs/kubernetes/analyze-job.yaml) run as N local processes with
 * JOB_COMPLETION_INDEX set merges into that same summary.csv; merge refuses
 * overlaps and reports what is missing; every command answers --help.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runSkelex, startSkelex } from '../helpers/cli';
import { dataPath, PROJECT_ROOT } from '../helpers/data';

const work = mkdtempSync(path.join(tmpdir(), 'skelex-batch-run-'));
const INPUT = path.join(work, 'input');
const MODEL = path.join(PROJECT_ROOT, 'models/demo');
const JPEGS = 16;
const TOTAL = JPEGS + 2; // and one DICOM in a subfolder, one damaged file
let reference: string; // summary.csv of one uninterrupted run

const resultLines = (dir: string): string[] => {
  const file = path.join(dir, 'results.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(0, -1) : [];
};
const summaryOf = (dir: string) => readFileSync(path.join(dir, 'summary.csv'), 'utf8');
const analyzeArgs = (out: string, ...more: string[]) => [
  'analyze',
  INPUT,
  '--model',
  MODEL,
  '--out',
  out,
  ...more,
];

/** Waits until a running analysis has recorded at least `rows` images. */
async function untilRows(dir: string, rows: number): Promise<void> {
  await vi.waitFor(() => expect(resultLines(dir).length).toBeGreaterThanOrEqual(rows), {
    timeout: 120_000,
    interval: 5,
  });
}

beforeAll(async () => {
  const images = dataPath('fracatlas', 'images');
  mkdirSync(path.join(INPUT, 'sub'), { recursive: true });
  for (const name of readdirSync(images).sort().slice(0, JPEGS))
    symlinkSync(path.join(images, name), path.join(INPUT, name));
  symlinkSync(dataPath('dicom', 'RG3_RLE.dcm'), path.join(INPUT, 'sub', 'RG3_RLE.dcm'));
  writeFileSync(path.join(INPUT, 'damaged.dcm'), new Uint8Array(300));
  const single = await runSkelex(analyzeArgs(path.join(work, 'reference')));
  expect(single.code, single.stderr).toBe(1); // the damaged file
  expect(single.stderr).toContain(`analysed ${TOTAL - 1} of ${TOTAL} files`);
  reference = summaryOf(path.join(work, 'reference'));
  expect(reference.trim().split('\n')).toHaveLength(TOTAL + 1);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('skelex analyze --resume', () => {
  it('continues a run killed with SIGKILL to the summary.csv of an uninterrupted run, nothing twice', async () => {
    const out = path.join(work, 'killed');
    const run = startSkelex(analyzeArgs(out));
    await untilRows(out, 3);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');

    const kept = resultLines(out);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThan(TOTAL);
    for (const line of kept) expect(() => JSON.parse(line), line).not.toThrow(); // no torn row
    expect(existsSync(path.join(out, 'summary.csv'))).toBe(false);
    // A crash of the machine itself mid-write could leave a cut line: the resume drops it.
    appendFileSync(path.join(out, 'results.jsonl'), '{"file":"cut sho');

    const resumed = await runSkelex(analyzeArgs(out, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stderr).toContain(
      `${TOTAL - kept.length} analysed in`, // the rest, not the whole run again
    );
    expect(resumed.stderr).toContain(`${kept.length} from an earlier run`);
    expect(summaryOf(out)).toBe(reference);
    const lines = resultLines(out);
    expect(lines.slice(0, kept.length)).toEqual(kept);
    const files = lines.map((l) => (JSON.parse(l) as { file: string }).file);
    expect(new Set(files).size).toBe(TOTAL);
    for (const row of lines.map((l) => JSON.parse(l) as { file: string; ok: boolean }))
      if (row.ok) {
        const name = path.basename(row.file).replace(/\.[^.]+$/, '');
        expect(existsSync(path.join(out, `${name}.overlay.png`)), name).toBe(true);
      }

    // Resuming a finished run analyses nothing and writes the same summary.
    rmSync(path.join(out, 'summary.csv'));
    const again = await runSkelex(analyzeArgs(out, '--resume'));
    expect(again.stderr).toContain(`0 analysed in`);
    expect(summaryOf(out)).toBe(reference);
  }, 240_000);

  it('stops after the current image on Ctrl-C, with every finished row kept', async () => {
    const out = path.join(work, 'interrupted');
    const run = startSkelex(analyzeArgs(out));
    await untilRows(out, 1);
    run.child.kill('SIGINT');
    const ended = await run.exited;
    expect(ended.code, ended.stderr).toBe(130);
    expect(ended.stderr).toMatch(/stopped: \d+ of 18 files done/);
    const kept = resultLines(out);
    expect(kept.length).toBeLessThan(TOTAL);
    for (const line of kept) expect(() => JSON.parse(line), line).not.toThrow();
    expect(existsSync(path.join(out, 'summary.csv'))).toBe(false);

    const resumed = await runSkelex(analyzeArgs(out, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(summaryOf(out)).toBe(reference);
  }, 240_000);

  it('refuses a folder that holds a run unless told to resume or overwrite, and a resume with other settings', async () => {
    const out = path.join(work, 'refusals');
    const one = (...more: string[]) =>
      runSkelex([
        'analyze',
        dataPath('fracatlas', 'images', 'IMG0000005.jpg'),
        '--model',
        MODEL,
        '--out',
        out,
        ...more,
      ]);
    expect((await one()).code).toBe(0);
    const again = await one();
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds a run');
    const other = await one('--resume', '--passes', '2');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('cannot resume');
    expect(other.stderr).toContain('passes 4 against 2');
    const sharded = await one('--resume', '--shard', '0/2');
    expect(sharded.code).toBe(2);
    expect(sharded.stderr).toContain('holds no shard, not shard 0/2');
    const fresh = await one('--overwrite', '--passes', '2');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toContain('complementary 2 passes');
  }, 120_000);
});

describe("skelex analyze's map", () => {
  it("is the one the bundle recommends unless --map says otherwise (the demo's: relative)", async () => {
    const manifest = JSON.parse(readFileSync(path.join(MODEL, 'model.json'), 'utf8'));
    expect(manifest.mae.recommendedMap).toBe('relative');
    const file = dataPath('dicom', 'RG3_RLE.dcm'); // collimated: the two maps' regions differ
    const summaries = [];
    for (const map of [[], ['--map', 'relative'], ['--map', 'raw']]) {
      const out = path.join(work, `map-${map.join('') || 'default'}`);
      const run = await runSkelex(['analyze', file, '--model', MODEL, '--out', out, ...map]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`${map[1] ?? 'relative'} map`);
      summaries.push(summaryOf(out));
    }
    expect(summaries[0]).toBe(summaries[1]);
    expect(summaries[2]).not.toBe(summaries[0]);
  }, 120_000);
});

/** The Indexed Job's container command and variables, read from the manifest itself. */
function jobFromManifest() {
  const text = readFileSync(path.join(PROJECT_ROOT, 'docs/kubernetes/analyze-job.yaml'), 'utf8');
  // YAML flow sequences and scalars, quoted either way (Prettier prefers single quotes).
  const unquote = (v: string) => v.replace(/^['"]|['"]$/g, '');
  const command = /^\s*command: \[(.*)\]$/m
    .exec(text)![1]
    .split(',')
    .map((item) => unquote(item.trim()));
  const env = Object.fromEntries(
    [...text.matchAll(/- name: (\w+)\n\s+value: (.*)/g)].map((m) => [m[1], unquote(m[2].trim())]),
  );
  const completions = Number(/^\s*completions: (\d+)$/m.exec(text)![1]);
  expect(text).toMatch(/completionMode: Indexed/);
  return { command, env, completions };
}

describe('skelex analyze --shard and skelex merge', () => {
  it("runs the Kubernetes Job's container command as N processes; their merge equals a single run, row for row", async () => {
    const job = jobFromManifest();
    expect(Number(job.env.SHARDS), 'SHARDS must equal completions').toBe(job.completions);
    const results = path.join(work, 'k8s');
    const env = { ...job.env, SKELEX_INPUT: INPUT, SKELEX_RESULTS: results }; // the volumes here
    const pods = Array.from({ length: job.completions }, (_, k) =>
      startSkelex([], { command: job.command, env: { ...env, JOB_COMPLETION_INDEX: String(k) } }),
    );
    const ended = await Promise.all(pods.map((p) => p.exited));
    for (const e of ended) expect(e.code, e.stderr).toBe(0); // the damaged file does not fail a pod
    const shards = ended.map((_, k) => path.join(results, `shard-${k}`));
    const counts = shards.map((dir) => resultLines(dir).length);
    expect(counts.reduce((a, b) => a + b)).toBe(TOTAL);

    const merged = await runSkelex(['merge', ...shards, '--out', path.join(results, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(summaryOf(path.join(results, 'merged'))).toBe(reference);

    // One shard short: the merge says which files are missing.
    const partial = path.join(results, 'partial');
    const gap = counts.findIndex((n) => n > 0);
    const short = await runSkelex([
      'merge',
      ...shards.filter((_, k) => k !== gap),
      '--out',
      partial,
    ]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain(`missing ${counts[gap]} files`);
    const absent = resultLines(shards[gap]).map((l) => (JSON.parse(l) as { file: string }).file);
    expect(
      readFileSync(path.join(partial, 'missing.txt'), 'utf8').trim().split('\n').sort(),
    ).toEqual(absent.sort());
    // The merged folder is a run: --resume analyses just the missing files.
    const filled = await runSkelex(analyzeArgs(partial, '--resume'));
    expect(filled.stderr).toContain(`${counts[gap]} analysed in`);
    expect(summaryOf(partial)).toBe(reference);

    // The same shard twice is an overlap.
    const twice = await runSkelex([
      'merge',
      shards[gap],
      shards[gap],
      '--out',
      path.join(results, 'x'),
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/refused: .* was analysed in both/);
  }, 300_000);

  it('gives each file to exactly one shard, whatever the order or the folder it is read from', async () => {
    const { shardOf } = await import('../../src/cli/shard');
    const names = readdirSync(dataPath('fracatlas', 'images')).slice(0, 400);
    const shards = names.map((n) => shardOf(n, 4));
    for (let k = 0; k < 4; k++) expect(shards.filter((s) => s === k).length).toBeGreaterThan(60);
    expect(names.map((n) => shardOf(`./${n}`.slice(2), 4))).toEqual(shards);
  });
});

describe('skelex --help', () => {
  it.each(['inspect', 'convert', 'analyze', 'merge'])(
    '%s answers --help (exit 0) and an unknown option with its usage (exit 2)',
    async (command) => {
      const help = await runSkelex([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`usage: skelex ${command}`);
      const wrong = await runSkelex([command, '--no-such-option']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain("'--no-such-option'");
      expect(wrong.stderr).toContain(`usage: skelex ${command}`);
    },
  );

  it('lists the commands on skelex --help (exit 0), and on no command (exit 2)', async () => {
    const help = await runSkelex(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['inspect', 'convert', 'analyze', 'merge'])
      expect(help.stdout).toContain(`  ${command} `);
    expect((await runSkelex([])).code).toBe(2);
  });
});
