import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGgufHeader } from './read-gguf-header.ts';
import { type LoraAdapter, writeLoraAdapter } from './write-lora-adapter.ts';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'write-lora-adapter-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

// A rank-2 adapter of blk.0.attn_q (3 → 4) and the output head (3 → 5).
const adapter = (): LoraAdapter => ({
  architecture: 'llama',
  rank: 2,
  alpha: 4,
  name: 'twin-lora',
  pairs: [
    {
      target: { layer: 0, projection: 'attn_q' },
      inputs: 3,
      outputs: 4,
      a: Float32Array.of(1, 2, 3, 4, 5, 6),
      b: Float32Array.of(1, 0, 0, 1, 1, 1, -1, 0.5),
    },
    { target: 'output', inputs: 3, outputs: 5, a: new Float32Array(6).fill(0.25), b: new Float32Array(10) },
  ],
});

describe('writeLoraAdapter', () => {
  it('writes the metadata and tensors of llama.cpp’s converter: lora_a [inputs, rank], lora_b [rank, outputs]', async () => {
    const path = join(folder, 'adapter.gguf');
    await writeLoraAdapter(path, adapter());
    const header = await readGgufHeader(path);
    expect(Object.fromEntries(header.metadata)).toEqual({
      'general.architecture': { type: 'string', value: 'llama' },
      'general.type': { type: 'string', value: 'adapter' },
      'general.name': { type: 'string', value: 'twin-lora' },
      'adapter.type': { type: 'string', value: 'lora' },
      'adapter.lora.alpha': { type: 'float32', value: 4 },
    });
    // Each tensor's data is padded to 32 bytes: 24, 32 and 24 bytes → 32 each.
    expect(
      header.tensors.map(({ name, dimensions, type, offset }) => [name, dimensions, type.name, offset]),
    ).toEqual([
      ['blk.0.attn_q.weight.lora_a', [3, 2], 'F32', 0],
      ['blk.0.attn_q.weight.lora_b', [2, 4], 'F32', 32],
      ['output.weight.lora_a', [3, 2], 'F32', 64],
      ['output.weight.lora_b', [2, 5], 'F32', 96],
    ]);
    // The factors are stored row-major as given: A's rows (rank) of inputs, B's rows (outputs) of rank.
    const bytes = await readFile(path);
    const floats = (offset: number, count: number) =>
      Array.from({ length: count }, (_, index) => bytes.readFloatLE(header.dataOffset + offset + index * 4));
    expect(floats(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(floats(32, 8)).toEqual([1, 0, 0, 1, 1, 1, -1, 0.5]);
  });

  it('writes F16 factors at half the size when asked', async () => {
    const path = join(folder, 'half.gguf');
    const size = await writeLoraAdapter(path, { ...adapter(), type: 'F16' });
    const header = await readGgufHeader(path);
    expect(header.tensors.map((tensor) => tensor.type.name)).toEqual(['F16', 'F16', 'F16', 'F16']);
    // 12, 16, 12 and 20 bytes, each padded to 32.
    expect(size - header.dataOffset).toBe(4 * 32);
  });

  it('refuses factors that do not match their shape, bad values, a repeated target and a bad alpha or rank, leaving no file', async () => {
    const path = join(folder, 'bad.gguf');
    const [first, second] = adapter().pairs as [LoraAdapter['pairs'][number], LoraAdapter['pairs'][number]];
    const cases: [Partial<LoraAdapter>, string][] = [
      [
        { pairs: [{ ...first, a: new Float32Array(5) }] },
        'blk.0.attn_q.weight A should be 2 × 3 (6 values), not 5',
      ],
      [
        { pairs: [{ ...first, b: new Float32Array(6) }] },
        'blk.0.attn_q.weight B should be 4 × 2 (8 values), not 6',
      ],
      [
        { pairs: [{ ...second, b: Float32Array.of(0, 0, Number.NaN, 0, 0, 0, 0, 0, 0, 0) }] },
        'output.weight B holds NaN at index 2',
      ],
      [{ pairs: [first, { ...first }] }, 'blk.0.attn_q.weight is adapted twice'],
      [{ alpha: 0 }, 'LoRA alpha must be positive, not 0'],
      [{ rank: 0 }, 'LoRA rank must be a positive integer, not 0'],
      [{ pairs: [] }, 'a LoRA adapter needs at least one pair of matrices'],
    ];
    for (const [change, message] of cases)
      await expect(writeLoraAdapter(path, { ...adapter(), ...change })).rejects.toThrow(message);
    expect(await readdir(folder)).toEqual([]);
  });
});
