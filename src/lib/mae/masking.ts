/**
 * Which patches the MAE sees in each pass. Every pass is an HF
 * `random_masking`-style shuffle: `idsKeep` = the first K entries of a
 * permutation of the N patches (the kept ones), `idsRestore` its inverse, and
 * `masked[n]` = 1 for each removed patch, in patch order.
 *
 * Plans are seeded: the same seed always gives the same plan.
 */

export interface MaskPass {
  /** Kept patch indices, in shuffle order [K]. */
  idsKeep: Int32Array;
  /** Inverse of the shuffle (kept first, then masked) [N]. */
  idsRestore: Int32Array;
  /** 1 where the patch is removed (masked), 0 where kept [N]. */
  masked: Uint8Array;
}

export interface MaskPlan {
  passes: MaskPass[];
  /** K: patches each pass keeps. */
  kept: number;
  /** N: patches in the image. */
  patches: number;
}

export interface PlanOptions {
  /** Any integer; taken modulo 2^32. */
  seed: number;
  passes: number;
  patches: number;
  /** Share of patches removed in each pass, 0 < maskRatio < 1. */
  maskRatio: number;
}

/** mulberry32: a small, fast 32-bit generator; floats in [0, 1) with 2^-32 resolution. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** K = floor(N * (1 - maskRatio)), as HF's `int(seq_length * (1 - mask_ratio))`. */
export function keptCount(patches: number, maskRatio: number): number {
  return Math.floor(patches * (1 - maskRatio));
}

/** Indices that sort `values` ascending; ties keep index order (stable). */
export function argsort(values: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[a] - values[b] || a - b);
  return Int32Array.from(order);
}

/** A pass from a full shuffle (a permutation of 0..N-1) whose first K entries are kept. */
export function passFromShuffle(shuffle: ArrayLike<number>, kept: number): MaskPass {
  const n = shuffle.length;
  if (!Number.isInteger(kept) || kept < 0 || kept > n) {
    throw new Error(`mask pass: cannot keep ${kept} of ${n} patches`);
  }
  const idsRestore = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const p = shuffle[i];
    if (!Number.isInteger(p) || p < 0 || p >= n || idsRestore[p] !== -1) {
      throw new Error(`mask pass: the shuffle is not a permutation of 0..${n - 1}`);
    }
    idsRestore[p] = i;
  }
  const idsKeep = Int32Array.from({ length: kept }, (_, i) => shuffle[i]);
  const masked = new Uint8Array(n).fill(1);
  for (const p of idsKeep) masked[p] = 0;
  return { idsKeep, idsRestore, masked };
}

function checkOptions({ seed, passes, patches, maskRatio }: PlanOptions): number {
  if (!Number.isFinite(seed)) throw new Error('mask plan: seed must be a number');
  if (!Number.isInteger(passes) || passes < 1)
    throw new Error('mask plan: passes must be at least 1');
  if (!Number.isInteger(patches) || patches < 1)
    throw new Error('mask plan: patches must be at least 1');
  if (!(maskRatio > 0 && maskRatio < 1))
    throw new Error('mask plan: maskRatio must be between 0 and 1');
  const kept = keptCount(patches, maskRatio);
  if (kept < 1) {
    throw new Error(`mask plan: a mask ratio of ${maskRatio} keeps no patch of ${patches}`);
  }
  return kept;
}

/** A random permutation of `items` (Fisher-Yates), in place. */
function shuffleInPlace(items: number[], random: () => number): number[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * SKELEX's schedule: each pass independently as HF `random_masking`
 * (noise ~ U(0, 1), ids_shuffle = argsort(noise)). A patch may be masked in
 * every pass or in none.
 */
export function randomPlan(options: PlanOptions): MaskPlan {
  const kept = checkOptions(options);
  const { passes, patches } = options;
  const random = mulberry32(options.seed);
  const noise = new Float64Array(patches);
  const list: MaskPass[] = [];
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < patches; i++) noise[i] = random();
    list.push(passFromShuffle(argsort(noise), kept));
  }
  return { passes: list, kept, patches };
}

/**
 * Passes needed for every patch to be kept (and masked) equally often under
 * `complementaryPlan`: N / gcd(N, K). 4 for SKELEX (N = 196, K = 49).
 */
export function complementaryCycle(patches: number, maskRatio: number): number {
  const kept = keptCount(patches, maskRatio);
  let a = patches;
  let b = kept;
  while (b) [a, b] = [b, a % b];
  return patches / a;
}

