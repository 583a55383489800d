/**
 * `--shard K/N`: a stable slice of a run's inputs, so N processes (a
 * Kubernetes Indexed Job, K from JOB_COMPLETION_INDEX) share one run with no
 * scheduler. A file's shard comes from a hash of its path relative to the
 * input folder it was found in, so it does not depend on the order of the
 * files, on where the folder is mounted, or on which other files are there.
 */
import { createHash } from 'node:crypto';

export interface ShardSpec {
  index: number;
  count: number;
}

/** Parses `K/N` (0 <= K < N); returns the reason as a string when it is not that. */
export function parseShard(text: string): ShardSpec | string {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return `--shard must be K/N, e.g. 0/4 (got ${JSON.stringify(text)})`;
  const [index, count] = [Number(match[1]), Number(match[2])];
  if (count < 1 || count > 100_000) return '--shard N must be from 1 to 100000';
  if (index >= count) return `--shard K must be from 0 to N-1 (got ${index}/${count})`;
  return { index, count };
}

/** Which of `count` shards a file belongs to, from its relative path. */
export function shardOf(relativePath: string, count: number): number {
  const digest = createHash('sha256').update(relativePath.replaceAll('\\', '/')).digest();
  return digest.readUInt32BE(0) % count;
}
