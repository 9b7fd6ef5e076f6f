import * as tf from '@tensorflow/tfjs';

/**
 * softmax(q·kᵀ + mask)·v over [batch·heads, length, headSize], cut into query blocks that only
 * look at the keys up to their own end. Batched matmuls run on wasm's naive loop whatever the
 * layout (XNNPACK serves only batch 1), at ~2–3 GFLOP/s, so skipping the masked upper blocks pays:
 * measured on [32, 128, 32] forward+backward, 72 ms whole, 58 ms in 2 blocks, 54 ms in 4,
 * 60 ms in 8. Slicing per head to reach XNNPACK was no faster for products this small.
 */
export function causalAttention(
  queries: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: tf.Tensor2D | tf.Tensor3D,
): tf.Tensor3D {
  const [batch, length, headSize] = queries.shape;
  const blocks = length >= 64 ? 4 : length >= 32 ? 2 : 1;
  const blockSize = Math.ceil(length / blocks);
  const outputs: tf.Tensor3D[] = [];
  for (let start = 0; start < length; start += blockSize) {
    const end = Math.min(length, start + blockSize);
    const slice = (tensor: tf.Tensor3D, from: number, to: number) =>
      blocks === 1 ? tensor : tf.slice(tensor, [0, from, 0], [batch, to - from, headSize]);
    const blockMask =
      mask.rank === 2
        ? tf.slice(mask, [start, 0], [end - start, end])
        : tf.slice(mask, [0, start, 0], [batch, end - start, end]);
    const scores = tf.add(tf.matMul(slice(queries, start, end), slice(keys, 0, end), false, true), blockMask);
    outputs.push(tf.matMul(tf.softmax(scores), slice(values, 0, end)));
  }
  return outputs.length === 1 ? (outputs[0] as tf.Tensor3D) : tf.concat(outputs, 1);
}

/**
 * Position ids and the attention mask [rows·heads, length, length] for packed rows: causal and
 * within one sequence. Built in plain arrays: a few hundred thousand floats per batch, ~1 ms.
 */
export function packedLayout(
  segments: Int32Array,
  rows: number,
  length: number,
  heads: number,
): { positions: Int32Array; mask: Float32Array } {
  const positions = new Int32Array(rows * length);
  const rowMask = new Float32Array(length * length);
  const mask = new Float32Array(rows * heads * length * length);
  for (let row = 0; row < rows; row++) {
    const offset = row * length;
    let start = 0;
    for (let query = 0; query < length; query++) {
      if (query > 0 && segments[offset + query] !== segments[offset + query - 1]) start = query;
      positions[offset + query] = query - start;
      const line = query * length;
      rowMask.fill(-1e9, line, line + start);
      rowMask.fill(0, line + start, line + query + 1);
      rowMask.fill(-1e9, line + query + 1, line + length);
    }
    for (let head = 0; head < heads; head++) mask.set(rowMask, (row * heads + head) * length * length);
  }
  return { positions, mask };
}
