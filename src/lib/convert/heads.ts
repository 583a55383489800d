/** How a classifier's outputs group into heads, when the checkpoint does not say. */
import type { HeadSpec } from '../model/manifest';

/** One output is a yes/no score (sigmoid); several are one-of (softmax). */
export function defaultHeads(labels: string[]): HeadSpec[] {
  const outputs = labels.map((_, i) => i);
  if (labels.length === 1) return [{ name: labels[0], activation: 'sigmoid', outputs, labels }];
  return [{ name: 'class', activation: 'softmax', outputs, labels }];
}
