import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../core/local-model/seeded-random.ts';
import { batchesOf, packTrainingRows, type TrainingRow, toTokenBatch } from './pack-training-rows.ts';

const window = (length: number, first: number) => ({
  ids: Array.from({ length }, (_, index) => first + index),
  lossMask: Array.from({ length }, (_, index) => (index >= 2 ? 1 : 0)),
});

describe('packTrainingRows', () => {
  it('packs short windows together, each in its own segment, and pads the rest', () => {
    const rows = packTrainingRows([window(5, 10), window(9, 100), window(4, 50), window(3, 70)], 8);
    expect(rows).toHaveLength(3);
    // Longest first: [100..108] alone fills a row; 10.. and 50.. share the next; 70.. takes the third.
    expect(Array.from(rows[0]?.ids ?? [])).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108]);
    expect(Array.from(rows[1]?.ids ?? [])).toEqual([10, 11, 12, 13, 14, 50, 51, 52, 53]);
    expect(Array.from(rows[1]?.segments ?? [])).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(rows[2]?.ids ?? [])).toEqual([70, 71, 72, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(rows[2]?.lossMask ?? [])).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(rows[2]?.segments ?? [])).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it('builds batches whose weights average over the masked targets', () => {
    const rows = packTrainingRows([window(5, 10), window(4, 50)], 8);
    const batch = toTokenBatch(rows, { normalise: true });
    expect(batch).toMatchObject({ rows: 1, length: 8 });
    expect(Array.from(batch.inputs)).toEqual([10, 11, 12, 13, 14, 50, 51, 52]);
    expect(Array.from(batch.targets)).toEqual([11, 12, 13, 14, 50, 51, 52, 53]);
    // Targets 12, 13, 14 and 52, 53 are learned: five of them.
    expect(Array.from(batch.weights)).toEqual([0, 0.2, 0.2, 0.2, 0, 0, 0.2, 0.2].map(Math.fround));
    expect(Array.from(toTokenBatch(rows, { normalise: false }).weights)).toEqual([0, 1, 1, 1, 0, 0, 1, 1]);
  });

  it('serves every row once per epoch, in a seeded order', () => {
    const rows = packTrainingRows([window(9, 0), window(9, 20), window(9, 40)], 8);
    const firsts = (seed: number) => {
      const batches = batchesOf(rows, 2, createSeededRandom(seed));
      return [0, 1, 2].flatMap(() => (batches.next().value as TrainingRow[]).map((row) => row.ids[0]));
    };
    const order = firsts(5);
    expect([...(order.slice(0, 3) as number[])].sort((a, b) => a - b)).toEqual([0, 20, 40]);
    expect(firsts(5)).toEqual(order);
  });
});
