import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../errors.ts';
import { fileSha256 } from '../hashing.ts';
import type { ChatMessage } from '../ports/generator.ts';
import { type TinyAdapters, writeTinyAdapters } from './__fixtures__/write-tiny-adapters.ts';
import { writeTinyGguf } from './__fixtures__/write-tiny-gguf.ts';
import { collectStream } from './collect-stream.ts';
import { writeLoraAdapter } from './gguf/write-lora-adapter.ts';
import { GgufGenerator, type GgufModelFiles } from './gguf-generator.ts';
import { GgufModelCache } from './gguf-model-cache.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

const messages: ChatMessage[] = [
  { role: 'system', content: 'You are Noor Halvorsen.' },
  { role: 'user', content: 'How is the weather?' },
];
const base = 'tiny-base:1';

describe.runIf(installed)('GgufGenerator with a LoRA adapter (tiny model, real llama.cpp)', () => {
  let folder: string;
  let tiny: TinyAdapters;
  const open = (files: GgufModelFiles, models: GgufModelCache, id = 'gguf-adapter:twin:2') =>
    GgufGenerator.load(files, { id, threads: 1, models });
  const withAdapter = (adapter: { path: string; sha256: string }): GgufModelFiles => ({
    ...tiny.base,
    adapter: { ...adapter, base },
  });

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-gguf-lora-'));
    tiny = await writeTinyAdapters(folder);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('with B = 0 gives exactly the base model’s log-probabilities', async () => {
    const models = new GgufModelCache();
    const plain = await open(tiny.base, models, 'gguf:tiny-base:1');
    const zero = await open(withAdapter(tiny.zero), models);
    try {
      for (const answer of ['boring boring', 'bored', 'sunny'])
        expect((await zero.score({ messages, answer })).tokenLogProbabilities).toEqual(
          (await plain.score({ messages, answer })).tokenLogProbabilities,
        );
      expect((await collectStream(zero.stream({ messages, maxTokens: 2, temperature: 0 }))).text).toBe(
        'boring boring',
      );
    } finally {
      await Promise.all([plain.close(), zero.close()]);
    }
  });

  it('on the output head moves the lead L from "boring" to "sunny", as derived in writeTinyAdapters', async () => {
    const models = new GgufModelCache();
    const plain = await open(tiny.base, models, 'gguf:tiny-base:1');
    const sunny = await open(withAdapter(tiny.sunny), models);
    const L = tiny.lead;
    try {
      expect((await collectStream(sunny.stream({ messages, maxTokens: 3, temperature: 0 }))).text).toBe(
        'sunny sunny sunny',
      );
      // "boring boring" is the bytes of "boring", "▁boring" and the end of the turn. The base gives
      // "▁boring" log p ≈ 0; the adapter takes exactly L from it, so it reads −L like every token
      // that is not "▁sunny".
      const boringBase = (await plain.score({ messages, answer: 'boring boring' })).tokenLogProbabilities;
      const boringAdapted = (await sunny.score({ messages, answer: 'boring boring' })).tokenLogProbabilities;
      expect(boringBase).toHaveLength(8);
      boringBase.forEach((value, index) => {
        expect(value).toBeCloseTo(index === 6 ? 0 : -L, 4);
      });
      boringAdapted.forEach((value) => {
        expect(value).toBeCloseTo(-L, 4);
      });
      // "sunny sunny": the bytes of "sunny", "▁sunny", the end of the turn. "▁sunny" rises by L.
      const sunnyBase = (await plain.score({ messages, answer: 'sunny sunny' })).tokenLogProbabilities;
      const sunnyAdapted = (await sunny.score({ messages, answer: 'sunny sunny' })).tokenLogProbabilities;
      expect(sunnyAdapted).toHaveLength(7);
      sunnyBase.forEach((value) => {
        expect(value).toBeCloseTo(-L, 4);
      });
      sunnyAdapted.forEach((value, index) => {
        expect(value).toBeCloseTo(index === 5 ? 0 : -L, 4);
      });
    } finally {
      await Promise.all([plain.close(), sunny.close()]);
    }
  });

  it('scales a rank-2 adapter by alpha / rank: "quiet" leads by L, not 2L', async () => {
    const quiet = await open(withAdapter(tiny.quiet), new GgufModelCache());
    try {
      expect((await collectStream(quiet.stream({ messages, maxTokens: 2, temperature: 0 }))).text).toBe(
        'quiet quiet',
      );
      const score = (await quiet.score({ messages, answer: 'quiet quiet' })).tokenLogProbabilities;
      expect(score).toHaveLength(7);
      score.forEach((value, index) => {
        expect(value).toBeCloseTo(index === 5 ? 0 : -tiny.lead, 4);
      });
    } finally {
      await quiet.close();
    }
  });

  it('refuses an adapter on a base file other than the one it was trained on, or on none, before loading anything', async () => {
    const models = new GgufModelCache();
    // Another model now sits where the base was: same architecture and sizes, other weights.
    const moved = join(folder, 'moved-base.gguf');
    await writeTinyGguf(moved, { word: 'dreamy', otherWords: ['sunny', 'quiet'] });
    const files: GgufModelFiles = { ...withAdapter(tiny.sunny), path: moved };
    const error = await open(files, models).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(
      `the file of base model ${base}, ${moved}, has sha256 ${await fileSha256(moved)}, but its LoRA adapter was trained on ${tiny.base.sha256}: refusing to serve the adapter on another base (put the original file back, or train the adapter again on this one)`,
    );
    const gone = join(folder, 'gone-base.gguf');
    await expect(open({ ...files, path: gone }, models)).rejects.toThrow(
      new NotFoundError(
        `the file of base model ${base}, ${gone}, does not exist: put it back (its LoRA adapter runs on those exact bytes)`,
      ),
    );
    expect([models.loads, models.size]).toEqual([0, 0]);
  });

  it('refuses a missing, changed, corrupt, foreign or misshapen adapter before loading anything', async () => {
    const models = new GgufModelCache();
    const missing = join(folder, 'missing.lora.gguf');
    const changed = join(folder, 'changed.lora.gguf');
    await copyFile(tiny.sunny.path, changed);
    const truncated = join(folder, 'truncated.lora.gguf');
    const bytes = await readFile(tiny.sunny.path);
    await writeFile(truncated, bytes.subarray(0, bytes.length - 64));
    const foreign = join(folder, 'qwen.lora.gguf');
    const misshapen = join(folder, 'misshapen.lora.gguf');
    for (const [path, architecture, inputs] of [
      [foreign, 'qwen2', 16],
      [misshapen, 'llama', 576],
    ] as const)
      await writeLoraAdapter(path, {
        architecture,
        rank: 1,
        alpha: 1,
        pairs: [
          {
            target: { layer: 0, projection: 'attn_q' },
            inputs,
            outputs: inputs,
            a: new Float32Array(inputs),
            b: new Float32Array(inputs),
          },
        ],
      });
    const refusal = async (path: string, sha256?: string) => {
      const files = withAdapter({ path, sha256: sha256 ?? (await fileSha256(path)) });
      const error = (await open(files, models).catch((caught: unknown) => caught)) as Error;
      return [error.constructor, error.message];
    };
    expect(await refusal(missing, 'a'.repeat(64))).toEqual([
      NotFoundError,
      `LoRA adapter file ${missing} does not exist: put the file back, or register the adapter again with \`twin models register NAME --gguf-adapter <file> --base ${base}\``,
    ]);
    expect(await refusal(changed, tiny.quiet.sha256)).toEqual([
      ValidationError,
      `LoRA adapter ${changed} has sha256 ${tiny.sunny.sha256}, the registry says ${tiny.quiet.sha256}: the file changed since it was registered`,
    ]);
    // lora_b (275 × 1 floats, 1,100 bytes) ends 20 bytes before the file, which pads it to 32.
    expect(await refusal(truncated)).toEqual([
      ValidationError,
      `${truncated} is not a usable GGUF file: tensor output.weight.lora_b's data ends at byte ${bytes.length - 20}, past the end of the file (${bytes.length - 64} bytes): it was cut short`,
    ]);
    const baseLabel = `${base} (${tiny.base.path})`;
    expect(await refusal(foreign)).toEqual([
      ValidationError,
      `LoRA adapter ${foreign} does not fit base model ${baseLabel} (a wrong base?): the adapter is for architecture "qwen2", the base is "llama"`,
    ]);
    expect(await refusal(misshapen)).toEqual([
      ValidationError,
      `LoRA adapter ${misshapen} does not fit base model ${baseLabel} (a wrong base?): blk.0.attn_q.weight is [16, 16] in the base, the adapter's pair is for [576, 576]`,
    ]);
    expect([models.loads, models.size]).toEqual([0, 0]);
  });

  it('leaves a served base and its adapter untouched when another adapter is refused', async () => {
    const models = new GgufModelCache();
    const sunny = await open(withAdapter(tiny.sunny), models);
    try {
      // The adapter's bytes change under the same name after it was loaded: llama.cpp would go on
      // serving the old bytes, so the new ones are refused, not silently replaced.
      const reused = join(folder, 'reused.lora.gguf');
      await copyFile(tiny.sunny.path, reused);
      const first = await open(
        withAdapter({ path: reused, sha256: tiny.sunny.sha256 }),
        models,
        'gguf-adapter:twin:3',
      );
      await copyFile(tiny.quiet.path, reused);
      await expect(open(withAdapter({ path: reused, sha256: tiny.quiet.sha256 }), models)).rejects.toThrow(
        `LoRA adapter ${reused} now has sha256 ${tiny.quiet.sha256}, but this process loaded it on ${tiny.base.path} with sha256 ${tiny.sunny.sha256}, and llama.cpp keeps those bytes until the base model is closed: give a changed adapter a new file name`,
      );
      await first.close();
      expect([models.loads, models.size]).toEqual([1, 1]);
      expect((await collectStream(sunny.stream({ messages, maxTokens: 2, temperature: 0 }))).text).toBe(
        'sunny sunny',
      );
    } finally {
      await sunny.close();
    }
    expect(models.size).toBe(0);
  });
});
