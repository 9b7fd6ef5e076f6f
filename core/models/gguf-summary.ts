import { type FileHandle, open } from 'node:fs/promises';
import { ValidationError } from '../errors.ts';
import { checkGgufHeader } from './gguf-header.ts';

/** What a GGUF file says about itself; a field the file does not state stays undefined. */
export type GgufSummary = {
  /** `general.license`, as the file's author wrote it (an SPDX id like `apache-2.0`, usually). */
  licence?: string;
  /** Elements of every tensor added up: the model's parameter count, quantised or not. */
  parameters?: number;
};

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

/**
 * Reads a GGUF file's metadata and tensor list (the header only, never the weights) and refuses a
 * file that is not GGUF. `label` names the file in errors (a download's temporary path means
 * nothing to the user).
 */
export async function readGgufSummary(path: string, label = path): Promise<GgufSummary> {
  const file = await open(path, 'r');
  try {
    const reader = new SequentialReader(file, label);
    const magic = await reader.bytes(4).catch(() => Buffer.alloc(0));
    if (magic.toString('latin1') !== 'GGUF') {
      throw new ValidationError(
        `${label} is not a GGUF file: it starts with ${JSON.stringify(magic.toString('latin1'))}, not "GGUF"`,
      );
    }
    // Refuses counts the file cannot hold before anything below loops over them.
    await checkGgufHeader(path, label);
    await reader.skip(4);
    const tensors = await reader.u64();
    const entries = await reader.u64();
    const summary: GgufSummary = {};
    for (let entry = 0n; entry < entries; entry++) {
      const key = (await reader.string()).toString('utf8');
      const type = await reader.u32();
      if (key === 'general.license' && type === stringType) {
        summary.licence = (await reader.string()).toString('utf8').trim() || undefined;
      } else {
        await reader.skipValue(type);
      }
    }
    let parameters = 0n;
    for (let tensor = 0n; tensor < tensors; tensor++) {
      await reader.skip(Number(await reader.u64()));
      const dimensions = await reader.u32();
      let elements = 1n;
      for (let dimension = 0; dimension < dimensions; dimension++) elements *= await reader.u64();
      parameters += elements;
      await reader.skip(4 + 8);
    }
    if (parameters > 0n && parameters <= BigInt(Number.MAX_SAFE_INTEGER))
      summary.parameters = Number(parameters);
    return summary;
  } finally {
    await file.close();
  }
}

/** Reads a file front to back through one buffer: the vocabulary alone is tens of thousands of strings. */
class SequentialReader {
  private buffer = Buffer.alloc(0);
  private position = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly label: string,
  ) {}

  async bytes(count: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let missing = count;
    while (missing > 0) {
      if (this.buffer.length === 0) await this.fill();
      const taken = this.buffer.subarray(0, missing);
      chunks.push(taken);
      this.buffer = this.buffer.subarray(taken.length);
      missing -= taken.length;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
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

  async string(): Promise<Buffer> {
    return this.bytes(Number(await this.u64()));
  }

  async skipValue(type: number): Promise<void> {
    const size = fixedSizes[type];
    if (size !== undefined) return this.skip(size);
    if (type === stringType) return this.skip(Number(await this.u64()));
    if (type !== arrayType) throw this.corrupt(`its metadata has a value of unknown type ${type}`);
    const elementType = await this.u32();
    const count = await this.u64();
    const elementSize = fixedSizes[elementType];
    if (elementSize !== undefined) return this.skip(Number(count) * elementSize);
    for (let element = 0n; element < count; element++) await this.skipValue(elementType);
  }

  private async fill(): Promise<void> {
    const chunk = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await this.file.read(chunk, 0, chunk.length, this.position);
    if (bytesRead === 0) throw this.corrupt('it ends inside its metadata or tensor list');
    this.position += bytesRead;
    this.buffer = chunk.subarray(0, bytesRead);
  }

  private corrupt(reason: string): ValidationError {
    return new ValidationError(`${this.label} is not a usable GGUF file: ${reason}`);
  }
}
