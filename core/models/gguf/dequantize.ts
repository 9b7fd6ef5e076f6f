import { dequantizeQ4K, dequantizeQ5K, dequantizeQ6K } from './dequantize-k-quants.ts';
import { type GgmlType, ggmlByteLength } from './ggml-types.ts';
import { halfTable } from './half-table.ts';

// The 32-value blocks are laid out as ggml-common.h's block_q4_0, block_q4_1 and block_q8_0 and
// read back as ggml-quants.c's dequantize_row_* do; every product and sum is exact in a double, so
// storing it rounds once, to the float32 ggml computes.

const block = 32;

/** F32: copied byte for byte (GGUF is little-endian, as is every machine Node runs on here). */
function dequantizeF32(bytes: Uint8Array, out: Float32Array): void {
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(0, out.byteLength));
}

function dequantizeF16(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let index = 0; index < out.length; index++)
    out[index] = halves[(bytes[2 * index] as number) | ((bytes[2 * index + 1] as number) << 8)] as number;
}

/** BF16 is the top half of a float32's bits: shifting them back up is the whole conversion. */
function dequantizeBF16(bytes: Uint8Array, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let index = 0; index < out.length; index++)
    bits[index] = ((bytes[2 * index] as number) | ((bytes[2 * index + 1] as number) << 8)) << 16;
}

/**
 * Q4_0, 18 bytes per 32 values: half `d`, then 16 bytes whose low nibbles are values 0–15 and high
 * nibbles values 16–31 (not interleaved). A value is `d·(q − 8)`.
 */
function dequantizeQ4_0(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let at = 0, o = 0; o < out.length; at += 18, o += block) {
    const d = halves[(bytes[at] as number) | ((bytes[at + 1] as number) << 8)] as number;
    for (let j = 0; j < 16; j++) {
      const q = bytes[at + 2 + j] as number;
      out[o + j] = d * ((q & 0xf) - 8);
      out[o + j + 16] = d * ((q >> 4) - 8);
    }
  }
}

/** Q4_1, 20 bytes per 32 values: half `d`, half `m`, then nibbles ordered as Q4_0's. A value is `d·q + m`. */
function dequantizeQ4_1(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let at = 0, o = 0; o < out.length; at += 20, o += block) {
    const d = halves[(bytes[at] as number) | ((bytes[at + 1] as number) << 8)] as number;
    const m = halves[(bytes[at + 2] as number) | ((bytes[at + 3] as number) << 8)] as number;
    for (let j = 0; j < 16; j++) {
      const q = bytes[at + 4 + j] as number;
      out[o + j] = d * (q & 0xf) + m;
      out[o + j + 16] = d * (q >> 4) + m;
    }
  }
}

/** Q8_0, 34 bytes per 32 values: half `d`, then 32 signed bytes. A value is `d·q`. */
function dequantizeQ8_0(bytes: Uint8Array, out: Float32Array): void {
  const halves = halfTable();
  for (let at = 0, o = 0; o < out.length; at += 34, o += block) {
    const d = halves[(bytes[at] as number) | ((bytes[at + 1] as number) << 8)] as number;
    for (let j = 0; j < block; j++) out[o + j] = d * (((bytes[at + 2 + j] as number) << 24) >> 24);
  }
}

const dequantizers: Record<string, (bytes: Uint8Array, out: Float32Array) => void> = {
  F32: dequantizeF32,
  F16: dequantizeF16,
  BF16: dequantizeBF16,
  Q4_0: dequantizeQ4_0,
  Q4_1: dequantizeQ4_1,
  Q8_0: dequantizeQ8_0,
  Q4_K: dequantizeQ4K,
  Q5_K: dequantizeQ5K,
  Q6_K: dequantizeQ6K,
};

/** The ggml types `dequantize` reads, by name. */
export const dequantizableTypes: readonly string[] = Object.keys(dequantizers);

/**
 * Turns `elements` values stored as ggml type `type` into float32s. `bytes` holds exactly their
 * blocks (`elements` is a multiple of the type's block size). Throws a RangeError for a type not in
 * `dequantizableTypes`, or bytes of the wrong length.
 */
export function dequantize(type: GgmlType, bytes: Uint8Array, elements: number): Float32Array {
  const dequantizer = dequantizers[type.name];
  if (!dequantizer)
    throw new RangeError(`cannot dequantise ${type.name}; supported: ${dequantizableTypes.join(', ')}`);
  if (elements % type.blockElements !== 0)
    throw new RangeError(
      `${type.name} stores values in blocks of ${type.blockElements}, and ${elements} is not a multiple`,
    );
  const expected = ggmlByteLength(type, elements);
  if (bytes.length !== expected)
    throw new RangeError(`${elements} ${type.name} values take ${expected} bytes, not ${bytes.length}`);
  const out = new Float32Array(elements);
  dequantizer(bytes, out);
  return out;
}
