import { type FileHandle, open } from 'node:fs/promises';
import { ValidationError } from '../../errors.ts';
import { checkGgufHeader } from '../gguf-header.ts';

/** A GGUF metadata value type, by the name the GGUF spec gives it. */
export type GgufValueType =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'float32'
  | 'bool'
  | 'string'
  | 'array'
  | 'uint64'
  | 'int64'
  | 'float64';

/**
 * One metadata value with its type, which matters: llama.cpp aborts the whole process when a key
 * it reads has another type than it expects (gguf.cpp asserts it). Numbers and strings are read
 * (64-bit integers as numbers, exact up to 2^53); arrays are only described, since a vocabulary
 * alone is tens of thousands of strings.
 */
export type GgufMetadataEntry =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: Exclude<GgufValueType, 'string' | 'bool' | 'array'>; value: number }
  | { type: 'array'; elementType: GgufValueType; length: number };

/** A tensor's description: `dimensions` fastest-varying first, `type` a ggml type id, `offset` from the data start. */
export type GgufTensorInfo = { name: string; dimensions: number[]; type: number; offset: number };

/** Everything before a GGUF file's tensor data, and where that data starts. */
export type GgufHeader = {
  version: number;
  metadata: Map<string, GgufMetadataEntry>;
  tensors: GgufTensorInfo[];
  /** Byte offset of the tensor data: the end of the descriptions, aligned to `general.alignment`. */
  dataOffset: number;
  fileSize: number;
};

// Value type ids of the GGUF spec, in id order, with their sizes where fixed.
const valueTypes: GgufValueType[] = [
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
];
const fixedSizes: Partial<Record<GgufValueType, number>> = {
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
const defaultAlignment = 32;

/**
 * Reads a GGUF file's header: metadata with types, tensor descriptions and where the data starts,
 * never the tensor data itself. Refuses a file that is not GGUF or ends inside its header. `label`
 * names the file in errors (a download's temporary path means nothing to the user).
 */
export async function readGgufHeader(path: string, label = path): Promise<GgufHeader> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const reader = new HeaderReader(file, label, size);
    const magic = await reader.bytes(4).catch(() => Buffer.alloc(0));
    if (magic.toString('latin1') !== 'GGUF') {
      throw new ValidationError(
        `${label} is not a GGUF file: it starts with ${JSON.stringify(magic.toString('latin1'))}, not "GGUF"`,
      );
    }
    // Refuses counts the file cannot hold before anything below loops over them.
    await checkGgufHeader(path, label);
    const version = await reader.u32();
    const tensorCount = await reader.u64();
    const entryCount = await reader.u64();
    const metadata = new Map<string, GgufMetadataEntry>();
    for (let entry = 0; entry < entryCount; entry++) {
      const key = await reader.string();
      metadata.set(key, await reader.entry(await reader.u32()));
    }
    const tensors: GgufTensorInfo[] = [];
    for (let tensor = 0; tensor < tensorCount; tensor++) {
      const name = await reader.string();
      const dimensionCount = await reader.u32();
      if (dimensionCount > 4)
        throw reader.corrupt(`tensor ${name} has ${dimensionCount} dimensions (ggml has 4)`);
      const dimensions: number[] = [];
      for (let dimension = 0; dimension < dimensionCount; dimension++) dimensions.push(await reader.u64());
      tensors.push({ name, dimensions, type: await reader.u32(), offset: await reader.u64() });
    }
    const alignmentEntry = metadata.get('general.alignment');
    const alignment =
      alignmentEntry?.type === 'uint32' && alignmentEntry.value > 0 ? alignmentEntry.value : defaultAlignment;
    const dataOffset = Math.ceil(reader.offset / alignment) * alignment;
    return { version, metadata, tensors, dataOffset, fileSize: size };
  } finally {
    await file.close();
  }
}

/** Reads a file front to back through one buffer. */
class HeaderReader {
  private buffer = Buffer.alloc(0);
  // Where the buffer's first byte is in the file.
  private bufferStart = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly label: string,
    private readonly size: number,
  ) {}

  /** How far into the file the next read starts. */
  get offset(): number {
    return this.bufferStart;
  }

  async bytes(count: number): Promise<Buffer> {
    if (this.bufferStart + count > this.size)
      throw this.corrupt('it ends inside its metadata or tensor list');
    const chunks: Buffer[] = [];
    let missing = count;
    while (missing > 0) {
      if (this.buffer.length === 0) await this.fill();
      const taken = this.buffer.subarray(0, missing);
      chunks.push(taken);
      this.advance(taken.length);
      missing -= taken.length;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  }

  async skip(count: number): Promise<void> {
    if (this.bufferStart + count > this.size)
      throw this.corrupt('it ends inside its metadata or tensor list');
    const buffered = Math.min(count, this.buffer.length);
    this.advance(buffered);
    // Past the buffer: the next read fills from the new position.
    this.bufferStart += count - buffered;
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  async u64(): Promise<number> {
    const value = (await this.bytes(8)).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt(`it holds a length of ${value}`);
    return Number(value);
  }

  async string(): Promise<string> {
    return (await this.bytes(await this.u64())).toString('utf8');
  }

  async entry(typeId: number): Promise<GgufMetadataEntry> {
    const type = this.typeOf(typeId);
    if (type === 'string') return { type, value: await this.string() };
    if (type === 'array') {
      const elementType = this.typeOf(await this.u32());
      const length = await this.u64();
      const elementSize = fixedSizes[elementType];
      if (elementSize !== undefined) await this.skip(length * elementSize);
      else for (let element = 0; element < length; element++) await this.skipValue(elementType);
      return { type, elementType, length };
    }
    const bytes = await this.bytes(fixedSizes[type] as number);
    switch (type) {
      case 'bool':
        return { type, value: bytes[0] !== 0 };
      case 'uint8':
        return { type, value: bytes.readUInt8(0) };
      case 'int8':
        return { type, value: bytes.readInt8(0) };
      case 'uint16':
        return { type, value: bytes.readUInt16LE(0) };
      case 'int16':
        return { type, value: bytes.readInt16LE(0) };
      case 'uint32':
        return { type, value: bytes.readUInt32LE(0) };
      case 'int32':
        return { type, value: bytes.readInt32LE(0) };
      case 'float32':
        return { type, value: bytes.readFloatLE(0) };
      case 'uint64':
        return { type, value: Number(bytes.readBigUInt64LE(0)) };
      case 'int64':
        return { type, value: Number(bytes.readBigInt64LE(0)) };
      case 'float64':
        return { type, value: bytes.readDoubleLE(0) };
    }
  }

  corrupt(reason: string): ValidationError {
    return new ValidationError(`${this.label} is not a usable GGUF file: ${reason}`);
  }

  private async skipValue(type: GgufValueType): Promise<void> {
    const size = fixedSizes[type];
    if (size !== undefined) return this.skip(size);
    if (type === 'string') return this.skip(await this.u64());
    await this.entry(valueTypes.indexOf('array'));
  }

  private typeOf(id: number): GgufValueType {
    const type = valueTypes[id];
    if (type === undefined) throw this.corrupt(`its metadata has a value of unknown type ${id}`);
    return type;
  }

  private advance(count: number): void {
    this.buffer = this.buffer.subarray(count);
    this.bufferStart += count;
  }

  private async fill(): Promise<void> {
    const chunk = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await this.file.read(chunk, 0, chunk.length, this.bufferStart);
    if (bytesRead === 0) throw this.corrupt('it ends inside its metadata or tensor list');
    this.buffer = chunk.subarray(0, bytesRead);
  }
}
