import type { FileHandle } from 'node:fs/promises';
import { ValidationError } from '../../errors.ts';

// Value types of the GGUF spec, by name, in id order.
const valueTypes = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
] as const;

/** A GGUF metadata value type, by the name the GGUF spec gives it. */
export type GgufValueType = (typeof valueTypes)[number];

type ScalarType = Exclude<GgufValueType, 'string' | 'array'>;

/** A metadata value without its type: 64-bit integers are numbers when exact, bigints otherwise. */
export type GgufMetadataValue = number | bigint | string | boolean | GgufMetadataValue[];

/**
 * One metadata value with its type, which matters: llama.cpp aborts the whole process when a key
 * it reads has another type than it expects (gguf.cpp asserts it). 64-bit integers are numbers
 * when exact, bigints otherwise; an array's elements are plain values of its `elementType`.
 */
export type GgufMetadataEntry =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'uint64' | 'int64'; value: number | bigint }
  | { type: Exclude<ScalarType, 'bool' | 'uint64' | 'int64'>; value: number }
  | { type: 'array'; elementType: GgufValueType; value: GgufMetadataValue[] };

type ScalarEntry = Exclude<GgufMetadataEntry, { type: 'string' | 'array' }>;

const fixedSizes: Record<ScalarType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
};
const chunkBytes = 1024 * 1024;

/**
 * Reads a GGUF header front to back through one buffer: the vocabulary alone is tens of thousands
 * of strings. Every error names the file by `label` and calls it not a usable GGUF file.
 */
export class SequentialReader {
  private buffer = Buffer.alloc(0);
  private position = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly label: string,
    /** The file's size: lengths and counts that could not fit in it are refused before anything is allocated for them. */
    private readonly size: number,
  ) {}

  /** How far into the file the next read starts. */
  get offset(): number {
    return this.position - this.buffer.length;
  }

  async bytes(count: number): Promise<Buffer> {
    this.ensureRoom(count, 1);
    const chunks: Buffer[] = [];
    let missing = count;
    while (missing > 0) {
      if (this.buffer.length === 0) await this.fill();
      const taken = this.buffer.subarray(0, missing);
      chunks.push(taken);
      this.buffer = this.buffer.subarray(taken.length);
      missing -= taken.length;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, count);
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  /** A u64 that must be an exact number (a count, a length, a dimension, an offset). */
  async count(what: string): Promise<number> {
    const value = (await this.bytes(8)).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw this.corrupt(`${what} is ${value}, far more than it can be`);
    return Number(value);
  }

  async string(): Promise<string> {
    return (await this.bytes(await this.count('a string length'))).toString('utf8');
  }

  /** Reads one metadata value of GGUF value type id `typeId`, with its type; arrays may nest. */
  async entry(typeId: number): Promise<GgufMetadataEntry> {
    return this.value(this.typeOf(typeId));
  }

  corrupt(reason: string): ValidationError {
    return new ValidationError(`${this.label} is not a usable GGUF file: ${reason}`);
  }

  private async value(type: GgufValueType): Promise<GgufMetadataEntry> {
    if (type === 'string') return { type, value: await this.string() };
    if (type === 'array') {
      const elementType = this.typeOf(await this.u32());
      return { type, elementType, value: await this.elements(elementType) };
    }
    return this.scalar(type, await this.bytes(fixedSizes[type]), 0);
  }

  private async elements(type: GgufValueType): Promise<GgufMetadataValue[]> {
    const count = await this.count('an array length');
    if (type === 'string' || type === 'array') {
      // A string holds at least its 8-byte length, an array its type and count.
      this.ensureRoom(count, type === 'string' ? 8 : 12);
      const elements: GgufMetadataValue[] = [];
      for (let element = 0; element < count; element++)
        elements.push(
          (type === 'string' ? this.bufferedString() : undefined) ?? (await this.value(type)).value,
        );
      return elements;
    }
    // One read for the whole array: token scores and types run to tens of thousands.
    const size = fixedSizes[type];
    const bytes = await this.bytes(count * size);
    return Array.from({ length: count }, (_, element) => this.scalar(type, bytes, element * size).value);
  }

  /** The next string when the buffer holds it whole, read without waiting: vocabularies are 100 000 strings. */
  private bufferedString(): string | undefined {
    if (this.buffer.length < 8) return undefined;
    const length = this.buffer.readBigUInt64LE(0);
    if (length > BigInt(this.buffer.length - 8)) return undefined;
    const end = 8 + Number(length);
    const text = this.buffer.toString('utf8', 8, end);
    this.buffer = this.buffer.subarray(end);
    return text;
  }

  private scalar(type: ScalarType, bytes: Buffer, at: number): ScalarEntry {
    switch (type) {
      case 'uint8':
        return { type, value: bytes.readUInt8(at) };
      case 'int8':
        return { type, value: bytes.readInt8(at) };
      case 'uint16':
        return { type, value: bytes.readUInt16LE(at) };
      case 'int16':
        return { type, value: bytes.readInt16LE(at) };
      case 'uint32':
        return { type, value: bytes.readUInt32LE(at) };
      case 'int32':
        return { type, value: bytes.readInt32LE(at) };
      case 'float32':
        return { type, value: bytes.readFloatLE(at) };
      case 'bool': {
        const byte = bytes.readUInt8(at);
        if (byte > 1) throw this.corrupt(`its metadata has a boolean stored as ${byte}, not 0 or 1`);
        return { type, value: byte === 1 };
      }
      case 'uint64':
        return { type, value: exact(bytes.readBigUInt64LE(at)) };
      case 'int64':
        return { type, value: exact(bytes.readBigInt64LE(at)) };
      case 'float64':
        return { type, value: bytes.readDoubleLE(at) };
    }
  }

  private typeOf(id: number): GgufValueType {
    const type = valueTypes[id];
    if (type === undefined) throw this.corrupt(`its metadata has a value of unknown type ${id}`);
    return type;
  }

  private ensureRoom(count: number, elementSize: number): void {
    if (count * elementSize > this.size - this.offset)
      throw this.corrupt('it ends inside its metadata or tensor list');
  }

  private async fill(): Promise<void> {
    const chunk = Buffer.alloc(chunkBytes);
    const { bytesRead } = await this.file.read(chunk, 0, chunk.length, this.position);
    if (bytesRead === 0) throw this.corrupt('it ends inside its metadata or tensor list');
    this.position += bytesRead;
    this.buffer = chunk.subarray(0, bytesRead);
  }
}

function exact(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}
