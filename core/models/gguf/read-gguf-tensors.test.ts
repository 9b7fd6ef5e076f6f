import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { dequantize } from './dequantize.ts';
import { ggmlTypeByName } from './ggml-types.ts';
import { readGgufTensors } from './read-gguf-tensors.ts';
import { type GgufContents, ggufValue, writeGguf } from './write-gguf.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-read-gguf-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
async function written(contents: GgufContents): Promise<string> {
  const path = join(folder, `model-${files++}.gguf`);
  await writeGguf(path, contents);
  return path;
}

/** Deterministic bytes that look nothing like their neighbours, so a read from the wrong place shows. */
function noise(length: number, seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
}

describe('readGgufTensors, a file writeGguf wrote', () => {
  it('reads every metadata value type, the tensor list, and F32 and F16 data', async () => {
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
        ['strings', ggufValue.stringArray(['a', 'bc'])],
        ['floats', ggufValue.float32Array([0.5, -1])],
        ['nested', ggufValue.array([ggufValue.int32Array([1, 2]), ggufValue.int32Array([3])])],
        ['bools', ggufValue.array([ggufValue.bool(false), ggufValue.bool(true)])],
      ],
      tensors: [
        { name: 'a', dimensions: [3], type: 'F32', values: Float32Array.of(1, -2.5, 1e-3) },
        { name: 'b', dimensions: [2, 2], type: 'F16', values: Float32Array.of(1, -2, 0.5, 65504) },
      ],
    });
    const file = await readGgufTensors(path);
    try {
      expect(file.version).toBe(3);
      expect([...file.metadata]).toEqual([
        ['general.alignment', 64],
        ['u8', 200],
        ['i8', -5],
        ['u16', 60000],
        ['i16', -300],
        ['u32', 4_000_000_000],
        ['i32', -2_000_000_000],
        ['f32', Math.fround(0.1)],
        ['bool', true],
        ['string', 'héllo'],
        ['u64 small', 5],
        // Beyond 2^53 a number would round: the exact value stays a bigint.
        ['u64 large', 2n ** 53n + 1n],
        ['i64', -7],
        ['i64 large', -(2n ** 60n)],
        ['f64', 0.1],
        ['strings', ['a', 'bc']],
        ['floats', [0.5, -1]],
        ['nested', [[1, 2], [3]]],
        ['bools', [false, true]],
      ]);
      expect(file.alignment).toBe(64);
      expect(file.dataOffset % 64).toBe(0);
      // `a` takes 12 bytes, padded to 64, so `b` starts at 64.
      expect(file.tensors).toEqual([
        { name: 'a', dimensions: [3], type: ggmlTypeByName('F32'), elements: 3, offset: 0, byteLength: 12 },
        {
          name: 'b',
          dimensions: [2, 2],
          type: ggmlTypeByName('F16'),
          elements: 4,
          offset: 64,
          byteLength: 8,
        },
      ]);
      expect(file.dataOffset + 128).toBe(readFileSync(path).length);
      expect(await file.loadTensor('a')).toEqual(Float32Array.of(1, -2.5, 1e-3));
      expect(await file.loadTensor('b')).toEqual(Float32Array.of(1, -2, 0.5, 65504));
    } finally {
      await file.close();
    }
  });

  it('reads a vocabulary larger than its 1 MiB read buffer, strings cut across buffers included', async () => {
    // 70 000 strings of 8 + 7 to 11 bytes: 1.3 MB, so the first 1 MiB read ends inside one of them.
    const tokens = Array.from({ length: 70_000 }, (_, id) => `token-${id}`);
    const path = await written({
      metadata: [['tokenizer.ggml.tokens', ggufValue.stringArray(tokens)]],
      tensors: [],
    });
    const file = await readGgufTensors(path);
    await file.close();
    expect(file.metadata.get('tokenizer.ggml.tokens')).toEqual(tokens);
  });

  it('loads each quantised tensor from its own bytes, rows in order', async () => {
    // Two rows of each type; the bytes are noise except the halves a scale lives in, which are set
    // to 2^−4 (0x2c00) so every value is finite. Each tensor dequantised from the file must equal
    // its own bytes dequantised directly: a read from the wrong offset or of the wrong length
    // would give other numbers.
    const layouts: [type: string, scaleOffsets: number[]][] = [
      ['BF16', []],
      ['Q4_0', [0]],
      ['Q4_1', [0, 2]],
      ['Q8_0', [0]],
      ['Q4_K', [0, 2]],
      ['Q5_K', [0, 2]],
      ['Q6_K', [208]],
    ];
    const tensors = layouts.map(([typeName, scaleOffsets], index) => {
      const type = ggmlTypeByName(typeName);
      const columns = type.blockElements === 1 ? 48 : type.blockElements * 2;
      const bytes = noise((columns / type.blockElements) * type.blockBytes * 2, index + 1);
      for (let block = 0; block < bytes.length; block += type.blockBytes)
        for (const offset of scaleOffsets) bytes.set([0x00, 0x2c], block + offset);
      if (typeName === 'BF16')
        for (let at = 1; at < bytes.length; at += 2) bytes[at] = (bytes[at] as number) & 0xbf; // finite
      return { name: `t.${typeName}`, dimensions: [columns, 2], type: typeName, bytes };
    });
    const path = await written({ metadata: [], tensors });
    const file = await readGgufTensors(path);
    try {
      expect(file.tensors.map((tensor) => [tensor.name, tensor.type.name, tensor.dimensions])).toEqual([
        ['t.BF16', 'BF16', [48, 2]],
        ['t.Q4_0', 'Q4_0', [64, 2]],
        ['t.Q4_1', 'Q4_1', [64, 2]],
        ['t.Q8_0', 'Q8_0', [64, 2]],
        ['t.Q4_K', 'Q4_K', [512, 2]],
        ['t.Q5_K', 'Q5_K', [512, 2]],
        ['t.Q6_K', 'Q6_K', [512, 2]],
      ]);
      for (const tensor of tensors) {
        const type = ggmlTypeByName(tensor.type);
        const elements = (tensor.dimensions[0] as number) * 2;
        const values = await file.loadTensor(tensor.name);
        expect(values).toEqual(dequantize(type, tensor.bytes, elements));
        expect(values.every(Number.isFinite)).toBe(true);
      }
    } finally {
      await file.close();
    }
  });

  it('reads a Q8_0 tensor to known values: d·q per block', async () => {
    // Row 1: d = 0x3800 = 0.5, bytes 0…31 → 0, 0.5, … 15.5. Row 2: d = 0xbc00 = −1, bytes 0xff
    // (−1) → 1 each.
    const bytes = Uint8Array.from([
      0x00,
      0x38,
      ...Array.from({ length: 32 }, (_, j) => j),
      0x00,
      0xbc,
      ...Array(32).fill(0xff),
    ]);
    const path = await written({
      metadata: [],
      tensors: [{ name: 'w', dimensions: [32, 2], type: 'Q8_0', bytes }],
    });
    const file = await readGgufTensors(path);
    try {
      expect(Array.from(await file.loadTensor('w'))).toEqual([
        ...Array.from({ length: 32 }, (_, j) => j / 2),
        ...Array(32).fill(1),
      ]);
    } finally {
      await file.close();
    }
  });
});

