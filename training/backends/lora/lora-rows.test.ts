import { describe, expect, it } from 'vitest';
import { answerTargets, packRows } from './lora-rows.ts';

// Three rows: prompt tokens, then answer tokens from answerStart on.
const rows = [
  { tokens: Int32Array.of(1, 2, 3, 4), answerStart: 2 },
  { tokens: Int32Array.of(5, 6, 7), answerStart: 1 },
  { tokens: Int32Array.of(8, 9, 10, 11, 12, 13), answerStart: 4 },
];

describe('LoRA rows', () => {
  it('predict each answer token from the position before it', () => {
    // Row 0: positions 1 and 2 predict tokens 3 and 4.
    expect(answerTargets(rows[0]!)).toEqual({ positions: Int32Array.of(1, 2), targets: Int32Array.of(3, 4) });
  });

  it('pack in order up to the token limit, answer positions shifted by where each row starts', () => {
    const packs = packRows(rows, 7);
    expect(packs).toEqual([
      {
        rows: [rows[0], rows[1]],
        tokens: Int32Array.of(1, 2, 3, 4, 5, 6, 7),
        segments: [4, 3],
        // Row 1 starts at 4: its positions 0 and 1 become 4 and 5.
        positions: Int32Array.of(1, 2, 4, 5),
        targets: Int32Array.of(3, 4, 6, 7),
      },
      {
        rows: [rows[2]],
        tokens: Int32Array.of(8, 9, 10, 11, 12, 13),
        segments: [6],
        positions: Int32Array.of(3, 4),
        targets: Int32Array.of(12, 13),
      },
    ]);
    // A row longer than the limit still goes, alone.
    expect(packRows(rows, 2).map((pack) => pack.segments)).toEqual([[4], [3], [6]]);
  });
});
