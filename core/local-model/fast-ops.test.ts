import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherRows, gelu, layerNorm, linear, matMul, softmaxCrossEntropy } from './fast-ops.ts';
import { initTfjs } from './tfjs-runtime.ts';

/** Gradients of sum(f(inputs) · probe) for each input, so every output element matters. */
function gradientsOf(f: (...inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const probe = tf.randomNormal(f(...inputs).shape, 0, 1, 'float32', 3);
    const gradients = tf.grads((...values: tf.Tensor[]) => tf.sum(tf.mul(f(...values), probe)))(inputs);
    return gradients.map((gradient) => gradient.dataSync() as Float32Array);
  });
}

function expectClose(actual: Float32Array[], expected: Float32Array[]) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, index) => {
    const reference = expected[index] as Float32Array;
    expect(values.length).toBe(reference.length);
    const scale = Math.max(1e-3, ...Array.from(reference, Math.abs));
    const worst = Math.max(...Array.from(values, (value, at) => Math.abs(value - (reference[at] as number))));
    expect(worst / scale).toBeLessThan(1e-4);
  });
}

describe('fast ops give the same values and gradients as tfjs autodiff', () => {
  beforeAll(async () => {
    await initTfjs();
  });
  const x = () => tf.randomNormal([6, 5], 0, 1, 'float32', 1) as tf.Tensor2D;

  it('matMul and linear', () => {
    const a = x();
    const b = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal([4], 0, 1, 'float32', 4) as tf.Tensor1D;
    expectClose(
      gradientsOf((p, q) => matMul(p as tf.Tensor2D, q as tf.Tensor2D), [a, b]),
      gradientsOf((p, q) => tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D), [a, b]),
    );
    expectClose(
      gradientsOf((p, q, r) => linear(p as tf.Tensor2D, q as tf.Tensor2D, r as tf.Tensor1D), [a, b, bias]),
      gradientsOf(
        (p, q, r) => tf.add(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D), r as tf.Tensor1D),
        [a, b, bias],
      ),
    );
  });

  it('gatherRows, with repeated indices', () => {
    const table = x();
    const indices = tf.tensor1d([0, 3, 3, 5, 0, 0], 'int32');
    const oneHot = tf.cast(tf.oneHot(indices, 6), 'float32') as tf.Tensor2D;
    expect(Array.from(gatherRows(table, indices).dataSync())).toEqual(
      Array.from(tf.gather(table, indices).dataSync()),
    );
    expectClose(
      gradientsOf((t) => gatherRows(t as tf.Tensor2D, indices), [table]),
      gradientsOf((t) => tf.matMul(oneHot, t as tf.Tensor2D), [table]),
    );
  });

  it('gelu (tanh approximation)', () => {
    const input = x();
    const reference = (t: tf.Tensor) =>
      tf.mul(
        tf.mul(t, 0.5),
        tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(t, tf.mul(0.044715, tf.pow(t, 3)))))),
      );
    expectClose([gelu(input).dataSync() as Float32Array], [reference(input).dataSync() as Float32Array]);
    expectClose(gradientsOf(gelu, [input]), gradientsOf(reference, [input]));
  });

  it('layerNorm', () => {
    const input = x();
    const gamma = tf.randomNormal([5], 1, 0.1, 'float32', 5) as tf.Tensor1D;
    const beta = tf.randomNormal([5], 0, 0.1, 'float32', 6) as tf.Tensor1D;
    const reference = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const moments = tf.moments(t, 1, true);
      return tf.add(tf.mul(tf.div(tf.sub(t, moments.mean), tf.sqrt(tf.add(moments.variance, 1e-5))), g), b);
    };
    const fast = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      layerNorm(t as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
    expectClose(gradientsOf(fast, [input, gamma, beta]), gradientsOf(reference, [input, gamma, beta]));
  });

  it('softmaxCrossEntropy', () => {
    const logits = x();
    const targets = tf.tensor1d([0, 4, 2, 2, 1, 3], 'int32');
    const weights = tf.tensor1d([0.5, 0, 0.1, 0.2, 0.1, 0.1]);
    const oneHot = tf.cast(tf.oneHot(targets, 5), 'float32');
    const reference = (t: tf.Tensor) =>
      tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(tf.logSoftmax(t), oneHot), 1), weights)));
    const fast = (t: tf.Tensor) => softmaxCrossEntropy(t as tf.Tensor2D, targets, weights);
    expect(fast(logits).dataSync()[0]).toBeCloseTo(reference(logits).dataSync()[0] as number, 5);
    expectClose(gradientsOf(fast, [logits]), gradientsOf(reference, [logits]));
  });
});
