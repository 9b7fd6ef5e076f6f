/**
 * log softmax(logits), accumulated in float64: the log-probabilities of a whole vocabulary from
 * one row of logits. Computed here rather than with tf.logSoftmax, which runs exp on a scalar loop
 * on wasm, and in float64 so that comparing two distributions (KL divergence) measures the models,
 * not this function's rounding.
 */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let largest = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < logits.length; index++) largest = Math.max(largest, logits[index] as number);
  let sum = 0;
  for (let index = 0; index < logits.length; index++) sum += Math.exp((logits[index] as number) - largest);
  const offset = largest + Math.log(sum);
  return Float64Array.from(logits, (logit) => logit - offset);
}
