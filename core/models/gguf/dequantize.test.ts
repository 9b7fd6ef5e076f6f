import { describe, expect, it } from 'vitest';
import { dequantizableTypes, dequantize } from './dequantize.ts';
import { ggmlTypeByName } from './ggml-types.ts';

// Every block below is written byte by byte; the expected floats are derived in the comments from
// the layouts of ggml-common.h's block structs, not from the code under test. Halves are given by
// their bits, little-endian: 0x3800 = 0.5 is [0x00, 0x38].

const read = (type: string, bytes: number[], elements: number) =>
  Array.from(dequantize(ggmlTypeByName(type), Uint8Array.from(bytes), elements));
const range = (length: number) => Array.from({ length }, (_, index) => index);

describe('dequantize, unquantised types', () => {
  it('reads F32 bytes as they are', () => {
    // 0x3fc00000 = 1.5, 0xc0100000 = −2.25, 0x7f7fffff = the largest float32.
    const bytes = [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x10, 0xc0, 0xff, 0xff, 0x7f, 0x7f];
    expect(read('F32', bytes, 3)).toEqual([1.5, -2.25, 3.4028234663852886e38]);
  });

  it('reads F16 halves', () => {
    // 0x3c00 = 1; 0xc000 = −2; 0x3555 = (1 + 341/1024)·2^−2 = 0.333251953125;
    // 0x0001 = 2^−24 (the smallest subnormal); 0x7bff = 65504 (the largest half).
    const bytes = [0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0x01, 0x00, 0xff, 0x7b];
    expect(read('F16', bytes, 5)).toEqual([1, -2, 0.333251953125, 2 ** -24, 65504]);
  });

  it('reads BF16 as the top 16 bits of a float32', () => {
    // 0x3f80 → 0x3f800000 = 1; 0xc040 → −3; 0x3eaa → (1 + 0x2a/128)·2^−2 = 0.33203125;
    // 0x7f80 → +∞.
    const bytes = [0x80, 0x3f, 0x40, 0xc0, 0xaa, 0x3e, 0x80, 0x7f];
    expect(read('BF16', bytes, 4)).toEqual([1, -3, 0.33203125, Number.POSITIVE_INFINITY]);
  });
});

