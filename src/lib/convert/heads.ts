/** How a classifier's outputs group into heads, when the conversion is not told. */
import type { HeadSpec } from '../model/manifest';

/**
 * SKELEX's region-guided classifier (DESIGN.md, "Heads"): 38 outputs in five
 * groups by position, whatever its class names are.
 */
const SKELEX_GROUPS: {
  name: string;
  activation: HeadSpec['activation'];
  from: number;
  to: number;
}[] = [
  { name: 'abnormal', activation: 'sigmoid', from: 0, to: 0 },
  { name: 'tumour', activation: 'softmax', from: 1, to: 4 },
  { name: 'site', activation: 'softmax', from: 5, to: 33 },
  { name: 'fracture', activation: 'softmax', from: 34, to: 36 },
  { name: 'implant', activation: 'sigmoid', from: 37, to: 37 },
];
export const SKELEX_OUTPUTS = 38;

/**
 * One output is a yes/no score (sigmoid); 38 are SKELEX's layout; any other
 * number is one-of (softmax).
 */
export function defaultHeads(labels: string[]): HeadSpec[] {
  const outputs = labels.map((_, i) => i);
  if (labels.length === 1) return [{ name: labels[0], activation: 'sigmoid', outputs, labels }];
  if (labels.length === SKELEX_OUTPUTS) {
    return SKELEX_GROUPS.map(({ name, activation, from, to }) => ({
      name,
      activation,
      outputs: outputs.slice(from, to + 1),
      labels: labels.slice(from, to + 1),
    }));
  }
  return [{ name: 'class', activation: 'softmax', outputs, labels }];
}
