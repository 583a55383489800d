/**
 * Starts ONNX Runtime's WASM before a model's files are read. Measured on a ViT-L int8
 * bundle from the IndexedDB cache: with the runtime started first, the encoder's session
 * is built in 1.5 s; started by that session itself, after its 308 MB were read, the
 * two take 4 s (tools/bench-browser.ts prints the whole load).
 *
 * The runtime starts with the first session, so the warm-up opens one on the smallest
 * model there is, y = Identity(x), written here as protobuf bytes (a few dozen) rather
 * than pulling the converter's ONNX writer into the inference worker.
 */
import type { OrtModule } from './ort-runner';

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 127) {
    out.push((value & 127) | 128);
    value >>>= 7;
  }
  out.push(value);
  return out;
}

// Protobuf fields: an integer (wire type 0), or a length-delimited message or string (2).
const int = (field: number, value: number) => [...varint(field << 3), ...varint(value)];
const message = (field: number, payload: number[]) => [
  ...varint((field << 3) | 2),
  ...varint(payload.length),
  ...payload,
];
const text = (field: number, s: string) => message(field, [...new TextEncoder().encode(s)]);

/** ValueInfoProto `name`: float tensor of shape [1]. */
const floatOfOne = (name: string) => [
  ...text(1, name),
  // type.tensor_type { elem_type: FLOAT, shape { dim { dim_value: 1 } } }
  ...message(2, message(1, [...int(1, 1), ...message(2, message(1, int(1, 1)))])),
];

/** ModelProto (IR 8, opset 17) of the graph y = Identity(x), x and y float [1]. */
export const IDENTITY_MODEL = Uint8Array.from([
  ...int(1, 8),
  ...message(7, [
    ...message(1, [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')]),
    ...text(2, 'warm-up'),
    ...message(11, floatOfOne('x')),
    ...message(12, floatOfOne('y')),
  ]),
  ...message(8, int(2, 17)),
]);

/** Opens and closes a session on IDENTITY_MODEL; a failure is left to the real session to report. */
export async function startOrtRuntime(ort: OrtModule): Promise<void> {
  try {
    const session = await ort.InferenceSession.create(IDENTITY_MODEL, {
      executionProviders: ['wasm'],
    });
    await session.release();
  } catch {
    // The model's own session will fail the same way, with its name in the message.
  }
}
