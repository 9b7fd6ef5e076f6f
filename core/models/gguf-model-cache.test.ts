import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../ports/generator.ts';
import { type TinyAdapters, writeTinyAdapters } from './__fixtures__/write-tiny-adapters.ts';
import { collectStream } from './collect-stream.ts';
import { GgufGenerator, type GgufModelFiles } from './gguf-generator.ts';
import { GgufModelCache } from './gguf-model-cache.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

const messages: ChatMessage[] = [{ role: 'user', content: 'How is the weather?' }];

describe.runIf(installed)('GgufModelCache', () => {
  let folder: string;
  let tiny: TinyAdapters;
  const open = (files: GgufModelFiles, models: GgufModelCache) =>
    GgufGenerator.load(files, { id: 'gguf-adapter:twin:2', threads: 1, models });
  const withAdapter = (adapter: { path: string; sha256: string }): GgufModelFiles => ({
    ...tiny.base,
    adapter: { ...adapter, base: 'tiny-base:1' },
  });
  const answer = async (generator: GgufGenerator) =>
    (await collectStream(generator.stream({ messages, maxTokens: 2, temperature: 0 }))).text;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-gguf-cache-'));
    tiny = await writeTinyAdapters(folder);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('loads a file once for all its users, even at once, and frees it when the last one closes', async () => {
    const models = new GgufModelCache();
    const [sunny, quiet] = await Promise.all([
      open(withAdapter(tiny.sunny), models),
      open(withAdapter(tiny.quiet), models),
    ]);
    const plain = await open(tiny.base, models);
    expect([models.loads, models.size]).toEqual([1, 1]);
    // Each has its own context: three answers from one set of base weights.
    expect(await Promise.all([answer(sunny), answer(quiet), answer(plain)])).toEqual([
      'sunny sunny',
      'quiet quiet',
      'boring boring',
    ]);
    await sunny.close();
    await plain.close();
    expect(models.size).toBe(1);
    expect(await answer(quiet)).toBe('quiet quiet');
    await quiet.close();
    expect(models.size).toBe(0);
    // Closed for good: the next user loads the file again.
    const again = await open(withAdapter(tiny.sunny), models);
    expect([models.loads, models.size]).toEqual([2, 1]);
    await again.close();
    expect(models.size).toBe(0);
  });

  it('does not remember a file that failed to load', async () => {
    const models = new GgufModelCache();
    const junk = join(folder, 'junk.gguf');
    await writeFile(junk, Buffer.from('PK\u0003\u0004 a zip, not a model '.repeat(40), 'latin1'));
    await expect(open({ path: junk, sha256: null }, models)).rejects.toThrow(
      `cannot load GGUF model ${junk}: Invalid GGUF magic`,
    );
    expect([models.loads, models.size]).toEqual([0, 0]);
  });
});