/**
 * A balanced schedule: the kept sets are read off a stream of random
 * permutations of all patches, K at a time, so every patch is kept once per
 * permutation. At ratio 0.75 with 196 patches each group of 4 passes keeps 4
 * disjoint quarters of one permutation (every patch masked 3 times and kept
 * once), and further passes draw new permutations.
 *
 * When N is not a multiple of K (say ratio 0.9: K = 19 of 196) a pass takes
 * the tail of one permutation and the head of the next; the next permutation
 * is drawn with that tail's patches last, so no pass keeps a patch twice. Kept
 * (and masked) counts then differ by at most one between patches, and are
 * equal whenever passes * K is a multiple of N (see `complementaryCycle`).
 *
 * Within a pass, kept patches come in permutation order and the masked ones
 * follow in random order: a valid HF shuffle.
 */
export function complementaryPlan(options: PlanOptions): MaskPlan {
  const kept = checkOptions(options);
  const { passes, patches } = options;
  const random = mulberry32(options.seed);
  const all = Array.from({ length: patches }, (_, i) => i);
  let stream = shuffleInPlace(all.slice(), random);
  let pos = 0;
  const list: MaskPass[] = [];
  for (let p = 0; p < passes; p++) {
    const keep: number[] = [];
    while (keep.length < kept) {
      if (pos === patches) {
        // A new permutation, with the patches this pass already keeps drawn last.
        const taken = new Set(keep);
        const rest = shuffleInPlace(
          all.filter((i) => !taken.has(i)),
          random,
        );
        stream = rest.concat(shuffleInPlace(keep.slice(), random));
        pos = 0;
      }
      keep.push(stream[pos++]);
    }
    const inPass = new Uint8Array(patches);
    for (const i of keep) inPass[i] = 1;
    const rest = shuffleInPlace(
      all.filter((i) => !inPass[i]),
      random,
    );
    list.push(passFromShuffle(keep.concat(rest), kept));
  }
  return { passes: list, kept, patches };
}

/**
 * One pass from a user-painted mask: `keptPatches` are seen by the encoder
 * (in ascending order), every other patch is masked (K may be anything from 1
 * to N; the exported encoder must accept that K).
 */
export function customPlan(keptPatches: readonly number[], patches: number): MaskPlan {
  if (!Number.isInteger(patches) || patches < 1)
    throw new Error('mask plan: patches must be at least 1');
  const inPass = new Uint8Array(patches);
  for (const p of keptPatches) {
    if (!Number.isInteger(p) || p < 0 || p >= patches) {
      throw new Error(`mask plan: patch ${p} is outside 0..${patches - 1}`);
    }
    if (inPass[p]) throw new Error(`mask plan: patch ${p} is listed twice`);
    inPass[p] = 1;
  }
  if (keptPatches.length === 0) throw new Error('mask plan: keep at least one patch');
  const keep = [...keptPatches].sort((a, b) => a - b);
  const shuffle = keep.concat(
    Array.from({ length: patches }, (_, i) => i).filter((i) => !inPass[i]),
  );
  return { passes: [passFromShuffle(shuffle, keep.length)], kept: keep.length, patches };
}

/** Some passes as int64 tensor data for the encoder and decoder. */
export interface PassBatch {
  /** [B, K], row-major. */
  idsKeep: BigInt64Array;
  /** [B, N], row-major. */
  idsRestore: BigInt64Array;
  keepDims: [number, number];
  restoreDims: [number, number];
}

/** Batches passes (all with the same K and N) into `ids_keep` and `ids_restore` data. */
export function batchPasses(passes: readonly MaskPass[]): PassBatch {
  if (passes.length === 0) throw new Error('batchPasses: no passes');
  const k = passes[0].idsKeep.length;
  const n = passes[0].idsRestore.length;
  const idsKeep = new BigInt64Array(passes.length * k);
  const idsRestore = new BigInt64Array(passes.length * n);
  passes.forEach((pass, b) => {
    if (pass.idsKeep.length !== k || pass.idsRestore.length !== n) {
      throw new Error('batchPasses: every pass in a batch must keep the same number of patches');
    }
    for (let i = 0; i < k; i++) idsKeep[b * k + i] = BigInt(pass.idsKeep[i]);
    for (let i = 0; i < n; i++) idsRestore[b * n + i] = BigInt(pass.idsRestore[i]);
  });
  return { idsKeep, idsRestore, keepDims: [passes.length, k], restoreDims: [passes.length, n] };
}
