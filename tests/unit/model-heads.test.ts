/** Classifier logits read through a bundle's heads. */
import { describe, expect, it } from 'vitest';
import { headScores } from '../../src/lib/model/heads';
import type { HeadSpec } from '../../src/lib/model/manifest';

const HEADS: HeadSpec[] = [
  { name: 'fracture', activation: 'sigmoid', outputs: [0], labels: ['fracture'] },
  { name: 'region', activation: 'softmax', outputs: [2, 3, 4], labels: ['hand', 'leg', 'hip'] },
];

describe('headScores', () => {
  it('applies a sigmoid to each sigmoid output and a softmax across a softmax group', () => {
    const scores = headScores([0, 99, Math.log(1), Math.log(2), Math.log(5)], HEADS);
    expect(scores.map((s) => s.column)).toEqual([
      'fracture/fracture',
      'region/hand',
      'region/leg',
      'region/hip',
    ]);
    expect(scores[0].probability).toBeCloseTo(0.5, 9);
    expect(scores.slice(1).map((s) => s.probability)).toEqual([
      expect.closeTo(0.125, 9),
      expect.closeTo(0.25, 9),
      expect.closeTo(0.625, 9),
    ]);
  });

  it('stays finite for large logits', () => {
    const scores = headScores([1000, 0, 1000, 999, -1000], HEADS);
    expect(scores.every((s) => Number.isFinite(s.probability))).toBe(true);
    expect(scores[0].probability).toBe(1);
  });

  it('names the head that reads past the logits', () => {
    expect(() => headScores([0, 1, 2], HEADS)).toThrow('head "region" reads output 3');
  });
});
