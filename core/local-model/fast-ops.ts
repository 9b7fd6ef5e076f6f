import * as tf from '@tensorflow/tfjs';

/*
 * Ops with hand-written gradients, because tfjs's own ones are slow or missing on the wasm
 * backend. Measured here (1024 rows, one core, min of 10 runs):
 * - matMul: tfjs's gradient multiplies by transposed operands, which wasm runs on a naive loop
 *   (transposeA 0.8 GFLOP/s, transposeB 2.8) instead of XNNPACK (15–20 GFLOP/s). Transposing
 *   explicitly and multiplying plainly makes a 1024×128·128×512 forward+backward 30 ms instead
 *   of 204 ms.
 * - gather: its gradient needs UnsortedSegmentSum, which wasm lacks. A one-hot matmul works but
 *   cost 400 ms per 1024 tokens at vocab 1024 against 5 ms for gather + ScatterNd (ScatterNd sums
 *   duplicate indices, which is exactly the embedding gradient).
 * - softmax cross-entropy: one fused gradient, (softmax − onehot)·weight, instead of the chain of
 *   logSoftmax, oneHot, multiply and sum gradients.
 */

type Saver = (tensors: tf.Tensor[]) => void;

const matMulWithPlainGradients = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
  const [a, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, Saver];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved as [tf.Tensor2D, tf.Tensor2D];
      const gradient = dy as tf.Tensor2D;
      return [tf.matMul(gradient, tf.transpose(savedB)), tf.matMul(tf.transpose(savedA), gradient)];
    },
  };
});

/** `a · b` for 2-D tensors, with a backward pass that stays on XNNPACK's fast path. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulWithPlainGradients(a, b) as tf.Tensor2D;
}

/** Rows of `table` [V, d] at `indices` [N] → [N, d]; the gradient scatters back with ScatterNd. */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const [rows, columns] = table.shape;
  const gather = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const source = inputs[0] as tf.Tensor2D;
    return {
      value: tf.gather(source, indices),
      gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.expandDims(indices, 1), dy, [rows, columns]),
    };
  });
  return gather(table) as tf.Tensor2D;
}

/**
 * Σᵢ weightᵢ · −log softmax(logitsᵢ)[targetᵢ] as a scalar. With weights = mask / count it is the
 * mean loss over the masked tokens; with weights = mask it is the summed negative log-likelihood.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
): tf.Scalar {
  const vocabSize = logits.shape[1];
  const crossEntropy = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [input, save] = inputs as [tf.Tensor2D, Saver];
    const logProbabilities = tf.logSoftmax(input);
    const oneHot = tf.oneHot(targets, vocabSize, 1, 0, 'float32');
    const picked = tf.sum(tf.mul(logProbabilities, oneHot), 1);
    const value = tf.neg(tf.sum(tf.mul(picked, weights))) as tf.Scalar;
    save([tf.exp(logProbabilities), oneHot]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [probabilities, savedOneHot] = saved as [tf.Tensor2D, tf.Tensor2D];
        return tf.mul(tf.sub(probabilities, savedOneHot), tf.mul(tf.expandDims(weights, 1), dy));
      },
    };
  });
  return crossEntropy(logits) as tf.Scalar;
}
