import { describe, expect, it } from 'vitest';
import {
  type MaskPass,
  type MaskPlan,
  argsort,
  batchPasses,
  complementaryCycle,
  complementaryPlan,
  customPlan,
  keptCount,
  mulberry32,
  randomPlan,
} from '../../src/lib/mae/masking';
import {
  type PatchLayout,
  patchAt,
  patchCount,
  patchRect,
  patchify,
  unpatchify,
} from '../../src/lib/mae/patches';
import {
  ErrorMapAccumulator,
  type MaeSpec,
  maeSpec,
  maskedInput,
  reconstruction,
} from '../../src/lib/mae/error-map';
import {
  convergence,
  meanError,
  pearson,
  relativeL2,
  topPercentMean,
} from '../../src/lib/mae/scores';

/** Checks a pass is an HF random_masking result: a shuffle, kept first, its inverse, its mask. */
function expectValidPass(pass: MaskPass, n: number, k: number) {
  expect(pass.idsKeep.length).toBe(k);
  expect(pass.idsRestore.length).toBe(n);
  expect(pass.masked.length).toBe(n);
  const shuffle = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) shuffle[pass.idsRestore[i]] = i;
  expect([...shuffle].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(Array.from(shuffle.subarray(0, k))).toEqual(Array.from(pass.idsKeep));
  // HF: mask = gather([0]*K + [1]*(N-K), ids_restore).
  for (let i = 0; i < n; i++) expect(pass.masked[i]).toBe(pass.idsRestore[i] >= k ? 1 : 0);
}

function maskedCounts(plan: MaskPlan): number[] {
  const counts = new Array<number>(plan.patches).fill(0);
  for (const pass of plan.passes) pass.masked.forEach((m, i) => (counts[i] += m));
  return counts;
}

