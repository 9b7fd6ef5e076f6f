import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import { ggmlTypeByName } from './ggml-types.ts';
import { ggufMetadataValues, readGgufHeader } from './read-gguf-header.ts';
import { type GgufContents, ggufValue, writeGguf } from './write-gguf.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-read-gguf-header-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
async function written(contents: GgufContents): Promise<string> {
  const path = join(folder, `model-${files++}.gguf`);
  await writeGguf(path, contents);
  return path;
}

describe('readGgufHeader, a file writeGguf wrote', () => {
  it('reads every metadata value with its type, and lists tensors with their type, size and place', async () => {
    const path = await written({
      metadata: [
        ['general.alignment', ggufValue.uint32(64)],
        ['u8', ggufValue.uint8(200)],
        ['i8', ggufValue.int8(-5)],
        ['u16', ggufValue.uint16(60000)],
        ['i16', ggufValue.int16(-300)],
        ['u32', ggufValue.uint32(4_000_000_000)],
        ['i32', ggufValue.int32(-2_000_000_000)],
        ['f32', ggufValue.float32(0.1)],
        ['bool', ggufValue.bool(true)],
        ['string', ggufValue.string('héllo')],
        ['u64 small', ggufValue.uint64(5)],
        ['u64 large', ggufValue.uint64(2n ** 53n + 1n)],
        ['i64', ggufValue.int64(-7)],
        ['i64 large', ggufValue.int64(-(2n ** 60n))],
        ['f64', ggufValue.float64(0.1)],
        ['strings', ggufValue.stringArray(['<unk>', '▁word'])],
        ['floats', ggufValue.float32Array([0.5, -1])],
        ['nested', ggufValue.array([ggufValue.int32Array([1, 2]), ggufValue.int32Array([3])])],
        ['bools', ggufValue.array([ggufValue.bool(false), ggufValue.bool(true)])],
      ],
      tensors: [
        { name: 'a', dimensions: [3], type: 'F32', values: Float32Array.of(1, -2.5, 1e-3) },
        { name: 'b', dimensions: [2, 2], type: 'F16', values: Float32Array.of(1, -2, 0.5, 65504) },
      ],
    });
    const header = await readGgufHeader(path);
    expect(header.version).toBe(3);
    expect([...header.metadata]).toEqual([
      ['general.alignment', { type: 'uint32', value: 64 }],
      ['u8', { type: 'uint8', value: 200 }],
      ['i8', { type: 'int8', value: -5 }],
      ['u16', { type: 'uint16', value: 60000 }],
      ['i16', { type: 'int16', value: -300 }],
      ['u32', { type: 'uint32', value: 4_000_000_000 }],
      ['i32', { type: 'int32', value: -2_000_000_000 }],
      ['f32', { type: 'float32', value: Math.fround(0.1) }],
      ['bool', { type: 'bool', value: true }],
      ['string', { type: 'string', value: 'héllo' }],
      ['u64 small', { type: 'uint64', value: 5 }],
      // Beyond 2^53 a number would round: the exact value stays a bigint.
      ['u64 large', { type: 'uint64', value: 2n ** 53n + 1n }],
      ['i64', { type: 'int64', value: -7 }],
      ['i64 large', { type: 'int64', value: -(2n ** 60n) }],
      ['f64', { type: 'float64', value: 0.1 }],
      ['strings', { type: 'array', elementType: 'string', value: ['<unk>', '▁word'] }],
      ['floats', { type: 'array', elementType: 'float32', value: [0.5, -1] }],
      ['nested', { type: 'array', elementType: 'array', value: [[1, 2], [3]] }],
      ['bools', { type: 'array', elementType: 'bool', value: [false, true] }],
    ]);
    expect(ggufMetadataValues(header.metadata).get('nested')).toEqual([[1, 2], [3]]);
    expect(header.alignment).toBe(64);
    // `a` takes 12 bytes, padded to 64, so `b` starts at 64.
    expect(header.tensors).toEqual([
      { name: 'a', dimensions: [3], type: ggmlTypeByName('F32'), elements: 3, offset: 0, byteLength: 12 },
      { name: 'b', dimensions: [2, 2], type: ggmlTypeByName('F16'), elements: 4, offset: 64, byteLength: 8 },
    ]);
    // The data is the file's last 128 bytes: `b`'s 8 padded to 64 as well.
    const size = readFileSync(path).length;
    expect(header.fileSize).toBe(size);
    expect(header.dataOffset).toBe(size - 128);
  });

  it('takes GGUF’s default alignment of 32 when the file states none', async () => {
    const path = await written({
      metadata: [],
      tensors: [{ name: 'a', dimensions: [3], type: 'F32', values: Float32Array.of(1, 2, 3) }],
    });
    const header = await readGgufHeader(path);
    expect(header.alignment).toBe(32);
    // The header (24 + the tensor's 8 + 1 + 4 + 8 + 4 + 8 = 57 bytes) padded to 64, then 12 bytes.
    expect([header.dataOffset, header.fileSize]).toEqual([64, 64 + 32]);
  });

  it('reads a vocabulary larger than its 1 MiB read buffer, strings cut across buffers included', async () => {
    // 70 000 strings of 8 + 7 to 11 bytes: 1.3 MB, so the first 1 MiB read ends inside one of them.
    const tokens = Array.from({ length: 70_000 }, (_, id) => `token-${id}`);
    const path = await written({
      metadata: [['tokenizer.ggml.tokens', ggufValue.stringArray(tokens)]],
      tensors: [],
    });
    const header = await readGgufHeader(path);
    expect(header.metadata.get('tokenizer.ggml.tokens')).toEqual({
      type: 'array',
      elementType: 'string',
      value: tokens,
    });
  });
});

