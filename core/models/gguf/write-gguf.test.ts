import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGgufSummary } from '../gguf-summary.ts';
import { ggufValue, writeGguf } from './write-gguf.ts';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'write-gguf-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('writeGguf', () => {
  it('lays out header, metadata, tensor descriptions and aligned data as the GGUF spec says', async () => {
    const path = join(folder, 'small.gguf');
    const size = await writeGguf(path, {
      metadata: [
        ['general.license', ggufValue.string('mit')],
        ['general.alignment', ggufValue.uint32(64)],
      ],
      tensors: [
        { name: 'a', dimensions: [3], type: 'F32', values: Float32Array.of(1, 2, 3) },
        { name: 'b', dimensions: [2, 1], type: 'F16', values: Float32Array.of(1, -2) },
      ],
    });
    const bytes = await readFile(path);
    expect(bytes.length).toBe(size);
    expect(bytes.toString('latin1', 0, 4)).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(bytes.readBigUInt64LE(8)).toBe(2n);
    expect(bytes.readBigUInt64LE(16)).toBe(2n);
    expect(await readGgufSummary(path)).toEqual({ licence: 'mit', parameters: 5 });
    // Data follows the descriptions at a multiple of 64: `a`'s 12 bytes padded to 64, then `b`'s
    // 4 bytes padded to 64, so it is the file's last 128 bytes.
    const dataStart = bytes.length - 128;
    expect(dataStart % 64).toBe(0);
    expect([0, 1, 2].map((index) => bytes.readFloatLE(dataStart + index * 4))).toEqual([1, 2, 3]);
    expect(bytes.readUInt16LE(dataStart + 64)).toBe(0x3c00);
    expect(bytes.readUInt16LE(dataStart + 66)).toBe(0xc000);
  });

  it('refuses a tensor whose values do not fill its dimensions, and leaves no file', async () => {
    const path = join(folder, 'bad.gguf');
    await expect(
      writeGguf(path, {
        metadata: [],
        tensors: [{ name: 'w', dimensions: [2, 2], type: 'F32', values: new Float32Array(3) }],
      }),
    ).rejects.toThrow('tensor w has dimensions [2, 2] (4 values) but 3 values were given');
    expect(await readdir(folder)).toEqual([]);
  });

  it('writes pre-quantised bytes as given, under their ggml type id', async () => {
    const path = join(folder, 'quantised.gguf');
    // One Q8_0 block: a half scale and 32 signed bytes, 34 bytes for 32 values.
    const block = Uint8Array.from({ length: 34 }, (_, index) => index);
    await writeGguf(path, {
      metadata: [],
      tensors: [{ name: 'q', dimensions: [32], type: 'Q8_0', bytes: block }],
    });
    const bytes = await readFile(path);
    // Header (24) + name (8 + 1) + dimension count (4) + one dimension (8) = 45: the type id follows.
    expect(bytes.readUInt32LE(45)).toBe(8);
    expect(bytes.readBigUInt64LE(49)).toBe(0n);
    expect([...bytes.subarray(bytes.length - 64, bytes.length - 30)]).toEqual([...block]);
    expect([...bytes.subarray(bytes.length - 30)]).toEqual(new Array(30).fill(0));
  });

  it('refuses quantised bytes that do not fill whole blocks of the dimensions', async () => {
    const path = join(folder, 'bad.gguf');
    const tensor = (dimensions: number[], length: number) => ({
      metadata: [],
      tensors: [{ name: 'w', dimensions, type: 'Q4_K', bytes: new Uint8Array(length) }],
    });
    await expect(writeGguf(path, tensor([256, 2], 144))).rejects.toThrow(
      'tensor w has dimensions [256, 2] (512 values), 288 bytes as Q4_K, but 144 bytes were given',
    );
    await expect(writeGguf(path, tensor([128, 2], 144))).rejects.toThrow(
      'tensor w has dimensions [128, 2] (256 values), but Q4_K stores rows in blocks of 256',
    );
    await expect(
      writeGguf(path, { metadata: [], tensors: [{ ...tensor([1], 1).tensors[0]!, type: 'Q9_9' }] }),
    ).rejects.toThrow('Q9_9 is not a ggml tensor type');
    expect(await readdir(folder)).toEqual([]);
  });

  it('leaves nothing half-written when the write fails', async () => {
    const path = join(folder, 'missing-folder', 'model.gguf');
    await expect(writeGguf(path, { metadata: [], tensors: [] })).rejects.toThrow(/ENOENT/);
    expect(await readdir(folder)).toEqual([]);
  });
});