describe('masking plans', () => {
  const base = { seed: 42, passes: 10, patches: 196, maskRatio: 0.75 };

  it('keeps K = floor(N (1 - ratio)) patches, as HF does', () => {
    expect(keptCount(196, 0.75)).toBe(49);
    expect(keptCount(196, 0.9)).toBe(19);
    expect(keptCount(196, 0.6)).toBe(78);
  });

  it('is seeded: same seed same plan, another seed another plan', () => {
    expect(mulberry32(7)()).toBe(mulberry32(7)());
    for (const make of [randomPlan, complementaryPlan]) {
      const a = make(base);
      const b = make(base);
      const c = make({ ...base, seed: 43 });
      expect(a.passes.map((p) => Array.from(p.idsKeep))).toEqual(
        b.passes.map((p) => Array.from(p.idsKeep)),
      );
      expect(a.passes.map((p) => Array.from(p.idsKeep))).not.toEqual(
        c.passes.map((p) => Array.from(p.idsKeep)),
      );
    }
  });

  it('random plan: each pass an HF shuffle of uniform noise, 49 kept of 196', () => {
    const plan = randomPlan(base);
    expect(plan.kept).toBe(49);
    expect(plan.patches).toBe(196);
    expect(plan.passes.length).toBe(10);
    const random = mulberry32(42);
    for (const pass of plan.passes) {
      expectValidPass(pass, 196, 49);
      const noise = Array.from({ length: 196 }, () => random());
      expect(Array.from(pass.idsKeep)).toEqual(Array.from(argsort(noise).subarray(0, 49)));
      expect(pass.masked.reduce((a, b) => a + b, 0)).toBe(147);
    }
    // Independent passes: masked counts vary between patches.
    const counts = maskedCounts(plan);
    expect(Math.max(...counts)).toBeGreaterThan(Math.min(...counts));
  });

  it('argsort is stable', () => {
    expect(Array.from(argsort([0.5, 0.1, 0.5, 0.1]))).toEqual([1, 3, 0, 2]);
  });

  it('complementary plan at 0.75: disjoint quarters, every patch masked 3 of 4 times', () => {
    const four = complementaryPlan({ ...base, passes: 4 });
    expect(complementaryCycle(196, 0.75)).toBe(4);
    four.passes.forEach((p) => expectValidPass(p, 196, 49));
    expect(maskedCounts(four).every((c) => c === 3)).toBe(true);
    const keptOnce = new Set(four.passes.flatMap((p) => Array.from(p.idsKeep)));
    expect(keptOnce.size).toBe(196);

    const eight = complementaryPlan({ ...base, passes: 8 });
    eight.passes.forEach((p) => expectValidPass(p, 196, 49));
    expect(maskedCounts(eight).every((c) => c === 6)).toBe(true);
    // The second group of four draws a new permutation.
    expect(Array.from(eight.passes[4].idsKeep)).not.toEqual(Array.from(eight.passes[0].idsKeep));
    const second = new Set(eight.passes.slice(4).flatMap((p) => Array.from(p.idsKeep)));
    expect(second.size).toBe(196);
  });

  it('complementary plan when N is not a multiple of K: balanced within one, exact per cycle', () => {
    // 0.9 keeps 19 of 196: a cycle is 196 passes.
    expect(complementaryCycle(196, 0.9)).toBe(196);
    const short = complementaryPlan({ ...base, maskRatio: 0.9, passes: 23 });
    short.passes.forEach((p) => expectValidPass(p, 196, 19));
    const counts = maskedCounts(short);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const cycle = complementaryPlan({ ...base, maskRatio: 0.9, passes: 196 });
    expect(maskedCounts(cycle).every((c) => c === 196 - 19)).toBe(true);
    // 0.6 keeps 78 (196 * 0.4 = 78.4): a cycle is 98 passes.
    expect(complementaryCycle(196, 0.6)).toBe(98);
    const odd = complementaryPlan({ ...base, maskRatio: 0.6, passes: 98 });
    odd.passes.forEach((p) => expectValidPass(p, 196, 78));
    expect(maskedCounts(odd).every((c) => c === 98 - 39)).toBe(true);
  });

  it('custom plan from painted patches', () => {
    const plan = customPlan([100, 3, 5], 196);
    expect(plan.kept).toBe(3);
    expect(plan.passes.length).toBe(1);
    expectValidPass(plan.passes[0], 196, 3);
    expect(Array.from(plan.passes[0].idsKeep)).toEqual([3, 5, 100]);
    expect(() => customPlan([3, 3], 196)).toThrow(/twice/);
    expect(() => customPlan([196], 196)).toThrow(/outside/);
    expect(() => customPlan([], 196)).toThrow(/at least one/);
  });

  it('rejects plans that keep nothing or make no sense', () => {
    expect(() => randomPlan({ ...base, maskRatio: 1 })).toThrow(/maskRatio/);
    expect(() => randomPlan({ ...base, patches: 3, maskRatio: 0.75 })).toThrow(/keeps no patch/);
    expect(() => complementaryPlan({ ...base, passes: 0 })).toThrow(/passes/);
  });

  it('batches passes into int64 ids_keep [B,K] and ids_restore [B,N]', () => {
    const plan = complementaryPlan({ ...base, passes: 3 });
    const batch = batchPasses(plan.passes);
    expect(batch.keepDims).toEqual([3, 49]);
    expect(batch.restoreDims).toEqual([3, 196]);
    expect(batch.idsKeep.length).toBe(3 * 49);
    expect(batch.idsRestore.length).toBe(3 * 196);
    expect(batch.idsKeep[49 + 5]).toBe(BigInt(plan.passes[1].idsKeep[5]));
    expect(batch.idsRestore[2 * 196 + 17]).toBe(BigInt(plan.passes[2].idsRestore[17]));
    const mixed = [plan.passes[0], customPlan([1], 196).passes[0]];
    expect(() => batchPasses(mixed)).toThrow(/same number/);
  });
});

