import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGguf } from '../__fixtures__/write-tiny-gguf.ts';
import { checkLoraAdapter } from './check-lora-adapter.ts';
import { type LoraPair, writeLoraAdapter } from './write-lora-adapter.ts';

let folder: string;
let base: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'check-lora-adapter-'));
  base = join(folder, 'tiny.gguf');
  // One block, 16-wide embeddings, a 32-wide feed-forward layer, 265 tokens.
  await writeTinyGguf(base);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const pair = (target: LoraPair['target'], inputs: number, outputs: number): LoraPair => ({
  target,
  inputs,
  outputs,
  a: new Float32Array(inputs),
  b: new Float32Array(outputs),
});

describe('checkLoraAdapter', () => {
  it('accepts an adapter whose every pair matches a weight of the base', async () => {
    const path = join(folder, 'fits.gguf');
    await writeLoraAdapter(path, {
      architecture: 'llama',
      rank: 1,
      alpha: 1,
      pairs: [
        pair({ layer: 0, projection: 'attn_q' }, 16, 16),
        pair({ layer: 0, projection: 'ffn_down' }, 32, 16),
        pair('output', 16, 265),
      ],
    });
    expect(await checkLoraAdapter(path, base)).toEqual({
      architecture: 'llama',
      alpha: 1,
      pairs: [
        { target: 'blk.0.attn_q.weight', inputs: 16, outputs: 16, rank: 1 },
        { target: 'blk.0.ffn_down.weight', inputs: 32, outputs: 16, rank: 1 },
        { target: 'output.weight', inputs: 16, outputs: 265, rank: 1 },
      ],
    });
  });

  it('lists every misfit: another architecture, a layer the base lacks, a projection of other sizes', async () => {
    const path = join(folder, 'misfit.gguf');
    // Shaped for SmolLM2-135M (576-wide, 30 blocks), and declared as qwen2.
    await writeLoraAdapter(path, {
      architecture: 'qwen2',
      rank: 1,
      alpha: 1,
      pairs: [
        pair({ layer: 0, projection: 'attn_q' }, 576, 576),
        pair({ layer: 29, projection: 'attn_v' }, 576, 192),
      ],
    });
    await expect(
      checkLoraAdapter(path, base, { adapter: 'twin:4’s adapter', base: 'smollm2-135m-instruct:1' }),
    ).rejects.toThrow(
      'LoRA adapter twin:4’s adapter does not fit base model smollm2-135m-instruct:1 (a wrong base?): ' +
        'the adapter is for architecture "qwen2", the base is "llama"; ' +
        "blk.0.attn_q.weight is [16, 16] in the base, the adapter's pair is for [576, 576]; " +
        'the base has no blk.29.attn_v.weight',
    );
  });
});
