import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { expectClose, gradientsOf } from './__fixtures__/gradient-checks.ts';
import { frozenLinear, rmsNorm, swiGlu } from './frozen-ops.ts';

describe('frozen ops', () => {
  beforeAll(async () => {
    await initTfjs();
  });
  const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

  it('frozenLinear is y = W·x + (alpha/r)·B·(A·x), worked by hand', () => {
    const x = tf.tensor2d([
      [1, 2, 0],
      [-1, 0.5, 3],
    ]);
    const weight = tf.tensor2d([
      [1, 0, -1],
      [2, 1, 0.5],
    ]);
    // W·x₀ = (1, 4), W·x₁ = (−4, 0).
    expect(frozenLinear(x, weight).arraySync()).toEqual([
      [1, 4],
      [-4, 0],
    ]);
    // Rank 2, alpha 1: scale 0.5. A·x₀ = (1, 2), A·x₁ = (2, 0.5); B·(A·x₀) = (−1, 4) and
    // B·(A·x₁) = (1.5, 1); halved and added: (0.5, 6) and (−3.25, 0.5).
    const adapter = {
      a: tf.tensor2d([
        [1, 0, 1],
        [0, 1, 0],
      ]),
      b: tf.tensor2d([
        [1, -1],
        [0, 2],
      ]),
      scale: 0.5,
    };
    expect(frozenLinear(x, weight, adapter).arraySync()).toEqual([
      [0.5, 6],
      [-3.25, 0.5],
    ]);
  });

  it('frozenLinear matches a plain loop on random values', () => {
    const [rows, inputs, outputs, rank] = [5, 7, 6, 3];
    const x = random([rows, inputs], 1) as tf.Tensor2D;
    const weight = random([outputs, inputs], 2) as tf.Tensor2D;
    const a = random([rank, inputs], 3) as tf.Tensor2D;
    const b = random([outputs, rank], 4) as tf.Tensor2D;
    const [xs, ws, as, bs] = [x, weight, a, b].map((tensor) => tensor.arraySync() as number[][]) as [
      number[][],
      number[][],
      number[][],
      number[][],
    ];
    const expected = xs.map((row) => {
      const down = as.map((aRow) =>
        aRow.reduce((sum, value, index) => sum + value * (row[index] as number), 0),
      );
      return ws.map(
        (wRow, output) =>
          wRow.reduce((sum, value, index) => sum + value * (row[index] as number), 0) +
          0.75 *
            (bs[output] as number[]).reduce((sum, value, index) => sum + value * (down[index] as number), 0),
      );
    });
    expectClose([frozenLinear(x, weight, { a, b, scale: 0.75 }).dataSync()], [expected.flat()]);
  });

  it('frozenLinear has the gradients of autodiff for x, A and B, and none for W', () => {
    const x = random([5, 7], 1);
    const weight = random([6, 7], 2) as tf.Tensor2D;
    const a = random([3, 7], 3);
    const b = random([6, 3], 4);
    const plain = (input: tf.Tensor, down: tf.Tensor, up: tf.Tensor) =>
      tf.add(
        tf.matMul(input, weight, false, true),
        tf.mul(tf.matMul(tf.matMul(input, down, false, true), up, false, true), 0.75),
      );
    expectClose(
      gradientsOf(
        (input, down, up) =>
          frozenLinear(input as tf.Tensor2D, weight, {
            a: down as tf.Tensor2D,
            b: up as tf.Tensor2D,
            scale: 0.75,
          }),
        [x, a, b],
      ),
      gradientsOf(plain, [x, a, b]),
    );
    expectClose(
      gradientsOf((input) => frozenLinear(input as tf.Tensor2D, weight), [x]),
      gradientsOf((input) => tf.matMul(input, weight, false, true), [x]),
    );
    // The weight is captured, not an input: no path leads from it to the output.
    expect(() => tf.grad(() => tf.sum(frozenLinear(x as tf.Tensor2D, weight)))(weight)).toThrow(
      'Cannot compute gradient of y=f(x) with respect to x',
    );
  });

  it('frozenLinear with a dropout mask drops the adapter path’s inputs only, with the gradients of autodiff', () => {
    const x = random([5, 7], 1);
    const weight = random([6, 7], 2) as tf.Tensor2D;
    const a = random([3, 7], 3);
    const b = random([6, 3], 4);
    // Rate 0.5: kept inputs are doubled.
    const mask = tf.tensor2d(
      Array.from({ length: 35 }, (_, at) => (at % 3 === 0 ? 0 : 2)),
      [5, 7],
    );
    const plain = (input: tf.Tensor, down: tf.Tensor, up: tf.Tensor) =>
      tf.add(
        tf.matMul(input, weight, false, true),
        tf.mul(tf.matMul(tf.matMul(tf.mul(input, mask), down, false, true), up, false, true), 0.75),
      );
    const dropped = (input: tf.Tensor, down: tf.Tensor, up: tf.Tensor) =>
      frozenLinear(input as tf.Tensor2D, weight, {
        a: down as tf.Tensor2D,
        b: up as tf.Tensor2D,
        scale: 0.75,
        dropout: mask,
      });
    expectClose([dropped(x, a, b).dataSync()], [plain(x, a, b).dataSync()]);
    expectClose(gradientsOf(dropped, [x, a, b]), gradientsOf(plain, [x, a, b]));
  });

  it('rmsNorm is x/√(mean(x²)+ε)·gain with the gradient of autodiff', () => {
    const x = random([4, 6], 5) as tf.Tensor2D;
    const gain = random([6], 6) as tf.Tensor1D;
    const plain = (input: tf.Tensor) =>
      tf.mul(tf.div(input, tf.sqrt(tf.add(tf.mean(tf.square(input), 1, true), 1e-5))), gain);
    expectClose([rmsNorm(x, gain, 1e-5).dataSync()], [plain(x).dataSync()]);
    expectClose(
      gradientsOf((input) => rmsNorm(input as tf.Tensor2D, gain, 1e-5), [x]),
      gradientsOf(plain, [x]),
    );
  });

  it('swiGlu is silu(gate)·up with the gradients of autodiff', () => {
    const gate = random([4, 6], 7) as tf.Tensor2D;
    const up = random([4, 6], 8) as tf.Tensor2D;
    const plain = (g: tf.Tensor, u: tf.Tensor) => tf.mul(tf.mul(g, tf.sigmoid(g)), u);
    // silu(1)·2 = 2/(1 + e⁻¹) = 1.4621…
    expect(swiGlu(tf.tensor2d([[1]]), tf.tensor2d([[2]])).dataSync()[0]).toBeCloseTo(
      2 / (1 + Math.exp(-1)),
      6,
    );
    expectClose([swiGlu(gate, up).dataSync()], [plain(gate, up).dataSync()]);
    expectClose(
      gradientsOf((g, u) => swiGlu(g as tf.Tensor2D, u as tf.Tensor2D), [gate, up]),
      gradientsOf(plain, [gate, up]),
    );
  });
});
