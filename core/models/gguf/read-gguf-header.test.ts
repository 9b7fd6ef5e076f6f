import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ggmlTypeByName } from './ggml-types.ts';
import { readGgufHeader } from './read-gguf-header.ts';
import { ggufValue, writeGguf } from './write-gguf.ts';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'read-gguf-header-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('readGgufHeader', () => {
  it('reads metadata with its types, describes arrays, and lists tensors with where their data starts', async () => {
    const path = join(folder, 'typed.gguf');
    const size = await writeGguf(path, {
      metadata: [
        ['general.architecture', ggufValue.string('llama')],
        ['adapter.lora.alpha', ggufValue.float32(0.5)],
        ['llama.block_count', ggufValue.uint32(3)],
        ['llama.offset', ggufValue.int32(-2)],
        ['llama.big', ggufValue.uint64(2 ** 40)],
        ['tokenizer.ggml.add_bos_token', ggufValue.bool(true)],
        ['tokenizer.ggml.tokens', ggufValue.stringArray(['<unk>', '▁word'])],
        ['tokenizer.ggml.scores', ggufValue.float32Array([0, -1, -2])],
      ],
      tensors: [
        { name: 'a', dimensions: [3], type: 'F32', values: Float32Array.of(1, 2, 3) },
        { name: 'b', dimensions: [2, 4], type: 'F16', values: new Float32Array(8) },
      ],
    });
    const header = await readGgufHeader(path);
    expect(header.version).toBe(3);
    expect(Object.fromEntries(header.metadata)).toEqual({
      'general.architecture': { type: 'string', value: 'llama' },
      'adapter.lora.alpha': { type: 'float32', value: 0.5 },
      'llama.block_count': { type: 'uint32', value: 3 },
      'llama.offset': { type: 'int32', value: -2 },
      'llama.big': { type: 'uint64', value: 2 ** 40 },
      'tokenizer.ggml.add_bos_token': { type: 'bool', value: true },
      'tokenizer.ggml.tokens': { type: 'array', elementType: 'string', value: ['<unk>', '▁word'] },
      'tokenizer.ggml.scores': { type: 'array', elementType: 'float32', value: [0, -1, -2] },
    });
    // `a` takes 12 bytes padded to the default alignment of 32; `b` (8 halves) follows.
    expect(header.alignment).toBe(32);
    expect(header.tensors).toEqual([
      { name: 'a', dimensions: [3], type: ggmlTypeByName('F32'), elements: 3, offset: 0, byteLength: 12 },
      { name: 'b', dimensions: [2, 4], type: ggmlTypeByName('F16'), elements: 8, offset: 32, byteLength: 16 },
    ]);
    // The data is the file's last 64 bytes (32 for `a`, 16 for `b` padded to 32).
    expect(header.dataOffset).toBe(size - 64);
    expect(header.fileSize).toBe(size);
  });

  it('refuses a file cut off inside its tensor list, and one that is not GGUF', async () => {
    const whole = join(folder, 'whole.gguf');
    await writeGguf(whole, {
      metadata: [['general.architecture', ggufValue.string('llama')]],
      tensors: [
        { name: 'blk.0.attn_q.weight', dimensions: [4, 4], type: 'F32', values: new Float32Array(16) },
      ],
    });
    const cut = join(folder, 'cut.gguf');
    // Header (24) + the one entry (8 + 20 + 4 + 8 + 5 = 45) + the tensor's name length and part of its name.
    await writeFile(cut, (await readFile(whole)).subarray(0, 24 + 45 + 12));
    await expect(readGgufHeader(cut, 'the adapter')).rejects.toThrow(
      'the adapter is not a usable GGUF file: it ends inside its metadata or tensor list',
    );
    const text = join(folder, 'notes.txt');
    await writeFile(text, 'adapter weights go here');
    await expect(readGgufHeader(text)).rejects.toThrow(
      `${text} is not a GGUF file: it starts with "adap", not "GGUF"`,
    );
  });
});