describe('dequantize, 32-value blocks', () => {
  it('reads Q4_0: low nibbles are values 0–15, high nibbles values 16–31, each d·(q − 8)', () => {
    // Block 1: d = 0x3800 = 0.5; byte j holds j in its low nibble and 15 − j in its high one, so
    // value j is 0.5·(j − 8) (−4, −3.5, … 3.5) and value 16 + j is 0.5·(7 − j) (3.5, 3, … −4).
    // Block 2: d = 0xb400 = −0.25; every byte 0x0f: low nibble 15 gives −0.25·7 = −1.75, high
    // nibble 0 gives −0.25·(−8) = 2.
    const first = [0x00, 0x38, ...range(16).map((j) => j | ((15 - j) << 4))];
    const second = [0x00, 0xb4, ...Array(16).fill(0x0f)];
    const values = read('Q4_0', [...first, ...second], 64);
    expect(values.slice(0, 32)).toEqual([
      ...range(16).map((j) => 0.5 * (j - 8)),
      ...range(16).map((j) => 0.5 * (7 - j)),
    ]);
    expect(values.slice(0, 4)).toEqual([-4, -3.5, -3, -2.5]);
    expect(values.slice(16, 20)).toEqual([3.5, 3, 2.5, 2]);
    expect(values.slice(32)).toEqual([...Array(16).fill(-1.75), ...Array(16).fill(2)]);
  });

  it('reads Q4_1: the same nibble order, each d·q + m', () => {
    // Block 1: d = 0x3400 = 0.25, m = 0xbc00 = −1; byte j holds 15 − j low and j high, so value j
    // is 0.25·(15 − j) − 1 (2.75, 2.5, … −1) and value 16 + j is 0.25·j − 1 (−1, −0.75, … 2.75).
    // Block 2: d = 0x1400 = 2^−10, m = 0x3800 = 0.5; every byte 0xf0: low nibble 0 gives 0.5, high
    // nibble 15 gives 15/1024 + 0.5 = 0.5146484375.
    const first = [0x00, 0x34, 0x00, 0xbc, ...range(16).map((j) => (15 - j) | (j << 4))];
    const second = [0x00, 0x14, 0x00, 0x38, ...Array(16).fill(0xf0)];
    const values = read('Q4_1', [...first, ...second], 64);
    expect(values.slice(0, 32)).toEqual([
      ...range(16).map((j) => 2.75 - 0.25 * j),
      ...range(16).map((j) => 0.25 * j - 1),
    ]);
    expect(values.slice(0, 4)).toEqual([2.75, 2.5, 2.25, 2]);
    expect(values.slice(16, 20)).toEqual([-1, -0.75, -0.5, -0.25]);
    expect(values.slice(32)).toEqual([...Array(16).fill(0.5), ...Array(16).fill(0.5146484375)]);
  });

  it('reads Q8_0: signed bytes times d', () => {
    // d = 0x3000 = 0.125; byte j is 8·j − 128 as a signed byte (0x80 = −128, 0x88 = −120, …,
    // 0x78 = 120), so value j is j − 16; the last byte is 0x7f = 127 instead: 15.875.
    const quants = range(32).map((j) => (8 * j - 128) & 0xff);
    quants[31] = 0x7f;
    expect(read('Q8_0', [0x00, 0x30, ...quants], 32)).toEqual([...range(31).map((j) => j - 16), 15.875]);
  });
});

// The 12 scale bytes shared by the Q4_K and Q5_K blocks below, for sub-block scales
// [1, 2, 3, 4, 17, 33, 50, 63] and mins [8, 0, 63, 5, 16, 40, 1, 62]:
// - bytes 0–3: scales 0–3 in the low 6 bits, bits 4–5 of scales 4–7 (1, 2, 3, 3) on top:
//   1 | 1 << 6 = 0x41, 2 | 2 << 6 = 0x82, 3 | 3 << 6 = 0xc3, 4 | 3 << 6 = 0xc4;
// - bytes 4–7: mins 0–3 in the low 6 bits, bits 4–5 of mins 4–7 (1, 2, 0, 3) on top:
//   8 | 1 << 6 = 0x48, 0 | 2 << 6 = 0x80, 63 = 0x3f, 5 | 3 << 6 = 0xc5;
// - bytes 8–11: the low 4 bits of scales 4–7 (1, 1, 2, 15) below those of mins 4–7 (0, 8, 1, 14):
//   0x01, 0x81, 0x12, 0xef.
const kScaleBytes = [0x41, 0x82, 0xc3, 0xc4, 0x48, 0x80, 0x3f, 0xc5, 0x01, 0x81, 0x12, 0xef];
const kScales = [1, 2, 3, 4, 17, 33, 50, 63];
const kMins = [8, 0, 63, 5, 16, 40, 1, 62];
// Quant byte l of group g (32 bytes, sub-blocks 2g and 2g + 1): (l + g) mod 16 in the low nibble,
// 15 minus that in the high one.
const kQuantBytes = range(128).map((index) => {
  const low = ((index % 32) + Math.floor(index / 32)) % 16;
  return low | ((15 - low) << 4);
});
const lowNibble = (position: number) => ((position % 32) + Math.floor(position / 64)) % 16;

