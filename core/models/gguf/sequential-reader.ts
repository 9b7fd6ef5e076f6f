import type { FileHandle } from 'node:fs/promises';
import { ValidationError } from '../../errors.ts';

/** A metadata value as GGUF stores it: 64-bit integers are numbers when exact, bigints otherwise. */
export type GgufMetadataValue = number | bigint | string | boolean | GgufMetadataValue[];

// Value type ids from the GGUF spec, with their sizes where fixed (8 = string, 9 = array).
const fixedSizes: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};
const stringType = 8;
const arrayType = 9;
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
    /** The file's size, when known: lengths and counts that could not fit in it are refused before anything is allocated for them. */
    private readonly size = Number.POSITIVE_INFINITY,
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

  async skip(count: number): Promise<void> {
    const buffered = Math.min(count, this.buffer.length);
    this.buffer = this.buffer.subarray(buffered);
    this.position += count - buffered;
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  async u64(): Promise<bigint> {
    return (await this.bytes(8)).readBigUInt64LE(0);
  }

  /** A u64 that must be an exact number (a count, a length, a dimension, an offset). */
  async count(what: string): Promise<number> {
    const value = await this.u64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw this.corrupt(`${what} is ${value}, far more than it can be`);
    return Number(value);
  }

  async string(): Promise<Buffer> {
    return this.bytes(await this.count('a string length'));
  }

  async skipValue(type: number): Promise<void> {
    const size = fixedSizes[type];
    if (size !== undefined) return this.skip(size);
    if (type === stringType) return this.skip(await this.count('a string length'));
    if (type !== arrayType) throw this.unknownType(type);
    const elementType = await this.u32();
    const count = await this.count('an array length');
    const elementSize = fixedSizes[elementType];
    if (elementSize !== undefined) {
      this.ensureRoom(count, elementSize);
      return this.skip(count * elementSize);
    }
    for (let element = 0; element < count; element++) await this.skipValue(elementType);
  }

  /** Reads one metadata value of GGUF value type `type`; arrays may nest. */
  async value(type: number): Promise<GgufMetadataValue> {
    if (type === stringType) return (await this.string()).toString('utf8');
    if (type === arrayType) {
      const elementType = await this.u32();
      const count = await this.count('an array length');
      const elementSize = fixedSizes[elementType];
      if (elementSize === undefined) {
        // A string holds at least its 8-byte length, an array its type and count.
        this.ensureRoom(count, elementType === stringType ? 8 : 12);
        const elements: GgufMetadataValue[] = [];
        for (let element = 0; element < count; element++)
          elements.push(
            (elementType === stringType ? this.bufferedString() : undefined) ??
              (await this.value(elementType)),
          );
        return elements;
      }
      // One read for the whole array: token scores and types run to tens of thousands.
      const bytes = await this.bytes(count * elementSize);
      return Array.from({ length: count }, (_, element) =>
        this.scalar(elementType, bytes, element * elementSize),
      );
    }
    const size = fixedSizes[type];
    if (size === undefined) throw this.unknownType(type);
    return this.scalar(type, await this.bytes(size), 0);
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

  corrupt(reason: string): ValidationError {
    return new ValidationError(`${this.label} is not a usable GGUF file: ${reason}`);
  }

  private scalar(type: number, bytes: Buffer, at: number): number | bigint | boolean {
    switch (type) {
      case 0:
        return bytes.readUInt8(at);
      case 1:
        return bytes.readInt8(at);
      case 2:
        return bytes.readUInt16LE(at);
      case 3:
        return bytes.readInt16LE(at);
      case 4:
        return bytes.readUInt32LE(at);
      case 5:
        return bytes.readInt32LE(at);
      case 6:
        return bytes.readFloatLE(at);
      case 7: {
        const byte = bytes.readUInt8(at);
        if (byte > 1) throw this.corrupt(`its metadata has a boolean stored as ${byte}, not 0 or 1`);
        return byte === 1;
      }
      case 10:
        return exact(bytes.readBigUInt64LE(at));
      case 11:
        return exact(bytes.readBigInt64LE(at));
      default:
        return bytes.readDoubleLE(at);
    }
  }

  private ensureRoom(count: number, elementSize: number): void {
    if (count * elementSize > this.size - this.offset)
      throw this.corrupt('it ends inside its metadata or tensor list');
  }

  private unknownType(type: number): ValidationError {
    return this.corrupt(`its metadata has a value of unknown type ${type}`);
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
