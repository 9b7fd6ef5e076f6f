import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeTinyGguf } from '../__fixtures__/write-tiny-gguf.ts';
import { readLoraAdapter } from './read-lora-adapter.ts';
import { ggufValue, writeGguf } from './write-gguf.ts';
import { writeLoraAdapter } from './write-lora-adapter.ts';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'read-lora-adapter-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const matrix = (columns: number, rows: number) => ({
  dimensions: [columns, rows],
  type: 'F32' as const,
  values: new Float32Array(columns * rows),
});

describe('readLoraAdapter', () => {
  it('reads what writeLoraAdapter wrote: architecture, alpha and each pair as [inputs, outputs] with its rank', async () => {
    const path = join(folder, 'adapter.gguf');
    await writeLoraAdapter(path, {
      architecture: 'llama',
      rank: 2,
      alpha: 8,
      pairs: [
        {
          target: { layer: 1, projection: 'ffn_down' },
          inputs: 32,
          outputs: 16,
          a: new Float32Array(64),
          b: new Float32Array(32),
        },
        { target: 'output', inputs: 16, outputs: 9, a: new Float32Array(32), b: new Float32Array(18) },
      ],
    });
    expect(await readLoraAdapter(path)).toEqual({
      architecture: 'llama',
      alpha: 8,
      pairs: [
        { target: 'blk.1.ffn_down.weight', inputs: 32, outputs: 16, rank: 2 },
        { target: 'output.weight', inputs: 16, outputs: 9, rank: 2 },
      ],
    });
  });

  it('lists every way a file breaks llama.cpp’s rules, the ones that would abort the process included', async () => {
    const path = join(folder, 'broken.gguf');
    await writeGguf(path, {
      metadata: [
        ['general.architecture', ggufValue.string('llama')],
        ['general.type', ggufValue.string('model')],
        ['adapter.type', ggufValue.string('lora')],
        // llama.cpp reads alpha with gguf_get_val_f32, which asserts the type: a uint32 aborts Node.
        ['adapter.lora.alpha', ggufValue.uint32(16)],
      ],
      tensors: [
        { name: 'blk.0.attn_q.weight.lora_a', ...matrix(16, 2) },
        { name: 'blk.0.attn_q.weight.lora_b', ...matrix(3, 16) },
        { name: 'blk.0.attn_k.weight.lora_a', ...matrix(16, 2) },
        {
          name: 'blk.0.attn_v.weight.lora_b',
          dimensions: [2, 16, 1],
          type: 'F32',
          values: new Float32Array(32),
        },
        { name: 'blk.0.attn_norm.weight', dimensions: [16], type: 'F32', values: new Float32Array(16) },
        { name: 'blk.0.attn_v.weight', ...matrix(16, 16) },
      ],
    });
    await expect(readLoraAdapter(path, 'twin-v3.gguf')).rejects.toThrow(
      'twin-v3.gguf is not a LoRA adapter llama.cpp can load: general.type is "model", not "adapter"; ' +
        'adapter.lora.alpha is a uint32, not a float32; tensor blk.0.attn_v.weight is neither a .lora_a nor a .lora_b; ' +
        "blk.0.attn_q.weight's lora_a is [16, 2] and lora_b [3, 16]: their ranks disagree (lora_a must be [inputs, rank] and lora_b [rank, outputs]); " +
        'blk.0.attn_k.weight has a lora_a but no lora_b; blk.0.attn_v.weight has a lora_b but no lora_a',
    );
  });

  it('refuses a tensor type llama.cpp’s converter does not write, naming it', async () => {
    const path = join(folder, 'q4.gguf');
    await writeGguf(path, {
      metadata: [
        ['general.architecture', ggufValue.string('llama')],
        ['general.type', ggufValue.string('adapter')],
        ['adapter.type', ggufValue.string('lora')],
      ],
      tensors: [
        { name: 'output.weight.lora_a', ...matrix(32, 32) },
        // One Q4_0 block: a row of 32 values (the rank) for one output.
        { name: 'output.weight.lora_b', dimensions: [32, 1], type: 'Q4_0', bytes: new Uint8Array(18) },
      ],
    });
    await expect(readLoraAdapter(path, 'q4.gguf')).rejects.toThrow(
      'q4.gguf is not a LoRA adapter llama.cpp can load: tensor output.weight.lora_b is Q4_0 (ggml type 2); adapters hold F32, F16, BF16, Q8_0',
    );
  });

  it('refuses a base model given as an adapter, and an adapter whose data is cut off', async () => {
    const model = join(folder, 'tiny.gguf');
    await writeTinyGguf(model);
    const error = await readLoraAdapter(model).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a LoRA adapter llama.cpp can load: general.type is missing \\(llama.cpp expects "adapter"\\); adapter.type is missing \\(llama.cpp expects "lora"\\); tensor token_embd.weight is neither a .lora_a nor a .lora_b;`,
      ),
    );

    const whole = join(folder, 'whole.gguf');
    await writeLoraAdapter(whole, {
      architecture: 'llama',
      rank: 1,
      alpha: 1,
      pairs: [
        { target: 'output', inputs: 16, outputs: 64, a: new Float32Array(16), b: new Float32Array(64) },
      ],
    });
    const cut = join(folder, 'cut.gguf');
    const bytes = await readFile(whole);
    // lora_a's 64 bytes stay, lora_b's 256 lose their last 100.
    await writeFile(cut, bytes.subarray(0, bytes.length - 100));
    await expect(readLoraAdapter(cut, 'cut.gguf')).rejects.toThrow(
      `cut.gguf is not a usable GGUF file: tensor output.weight.lora_b's data ends at byte ${bytes.length}, past the end of the file (${bytes.length - 100} bytes): it was cut short`,
    );
  });
});
