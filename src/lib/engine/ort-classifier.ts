/**
 * The bundle's classifier graph (`pixel_values` -> `logits` [B, N]) over one
 * ONNX Runtime session, web or node, as OrtMaeRunner does for the MAE.
 */
import type * as Ort from 'onnxruntime-web';
import {
  createSession,
  float32Output,
  type GraphBytes,
  type InputLayout,
  type OrtModule,
  type SessionOptions,
} from './ort-runner';

export const CLASSIFIER_IO = {
  inputs: ['pixel_values'],
  outputs: ['logits'],
  kind: 'skelex classifier graph',
};

export class OrtClassifierRunner {
  private released = false;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly name: string,
    private readonly input: InputLayout,
  ) {}

  static async create(
    ort: OrtModule,
    graph: GraphBytes,
    input: InputLayout,
    options: SessionOptions = {},
  ): Promise<OrtClassifierRunner> {
    const session = await createSession(ort, graph, options, CLASSIFIER_IO);
    return new OrtClassifierRunner(ort, session, graph.name, input);
  }

  /** Logits [B, N] for `batch` images [B, C, S, S], row-major. */
  async classify(pixelValues: Float32Array, batch: number): Promise<Float32Array> {
    if (this.released) throw new Error('the classifier was unloaded');
    const { channels, size } = this.input;
    if (pixelValues.length !== batch * channels * size * size) {
      throw new Error(
        `${this.name}: ${pixelValues.length} pixel values for [${batch},${channels},${size},${size}]`,
      );
    }
    const result = await this.session.run({
      pixel_values: new this.ort.Tensor('float32', pixelValues, [batch, channels, size, size]),
    });
    const { data, dims } = float32Output(result, 'logits', this.name);
    if (dims.length !== 2 || dims[0] !== batch) {
      throw new Error(`${this.name}: logits have shape [${dims.join(',')}], expected [${batch},N]`);
    }
    return data;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}
