import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { expectClose, gradientsOf } from './__fixtures__/gradient-checks.ts';
import type { LlamaConfig } from './llama-config.ts';
import { applyRotary, rotaryTables, rotaryTensors } from './rotary-embedding.ts';

// Only the rotary fields matter here: 4-wide heads, base 100, so θ₀ = 1 and θ₁ = 100^(−2/4) = 0.1.
const config = {
  headDimension: 4,
  ropeDimensionCount: 4,
  ropeFreqBase: 100,
  ropeFreqScale: 1,
} as LlamaConfig;

function expectNear(actual: number[], expected: number[]) {
  expect(actual.length).toBe(expected.length);
  for (const [index, value] of actual.entries()) expect(value).toBeCloseTo(expected[index] as number, 6);
}

describe('rotary embedding', () => {
  beforeAll(async () => {
    await initTfjs();
  });

  it('tabulates cos and signed sin of position·θᵢ at both dimensions of each pair', () => {
    const { cos, sin } = rotaryTables(config, 3);
    const row = (table: Float32Array, position: number) =>
      Array.from(table.subarray(4 * position, 4 * position + 4));
    expect(row(cos, 0)).toEqual([1, 1, 1, 1]);
    expect(row(sin, 0)).toEqual([-0, 0, -0, 0]);
    // Position 2: angles 2·1 and 2·0.1.
    const expectedCos = [Math.cos(2), Math.cos(2), Math.cos(0.2), Math.cos(0.2)];
    const expectedSin = [-Math.sin(2), Math.sin(2), -Math.sin(0.2), Math.sin(0.2)];
    expectNear(row(cos, 2), expectedCos);
    expectNear(row(sin, 2), expectedSin);
    // Linear scaling by 4 (freqScale 0.25) turns position 2 as far as position 0.5 would.
    const scaled = rotaryTables({ ...config, ropeFreqScale: 0.25 }, 3);
    expect(row(scaled.cos, 2)[0]).toBeCloseTo(Math.cos(0.5), 6);
    expect(row(scaled.sin, 2)[3]).toBeCloseTo(Math.sin(0.05), 6);
  });

  it('turns adjacent pairs (2i, 2i+1), llama.cpp NORM mode, not the two halves', () => {
    const x = tf.tensor3d([[[1, 2, 3, 4]], [[1, 2, 3, 4]]]);
    const rotated = applyRotary(x, rotaryTensors(config, 2)).arraySync() as number[][][];
    expect(rotated[0]).toEqual([[1, 2, 3, 4]]);
    // Position 1: (1, 2) turned by 1 radian, (3, 4) by 0.1.
    const expected = [
      Math.cos(1) - 2 * Math.sin(1),
      2 * Math.cos(1) + Math.sin(1),
      3 * Math.cos(0.1) - 4 * Math.sin(0.1),
      4 * Math.cos(0.1) + 3 * Math.sin(0.1),
    ];
    expectNear(rotated[1]?.[0] ?? [], expected);
  });

  it('has the gradient of autodiff (the opposite rotation)', () => {
    const rotary = rotaryTensors(config, 5);
    const x = tf.randomNormal([5, 3, 4], 0, 1, 'float32', 1);
    const plain = (input: tf.Tensor) =>
      tf.add(
        tf.mul(input, rotary.cos),
        tf.mul(tf.reshape(tf.reverse(tf.reshape(input, [5, 3, 2, 2]), 3), [5, 3, 4]), rotary.sin),
      );
    expectClose([applyRotary(x as tf.Tensor3D, rotary).dataSync()], [plain(x).dataSync()]);
    expectClose(
      gradientsOf((input) => applyRotary(input as tf.Tensor3D, rotary), [x]),
      gradientsOf(plain, [x]),
    );
  });
});
