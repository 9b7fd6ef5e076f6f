import { specialTokens } from '../../../core/local-model/bpe-tokenizer.ts';
import type { FormattedSequence } from '../../../core/local-model/chat-format.ts';
import type { SeededRandom } from '../../../core/local-model/seeded-random.ts';
import type { TokenBatch } from '../../../core/local-model/transformer-model.ts';

/** One row of contextLength + 1 tokens holding one or more whole windows, padded at the end. */
export type TrainingRow = { ids: Int32Array; lossMask: Uint8Array; segments: Int32Array; tokens: number };

/**
 * Packs windows (each at most contextLength + 1 tokens) into rows, first-fit over windows taken
 * longest first, so short examples (a LinkedIn post) share rows instead of being mostly padding.
 * Each window keeps its own segment: the model masks attention and restarts positions per
 * segment, so packing changes nothing about what each example sees.
 */
export function packTrainingRows(windows: FormattedSequence[], contextLength: number): TrainingRow[] {
  const capacity = contextLength + 1;
  const order = windows
    .map((_, index) => index)
    .sort((a, b) => {
      const difference =
        (windows[b] as FormattedSequence).ids.length - (windows[a] as FormattedSequence).ids.length;
      return difference || a - b;
    });
  const rows: TrainingRow[] = [];
  const free: number[] = [];
  const segmentCounts: number[] = [];
  for (const index of order) {
    const window = windows[index] as FormattedSequence;
    if (window.ids.length > capacity)
      throw new Error(`window of ${window.ids.length} tokens exceeds ${capacity}`);
    let target = free.findIndex((space) => space >= window.ids.length);
    if (target < 0) {
      target = rows.length;
      rows.push({
        ids: new Int32Array(capacity).fill(specialTokens.pad),
        lossMask: new Uint8Array(capacity),
        segments: new Int32Array(capacity),
        tokens: 0,
      });
      free.push(capacity);
      segmentCounts.push(0);
    }
    const row = rows[target] as TrainingRow;
    const start = row.tokens;
    const segment = segmentCounts[target] as number;
    row.ids.set(window.ids, start);
    row.lossMask.set(window.lossMask, start);
    row.segments.fill(segment, start, start + window.ids.length);
    row.tokens += window.ids.length;
    // Padding after the last window forms its own segment.
    row.segments.fill(segment + 1, row.tokens);
    segmentCounts[target] = segment + 1;
    free[target] = capacity - row.tokens;
  }
  return rows;
}

/**
 * A batch of rows for the model. With `normalise`, weights are the loss mask divided by the number
 * of masked targets (a mean loss, for training); otherwise the mask itself (a summed NLL).
 */
export function toTokenBatch(rows: TrainingRow[], options: { normalise: boolean }): TokenBatch {
  const length = (rows[0]?.ids.length ?? 1) - 1;
  const inputs = new Int32Array(rows.length * length);
  const targets = new Int32Array(rows.length * length);
  const weights = new Float32Array(rows.length * length);
  const segments = new Int32Array(rows.length * length);
  let masked = 0;
  rows.forEach((row, index) => {
    const offset = index * length;
    inputs.set(row.ids.subarray(0, length), offset);
    targets.set(row.ids.subarray(1), offset);
    segments.set(row.segments.subarray(0, length), offset);
    for (let position = 0; position < length; position++) {
      const flag = row.lossMask[position + 1] as number;
      weights[offset + position] = flag;
      masked += flag;
    }
  });
  if (options.normalise && masked > 0)
    for (let index = 0; index < weights.length; index++) weights[index] = (weights[index] as number) / masked;
  return { rows: rows.length, length, inputs, targets, weights, segments };
}

/** Endless batches: a fresh seeded shuffle of the rows each epoch, so every row is seen in turn. */
export function* batchesOf<Row>(rows: Row[], batchSize: number, random: SeededRandom): Generator<Row[]> {
  let order: number[] = [];
  for (;;) {
    const batch: Row[] = [];
    while (batch.length < batchSize) {
      if (order.length === 0)
        order = shuffle(
          rows.map((_, index) => index),
          random,
        );
      batch.push(rows[order.pop() as number] as Row);
    }
    yield batch;
  }
}

export function shuffle<T>(items: T[], random: SeededRandom): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = random.integer(index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}
