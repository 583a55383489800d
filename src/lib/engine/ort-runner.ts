/**
 * A `MaeRunner` over two ONNX Runtime sessions (encoder and decoder). The ORT module is
 * passed in, so the same code runs onnxruntime-web in the worker and in Node tests, and
 * onnxruntime-node in the command-line tool.
 */
import type * as Ort from 'onnxruntime-web';
import type { MaeRunner } from '../mae/analyze';

/** What the runner needs of an ORT module (`onnxruntime-web` or `onnxruntime-node`). */
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;
export type SessionOptions = Ort.InferenceSession.SessionOptions;

/** One ONNX graph's bytes, with its external-data file when its weights live outside it. */
export interface GraphBytes {
  /** Where it came from, for messages (e.g. `encoder.fp32.onnx`). */
  name: string;
  model: Uint8Array;
  /** `path` as the graph names the file (its base name in a bundle). */
  externalData?: { path: string; data: Uint8Array }[];
  /**
   * The graph's path on disk, for onnxruntime-node: given a path it finds the
   * external data files beside the graph (given bytes, it looks in the working directory).
   */
  file?: string;
}

/** The encoder's image input: [B, channels, size, size]. */
export interface InputLayout {
  channels: number;
  size: number;
}

export const ENCODER_IO = { inputs: ['pixel_values', 'ids_keep'], outputs: ['latent'] };
export const DECODER_IO = { inputs: ['latent', 'ids_restore'], outputs: ['logits'] };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The inputs and outputs a graph must have, and what it is called in messages. */
export interface GraphIO {
  inputs: string[];
  outputs: string[];
  kind?: string;
}

function checkNames(session: Ort.InferenceSession, graph: GraphBytes, io: GraphIO): void {
  const kind = io.kind ?? 'skelex MAE graph';
  for (const name of io.inputs) {
    if (!session.inputNames.includes(name)) {
      throw new Error(
        `${graph.name}: no input "${name}" (it has ${session.inputNames.join(', ')}); not a ${kind}`,
      );
    }
  }
  for (const name of io.outputs) {
    if (!session.outputNames.includes(name)) {
      throw new Error(
        `${graph.name}: no output "${name}" (it has ${session.outputNames.join(', ')}); not a ${kind}`,
      );
    }
  }
}

/** A session for `graph`, checked to have the names `io` lists. */
export async function createSession(
  ort: OrtModule,
  graph: GraphBytes,
  options: SessionOptions,
  io: GraphIO,
): Promise<Ort.InferenceSession> {
  let session: Ort.InferenceSession;
  try {
    const source = graph.file ?? graph.model;
    session = await ort.InferenceSession.create(source as Uint8Array, {
      ...options,
      ...(graph.externalData ? { externalData: graph.externalData } : {}),
    });
  } catch (error) {
    throw new Error(`${graph.name} could not be loaded: ${message(error)}`, { cause: error });
  }
  try {
    checkNames(session, graph, io);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
  return session;
}

export function float32Output(
  result: Ort.InferenceSession.ReturnType,
  name: string,
  graph: string,
) {
  const tensor = result[name];
  if (!tensor || !(tensor.data instanceof Float32Array)) {
    throw new Error(
      `${graph}: output "${name}" is ${tensor ? tensor.type : 'missing'}, not float32`,
    );
  }
  return { data: tensor.data, dims: [...tensor.dims] };
}

export class OrtMaeRunner implements MaeRunner {
  private released = false;

  private constructor(
    private readonly ort: OrtModule,
    private readonly encoder: Ort.InferenceSession,
    private readonly decoder: Ort.InferenceSession,
    private readonly names: { encoder: string; decoder: string },
    private readonly input: InputLayout,
  ) {}

  /** Builds both sessions (releasing the first when the second fails). */
  static async create(
    ort: OrtModule,
    graphs: { encoder: GraphBytes; decoder: GraphBytes },
    input: InputLayout,
    options: SessionOptions = {},
  ): Promise<OrtMaeRunner> {
    const encoder = await createSession(ort, graphs.encoder, options, ENCODER_IO);
    let decoder: Ort.InferenceSession;
    try {
      decoder = await createSession(ort, graphs.decoder, options, DECODER_IO);
    } catch (error) {
      await encoder.release().catch(() => undefined);
      throw error;
    }
    const names = { encoder: graphs.encoder.name, decoder: graphs.decoder.name };
    return new OrtMaeRunner(ort, encoder, decoder, names, input);
  }

  private check(): void {
    if (this.released) throw new Error('the model was unloaded');
  }

  async encode(
    pixelValues: Float32Array,
    batch: number,
    idsKeep: BigInt64Array,
    kept: number,
  ): Promise<{ latent: Float32Array; dims: number[] }> {
    this.check();
    const { channels, size } = this.input;
    if (pixelValues.length !== batch * channels * size * size) {
      throw new Error(
        `${this.names.encoder}: ${pixelValues.length} pixel values for [${batch},${channels},${size},${size}]`,
      );
    }
    const feeds = {
      pixel_values: new this.ort.Tensor('float32', pixelValues, [batch, channels, size, size]),
      ids_keep: new this.ort.Tensor('int64', idsKeep, [batch, kept]),
    };
    const result = await this.encoder.run(feeds);
    const latent = float32Output(result, 'latent', this.names.encoder);
    return { latent: latent.data, dims: latent.dims };
  }

  async decode(
    latent: Float32Array,
    dims: number[],
    idsRestore: BigInt64Array,
    batch: number,
  ): Promise<Float32Array> {
    this.check();
    const feeds = {
      latent: new this.ort.Tensor('float32', latent, dims),
      ids_restore: new this.ort.Tensor('int64', idsRestore, [batch, idsRestore.length / batch]),
    };
    const result = await this.decoder.run(feeds);
    return float32Output(result, 'logits', this.names.decoder).data;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.allSettled([this.encoder.release(), this.decoder.release()]);
  }
}