describe('readGgufTensors, refusals', () => {
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

  it('refuses a file that is not GGUF', async () => {
    const path = join(folder, 'page.html');
    writeFileSync(path, '<!doctype html>');
    await expect(readGgufTensors(path, 'the model file')).rejects.toThrow(
      new ValidationError('the model file is not a GGUF file: it starts with "<!do", not "GGUF"'),
    );
  });

  it('refuses a file cut short, in its header or in its data', async () => {
    const whole = readFileSync(await written(plain));
    // 72 bytes still hold what the counts promise at the least (checkGgufHeader: 71), so only
    // reading the tensor's offset, at 66–73, finds the end.
    const inHeader = join(folder, 'cut-header.gguf');
    writeFileSync(inHeader, whole.subarray(0, 72));
    await expect(readGgufTensors(inHeader)).rejects.toThrow(
      new ValidationError(
        `${inHeader} is not a usable GGUF file: it ends inside its metadata or tensor list`,
      ),
    );
    // The data starts at 96 (the 74-byte header padded to 32) and takes 16 bytes.
    const inData = join(folder, 'cut-data.gguf');
    writeFileSync(inData, whole.subarray(0, 100));
    await expect(readGgufTensors(inData)).rejects.toThrow(
      new ValidationError(
        `${inData} is not a usable GGUF file: tensor w's data ends at byte 112, past the end of the file (100 bytes): it was cut short`,
      ),
    );
  });

  it('refuses a tensor placed past the end of the file', async () => {
    const path = await patched((bytes) => bytes.writeBigUInt64LE(1024n, 66));
    await expect(readGgufTensors(path)).rejects.toThrow(
      `${path} is not a usable GGUF file: tensor w's data ends at byte 1136, past the end of the file (128 bytes): it was cut short`,
    );
  });

  it('refuses metadata of an unknown value type, and a boolean that is neither 0 nor 1', async () => {
    const unknownType = await patched((bytes) => bytes.writeUInt32LE(13, 33));
    await expect(readGgufTensors(unknownType)).rejects.toThrow(
      `${unknownType} is not a usable GGUF file: its metadata has a value of unknown type 13`,
    );
    const badBoolean = await patched((bytes) => {
      bytes.writeUInt32LE(7, 33);
      bytes.writeUInt32LE(2, 37); // the first byte, 2, is the boolean; the other three shift into the key
    });
    await expect(readGgufTensors(badBoolean)).rejects.toThrow(
      `${badBoolean} is not a usable GGUF file: its metadata has a boolean stored as 2, not 0 or 1`,
    );
  });

  it('refuses a tensor type ggml does not define, and GGUF version 1', async () => {
    const unknownType = await patched((bytes) => bytes.writeUInt32LE(4, 62)); // Q4_2, removed from ggml
    await expect(readGgufTensors(unknownType)).rejects.toThrow(
      `${unknownType} is not a usable GGUF file: tensor w has ggml type 4, which ggml does not define`,
    );
    const version1 = await patched((bytes) => bytes.writeUInt32LE(1, 4));
    await expect(readGgufTensors(version1)).rejects.toThrow(
      `${version1} is GGUF version 1; llama.cpp reads versions 2 and 3`,
    );
  });

  it('refuses an alignment that is not a power of two', async () => {
    const path = await written({ metadata: [['general.alignment', ggufValue.uint32(48)]], tensors: [] });
    await expect(readGgufTensors(path)).rejects.toThrow(
      `${path} is not a usable GGUF file: its general.alignment is 48, not a power of two`,
    );
  });

  it('lists a tensor of a type it cannot dequantise, and refuses to load it by name and type', async () => {
    const path = await written({
      metadata: [],
      tensors: [
        { name: 'blk.0.attn_q.weight', dimensions: [256], type: 'Q2_K', bytes: new Uint8Array(84) },
        { name: 'blk.0.attn_norm.weight', dimensions: [2], type: 'F32', values: Float32Array.of(0.5, 2) },
      ],
    });
    const file = await readGgufTensors(path, 'model.gguf');
    try {
      expect(file.tensors.map((tensor) => `${tensor.name} ${tensor.type.name}`)).toEqual([
        'blk.0.attn_q.weight Q2_K',
        'blk.0.attn_norm.weight F32',
      ]);
      await expect(file.loadTensor('blk.0.attn_q.weight')).rejects.toThrow(
        new ValidationError(
          'tensor blk.0.attn_q.weight in model.gguf is Q2_K (ggml type 10), which cannot be dequantised here; supported: F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K',
        ),
      );
      expect(await file.loadTensor('blk.0.attn_norm.weight')).toEqual(Float32Array.of(0.5, 2));
      await expect(file.loadTensor('output.weight')).rejects.toThrow(
        new NotFoundError('model.gguf has no tensor named output.weight'),
      );
    } finally {
      await file.close();
    }
    await expect(file.loadTensor('blk.0.attn_norm.weight')).rejects.toThrow(
      'model.gguf is closed: open it again to load tensor blk.0.attn_norm.weight',
    );
  });
});