describe('readGgufHeader, refusals', () => {
  const plain: GgufContents = {
    metadata: [['k', ggufValue.uint32(1)]],
    tensors: [{ name: 'w', dimensions: [4], type: 'F32', values: Float32Array.of(1, 2, 3, 4) }],
  };
  // Header 24 bytes; key `k`: 8 + 1 bytes; its type at 33, its value at 37; then tensor `w`: name
  // at 41 (8 + 1), dimension count at 50, the dimension at 54, type at 62, offset at 66.
  const patched = async (patch: (bytes: Buffer) => void) => {
    const path = await written(plain);
    const bytes = readFileSync(path);
    patch(bytes);
    writeFileSync(path, bytes);
    return path;
  };

  it('refuses a file that is not GGUF, naming it by its label', async () => {
    const path = join(folder, 'page.html');
    writeFileSync(path, '<!doctype html>');
    await expect(readGgufHeader(path, 'the model file')).rejects.toThrow(
      new ValidationError('the model file is not a GGUF file: it starts with "<!do", not "GGUF"'),
    );
  });

  it('refuses a file cut short, in its header or in its data', async () => {
    const whole = readFileSync(await written(plain));
    // 72 bytes still hold what the counts promise at the least (checkGgufHeader: 71), so only
    // reading the tensor's offset, at 66–73, finds the end.
    const inHeader = join(folder, 'cut-header.gguf');
    writeFileSync(inHeader, whole.subarray(0, 72));
    await expect(readGgufHeader(inHeader, 'the adapter')).rejects.toThrow(
      new ValidationError(
        'the adapter is not a usable GGUF file: it ends inside its metadata or tensor list',
      ),
    );
    // The data starts at 96 (the 74-byte header padded to 32) and takes 16 bytes.
    const inData = join(folder, 'cut-data.gguf');
    writeFileSync(inData, whole.subarray(0, 100));
    await expect(readGgufHeader(inData)).rejects.toThrow(
      new ValidationError(
        `${inData} is not a usable GGUF file: tensor w's data ends at byte 112, past the end of the file (100 bytes): it was cut short`,
      ),
    );
  });

  it('refuses a tensor placed past the end of the file', async () => {
    const path = await patched((bytes) => bytes.writeBigUInt64LE(1024n, 66));
    await expect(readGgufHeader(path)).rejects.toThrow(
      `${path} is not a usable GGUF file: tensor w's data ends at byte 1136, past the end of the file (128 bytes): it was cut short`,
    );
  });

  it('refuses metadata of an unknown value type, and a boolean that is neither 0 nor 1', async () => {
    const unknownType = await patched((bytes) => bytes.writeUInt32LE(13, 33));
    await expect(readGgufHeader(unknownType)).rejects.toThrow(
      `${unknownType} is not a usable GGUF file: its metadata has a value of unknown type 13`,
    );
    const badBoolean = await patched((bytes) => {
      bytes.writeUInt32LE(7, 33);
      bytes.writeUInt32LE(2, 37); // the first byte, 2, is the boolean; the other three shift into the key
    });
    await expect(readGgufHeader(badBoolean)).rejects.toThrow(
      `${badBoolean} is not a usable GGUF file: its metadata has a boolean stored as 2, not 0 or 1`,
    );
  });

  it('refuses a tensor type ggml does not define, and GGUF version 1', async () => {
    const unknownType = await patched((bytes) => bytes.writeUInt32LE(4, 62)); // Q4_2, removed from ggml
    await expect(readGgufHeader(unknownType)).rejects.toThrow(
      `${unknownType} is not a usable GGUF file: tensor w has ggml type 4, which ggml does not define`,
    );
    const version1 = await patched((bytes) => bytes.writeUInt32LE(1, 4));
    await expect(readGgufHeader(version1)).rejects.toThrow(
      `${version1} is GGUF version 1; llama.cpp reads versions 2 and 3`,
    );
  });

  it('refuses an alignment that is not a power of two, or not a uint32 (llama.cpp would abort)', async () => {
    const path = await written({ metadata: [['general.alignment', ggufValue.uint32(48)]], tensors: [] });
    await expect(readGgufHeader(path)).rejects.toThrow(
      `${path} is not a usable GGUF file: its general.alignment is 48, not a power of two`,
    );
    // writeGguf writes only a uint32 alignment: its type id, after the 24-byte header and the
    // 8 + 17-byte key, is patched to int32's (5).
    const signed = await written({ metadata: [['general.alignment', ggufValue.uint32(32)]], tensors: [] });
    const bytes = readFileSync(signed);
    bytes.writeUInt32LE(5, 24 + 8 + 17);
    writeFileSync(signed, bytes);
    await expect(readGgufHeader(signed)).rejects.toThrow(
      `${signed} is not a usable GGUF file: its general.alignment is a int32, not a uint32`,
    );
  });
});
