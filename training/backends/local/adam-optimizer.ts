import * as tf from '@tensorflow/tfjs';

export type AdamOptions = {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW), applied to matrices and embeddings only, not to biases or norms. */
  weightDecay?: number;
};

/** What an optimizer carries between steps: its step count and both moments of every variable. */
export type AdamState = { steps: number; first: Float32Array[]; second: Float32Array[] };

/**
 * AdamW with global-norm gradient clipping, on the model's own variables. Written out rather than
 * tf.train.adam because the learning rate changes every step (warmup, decay) and clipping needs
 * all gradients at once; it is a dozen element-wise ops per weight, all on device, with no read
 * back to JavaScript.
 */
export class AdamOptimizer {
  private readonly variables: tf.Variable[];
  private readonly moments: Array<{ first: tf.Variable; second: tf.Variable; decay: boolean }>;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private steps = 0;

  constructor(variables: tf.Variable[], options: AdamOptions = {}) {
    this.variables = variables;
    this.beta1 = options.beta1 ?? 0.9;
    // 0.95 rather than 0.999: steadier on small, noisy batches (as GPT-style training uses).
    this.beta2 = options.beta2 ?? 0.95;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.moments = tf.tidy(() =>
      variables.map((variable) => ({
        first: tf.variable(tf.zerosLike(variable), false),
        second: tf.variable(tf.zerosLike(variable), false),
        decay: variable.rank >= 2,
      })),
    );
  }

  /** One update with `gradients` (same order as the variables); returns nothing to avoid a sync. */
  step(gradients: tf.Tensor[], learningRate: number, clipNorm: number): void {
    if (gradients.length !== this.variables.length) {
      throw new Error(`expected ${this.variables.length} gradients, got ${gradients.length}`);
    }
    this.steps++;
    const firstCorrection = 1 - this.beta1 ** this.steps;
    const secondCorrection = 1 - this.beta2 ** this.steps;
    tf.tidy(() => {
      const squaredNorm = tf.addN(gradients.map((gradient) => tf.sum(tf.square(gradient))));
      // min(1, clip / ‖g‖): leaves small gradients alone, rescales large ones to norm `clip`.
      const scale = tf.minimum(1, tf.div(clipNorm, tf.add(tf.sqrt(squaredNorm), 1e-6)));
      this.variables.forEach((variable, index) => {
        const moment = this.moments[index] as (typeof this.moments)[number];
        const gradient = tf.mul(gradients[index] as tf.Tensor, scale);
        moment.first.assign(tf.add(tf.mul(moment.first, this.beta1), tf.mul(gradient, 1 - this.beta1)));
        moment.second.assign(
          tf.add(tf.mul(moment.second, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2)),
        );
        let update = tf.div(
          tf.div(moment.first, firstCorrection),
          tf.add(tf.sqrt(tf.div(moment.second, secondCorrection)), this.epsilon),
        );
        if (moment.decay && this.weightDecay > 0) update = tf.add(update, tf.mul(variable, this.weightDecay));
        variable.assign(tf.sub(variable, tf.mul(update, learningRate)));
      });
    });
  }

  /** The moments and step count, to checkpoint a run and resume it exactly. */
  exportState(): AdamState {
    return {
      steps: this.steps,
      first: this.moments.map((moment) => new Float32Array(moment.first.dataSync())),
      second: this.moments.map((moment) => new Float32Array(moment.second.dataSync())),
    };
  }

  /** Puts back what `exportState` gave, for the same variables in the same order. */
  restoreState(state: AdamState): void {
    const sizes = this.moments.map((moment) => moment.first.size);
    const fits = (values: Float32Array[]) =>
      values.length === sizes.length && values.every((value, index) => value.length === sizes[index]);
    if (!fits(state.first) || !fits(state.second))
      throw new Error('the optimizer state does not match the variables it would restore');
    this.steps = state.steps;
    this.moments.forEach((moment, index) => {
      const shape = moment.first.shape;
      tf.tidy(() => {
        moment.first.assign(tf.tensor(state.first[index] as Float32Array, shape));
        moment.second.assign(tf.tensor(state.second[index] as Float32Array, shape));
      });
    });
  }

  dispose(): void {
    for (const moment of this.moments) {
      moment.first.dispose();
      moment.second.dispose();
    }
  }
}
