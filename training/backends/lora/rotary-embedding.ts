import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './llama-config.ts';

/**
 * cos and signed sin of every rotary angle for positions 0..length−1 (or the given positions, one
 * row each: a packed row restarts them per example), each [rows, headDimension]
 * with a pair's value written at both of its dimensions: `cos[p, 2i] = cos[p, 2i+1] = cos(p·θᵢ)`,
 * `sin[p, 2i] = −sin(p·θᵢ)` and `sin[p, 2i+1] = +sin(p·θᵢ)`, where θᵢ = freqScale·base^(−2i/nRot).
 *
 * This is llama.cpp's LLAMA_ROPE_TYPE_NORM, the rotation of the llama architecture: ggml's rope
 * (ggml-cpu ops.cpp, rope cache and rotate_pairs) turns adjacent pairs (2i, 2i+1) of each head,
 * not the two halves as Hugging Face's rotate_half does; llama's converter permutes the rows of
 * the Q and K weights so that both agree. ggml builds each position's angles by repeated float32
 * multiplication (θ ← θ·base^(−2/nRot), starting from the position), and so does this, through
 * Math.fround: exact angles would differ from llama.cpp's by up to 1e-5 radians at position 255
 * and 3e-4 at 8,191 (base 100,000, 64-wide heads), which is noise next to other roundings but free
 * to avoid.
 */
export function rotaryTables(
  config: LlamaConfig,
  positions: number | ArrayLike<number>,
): { cos: Float32Array; sin: Float32Array } {
  const width = config.headDimension;
  const pairs = config.ropeDimensionCount / 2;
  const step = Math.fround(config.ropeFreqBase ** (-2 / config.ropeDimensionCount));
  const scale = Math.fround(config.ropeFreqScale);
  const at =
    typeof positions === 'number' ? (index: number) => index : (index: number) => positions[index] as number;
  const length = typeof positions === 'number' ? positions : positions.length;
  const cos = new Float32Array(length * width);
  const sin = new Float32Array(length * width);
  for (let row = 0; row < length; row++) {
    let theta = Math.fround(at(row));
    for (let pair = 0; pair < pairs; pair++) {
      const angle = Math.fround(scale * theta);
      const index = row * width + 2 * pair;
      cos[index] = Math.cos(angle);
      cos[index + 1] = cos[index] as number;
      sin[index] = -Math.sin(angle);
      sin[index + 1] = Math.sin(angle);
      theta = Math.fround(theta * step);
    }
  }
  return { cos, sin };
}

/** One forward call's rotation: cos and sin [N, 1, width] and the [width, width] pair swap. */
export type RotaryTensors = { cos: tf.Tensor3D; sin: tf.Tensor3D; swap: tf.Tensor2D };

/** The tables above as tensors, with the permutation matrix that exchanges each pair (2i, 2i+1). */
export function rotaryTensors(config: LlamaConfig, positions: number | ArrayLike<number>): RotaryTensors {
  const width = config.headDimension;
  const { cos, sin } = rotaryTables(config, positions);
  const length = cos.length / width;
  const swap = new Float32Array(width * width);
  for (let row = 0; row < width; row++) swap[row * width + (row ^ 1)] = 1;
  return {
    cos: tf.tensor3d(cos, [length, 1, width]),
    sin: tf.tensor3d(sin, [length, 1, width]),
    swap: tf.tensor2d(swap, [width, width]),
  };
}

type Saver = (tensors: tf.Tensor[]) => void;

/**
 * Rotates x [N, heads, width] at positions 0..N−1: x·cos + swapPairs(x)·sin, which is
 * x₂ᵢ·cos − x₂ᵢ₊₁·sin and x₂ᵢ₊₁·cos + x₂ᵢ·sin, the rotation. The swap is a product with a
 * permutation matrix: on wasm that took 0.5 ms for SmolLM2's queries at 256 tokens, where
 * tf.reverse of the pairs took 9 ms and tf.gather 7 ms. The gradient is the opposite rotation,
 * dy·cos − swapPairs(dy)·sin, so the backward pass keeps only the tables.
 */
export function applyRotary(x: tf.Tensor3D, rotary: RotaryTensors): tf.Tensor3D {
  const swapPairs = (tensor: tf.Tensor, swap: tf.Tensor2D) => {
    const [positions, heads, width] = tensor.shape as [number, number, number];
    return tf.reshape(
      tf.matMul(tf.reshape(tensor, [positions * heads, width]) as tf.Tensor2D, swap),
      tensor.shape,
    );
  };
  const rotate = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [input, save] = inputs as [tf.Tensor3D, Saver];
    // Saved, not captured: the tables belong to the caller's scope, gone when gradients run.
    save([rotary.cos, rotary.sin, rotary.swap]);
    return {
      value: tf.add(tf.mul(input, rotary.cos), tf.mul(swapPairs(input, rotary.swap), rotary.sin)),
      // In its own scope: tfjs runs custom gradients outside any (see frozen-ops.ts).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [cos, sin, swap] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
          return tf.sub(tf.mul(dy, cos), tf.mul(swapPairs(dy, swap), sin));
        }),
    };
  });
  return rotate(x) as tf.Tensor3D;
}
