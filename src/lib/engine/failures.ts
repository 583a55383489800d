/**
 * Failures after which the worker's ONNX Runtime cannot be trusted again: a
 * WASM trap or abort, memory exhausted, a lost GPU device. The worker is then
 * replaced, and the user is offered a smaller variant or WASM.
 */
import type { VariantName } from '../model/manifest';

const FATAL =
  /\babort(ed)?\b|out of memory|memory access out of bounds|array buffer allocation failed|could not allocate|unreachable|device (was |is )?lost|\bOOM\b/i;

export function isFatalEngineError(error: unknown): boolean {
  if (error === null || error === undefined) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (name === 'RuntimeError') return true; // WebAssembly.RuntimeError: a trap
  const text = typeof message === 'string' ? message : String(error);
  return FATAL.test(text);
}

/** Variants from largest to smallest (bytes a weight: 4, 2, 1, 0.5). */
const BY_SIZE: VariantName[] = ['fp32', 'fp16', 'int8', 'q4'];

/** The next smaller variant than `current` among `available`, if any. */
export function smallerVariant(
  available: readonly VariantName[],
  current: VariantName,
): VariantName | undefined {
  return BY_SIZE.slice(BY_SIZE.indexOf(current) + 1).find((v) => available.includes(v));
}
