import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../errors.ts';
import { causalAttention, packedLayout } from './causal-attention.ts';
import { gatherRows, gelu, layerNorm, linear, matMul, softmaxCrossEntropy } from './fast-ops.ts';
import type { LocalModelConfig } from './model-config.ts';
import type { SeededRandom } from './seeded-random.ts';
import { initialWeights, type WeightSpec, weightSpecs } from './weight-specs.ts';

/**
 * Rows of tokens for one forward pass, flattened row-major: `inputs[r·length + t]`. `targets` and
 * `weights` (per target: the loss mask, already scaled) are only needed for the loss.
 */
export type TokenBatch = {
  rows: number;
  length: number;
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  /**
   * For rows packed with several sequences: per input token, the number of its sequence within
   * the row. A token attends only to earlier tokens of its own sequence and positions restart at
   * each sequence, so a packed example is seen exactly as it would be alone (as at serving time).
   * Omitted: one sequence per row.
   */
  segments?: Int32Array;
};

const layerNormEpsilon = 1e-5;

/**
 * A GPT-style decoder: token + learned position embeddings, pre-LayerNorm blocks of causal
 * multi-head self-attention and a GELU MLP, a final LayerNorm and an output head (tied to the
 * token embedding by default). Plain tfjs ops on variables this class owns, not tf.layers: the
 * weights are a flat named list that checkpoints write as-is, and the hot matmuls and lookups can
 * use the hand-written gradients in fast-ops.ts.
 */
export class TransformerModel {
  readonly config: LocalModelConfig;
  private readonly weights: Map<string, tf.Variable>;
  private readonly causalMask: tf.Tensor2D;

  private constructor(config: LocalModelConfig, values: Map<string, Float32Array>) {
    this.config = config;
    this.weights = new Map();
    for (const spec of weightSpecs(config)) {
      const data = values.get(spec.name);
      if (!data) throw new ValidationError(`missing weight ${spec.name}`);
      // tidy: the variable shares the tensor's data; the temporary tensor itself must not linger.
      this.weights.set(
        spec.name,
        tf.tidy(() => tf.variable(tf.tensor(data, spec.shape, 'float32'), true)),
      );
    }
    const length = config.contextLength;
    // 0 on and below the diagonal, a large negative number above: added to scores before softmax.
    const mask = new Float32Array(length * length);
    for (let row = 0; row < length; row++) mask.fill(-1e9, row * length + row + 1, (row + 1) * length);
    this.causalMask = tf.tensor2d(mask, [length, length]);
  }

  /** A freshly initialised model; the same config (seed included) always gives the same weights. */
  static create(config: LocalModelConfig): TransformerModel {
    return new TransformerModel(config, initialWeights(config));
  }

  /** A model from stored weights (a checkpoint); every weight of the config must be present. */
  static fromWeights(config: LocalModelConfig, values: Map<string, Float32Array>): TransformerModel {
    for (const spec of weightSpecs(config)) {
      const data = values.get(spec.name);
      const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
      // Checked before any variable exists, so a bad checkpoint leaks no tensors.
      if (!data) throw new ValidationError(`missing weight ${spec.name}`);
      if (data.length !== size) {
        throw new ValidationError(`weight ${spec.name} has ${data.length} values, expected ${size}`);
      }
    }
    return new TransformerModel(config, values);
  }

  /** Trainable variables in checkpoint order. */
  get variables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  /** A copy of every weight, in checkpoint order. */
  exportWeights(): Array<WeightSpec & { values: Float32Array }> {
    return weightSpecs(this.config).map((spec) => ({
      ...spec,
      values: new Float32Array(this.weight(spec.name).dataSync()),
    }));
  }

  /** Weighted cross-entropy of a batch (see TokenBatch); call inside tf.variableGrads to train. */
  loss(batch: TokenBatch, options: { random?: SeededRandom } = {}): tf.Scalar {
    return tf.tidy(() => {
      const hidden = this.hidden(batch.inputs, batch.rows, batch.length, batch.segments, options.random);
      const logits = this.head(hidden);
      const targets = tf.tensor1d(batch.targets, 'int32');
      const weights = tf.tensor1d(batch.weights, 'float32');
      return softmaxCrossEntropy(logits, targets, weights);
    });
  }

  /** Logits [rows·length, vocab] for every position of a batch (inference mode). */
  logits(inputs: Int32Array, rows: number, length: number): tf.Tensor2D {
    return tf.tidy(() => this.head(this.hidden(inputs, rows, length)));
  }

  /**
   * log p(targets[t] | inputs[0..t]) at every position of one row (inference mode), as a plain
   * array: what scoring an answer needs, without copying out the [length, vocab] logits.
   */
  targetLogProbabilities(inputs: Int32Array, targets: Int32Array): Float32Array {
    const length = inputs.length;
    if (length === 0 || length > this.config.contextLength || targets.length !== length) {
      throw new ValidationError(
        `need 1 to ${this.config.contextLength} inputs and as many targets, got ${length} and ${targets.length}`,
      );
    }
    const values = tf.tidy(() => {
      const logProbabilities = tf.logSoftmax(this.head(this.hidden(inputs, 1, length)));
      const positions = tf.tensor2d(
        Array.from(targets, (target, position) => [position, target]),
        [length, 2],
        'int32',
      );
      return tf.gatherND(logProbabilities, positions);
    });
    try {
      return values.dataSync() as Float32Array;
    } finally {
      values.dispose();
    }
  }

