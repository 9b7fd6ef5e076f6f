import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { ggmlByteLength, ggmlTypeByName } from './ggml-types.ts';
import { floatToHalf } from './half-float.ts';

/** A metadata value, tagged with its GGUF value type; build them with `ggufValue`. */
export type GgufValue = { readonly type: number; readonly bytes: Buffer };

/**
 * A tensor to write: float values, stored as F32 or F16, or bytes already in the blocks of a ggml
 * type (`Q4_K`, `Q8_0`, …), written as given. `dimensions` are in GGUF's order, fastest-varying
 * first: a matrix of `rows` rows of `columns` values is `[columns, rows]`.
 */
export type GgufTensorToWrite =
  | { name: string; dimensions: number[]; type: 'F32' | 'F16'; values: Float32Array }
  | { name: string; dimensions: number[]; type: string; bytes: Uint8Array };

export type GgufContents = { metadata: [string, GgufValue][]; tensors: GgufTensorToWrite[] };

// Value type ids from the GGUF spec.
const valueTypes = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;
const defaultAlignment = 32;

const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};
const i32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  return buffer;
};
const u64 = (value: number | bigint) => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
};
const fixed = (size: number, write: (buffer: Buffer) => void) => {
  const buffer = Buffer.alloc(size);
  write(buffer);
  return buffer;
};
const f32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeFloatLE(value);
  return buffer;
};
const stringBytes = (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([u64(bytes.length), bytes]);
};
const array = (elementType: number, elements: Buffer[]): GgufValue => ({
  type: valueTypes.array,
  bytes: Buffer.concat([u32(elementType), u64(elements.length), ...elements]),
});

/** Constructors for every metadata value type the project writes. */
export const ggufValue = {
  string: (text: string): GgufValue => ({ type: valueTypes.string, bytes: stringBytes(text) }),
  uint32: (value: number): GgufValue => ({ type: valueTypes.uint32, bytes: u32(value) }),
  int32: (value: number): GgufValue => ({ type: valueTypes.int32, bytes: i32(value) }),
  uint64: (value: number | bigint): GgufValue => ({ type: valueTypes.uint64, bytes: u64(value) }),
  float32: (value: number): GgufValue => ({ type: valueTypes.float32, bytes: f32(value) }),
  uint8: (value: number): GgufValue => ({
    type: valueTypes.uint8,
    bytes: fixed(1, (b) => b.writeUInt8(value)),
  }),
  int8: (value: number): GgufValue => ({ type: valueTypes.int8, bytes: fixed(1, (b) => b.writeInt8(value)) }),
  uint16: (value: number): GgufValue => ({
    type: valueTypes.uint16,
    bytes: fixed(2, (b) => b.writeUInt16LE(value)),
  }),
  int16: (value: number): GgufValue => ({
    type: valueTypes.int16,
    bytes: fixed(2, (b) => b.writeInt16LE(value)),
  }),
  int64: (value: number | bigint): GgufValue => ({
    type: valueTypes.int64,
    bytes: fixed(8, (b) => b.writeBigInt64LE(BigInt(value))),
  }),
  float64: (value: number): GgufValue => ({
    type: valueTypes.float64,
    bytes: fixed(8, (b) => b.writeDoubleLE(value)),
  }),
  bool: (value: boolean): GgufValue => ({ type: valueTypes.bool, bytes: Buffer.from([value ? 1 : 0]) }),
  stringArray: (values: string[]): GgufValue => array(valueTypes.string, values.map(stringBytes)),
  float32Array: (values: ArrayLike<number>): GgufValue => array(valueTypes.float32, Array.from(values, f32)),
  int32Array: (values: ArrayLike<number>): GgufValue => array(valueTypes.int32, Array.from(values, i32)),
  /** An array of values of one type, arrays included (GGUF arrays may nest); at least one element. */
  array: (elements: GgufValue[]): GgufValue => {
    const type = elements[0]?.type;
    if (type === undefined || elements.some((element) => element.type !== type))
      throw new RangeError('a GGUF array needs at least one element, and all of one type');
    return array(
      type,
      elements.map((element) => element.bytes),
    );
  },
};

