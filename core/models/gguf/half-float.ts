/**
 * IEEE 754 half precision, which GGUF uses for F16 tensors and for the scales inside quantised
 * blocks. Node 20 has no Float16Array, so the bits are converted by hand.
 */
const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

/** The float a half's 16 bits stand for; subnormals, infinities and NaN included. */
export function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The nearest half to `value` (round to nearest, ties to even), as its 16 bits. */
export function floatToHalf(value: number): number {
  floatView[0] = value;
  const bits = bitsView[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const unbiased = exponent - 127;
  if (unbiased > 15) return sign | 0x7c00;
  if (unbiased >= -14) {
    // Normal half: keep 10 mantissa bits and round on the 13 dropped ones.
    let half = ((unbiased + 15) << 10) | (mantissa >> 13);
    const dropped = mantissa & 0x1fff;
    if (dropped > 0x1000 || (dropped === 0x1000 && half & 1)) half += 1;
    return sign | half;
  }
  if (unbiased < -25) return sign;
  // Subnormal half: the implicit leading one becomes explicit and shifts right.
  mantissa |= 0x800000;
  const shift = -unbiased - 14 + 13;
  let half = mantissa >> shift;
  const dropped = mantissa & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (dropped > halfway || (dropped === halfway && half & 1)) half += 1;
  return sign | half;
}
