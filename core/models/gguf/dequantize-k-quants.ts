import { halfTable } from './half-table.ts';

// The "K-quants" work on super-blocks of 256 values, laid out as ggml-common.h's block_q4_K,
// block_q5_K and block_q6_K and read back as ggml-quants.c's dequantize_row_q*_K do. Arithmetic is
// done in doubles, where every product and sum below is exact, and rounded once when stored: the
// same float32 that ggml's single-precision code computes.

const superBlock = 256;
// One super-block's eight 6-bit sub-block scales and mins, unpacked; reused, never reallocated.
const scales = new Uint8Array(8);
const mins = new Uint8Array(8);

/**
 * Unpacks the 12 bytes at `at` (ggml's `get_scale_min_k4`): sub-blocks 0–3 keep their scale and
 * min in the low 6 bits of bytes 0–3 and 4–7; sub-blocks 4–7 keep their low 4 bits in the two
 * nibbles of bytes 8–11 and their top 2 bits in the spare top bits of bytes 0–3 (scales) and
 * 4–7 (mins).
 */
function unpackScalesAndMins(bytes: Uint8Array, at: number): void {
  for (let sub = 0; sub < 4; sub++) {
    scales[sub] = (bytes[at + sub] as number) & 63;
    mins[sub] = (bytes[at + sub + 4] as number) & 63;
  }
  for (let sub = 4; sub < 8; sub++) {
    const low = bytes[at + sub + 4] as number;
    scales[sub] = (low & 0xf) | (((bytes[at + sub - 4] as number) >> 6) << 4);
    mins[sub] = (low >> 4) | (((bytes[at + sub] as number) >> 6) << 4);
  }
}

/**
 * Q4_K, 144 bytes per 256 values: half `d`, half `dmin`, 12 bytes of packed 6-bit scales and mins
 * for eight sub-blocks of 32, then 128 bytes of 4-bit quants. Each 32 bytes of quants hold two
 * sub-blocks: the low nibbles the first, the high nibbles the second. A value is
 * `d·scale·q − dmin·min`.
 */
export function dequantizeQ4K(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let at = 0, o = 0; o < out.length; at += 144, o += superBlock) {
    const d = halves[(bytes[at] as number) | ((bytes[at + 1] as number) << 8)] as number;
    const dmin = halves[(bytes[at + 2] as number) | ((bytes[at + 3] as number) << 8)] as number;
    unpackScalesAndMins(bytes, at + 4);
    for (let group = 0; group < 4; group++) {
      const quants = at + 16 + group * 32;
      const lowScale = d * (scales[2 * group] as number);
      const lowMin = dmin * (mins[2 * group] as number);
      const highScale = d * (scales[2 * group + 1] as number);
      const highMin = dmin * (mins[2 * group + 1] as number);
      const first = o + group * 64;
      for (let l = 0; l < 32; l++) {
        const q = bytes[quants + l] as number;
        out[first + l] = lowScale * (q & 0xf) - lowMin;
        out[first + 32 + l] = highScale * (q >> 4) - highMin;
      }
    }
  }
}

/**
 * Q5_K, 176 bytes per 256 values: as Q4_K, with 32 bytes of fifth bits (`qh`) between the scales
 * and the 4-bit quants. Sub-block s takes its fifth bits from bit s of each `qh` byte, so the
 * pair of sub-blocks in quant group g uses bits 2g and 2g + 1.
 */
export function dequantizeQ5K(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let at = 0, o = 0; o < out.length; at += 176, o += superBlock) {
    const d = halves[(bytes[at] as number) | ((bytes[at + 1] as number) << 8)] as number;
    const dmin = halves[(bytes[at + 2] as number) | ((bytes[at + 3] as number) << 8)] as number;
    unpackScalesAndMins(bytes, at + 4);
    const high = at + 16;
    for (let group = 0; group < 4; group++) {
      const quants = at + 48 + group * 32;
      const lowBit = 1 << (2 * group);
      const highBit = 2 << (2 * group);
      const lowScale = d * (scales[2 * group] as number);
      const lowMin = dmin * (mins[2 * group] as number);
      const highScale = d * (scales[2 * group + 1] as number);
      const highMin = dmin * (mins[2 * group + 1] as number);
      const first = o + group * 64;
      for (let l = 0; l < 32; l++) {
        const q = bytes[quants + l] as number;
        const fifth = bytes[high + l] as number;
        out[first + l] = lowScale * ((q & 0xf) + (fifth & lowBit ? 16 : 0)) - lowMin;
        out[first + 32 + l] = highScale * ((q >> 4) + (fifth & highBit ? 16 : 0)) - highMin;
      }
    }
  }
}

/**
 * Q6_K, 210 bytes per 256 values: 128 bytes of low nibbles (`ql`), 64 bytes of 2-bit high parts
 * (`qh`), 16 signed 8-bit scales (one per 16 values), then the half `d`. Each half of the block
 * (128 values) uses 64 `ql` and 32 `qh` bytes: value l, l + 32, l + 64 and l + 96 take the low
 * nibble of ql[l], the low nibble of ql[l + 32], the high nibble of ql[l], the high nibble of
 * ql[l + 32], and bits 0–1, 2–3, 4–5, 6–7 of qh[l]. A value is `d·scale·(q − 32)`.
 */
export function dequantizeQ6K(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let at = 0, o = 0; o < out.length; at += 210, o += superBlock) {
    const d = halves[(bytes[at + 208] as number) | ((bytes[at + 209] as number) << 8)] as number;
    for (let half = 0; half < 2; half++) {
      const low = at + half * 64;
      const high = at + 128 + half * 32;
      const scale = at + 192 + half * 8;
      const first = o + half * 128;
      for (let l = 0; l < 32; l++) {
        const sub = scale + (l >> 4);
        const a = bytes[low + l] as number;
        const b = bytes[low + l + 32] as number;
        const h = bytes[high + l] as number;
        out[first + l] = d * signed(bytes[sub] as number) * (((a & 0xf) | ((h & 3) << 4)) - 32);
        out[first + l + 32] =
          d * signed(bytes[sub + 2] as number) * (((b & 0xf) | (((h >> 2) & 3) << 4)) - 32);
        out[first + l + 64] =
          d * signed(bytes[sub + 4] as number) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
        out[first + l + 96] =
          d * signed(bytes[sub + 6] as number) * (((b >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
    }
  }
}

function signed(byte: number): number {
  return (byte << 24) >> 24;
}
