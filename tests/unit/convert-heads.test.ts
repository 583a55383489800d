/** Head grouping when a classifier is converted without a heads file. */
import { describe, expect, it } from 'vitest';
import { defaultHeads } from '../../src/lib/convert/heads';

describe('defaultHeads', () => {
  it("recognises SKELEX's 38-output region-guided layout", () => {
    const labels = Array.from({ length: 38 }, (_, i) => `c${i}`);
    const heads = defaultHeads(labels);
    expect(heads.map((h) => [h.name, h.activation, h.outputs[0], h.outputs.length])).toEqual([
      ['abnormal', 'sigmoid', 0, 1],
      ['tumour', 'softmax', 1, 4],
      ['site', 'softmax', 5, 29],
      ['fracture', 'softmax', 34, 3],
      ['implant', 'sigmoid', 37, 1],
    ]);
    expect(heads[2].labels[0]).toBe('c5');
    expect(heads.flatMap((h) => h.outputs)).toEqual(labels.map((_, i) => i));
  });

  it('makes one output a sigmoid and any other count one softmax group', () => {
    expect(defaultHeads(['fracture'])).toEqual([
      { name: 'fracture', activation: 'sigmoid', outputs: [0], labels: ['fracture'] },
    ]);
    expect(defaultHeads(['a', 'b', 'c'])).toEqual([
      { name: 'class', activation: 'softmax', outputs: [0, 1, 2], labels: ['a', 'b', 'c'] },
    ]);
  });
});
