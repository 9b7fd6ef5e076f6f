import * as tf from '@tensorflow/tfjs';

type Saver = (tensors: tf.Tensor[]) => void;

/**
 * Causal grouped-query attention of one sequence: queries [N, heads, width], keys and values
 * [N, kvHeads, width] (already rotated) → [N, heads·width]. Query head h reads key/value head
 * ⌊h / g⌋ with g = heads / kvHeads, as ggml's mul_mat broadcasts heads in llama.cpp;
 * softmax(scale·q·kᵀ + mask)·v per head. `mask` is [g·N, N], the causal mask (0 where a key is
 * visible, −1e9 where it is not) repeated g times down, since stacked heads (below) see the same
 * keys at the same positions; see `stackedCausalMask`.
 *
 * One key/value head at a time, its g query heads stacked into one [g·N, width] matrix, so keys
 * and values are never repeated and every product is a plain 2-D one: batched matmuls run on a
 * naive loop on wasm (30 layers of SmolLM2's attention at 256 tokens: 5.0 s batched, 1.1 s as 2-D
 * products). The backward pass recomputes the attention probabilities instead of keeping them:
 * g·N² floats per key/value head and layer would be 1.1 GB over SmolLM2's 30 layers at 1,024 tokens.
 */
export function causalGroupedAttention(
  queries: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  scale: number,
  mask: tf.Tensor2D,
): tf.Tensor2D {
  const [length, heads, width] = queries.shape;
  const kvHeads = keys.shape[1];
  const group = heads / kvHeads;
  const stackHeads = (tensor: tf.Tensor3D, kvHead: number) =>
    tf.reshape(tf.transpose(tf.slice(tensor, [0, kvHead * group, 0], [length, group, width]), [1, 0, 2]), [
      group * length,
      width,
    ]) as tf.Tensor2D;
  const unstackHeads = (tensor: tf.Tensor2D) =>
    tf.transpose(tf.reshape(tensor, [group, length, width]), [1, 0, 2]) as tf.Tensor3D;
  const headOf = (tensor: tf.Tensor3D, kvHead: number) =>
    tf.reshape(tf.slice(tensor, [0, kvHead, 0], [length, 1, width]), [length, width]) as tf.Tensor2D;
  const probabilities = (stackedQueries: tf.Tensor2D, headKeys: tf.Tensor2D, fullMask: tf.Tensor2D) =>
    tf.softmax(
      tf.add(tf.mul(tf.matMul(stackedQueries, tf.transpose(headKeys)), scale), fullMask),
    ) as tf.Tensor2D;

  const attention = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [q, k, v, save] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, Saver];
    // The mask is saved, not captured: it belongs to the caller's scope, gone when gradients run.
    save([q, k, v, mask]);
    const fullMask = mask;
    const outputs: tf.Tensor3D[] = [];
    for (let kvHead = 0; kvHead < kvHeads; kvHead++) {
      const weights = probabilities(stackHeads(q, kvHead), headOf(k, kvHead), fullMask);
      outputs.push(unstackHeads(tf.matMul(weights, headOf(v, kvHead))));
    }
    return {
      value: tf.reshape(concatHeads(outputs), [length, heads * width]),
      // In its own scope: tfjs runs custom gradients outside any (see frozen-ops.ts).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedQ, savedK, savedV, savedMask] = saved as [
            tf.Tensor3D,
            tf.Tensor3D,
            tf.Tensor3D,
            tf.Tensor2D,
          ];
          const gradient = tf.reshape(dy, [length, heads, width]) as tf.Tensor3D;
          const backwardMask = savedMask;
          const queryGradients: tf.Tensor3D[] = [];
          const keyGradients: tf.Tensor3D[] = [];
          const valueGradients: tf.Tensor3D[] = [];
          for (let kvHead = 0; kvHead < kvHeads; kvHead++) {
            const stackedQueries = stackHeads(savedQ, kvHead);
            const headKeys = headOf(savedK, kvHead);
            const headValues = headOf(savedV, kvHead);
            const weights = probabilities(stackedQueries, headKeys, backwardMask);
            const outputGradient = stackHeads(gradient, kvHead);
            valueGradients.push(tf.expandDims(tf.matMul(tf.transpose(weights), outputGradient), 1));
            const weightGradient = tf.matMul(outputGradient, tf.transpose(headValues));
            // Softmax backward: dS = P ⊙ (dP − Σⱼ dPⱼ·Pⱼ), then the scale of the scores.
            const scoreGradient = tf.mul(
              tf.mul(weights, tf.sub(weightGradient, tf.sum(tf.mul(weightGradient, weights), 1, true))),
              scale,
            ) as tf.Tensor2D;
            queryGradients.push(unstackHeads(tf.matMul(scoreGradient, headKeys)));
            keyGradients.push(tf.expandDims(tf.matMul(tf.transpose(scoreGradient), stackedQueries), 1));
          }
          return [concatHeads(queryGradients), concatHeads(keyGradients), concatHeads(valueGradients)];
        }),
    };
  });
  return attention(queries, keys, values) as tf.Tensor2D;
}

function concatHeads(parts: tf.Tensor3D[]): tf.Tensor3D {
  return parts.length === 1 ? (parts[0] as tf.Tensor3D) : tf.concat(parts, 1);
}

/**
 * The causal mask of N tokens repeated for `group` stacked heads: [group·N, N], 0 where a query may
 * see a key (key ≤ query), −1e9 elsewhere. Built in plain arrays: tf.tile of the [N, N] mask took
 * 24 ms per block on wasm at 256 tokens.
 */
export function stackedCausalMask(length: number, group: number): Float32Array {
  const mask = new Float32Array(group * length * length);
  for (let row = 0; row < group * length; row++) {
    const query = row % length;
    mask.fill(-1e9, row * length + query + 1, (row + 1) * length);
  }
  return mask;
}
