/**
 * The JPEG decoders' bad-input checks, shared by the DCT and lossless tests:
 * the message a decoder throws, where a stream's segments start, and seeded
 * random corruption (each run cuts the stream after its scan starts, one run
 * in four, and overwrites a few bytes, in the headers too every other run),
 * after which the decoder must give an image of the clean stream's size or
 * throw its own error, never an engine error leaking out.
 */
import { expect } from 'vitest';

/** The message of the Error `fn` throws (an Error, not anything else); fails when it does not throw. */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

/** Offset of the first marker segment `marker` before the first scan's data. */
export function segmentAt(bytes: Uint8Array, marker: number): number {
  for (let p = 2; p + 4 <= bytes.length;) {
    if (bytes[p + 1] === marker) return p;
    if (bytes[p + 1] === 0xda) break;
    p += 2 + ((bytes[p + 2] << 8) | bytes[p + 3]);
  }
  throw new Error(`no FF${marker.toString(16)} segment`);
}

interface Decoded {
  width: number;
  height: number;
  components: number;
  data: ArrayLike<number>;
}

/**
 * `runs` corruptions of `streamFor(i)` (a clean stream and its decoded size as
 * "WxHxC"), checked as the top of this file says. Asserts; prints how many threw.
 */
export function expectCorruptionHandled(
  runs: number,
  streamFor: (i: number) => { clean: Uint8Array; size: string },
  decode: (bytes: Uint8Array) => Decoded,
): void {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const outcomes: { i: number; cut: boolean; threw: boolean }[] = [];
  const wrong: string[] = [];
  for (let i = 0; i < runs; i++) {
    const { clean, size } = streamFor(i);
    const sos = segmentAt(clean, 0xda);
    const cut = i % 4 === 0;
    const b = clean.slice(0, cut ? sos + rand(clean.length - sos) : clean.length);
    // Half the runs hit the headers too, the rest only entropy-coded data.
    const from = i % 2 === 0 ? 2 : sos;
    for (let k = 0; k < 1 + rand(4); k++) b[from + rand(b.length - from)] = rand(256);
    try {
      const img = decode(b);
      const got = `${img.width}x${img.height}x${img.components}`;
      if (got !== size || img.data.length !== img.width * img.height * img.components)
        wrong.push(`${i}: decoded as ${got} with ${img.data.length} samples`);
      outcomes.push({ i, cut, threw: false });
    } catch (err) {
      // The decoder's own message, not an engine error (RangeError, TypeError) leaking out.
      if (!(err instanceof Error && /^(JPEG |Not a JPEG)/.test(err.message)))
        wrong.push(`${i}: threw ${String(err)}`);
      outcomes.push({ i, cut, threw: true });
    }
  }
  console.log(`random corruption: ${outcomes.filter((o) => o.threw).length} of ${runs} threw`);
  expect(wrong).toEqual([]);
  // A cut stream is never whole: every one must be refused.
  expect(outcomes.filter((o) => o.cut && !o.threw).map((o) => o.i)).toEqual([]);
  // Among the whole ones both ends are reached: corruption caught, and corruption that still decodes.
  const whole = outcomes.filter((o) => !o.cut);
  expect(whole.filter((o) => o.threw).length).toBeGreaterThan(0);
  expect(whole.filter((o) => !o.threw).length).toBeGreaterThan(0);
}
