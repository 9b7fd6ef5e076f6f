import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Gradients of sum(f(inputs) · probe) for each input, so every output element matters. */
export function gradientsOf(f: (...inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const probe = tf.randomNormal(f(...inputs).shape, 0, 1, 'float32', 3);
    const gradients = tf.grads((...values: tf.Tensor[]) => tf.sum(tf.mul(f(...values), probe)))(inputs);
    return gradients.map((gradient) => gradient.dataSync() as Float32Array);
  });
}

/**
 * Each array within `tolerance` of its reference, relative to the reference's largest magnitude:
 * float32 results of the same sums in another order differ in the 6th or 7th digit.
 */
export function expectClose(actual: ArrayLike<number>[], expected: ArrayLike<number>[], tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, index) => {
    const reference = expected[index] as ArrayLike<number>;
    expect(values.length).toBe(reference.length);
    const scale = Math.max(1e-3, ...Array.from(reference, Math.abs));
    const worst = Math.max(...Array.from(values, (value, at) => Math.abs(value - (reference[at] as number))));
    expect(worst / scale).toBeLessThan(tolerance);
  });
}
