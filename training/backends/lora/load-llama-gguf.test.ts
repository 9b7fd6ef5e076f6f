import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { tensorSource, writeTinyLlamaGguf } from './__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel } from './llama-model.ts';
import { loadLlamaGguf } from './load-llama-gguf.ts';

describe('loadLlamaGguf', () => {
  let folder: string;
  beforeAll(async () => {
    await initTfjs();
    folder = await mkdtemp(join(tmpdir(), 'load-llama-gguf-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads the shape and weights a GGUF file holds: the same model as from the weights in memory', async () => {
    const path = join(folder, 'tiny.gguf');
    const tiny = await writeTinyLlamaGguf(path, { tied: false });
    const fromFile = await loadLlamaGguf(path);
    const fromMemory = await LlamaModel.load(parseLlamaConfig(tiny.metadata), tensorSource(tiny.tensors));
    expect(fromFile.config).toEqual(fromMemory.config);
    const tokens = [1, 40, 260, 7, 299, 0];
    expect(Array.from(fromFile.nextTokenLogProbabilities(tokens))).toEqual(
      Array.from(fromMemory.nextTokenLogProbabilities(tokens)),
    );
    fromFile.dispose();
    fromMemory.dispose();
  });

  it('names the file it cannot read', async () => {
    await expect(loadLlamaGguf(join(folder, 'missing.gguf'))).rejects.toThrow('missing.gguf');
  });
});