describe('dequantize, K-quant super-blocks of 256', () => {
  it('reads Q4_K: eight sub-blocks of 32, each d·scale·q − dmin·min with 6-bit packed scales and mins', () => {
    // d = 0x2c00 = 1/16, dmin = 0x3400 = 1/4: sub-block s is (scale_s/16)·q − min_s/4.
    // Value p lies in sub-block s = p/32 (rounded down); group g = s/2 holds its quants, in the low
    // nibbles for even s, the high ones for odd s.
    // Second super-block: d = 1, dmin = 0, every scale 1 (bytes 0–3 = 1, bytes 8–11 = 0x01), every
    // quant byte 0x21: 1 in even sub-blocks, 2 in odd ones.
    const second = [0x00, 0x3c, 0x00, 0x00, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, ...Array(128).fill(0x21)];
    const values = read('Q4_K', [0x00, 0x2c, 0x00, 0x34, ...kScaleBytes, ...kQuantBytes, ...second], 512);
    const expected = range(256).map((p) => {
      const s = Math.floor(p / 32);
      const q = s % 2 === 0 ? lowNibble(p) : 15 - lowNibble(p);
      return ((kScales[s] as number) / 16) * q - (kMins[s] as number) / 4;
    });
    expect(values.slice(0, 256)).toEqual(expected);
    // Spot checks by hand: p = 0: 0 − 8/4 = −2; p = 32 (odd sub-block 1, q = 15): 2/16·15 − 0 =
    // 1.875; p = 64 (sub-block 2, g = 1, q = 1): 3/16 − 63/4 = −15.5625; p = 133 (sub-block 4,
    // g = 2, l = 5, q = 7): 17/16·7 − 16/4 = 3.4375; p = 255 (sub-block 7, g = 3, l = 31,
    // q = 15 − 2 = 13): 63/16·13 − 62/4 = 35.6875.
    expect([values[0], values[32], values[64], values[133], values[255]]).toEqual([
      -2, 1.875, -15.5625, 3.4375, 35.6875,
    ]);
    expect(values.slice(256)).toEqual(range(256).map((p) => (Math.floor(p / 32) % 2 === 0 ? 1 : 2)));
  });

  it('reads Q5_K: the Q4_K layout plus a fifth bit per value from qh', () => {
    // d = 0x3000 = 1/8, dmin = 0x3800 = 1/2: sub-block s is (scale_s/8)·q − min_s/2. Byte l of qh
    // is (l | l << 5) & 0xff, so sub-block s's fifth bit at its l-th value is bit s of that: bit
    // (s mod 5) of l. The low 4 bits are the Q4_K test's nibbles.
    const qh = range(32).map((l) => (l | (l << 5)) & 0xff);
    const values = read('Q5_K', [0x00, 0x30, 0x00, 0x38, ...kScaleBytes, ...qh, ...kQuantBytes], 256);
    const expected = range(256).map((p) => {
      const s = Math.floor(p / 32);
      const fifth = ((p % 32) >> (s % 5)) & 1;
      const q = (s % 2 === 0 ? lowNibble(p) : 15 - lowNibble(p)) + 16 * fifth;
      return ((kScales[s] as number) / 8) * q - (kMins[s] as number) / 2;
    });
    expect(values).toEqual(expected);
    // By hand: p = 0: 0 − 8/2 = −4; p = 33 (sub-block 1, l = 1, nibble 15 − 1, bit 1 of 1 = 0):
    // 2/8·14 = 3.5; p = 255 (sub-block 7, l = 31, nibble 13, bit 2 of 31 = 1: q = 29):
    // 63/8·29 − 62/2 = 197.375.
    expect([values[0], values[33], values[255]]).toEqual([-4, 3.5, 197.375]);
  });

  it('reads Q6_K: 4 low bits from ql, 2 high bits from qh, signed 8-bit scales per 16 values', () => {
    // ql byte i is i. qh bytes alternate 0xe4 (2-bit fields 0, 1, 2, 3 from the bottom) and 0x1b
    // (3, 2, 1, 0), starting with 0xe4 for the first half's 32 and with 0x1b for the second's.
    // Scales are [1, −2, 3, −4, 5, −6, 7, −8, 16, −16, 32, −32, 64, −64, 127, −128], one per 16
    // values; d = 0x2400 = 1/64. In half n (values 128n to 128n + 127) at position l (0–31) of
    // each quarter, reading qh[32n + l], which is 0xe4 when l + n is even and 0x1b when odd:
    // - quarter 0 (value 128n + l): low nibble of ql[64n + l] = l mod 16, qh bits 0–1: 0 or 3;
    // - quarter 1 (+ 32): low nibble of ql[64n + 32 + l] = l mod 16, qh bits 2–3: 1 or 2;
    // - quarter 2 (+ 64): high nibble of ql[64n + l] = 4n + l/16, qh bits 4–5: 2 or 1;
    // - quarter 3 (+ 96): high nibble of ql[64n + 32 + l] = 4n + 2 + l/16, qh bits 6–7: 3 or 0;
    // and the value is d·scale·(q − 32) with the scale of its 16 values.
    const scales = [1, -2, 3, -4, 5, -6, 7, -8, 16, -16, 32, -32, 64, -64, 127, -128];
    const qh = range(64).map((i) => ((i + Math.floor(i / 32)) % 2 === 0 ? 0xe4 : 0x1b));
    const bytes = [...range(128), ...qh, ...scales.map((scale) => scale & 0xff), 0x00, 0x24];
    // Second super-block: all quants and scales zero but scale bytes of 1, d = 1: every value is
    // 1·1·(0 − 32).
    const second = [...Array(192).fill(0), ...Array(16).fill(1), 0x00, 0x3c];
    const values = read('Q6_K', [...bytes, ...second], 512);
    const highBits = [
      [0, 3],
      [1, 2],
      [2, 1],
      [3, 0],
    ];
    const expected = range(256).map((p) => {
      const n = Math.floor(p / 128);
      const quarter = Math.floor((p % 128) / 32);
      const l = p % 32;
      const low = quarter < 2 ? l % 16 : 4 * n + 2 * (quarter - 2) + Math.floor(l / 16);
      const q = low + 16 * (highBits[quarter]?.[(l + n) % 2] as number);
      return ((scales[Math.floor(p / 16)] as number) / 64) * (q - 32);
    });
    expect(values.slice(0, 256)).toEqual(expected);
    // By hand: value 0: 1/64·(0 − 32) = −0.5; value 1 (0x1b, high bits 3: q = 1 + 48): 1/64·17 =
    // 0.265625; value 32 (quarter 1, 0xe4: q = 16): 3/64·(−16) = −0.75; value 200 (half 1,
    // quarter 2, l = 8, 0x1b: q = 4 + 16): 64/64·(−12) = −12; value 255 (half 1, quarter 3,
    // l = 31, 0xe4: q = 7 + 48): −128/64·23 = −46.
    expect([values[0], values[1], values[32], values[200], values[255]]).toEqual([
      -0.5, 0.265625, -0.75, -12, -46,
    ]);
    expect(values.slice(256)).toEqual(Array(256).fill(-32));
  });
});

describe('dequantize, refusals', () => {
  it('lists the types it reads', () => {
    expect(dequantizableTypes).toEqual([
      'F32',
      'F16',
      'BF16',
      'Q4_0',
      'Q4_1',
      'Q8_0',
      'Q4_K',
      'Q5_K',
      'Q6_K',
    ]);
  });

  it('refuses other types, partial blocks and bytes of the wrong length', () => {
    expect(() => read('Q2_K', Array(84).fill(0), 256)).toThrow(
      'cannot dequantise Q2_K; supported: F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K',
    );
    expect(() => read('Q4_0', Array(18).fill(0), 16)).toThrow(
      'Q4_0 stores values in blocks of 32, and 16 is not a multiple',
    );
    expect(() => read('Q8_0', Array(33).fill(0), 32)).toThrow('32 Q8_0 values take 34 bytes, not 33');
  });
});
