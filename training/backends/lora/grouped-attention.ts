import * as tf from '@tensorflow/tfjs';

type Saver = (tensors: tf.Tensor[]) => void;

/** One example of a packed row: its first row and its causal mask, [g·length, length] (see below). */
export type AttentionSegment = { start: number; mask: tf.Tensor2D };

/**
 * Causal grouped-query attention: queries [N, heads, width], keys and values [N, kvHeads, width]
 * (already rotated) → [N, heads·width]. Query head h reads key/value head ⌊h / g⌋ with
 * g = heads / kvHeads, as ggml's mul_mat broadcasts heads in llama.cpp; softmax(scale·q·kᵀ + mask)·v
 * per head. The N rows are one or more examples packed end to end (`segments`, in order, covering
 * all N): each attends only within itself, and only its own block of the scores is computed, so a
 * row of four 128-token examples costs a quarter of the attention of one 512-token example. Each
 * segment's `mask` is its causal mask (0 where a key is visible, −1e9 where it is not) repeated g
 * times down, since stacked heads (below) see the same keys at the same positions; see
 * `stackedCausalMask`.
 *
 * One key/value head at a time, its g query heads stacked into one [g·n, width] matrix, so keys
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
  segments: readonly AttentionSegment[],
): tf.Tensor2D {
  const [length, heads, width] = queries.shape;
  const kvHeads = keys.shape[1];
  const group = heads / kvHeads;
  const covered = segments.reduce((sum, { mask }) => sum + (mask.shape[1] as number), 0);
  if (covered !== length || segments.some(({ mask }) => mask.shape[0] !== group * mask.shape[1]))
    throw new Error(`attention segments cover ${covered} of ${length} rows, or a mask is not [g·n, n]`);
  const stackHeads = (tensor: tf.Tensor3D, start: number, size: number, kvHead: number) =>
    tf.reshape(tf.transpose(tf.slice(tensor, [start, kvHead * group, 0], [size, group, width]), [1, 0, 2]), [
      group * size,
      width,
    ]) as tf.Tensor2D;
  const unstackHeads = (tensor: tf.Tensor2D, size: number) =>
    tf.transpose(tf.reshape(tensor, [group, size, width]), [1, 0, 2]) as tf.Tensor3D;
  const headOf = (tensor: tf.Tensor3D, start: number, size: number, kvHead: number) =>
    tf.reshape(tf.slice(tensor, [start, kvHead, 0], [size, 1, width]), [size, width]) as tf.Tensor2D;
  const probabilities = (stackedQueries: tf.Tensor2D, headKeys: tf.Tensor2D, mask: tf.Tensor2D) =>
    tf.softmax(tf.add(tf.mul(tf.matMul(stackedQueries, tf.transpose(headKeys)), scale), mask)) as tf.Tensor2D;
  const starts = segments.map(({ start }) => start);

  const attention = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [q, k, v, save] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, Saver];
    const masks = segments.map(({ mask }) => mask);
    // The masks are saved, not captured: they belong to the caller's scope, gone when gradients run.
    save([q, k, v, ...masks]);
    const rows = masks.map((mask, segment) => {
      const [start, size] = [starts[segment] as number, mask.shape[1] as number];
      const outputs: tf.Tensor3D[] = [];
      for (let kvHead = 0; kvHead < kvHeads; kvHead++) {
        const weights = probabilities(
          stackHeads(q, start, size, kvHead),
          headOf(k, start, size, kvHead),
          mask,
        );
        outputs.push(unstackHeads(tf.matMul(weights, headOf(v, start, size, kvHead)), size));
      }
      return concatParts(outputs, 1);
    });
    return {
      value: tf.reshape(concatParts(rows, 0), [length, heads * width]),
      // In its own scope: tfjs runs custom gradients outside any (see frozen-ops.ts).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedQ, savedK, savedV, ...savedMasks] = saved as tf.Tensor3D[];
          const gradient = tf.reshape(dy, [length, heads, width]) as tf.Tensor3D;
          const queryRows: tf.Tensor3D[] = [];
          const keyRows: tf.Tensor3D[] = [];
          const valueRows: tf.Tensor3D[] = [];
          savedMasks.forEach((savedMask, segment) => {
            const mask = savedMask as unknown as tf.Tensor2D;
            const [start, size] = [starts[segment] as number, mask.shape[1] as number];
            const queryGradients: tf.Tensor3D[] = [];
            const keyGradients: tf.Tensor3D[] = [];
            const valueGradients: tf.Tensor3D[] = [];
            for (let kvHead = 0; kvHead < kvHeads; kvHead++) {
              const stackedQueries = stackHeads(savedQ as tf.Tensor3D, start, size, kvHead);
              const headKeys = headOf(savedK as tf.Tensor3D, start, size, kvHead);
              const headValues = headOf(savedV as tf.Tensor3D, start, size, kvHead);
              const weights = probabilities(stackedQueries, headKeys, mask);
              const outputGradient = stackHeads(gradient, start, size, kvHead);
              valueGradients.push(tf.expandDims(tf.matMul(tf.transpose(weights), outputGradient), 1));
              const weightGradient = tf.matMul(outputGradient, tf.transpose(headValues));
              // Softmax backward: dS = P ⊙ (dP − Σⱼ dPⱼ·Pⱼ), then the scale of the scores.
              const scoreGradient = tf.mul(
                tf.mul(weights, tf.sub(weightGradient, tf.sum(tf.mul(weightGradient, weights), 1, true))),
                scale,
              ) as tf.Tensor2D;
              queryGradients.push(unstackHeads(tf.matMul(scoreGradient, headKeys), size));
              keyGradients.push(tf.expandDims(tf.matMul(tf.transpose(scoreGradient), stackedQueries), 1));
            }
            queryRows.push(concatParts(queryGradients, 1));
            keyRows.push(concatParts(keyGradients, 1));
            valueRows.push(concatParts(valueGradients, 1));
          });
          return [concatParts(queryRows, 0), concatParts(keyRows, 0), concatParts(valueRows, 0)];
        }),
    };
  });
  return attention(queries, keys, values) as tf.Tensor2D;
}

function concatParts(parts: tf.Tensor3D[], axis: number): tf.Tensor3D {
  return parts.length === 1 ? (parts[0] as tf.Tensor3D) : tf.concat(parts, axis);
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
