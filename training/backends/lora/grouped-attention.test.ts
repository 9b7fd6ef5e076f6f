import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { expectClose, gradientsOf } from './__fixtures__/gradient-checks.ts';
import { causalGroupedAttention, stackedCausalMask } from './grouped-attention.ts';

const [length, heads, kvHeads, width, scale] = [5, 4, 2, 3, 0.7];

/** Head by head with tfjs's own ops and gradients: query head h reads key/value head ⌊h / 2⌋. */
function plainAttention(queries: tf.Tensor, keys: tf.Tensor, values: tf.Tensor): tf.Tensor {
  const causal = tf.tensor2d(stackedCausalMask(length, 1), [length, length]);
  const outputs = Array.from({ length: heads }, (_, head) => {
    const kvHead = Math.floor(head / (heads / kvHeads));
    const q = tf.reshape(tf.slice(queries, [0, head, 0], [length, 1, width]), [length, width]);
    const k = tf.reshape(tf.slice(keys, [0, kvHead, 0], [length, 1, width]), [length, width]);
    const v = tf.reshape(tf.slice(values, [0, kvHead, 0], [length, 1, width]), [length, width]);
    return tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), causal)), v);
  });
  return tf.concat(outputs, 1);
}

describe('causalGroupedAttention', () => {
  beforeAll(async () => {
    await initTfjs();
  });
  const mask = (size = length) =>
    tf.tensor2d(stackedCausalMask(size, heads / kvHeads), [(size * heads) / kvHeads, size]);
  const whole = () => [{ start: 0, mask: mask() }];
  const inputs = () => [
    tf.randomNormal([length, heads, width], 0, 1, 'float32', 1),
    tf.randomNormal([length, kvHeads, width], 0, 1, 'float32', 2),
    tf.randomNormal([length, kvHeads, width], 0, 1, 'float32', 3),
  ];

  it('masks the future, repeated for each stacked head', () => {
    expect(Array.from(stackedCausalMask(3, 2))).toEqual([
      ...[0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0],
      ...[0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0],
    ]);
  });

  it('gives the first position its own value, for each query head from its shared key/value head', () => {
    const [queries, keys, values] = inputs() as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const first = causalGroupedAttention(queries, keys, values, scale, whole()).arraySync()[0] as number[];
    const value = values.arraySync()[0] as number[][];
    expect(first).toEqual([
      ...(value[0] as number[]),
      ...(value[0] as number[]),
      ...(value[1] as number[]),
      ...(value[1] as number[]),
    ]);
  });

  it('computes softmax(scale·q·kᵀ + mask)·v per head, with the gradients of autodiff', () => {
    const attention = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
      causalGroupedAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, scale, whole());
    expectClose(
      [attention(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync()],
      [plainAttention(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync()],
    );
    expectClose(gradientsOf(attention, inputs()), gradientsOf(plainAttention, inputs()));
  });

  it('attends within each packed segment only, as each segment alone, gradients included', () => {
    // Rows 0–1 and 2–4 are two examples: each is the attention of its own rows alone.
    const packed = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
      causalGroupedAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, scale, [
        { start: 0, mask: mask(2) },
        { start: 2, mask: mask(3) },
      ]);
    const apart = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
      tf.concat(
        [
          [0, 2],
          [2, 3],
        ].map(([start, size]) =>
          causalGroupedAttention(
            tf.slice(q, [start as number, 0, 0], [size as number, -1, -1]) as tf.Tensor3D,
            tf.slice(k, [start as number, 0, 0], [size as number, -1, -1]) as tf.Tensor3D,
            tf.slice(v, [start as number, 0, 0], [size as number, -1, -1]) as tf.Tensor3D,
            scale,
            [{ start: 0, mask: mask(size) }],
          ),
        ),
      );
    const together = packed(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync();
    expect(Array.from(together)).toEqual(
      Array.from(apart(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync()),
    );
    // And it differs from attending across the boundary: row 2 would see rows 0 and 1.
    const across = causalGroupedAttention(
      ...(inputs() as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]),
      scale,
      whole(),
    ).dataSync();
    expect(
      Math.abs((together[2 * heads * width] as number) - (across[2 * heads * width] as number)),
    ).toBeGreaterThan(1e-3);
    expectClose(gradientsOf(packed, inputs()), gradientsOf(apart, inputs()));
  });
});
