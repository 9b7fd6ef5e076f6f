import { halfToFloat } from './half-float.ts';

let table: Float32Array | undefined;

/**
 * Every half's float, indexed by its 16 bits: dequantising reads one or two halves per block of 32
 * weights, millions of times, and a lookup is several times faster than decoding each one.
 */
export function halfTable(): Float32Array {
  if (!table) table = Float32Array.from({ length: 0x10000 }, (_, bits) => halfToFloat(bits));
  return table;
}
