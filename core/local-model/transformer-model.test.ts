import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { localModelPresets } from './model-config.ts';
import { initTfjs } from './tfjs-runtime.ts';
import { type TokenBatch, TransformerModel } from './transformer-model.ts';

const config = { ...localModelPresets.ci, vocabSize: 300, layers: 2 };

function batchOf(rows: number[][], segments?: number[][]): TokenBatch {
  const length = (rows[0]?.length ?? 1) - 1;
  const flat = (pick: (row: number[]) => number[]) => Int32Array.from(rows.flatMap(pick));
  return {
    rows: rows.length,
    length,
    inputs: flat((row) => row.slice(0, length)),
    targets: flat((row) => row.slice(1)),
    weights: new Float32Array(rows.length * length).fill(1),
    ...(segments ? { segments: Int32Array.from(segments.flatMap((row) => row.slice(0, length))) } : {}),
  };
}

function lossOf(model: TransformerModel, batch: TokenBatch): number {
  const loss = model.loss(batch);
  const value = loss.dataSync()[0] as number;
  loss.dispose();
  return value;
}

describe('TransformerModel', () => {
  let model: TransformerModel;
  beforeAll(async () => {
    await initTfjs();
    model = TransformerModel.create(config);
  });

  it('gives logits of [rows × length, vocab] and next-token logits of [vocab]', () => {
    const logits = model.logits(
      Int32Array.from({ length: 2 * 10 }, (_, index) => index + 5),
      2,
      10,
    );
    expect(logits.shape).toEqual([20, 300]);
    logits.dispose();
    expect(model.nextTokenLogits([1, 3, 40, 41]).length).toBe(300);
    expect(() => model.nextTokenLogits(new Array(65).fill(7))).toThrow(ValidationError);
    expect(() => model.nextTokenLogits([1, 300])).toThrow(/outside the vocabulary/);
  });

  it('starts near the uniform loss, log(vocab)', () => {
    const loss = lossOf(model, batchOf([[1, 3, 50, 60, 70, 80, 90, 100]]));
    expect(loss / 7).toBeGreaterThan(Math.log(300) - 0.3);
    expect(loss / 7).toBeLessThan(Math.log(300) + 0.3);
  });

  it('is causal: a later token never changes earlier logits', () => {
    const first = model.logits(Int32Array.from([1, 3, 50, 60, 70, 80]), 1, 6);
    const second = model.logits(Int32Array.from([1, 3, 50, 60, 70, 99]), 1, 6);
    const a = first.dataSync();
    const b = second.dataSync();
    tf.dispose([first, second]);
    const earlier = 5 * 300;
    expect(Array.from(a.slice(0, earlier))).toEqual(Array.from(b.slice(0, earlier)));
    expect(Array.from(a.slice(earlier))).not.toEqual(Array.from(b.slice(earlier)));
  });

  it('sees a packed sequence exactly as it would alone', () => {
    const one = [1, 3, 50, 60, 4, 70, 2];
    const two = [1, 3, 80, 4, 90, 91, 92, 2];
    const alone = lossOf(model, batchOf([one])) + lossOf(model, batchOf([two]));
    // Packed: the target after `one`'s last token is `two`'s bos; give it zero weight.
    const packed = batchOf([[...one, ...two]], [[...one.map(() => 0), ...two.map(() => 1)]]);
    packed.weights[one.length - 1] = 0;
    expect(lossOf(model, packed)).toBeCloseTo(alone, 3);
  });

  it('initialises deterministically from the seed', () => {
    const again = TransformerModel.create(config);
    const other = TransformerModel.create({ ...config, seed: 2 });
    const first = (candidate: TransformerModel) =>
      Array.from(candidate.exportWeights()[0]?.values.slice(0, 20) ?? []);
    expect(first(again)).toEqual(first(model));
    expect(first(other)).not.toEqual(first(model));
    again.dispose();
    other.dispose();
  });

  it('learns: a few updates lower the loss on a batch', () => {
    const learner = TransformerModel.create(config);
    const batch = batchOf([[1, 3, 50, 60, 4, 70, 71, 72, 73, 2]]);
    const before = lossOf(learner, batch);
    const optimizer = tf.train.adam(0.01);
    for (let step = 0; step < 20; step++)
      optimizer.minimize(() => learner.loss(batch), false, learner.variables);
    expect(lossOf(learner, batch)).toBeLessThan(before * 0.5);
    optimizer.dispose();
    learner.dispose();
  });

  it('frees every tensor it made when disposed', () => {
    const before = tf.memory().numTensors;
    const temporary = TransformerModel.create(config);
    lossOf(temporary, batchOf([[1, 3, 50, 60, 2]]));
    temporary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