describe('patches (HF patchify layout)', () => {
  it('orders patches row-major and values (row p, column q, channel c) inside a patch', () => {
    // 2 channels of 4x4, value c*100 + y*10 + x; 2x2 patches.
    const layout: PatchLayout = { size: 4, patch: 2, channels: 2 };
    const image = Float32Array.from({ length: 32 }, (_, i) => {
      const c = Math.floor(i / 16);
      return c * 100 + Math.floor((i % 16) / 4) * 10 + (i % 4);
    });
    const patches = patchify(image, layout);
    expect(Array.from(patches.subarray(0, 8))).toEqual([0, 100, 1, 101, 10, 110, 11, 111]);
    expect(Array.from(patches.subarray(8, 16))).toEqual([2, 102, 3, 103, 12, 112, 13, 113]);
    expect(Array.from(patches.subarray(16, 24))).toEqual([20, 120, 21, 121, 30, 130, 31, 131]);
    expect(Array.from(patches.subarray(24, 32))).toEqual([22, 122, 23, 123, 32, 132, 33, 133]);
    expect(unpatchify(patches, layout)).toEqual(image);
  });

  it('round-trips at the SKELEX size', () => {
    const layout: PatchLayout = { size: 224, patch: 16, channels: 3 };
    const random = mulberry32(1);
    const x = Float32Array.from({ length: 3 * 224 * 224 }, () => random());
    const same = (a: Float32Array, b: Float32Array) =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
        Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      );
    expect(same(patchify(unpatchify(x, layout), layout), x)).toBe(true);
    expect(same(unpatchify(patchify(x, layout), layout), x)).toBe(true);
    expect(same(patchify(x, layout), x)).toBe(false);
    expect(patchCount(layout)).toBe(196);
    expect(patchAt(layout, 17, 40)).toBe(2 * 14 + 1);
    expect(patchRect(layout, 29)).toEqual({ x: 16, y: 32, width: 16, height: 16 });
  });
});

