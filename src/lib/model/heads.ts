/**
 * A classifier's logits read through the bundle's heads: each head turns its
 * outputs into probabilities (sigmoid: each on its own; softmax: one-of),
 * reported as `head/label` the way summary.csv names its columns.
 */
import type { HeadSpec } from './manifest';

export interface HeadScore {
  /** `head/label`, e.g. `fracture/fracture` or `region/hip`. */
  column: string;
  head: string;
  activation: HeadSpec['activation'];
  label: string;
  probability: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Probabilities of one image's logits (length N), head by head, in bundle order. */
export function headScores(logits: ArrayLike<number>, heads: readonly HeadSpec[]): HeadScore[] {
  const out: HeadScore[] = [];
  for (const head of heads) {
    for (const o of head.outputs) {
      if (o >= logits.length) {
        throw new Error(
          `head "${head.name}" reads output ${o}, but the classifier gives ${logits.length}`,
        );
      }
    }
    const values = head.outputs.map((o) => logits[o]);
    let probabilities: number[];
    if (head.activation === 'sigmoid') {
      probabilities = values.map(sigmoid);
    } else {
      const top = Math.max(...values);
      const exps = values.map((v) => Math.exp(v - top));
      const sum = exps.reduce((a, b) => a + b, 0);
      probabilities = exps.map((e) => e / sum);
    }
    head.labels.forEach((label, i) =>
      out.push({
        column: `${head.name}/${label}`,
        head: head.name,
        activation: head.activation,
        label,
        probability: probabilities[i],
      }),
    );
  }
  return out;
}