  /** Logits of the token after `tokens` (at most contextLength of them), as a plain array. */
  nextTokenLogits(tokens: readonly number[]): Float32Array {
    const length = tokens.length;
    if (length === 0 || length > this.config.contextLength) {
      throw new ValidationError(`need 1 to ${this.config.contextLength} tokens, got ${length}`);
    }
    const logits = tf.tidy(() => {
      const hidden = this.hidden(Int32Array.from(tokens), 1, length);
      // Only the last position feeds the head: the [length, vocab] product would be wasted work.
      return this.head(tf.slice(hidden, [length - 1, 0], [1, this.config.dModel]));
    });
    try {
      return logits.dataSync() as Float32Array;
    } finally {
      logits.dispose();
    }
  }

  dispose(): void {
    for (const variable of this.weights.values()) variable.dispose();
    this.causalMask.dispose();
  }

  /** Final-LayerNorm hidden states [rows·length, dModel]. */
  private hidden(
    inputs: Int32Array,
    rows: number,
    length: number,
    segments?: Int32Array,
    random?: SeededRandom,
  ): tf.Tensor2D {
    const { contextLength, vocabSize, layers, dropout } = this.config;
    if (length > contextLength) throw new ValidationError(`sequence of ${length} exceeds ${contextLength}`);
    if (inputs.length !== rows * length) throw new ValidationError('inputs do not match rows × length');
    for (const id of inputs) {
      if (id < 0 || id >= vocabSize) throw new ValidationError(`token id ${id} is outside the vocabulary`);
    }
    const drop = (tensor: tf.Tensor2D): tf.Tensor2D =>
      random && dropout > 0
        ? (tf.dropout(tensor, dropout, undefined, random.integer(2 ** 31)) as tf.Tensor2D)
        : tensor;

    if (segments && segments.length !== inputs.length)
      throw new ValidationError('segments do not match inputs');
    const packed = segments ? packedLayout(segments, rows, length, this.config.heads) : undefined;
    const mask = packed
      ? tf.tensor3d(packed.mask, [rows * this.config.heads, length, length])
      : (tf.slice(this.causalMask, [0, 0], [length, length]) as tf.Tensor2D);
    const positionIds =
      packed?.positions ?? Int32Array.from({ length: rows * length }, (_, index) => index % length);
    const tokens = gatherRows(this.weight('token_embedding') as tf.Tensor2D, tf.tensor1d(inputs, 'int32'));
    const positions = gatherRows(
      this.weight('position_embedding') as tf.Tensor2D,
      tf.tensor1d(positionIds, 'int32'),
    );
    let x = drop(tf.add(tokens, positions));
    for (let layer = 0; layer < layers; layer++) {
      const prefix = `layers.${layer}`;
      const attention = this.attention(this.layerNorm(x, `${prefix}.ln1`), prefix, rows, length, mask);
      x = tf.add(x, drop(attention));
      const mlp = this.mlp(this.layerNorm(x, `${prefix}.ln2`), prefix);
      x = tf.add(x, drop(mlp));
    }
    return this.layerNorm(x, 'final_ln');
  }

  private attention(
    x: tf.Tensor2D,
    prefix: string,
    rows: number,
    length: number,
    mask: tf.Tensor2D | tf.Tensor3D,
  ): tf.Tensor2D {
    const { dModel, heads } = this.config;
    const headSize = dModel / heads;
    const qkv = this.linear(x, `${prefix}.attention.qkv`);
    const [query, key, value] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const toHeads = (tensor: tf.Tensor2D) =>
      tf.reshape(tf.transpose(tf.reshape(tensor, [rows, length, heads, headSize]), [0, 2, 1, 3]), [
        rows * heads,
        length,
        headSize,
      ]) as tf.Tensor3D;
    // Scaling the queries is cheaper than scaling the [length × length] scores.
    const queries = toHeads(tf.mul(query, 1 / Math.sqrt(headSize)));
    const mixed = causalAttention(queries, toHeads(key), toHeads(value), mask);
    const merged = tf.reshape(
      tf.transpose(tf.reshape(mixed, [rows, heads, length, headSize]), [0, 2, 1, 3]),
      [rows * length, dModel],
    ) as tf.Tensor2D;
    return this.linear(merged, `${prefix}.attention.output`);
  }

  private mlp(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return this.linear(gelu(this.linear(x, `${prefix}.mlp.up`)), `${prefix}.mlp.down`);
  }

  private linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return linear(
      x,
      this.weight(`${name}.weight`) as tf.Tensor2D,
      this.weight(`${name}.bias`) as tf.Tensor1D,
    );
  }

  private layerNorm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    const gamma = this.weight(`${name}.gamma`) as tf.Tensor1D;
    return layerNorm(x, gamma, this.weight(`${name}.beta`) as tf.Tensor1D, layerNormEpsilon);
  }

  private head(hidden: tf.Tensor2D): tf.Tensor2D {
    const matrix = this.config.tieEmbeddings
      ? (tf.transpose(this.weight('token_embedding')) as tf.Tensor2D)
      : (this.weight('head.weight') as tf.Tensor2D);
    return matMul(hidden, matrix);
  }

  private weight(name: string): tf.Variable {
    const variable = this.weights.get(name);
    if (!variable) throw new ValidationError(`the model has no weight ${name}`);
    return variable;
  }
}