describe('error maps', () => {
  // 8x8 image, 4x4 patches (N = 4), 3 channels, ImageNet statistics.
  const spec: MaeSpec = {
    size: 8,
    patch: 4,
    channels: 3,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    normPixLoss: false,
  };
  const random = mulberry32(9);
  const input = Float32Array.from({ length: 3 * 64 }, () => random() * 4 - 2);
  const target = patchify(input, spec);
  const L = 48;
  const patchOf = (pixel: number) => patchAt(spec, pixel % 8, Math.floor(pixel / 8));

  /** Logits off by `delta` on masked patches, and by garbage on kept ones (which must be ignored). */
  function offBy(delta: number, masked: Uint8Array): Float32Array {
    const logits = target.slice();
    for (let i = 0; i < logits.length; i++) logits[i] += masked[Math.floor(i / L)] ? delta : 50;
    return logits;
  }
  const sq = (d: number) => spec.std.reduce((s, sd) => s + (d * sd) ** 2, 0) / 3;
  const abs = (d: number) => spec.std.reduce((s, sd) => s + Math.abs(d * sd), 0) / 3;

  it('is zero for a perfect prediction, and counts masked pixels', () => {
    const acc = new ErrorMapAccumulator(spec);
    const masked = Uint8Array.from([1, 0, 1, 1]);
    acc.add(input, target, masked);
    const { map, counts, passes } = acc.result();
    expect(passes).toBe(1);
    expect(map.every((v) => v === 0)).toBe(true);
    for (let i = 0; i < 64; i++) expect(counts[i]).toBe(masked[patchOf(i)]);
  });

  it('gives (delta * std)^2 averaged over channels on masked patches, 0 elsewhere', () => {
    const acc = new ErrorMapAccumulator(spec);
    const masked = Uint8Array.from([0, 1, 1, 0]);
    acc.add(input, offBy(0.5, masked), masked);
    const { map } = acc.result();
    for (let i = 0; i < 64; i++) {
      if (masked[patchOf(i)]) expect(map[i]).toBeCloseTo(sq(0.5), 6);
      else expect(map[i]).toBe(0);
    }
  });

  it('averages over the passes that masked each pixel', () => {
    const acc = new ErrorMapAccumulator(spec);
    const a = Uint8Array.from([1, 1, 0, 0]);
    const b = Uint8Array.from([0, 1, 1, 0]);
    acc.add(input, offBy(0.5, a), a);
    acc.add(input, offBy(-1.5, b), b);
    const { map, counts } = acc.result();
    const expected = [sq(0.5), (sq(0.5) + sq(1.5)) / 2, sq(1.5), 0];
    const expectedCounts = [1, 2, 1, 0];
    for (let i = 0; i < 64; i++) {
      expect(map[i]).toBeCloseTo(expected[patchOf(i)], 6);
      expect(counts[i]).toBe(expectedCounts[patchOf(i)]);
    }
    acc.reset();
    expect(acc.result().counts.every((c) => c === 0)).toBe(true);
  });

  it('offers the absolute error', () => {
    const acc = new ErrorMapAccumulator({ ...spec, metric: 'l1' });
    const masked = Uint8Array.from([1, 0, 0, 1]);
    acc.add(input, offBy(-0.8, masked), masked);
    const { map } = acc.result();
    for (let i = 0; i < 64; i++) expect(map[i]).toBeCloseTo(masked[patchOf(i)] ? abs(0.8) : 0, 6);
  });

  it('de-normalises norm_pix_loss predictions with the input patch statistics', () => {
    const normSpec = { ...spec, normPixLoss: true };
    // Patch 0: +1 in its top two rows, -1 in its bottom two, in every channel.
    const x = input.slice();
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 4; y++)
        for (let xx = 0; xx < 4; xx++) x[c * 64 + y * 8 + xx] = y < 2 ? 1 : -1;
    }
    // By hand: mean 0, unbiased variance 48/47, so a prediction z means z * sqrt(48/47 + 1e-6).
    const sd = Math.sqrt(48 / 47 + 1e-6);
    const logits = new Float32Array(4 * L).fill(1);
    const masked = Uint8Array.from([1, 0, 0, 0]);
    const acc = new ErrorMapAccumulator(normSpec);
    acc.add(x, logits, masked);
    const { map } = acc.result();
    for (let i = 0; i < 64; i++) {
      const y = Math.floor(i / 8);
      if (patchOf(i) !== 0) expect(map[i]).toBe(0);
      else expect(map[i]).toBeCloseTo(sq(y < 2 ? sd - 1 : sd + 1), 6);
    }
    // The reconstruction shows the same de-normalised prediction.
    const rec = reconstruction(normSpec, x, logits, masked, { clamp: false });
    expect(rec[0]).toBeCloseTo(sd * 0.229 + 0.485, 6);
    expect(rec[64 + 8 * 3]).toBeCloseTo(sd * 0.224 + 0.456, 6);
    // A patch predicted as its own normalised values is a perfect reconstruction.
    const t = patchify(x, spec);
    const perfect = new Float32Array(t.length);
    for (let n = 0; n < 4; n++) {
      const v = t.subarray(n * L, (n + 1) * L);
      const m = v.reduce((a, b) => a + b, 0) / L;
      const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (L - 1) + 1e-6);
      for (let j = 0; j < L; j++) perfect[n * L + j] = (v[j] - m) / s;
    }
    const again = new ErrorMapAccumulator(normSpec);
    again.add(x, perfect, Uint8Array.from([1, 1, 1, 1]));
    for (const v of again.result().map) expect(v).toBeCloseTo(0, 9);
  });

  it('builds the SKELEX panel: masked input, reconstruction, reconstruction + visible', () => {
    const masked = Uint8Array.from([1, 0, 0, 1]);
    const logits = offBy(0.1, masked);
    const original = reconstruction(spec, input, target, masked, { clamp: false });
    for (let i = 0; i < input.length; i++) {
      const c = Math.floor(i / 64);
      expect(original[i]).toBeCloseTo(input[i] * spec.std[c] + spec.mean[c], 6);
    }
    const rec = reconstruction(spec, input, logits, masked);
    const pasted = reconstruction(spec, input, logits, masked, { pasteVisible: true });
    const blanked = maskedInput(spec, input, masked);
    const black = maskedInput(spec, input, masked, { fill: 0 });
    for (let i = 0; i < input.length; i++) {
      const c = Math.floor(i / 64);
      const truth = Math.min(1, Math.max(0, input[i] * spec.std[c] + spec.mean[c]));
      expect(rec[i]).toBeGreaterThanOrEqual(0);
      expect(rec[i]).toBeLessThanOrEqual(1);
      if (masked[patchOf(i % 64)]) {
        const predicted = Math.min(1, Math.max(0, (input[i] + 0.1) * spec.std[c] + spec.mean[c]));
        expect(pasted[i]).toBeCloseTo(predicted, 6);
        expect(blanked[i]).toBeCloseTo(spec.mean[c], 7);
        expect(black[i]).toBe(0);
      } else {
        expect(rec[i]).toBe(1); // kept patches carry garbage (+50): clamped
        expect(pasted[i]).toBeCloseTo(truth, 6);
        expect(blanked[i]).toBeCloseTo(truth, 6);
      }
    }
  });

  it('rejects inputs of the wrong size', () => {
    const acc = new ErrorMapAccumulator(spec);
    expect(() => acc.add(input.subarray(1), target, new Uint8Array(4))).toThrow(/pixel values/);
    expect(() => acc.add(input, target, new Uint8Array(5))).toThrow(/mask/);
    expect(() => new ErrorMapAccumulator({ ...spec, size: 10 })).toThrow(/multiple/);
  });

  it('covers every pixel equally with a complementary plan at the SKELEX size', () => {
    const skelex = maeSpec(
      {
        imageSize: 224,
        patchSize: 16,
        channels: 3,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        resample: 'bicubic',
      },
      false,
    );
    const x = new Float32Array(3 * 224 * 224);
    const logits = new Float32Array(196 * 768).fill(0.25);
    const acc = new ErrorMapAccumulator(skelex);
    for (const pass of complementaryPlan({ seed: 3, passes: 4, patches: 196, maskRatio: 0.75 })
      .passes) {
      acc.add(x, logits, pass.masked);
    }
    const { map, counts } = acc.result();
    expect(counts.every((c) => c === 3)).toBe(true);
    for (let i = 0; i < map.length; i += 101) expect(map[i]).toBeCloseTo(sq(0.25), 6);
  });
});

