/** The demo model card's measures: AUROC, polygon masks, box overlap. */
import { describe, expect, it } from 'vitest';
import { auroc, overlaps, polygonMask } from '../../models/demo-training/metrics';
import { seededRandom } from '../helpers/reference-vit';

/** AUROC by counting every positive-negative pair. */
function pairwise(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!labels[i]) return;
    scores.forEach((n, j) => {
      if (labels[j]) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('auroc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 for all ties', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(Number.isNaN(auroc([1, 2], [1, 1]))).toBe(true);
  });

  it('equals the pairwise count on random scores with ties', () => {
    const rand = seededRandom(3);
    const scores = Array.from({ length: 300 }, () => Math.round(rand() * 20));
    const labels = scores.map((s) => rand() < 0.2 + s / 40);
    expect(auroc(scores, labels)).toBeCloseTo(pairwise(scores, labels), 12);
  });
});

describe('polygonMask', () => {
  it('fills the pixel centres inside a polygon', () => {
    // A 4 x 3 rectangle from (2, 1): pixel centres 2.5..5.5 across, 1.5..3.5 down.
    const mask = polygonMask([[2, 1, 6, 1, 6, 4, 2, 4]], 10, 8);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(12);
    expect(mask[1 * 10 + 2]).toBe(1);
    expect(mask[1 * 10 + 6]).toBe(0);
    // A triangle covers about half its box; two overlapping polygons do not cancel.
    const both = polygonMask(
      [
        [0, 0, 8, 0, 0, 8],
        [0, 0, 4, 0, 0, 4],
      ],
      8,
      8,
    );
    expect(both.reduce((a, b) => a + b, 0)).toBe(36);
  });
});

describe('overlaps', () => {
  it('needs shared area, not a shared edge', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    expect(overlaps(a, { x: 9, y: 9, width: 5, height: 5 })).toBe(true);
    expect(overlaps(a, { x: 10, y: 0, width: 5, height: 5 })).toBe(false);
  });
});
