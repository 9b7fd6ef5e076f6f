import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
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
  it('loads F32 and F16 tensors from their own place, past an alignment of 64', async () => {
    const path = await written({
      metadata: [['general.alignment', ggufValue.uint32(64)]],
      tensors: [
        { name: 'a', dimensions: [3], type: 'F32', values: Float32Array.of(1, -2.5, 1e-3) },
        { name: 'b', dimensions: [2, 2], type: 'F16', values: Float32Array.of(1, -2, 0.5, 65504) },
      ],
    });
    const file = await readGgufTensors(path);
    try {
      // The header as readGgufHeader reads it (read-gguf-header.test.ts), and the path.
      expect(file.path).toBe(path);
      expect(file.metadata.get('general.alignment')).toEqual({ type: 'uint32', value: 64 });
      expect(file.tensors.map((tensor) => [tensor.name, tensor.offset])).toEqual([
        ['a', 0],
        ['b', 64],
      ]);
      expect(await file.loadTensor('a')).toEqual(Float32Array.of(1, -2.5, 1e-3));
      expect(await file.loadTensor('b')).toEqual(Float32Array.of(1, -2, 0.5, 65504));
    } finally {
      await file.close();
    }
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
  it('refuses a file readGgufHeader refuses, before any tensor is asked for', async () => {
    const path = await written({
      metadata: [],
      tensors: [{ name: 'w', dimensions: [8], type: 'F32', values: new Float32Array(8) }],
    });
    // The 57-byte header padded to 64, then w's 32 bytes: cut at 80, w's data is not all there.
    truncateSync(path, 80);
    await expect(readGgufTensors(path, 'model.gguf')).rejects.toThrow(
      "model.gguf is not a usable GGUF file: tensor w's data ends at byte 96, past the end of the file (80 bytes): it was cut short",
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
