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
 * - bias gradients: a sum over rows transposes first (wasm reduces only the last axis), 1–4 ms
 *   per bias; ones[1, N] · dy on XNNPACK takes ~0.05 ms.
 * - GELU: tanh and pow run as scalar loops (9 and 15 ms on 1024×512) but sigmoid is vectorised
 *   (0.6 ms), and 0.5·(1 + tanh(u)) = sigmoid(2u) exactly, so GPT-2's GELU costs a sigmoid.
 * - softmax cross-entropy and LayerNorm: one fused gradient each instead of a chain of small ops.
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

const linearWithPlainGradients = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
  const [x, weight, bias, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, Saver];
  save([x, weight]);
  return {
    value: tf.add(tf.matMul(x, weight), bias),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
      const gradient = dy as tf.Tensor2D;
      const ones = tf.ones([1, gradient.shape[0]]) as tf.Tensor2D;
      return [
        tf.matMul(gradient, tf.transpose(savedWeight)),
        tf.matMul(tf.transpose(savedX), gradient),
        tf.reshape(tf.matMul(ones, gradient), [gradient.shape[1]]),
      ];
    },
  };
});

/** `x · weight + bias` for a 2-D x, with fast gradients (see above). */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return linearWithPlainGradients(x, weight, bias) as tf.Tensor2D;
}

/** 2·√(2/π): GELU's tanh argument, doubled for the sigmoid form. */
const geluScale = 2 * Math.sqrt(2 / Math.PI);
const geluCubic = 0.044715;

const geluWithSigmoid = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
  const [x, save] = inputs as [tf.Tensor, Saver];
  const squared = tf.square(x);
  const gate = tf.sigmoid(tf.mul(x, tf.add(tf.mul(squared, geluCubic * geluScale), geluScale)));
  save([x, gate]);
  return {
    value: tf.mul(x, gate),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedGate] = saved as [tf.Tensor, tf.Tensor];
      // d/dx x·σ(z) = σ + x·σ(1−σ)·dz/dx, with dz/dx = k·(1 + 3c·x²).
      const slope = tf.add(tf.mul(tf.square(savedX), 3 * geluCubic * geluScale), geluScale);
      const gateSlope = tf.mul(tf.mul(savedGate, tf.sub(1, savedGate)), tf.mul(savedX, slope));
      return tf.mul(dy, tf.add(savedGate, gateSlope));
    },
  };
});

/** GELU, GPT-2's tanh approximation, computed as x·sigmoid(2u) (identical, and vectorised). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluWithSigmoid(x) as T;
}

/** Rows of `table` [V, d] at `indices` [N] → [N, d]; the gradient scatters back with ScatterNd. */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const [rows, columns] = table.shape;
  const gather = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [source, save] = inputs as [tf.Tensor2D, Saver];
    // Saved, not captured: tensors of the caller's tidy are gone by the time gradients run.
    save([tf.expandDims(indices, 1)]);
    return {
      value: tf.gather(source, indices),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.scatterND(saved[0] as tf.Tensor, dy, [rows, columns]),
    };
  });
  return gather(table) as tf.Tensor2D;
}

/** Below this a target probability counts as this (a loss of ~69 nats), instead of log(0) = −∞. */
const smallestProbability = 1e-30;

/**
 * Σᵢ weightᵢ · −log softmax(logitsᵢ)[targetᵢ] as a scalar. With weights = mask / count it is the
 * mean loss over the masked tokens; with weights = mask it is the summed negative log-likelihood.
 * It goes through the Softmax kernel (vectorised) and takes the log of one probability per row:
 * logSoftmax would run exp over all N×V logits on a scalar loop (~7 ms per 1024×1024).
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
): tf.Scalar {
  const vocabSize = logits.shape[1];
  const crossEntropy = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [input, save] = inputs as [tf.Tensor2D, Saver];
    const probabilities = tf.softmax(input);
    // Cast from int32: wasm's OneHot returns all zeros when asked for float32 directly (tfjs 4.22).
    const oneHot = tf.cast(tf.oneHot(targets, vocabSize), 'float32');
    const picked = tf.maximum(tf.sum(tf.mul(probabilities, oneHot), 1), smallestProbability);
    const value = tf.neg(tf.sum(tf.mul(tf.log(picked), weights))) as tf.Scalar;
    save([probabilities, oneHot, tf.expandDims(weights, 1)]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedProbabilities, savedOneHot, columnWeights] = saved as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
        ];
        return tf.mul(tf.sub(savedProbabilities, savedOneHot), tf.mul(columnWeights, dy));
      },
    };
  });
  return crossEntropy(logits) as tf.Scalar;
}

const layerNormWithPlainGradients = (epsilon: number) =>
  tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [x, gamma, beta, save] = inputs as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, Saver];
    const centered = tf.sub(x, tf.mean(x, 1, true));
    const inverseDeviation = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), epsilon));
    const normalised = tf.mul(centered, inverseDeviation);
    save([normalised, inverseDeviation, gamma]);
    return {
      value: tf.add(tf.mul(normalised, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedNormalised, savedInverse, savedGamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const gradient = dy as tf.Tensor2D;
        const [rows, columns] = gradient.shape;
        const ones = tf.ones([1, rows]) as tf.Tensor2D;
        const gradientNormalised = tf.mul(gradient, savedGamma);
        // dx = (g − mean(g) − x̂·mean(g·x̂)) / σ, the usual LayerNorm backward.
        const meanGradient = tf.mean(gradientNormalised, 1, true);
        const meanProjection = tf.mean(tf.mul(gradientNormalised, savedNormalised), 1, true);
        const gradientX = tf.mul(
          tf.sub(tf.sub(gradientNormalised, meanGradient), tf.mul(savedNormalised, meanProjection)),
          savedInverse,
        );
        return [
          gradientX,
          tf.reshape(tf.matMul(ones, tf.mul(gradient, savedNormalised)), [columns]),
          tf.reshape(tf.matMul(ones, gradient), [columns]),
        ];
      },
    };
  });

/** LayerNorm over the last axis of a 2-D x; gamma and beta gradients use ones·dy (see above). */
export function layerNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): tf.Tensor2D {
  return layerNormWithPlainGradients(epsilon)(x, gamma, beta) as tf.Tensor2D;
}
