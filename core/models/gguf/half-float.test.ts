import { describe, expect, it } from 'vitest';
import { floatToHalf, halfToFloat } from './half-float.ts';

describe('half floats', () => {
  it('reads the bit patterns the IEEE 754 binary16 tables give', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504); // the largest finite half
    expect(halfToFloat(0x0001)).toBe(2 ** -24); // the smallest subnormal
    expect(halfToFloat(0x0400)).toBe(2 ** -14); // the smallest normal
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });

  it('rounds to the nearest half, ties to even', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -26)).toBe(0x0000); // below half the smallest subnormal
    // 1 + 2^-11 lies exactly between 1 (even mantissa) and 1 + 2^-10: it goes to 1.
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even): it goes up.
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('gives back every finite half it is handed', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      const back = floatToHalf(halfToFloat(bits));
      // -0 and +0 differ only in the sign bit, which round-trips too.
      expect(back).toBe(bits);
    }
  });
});