describe('scores', () => {
  // 200 measured pixels valued 1..200, and 50 unmeasured ones valued 1000.
  const map = Float32Array.from({ length: 250 }, (_, i) => (i < 200 ? i + 1 : 1000));
  const counts = Uint16Array.from({ length: 250 }, (_, i) => (i < 200 ? 2 : 0));

  it('mean error over measured pixels', () => {
    expect(meanError(map, counts)).toBe(100.5);
    expect(meanError(map)).toBe((200 * 100.5 + 50 * 1000) / 250);
    expect(meanError(map, new Uint16Array(250))).toBeNaN();
  });

  it('mean of the top 1% (k = ceil(M / 100), at least 1)', () => {
    expect(topPercentMean(map, counts, 1)).toBe((200 + 199) / 2);
    expect(topPercentMean(map, counts, 10)).toBe(190.5); // mean of 181..200
    expect(topPercentMean(map, counts, 0.1)).toBe(200);
    expect(topPercentMean(map, counts, 100)).toBe(100.5);
    expect(topPercentMean(map)).toBe(1000);
  });

  it('compares maps: Pearson correlation and relative L2 difference', () => {
    const a = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i));
    expect(
      pearson(
        a,
        a.map((v) => 2 * v + 3),
      ),
    ).toBeCloseTo(1, 6);
    expect(
      pearson(
        a,
        a.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 6);
    expect(relativeL2(a, a)).toBe(0);
    expect(
      relativeL2(
        a.map((v) => v * 1.1),
        a,
      ),
    ).toBeCloseTo(0.1, 6);
    const c = convergence(
      a.map((v) => v * 1.1),
      a,
    );
    expect(c.pearson).toBeCloseTo(1, 6);
    expect(c.relativeL2).toBeCloseTo(0.1, 6);
    // Only pixels measured in the shorter run count.
    const mask = Uint16Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : 0));
    const b = a.map((v, i) => (i < 50 ? v : 99));
    expect(relativeL2(b, a, mask)).toBe(0);
  });
});