/**
 * Writes a GGUF v3 file: header, metadata, tensor descriptions, then each tensor's data aligned to
 * `general.alignment` (32 unless the metadata says otherwise). The file is written under a
 * temporary name beside `path` and renamed when complete, so a crash or a full disk never leaves a
 * half-written model or adapter where a reader would take it for whole. Returns the size in bytes.
 */
export async function writeGguf(path: string, contents: GgufContents): Promise<number> {
  const alignment = alignmentOf(contents.metadata);
  const align = (length: number) => Math.ceil(length / alignment) * alignment;
  for (const tensor of contents.tensors) checkSize(tensor);
  const header: Buffer[] = [
    Buffer.from('GGUF', 'latin1'),
    u32(3),
    u64(contents.tensors.length),
    u64(contents.metadata.length),
  ];
  for (const [key, value] of contents.metadata) header.push(stringBytes(key), u32(value.type), value.bytes);
  let offset = 0;
  for (const tensor of contents.tensors) {
    header.push(
      stringBytes(tensor.name),
      u32(tensor.dimensions.length),
      ...tensor.dimensions.map(u64),
      u32(ggmlTypeByName(tensor.type).id),
      u64(offset),
    );
    offset += align(tensorBytes(tensor));
  }
  const head = Buffer.concat(header);

  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  const file = await open(temporary, 'w');
  try {
    let written = 0;
    const put = async (bytes: Buffer | Uint8Array) => {
      await file.write(bytes);
      written += bytes.length;
    };
    await put(head);
    await put(Buffer.alloc(align(head.length) - head.length));
    for (const tensor of contents.tensors) {
      const bytes = encode(tensor);
      await put(bytes);
      await put(Buffer.alloc(align(bytes.length) - bytes.length));
    }
    await file.sync();
    await file.close();
    await rename(temporary, path);
    return written;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

function alignmentOf(metadata: [string, GgufValue][]): number {
  const entry = metadata.find(([key]) => key === 'general.alignment');
  if (!entry) return defaultAlignment;
  if (entry[1].type !== valueTypes.uint32) throw new TypeError('general.alignment must be a uint32');
  return entry[1].bytes.readUInt32LE(0);
}

function checkSize(tensor: GgufTensorToWrite): void {
  const elements = tensor.dimensions.reduce((product, dimension) => product * dimension, 1);
  const shape = `tensor ${tensor.name} has dimensions [${tensor.dimensions.join(', ')}] (${elements} values)`;
  if ('values' in tensor) {
    if (elements !== tensor.values.length)
      throw new RangeError(`${shape} but ${tensor.values.length} values were given`);
    return;
  }
  const type = ggmlTypeByName(tensor.type);
  if ((tensor.dimensions[0] ?? 1) % type.blockElements !== 0)
    throw new RangeError(`${shape}, but ${type.name} stores rows in blocks of ${type.blockElements}`);
  const expected = ggmlByteLength(type, elements);
  if (tensor.bytes.length !== expected)
    throw new RangeError(
      `${shape}, ${expected} bytes as ${type.name}, but ${tensor.bytes.length} bytes were given`,
    );
}

function tensorBytes(tensor: GgufTensorToWrite): number {
  if ('bytes' in tensor) return tensor.bytes.length;
  return tensor.values.length * (tensor.type === 'F32' ? 4 : 2);
}

function encode(tensor: GgufTensorToWrite): Uint8Array {
  if ('bytes' in tensor) return tensor.bytes;
  if (tensor.type === 'F32')
    return new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength);
  const halves = new Uint16Array(tensor.values.length);
  for (let index = 0; index < halves.length; index++)
    halves[index] = floatToHalf(tensor.values[index] as number);
  return new Uint8Array(halves.buffer);
}
