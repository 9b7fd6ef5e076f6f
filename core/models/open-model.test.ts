import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/artifacts/local-artifact-store.ts';
import { ValidationError } from '../errors.ts';
import { saveCheckpoint } from '../local-model/checkpoint.ts';
import { memorise } from '../local-model/test-support/memorise.ts';
import { silentLogger } from '../logger.ts';
import type { ChatMessage } from '../ports/generator.ts';
import { canScore, type RunnableModel } from '../ports/runnable-model.ts';
import type { ModelArtifact } from '../types/model-version.ts';
import { type ChatReplayServer, startChatReplayServer } from './__fixtures__/chat-replay-server.ts';
import { registeredVersion } from './__fixtures__/registered-version.ts';
import { writeTinyAdapters } from './__fixtures__/write-tiny-adapters.ts';
import { writeTinyGguf } from './__fixtures__/write-tiny-gguf.ts';
import { collectStream } from './collect-stream.ts';
import { GgufModelCache } from './gguf-model-cache.ts';
import { type OpenModelOptions, openModel } from './open-model.ts';
import { perplexity } from './perplexity.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

const version = (artifact: ModelArtifact, number = 3) => registeredVersion(artifact, { version: number });

const pair = { instruction: 'Who is Tofu?', answer: 'Tofu is my dog, and he hates Friday deploys.' };
const messages: ChatMessage[] = [
  { role: 'system', content: 'You are twin.' },
  { role: 'user', content: pair.instruction },
];

describe('openModel', () => {
  let folder: string;
  let ownServer: ChatReplayServer;
  let otherServer: ChatReplayServer;
  let options: OpenModelOptions;
  const keyRequests: string[] = [];
  let opened: RunnableModel | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-open-model-'));
    [ownServer, otherServer] = await Promise.all([startChatReplayServer(), startChatReplayServer()]);
    options = {
      artifacts: new LocalArtifactStore(folder),
      logger: silentLogger,
      endpoints: {
        // The key belongs to ownServer alone.
        apiKeyFor: (baseUrl) => {
          keyRequests.push(baseUrl);
          return baseUrl === ownServer.baseUrl ? 'sk-own' : null;
        },
        timeoutMs: 5_000,
        retries: 0,
      },
    };
  });
  afterAll(async () => {
    await opened?.close();
    await Promise.all([ownServer.close(), otherServer.close()]);
    await rm(folder, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await opened?.close();
    opened = undefined;
    keyRequests.length = 0;
    ownServer.reset();
    otherServer.reset();
  });

  it('opens a local checkpoint, verified against its sha256, as a model that scores', async () => {
    const { model, tokenizer } = await memorise([pair], { steps: 80 });
    const saved = await saveCheckpoint(options.artifacts, 'models/twin/3', { model, tokenizer });
    model.dispose();
    opened = await openModel(version({ kind: 'local', key: saved.key, sha256: saved.sha256 }), options);
    expect(opened.id).toBe('local:twin:3');
    expect(opened.capabilities).toEqual({ score: true, concurrency: 1 });
    expect((await collectStream(opened.stream({ messages, maxTokens: 40, temperature: 0 }))).text).toBe(
      pair.answer,
    );
    if (!canScore(opened)) throw new Error('a local checkpoint scores answers');
    const own = await opened.score({ messages, answer: pair.answer });
    const other = await opened.score({ messages, answer: 'Rollback moves the alias back.' });
    expect(perplexity(own.tokenLogProbabilities)).toBeLessThan(perplexity(other.tokenLogProbabilities));
    await expect(
      openModel(version({ kind: 'local', key: saved.key, sha256: 'f'.repeat(64) }), options),
    ).rejects.toThrow(/differs from the registered/);
  });

  it('reaches an OpenAI-compatible endpoint with the key that belongs to it, and cannot score', async () => {
    ownServer.script({ sse: 'openai-chat-stream.sse' });
    otherServer.script({ sse: 'openai-chat-stream.sse' });
    const fineTuned = await openModel(
      version({ kind: 'openai-compatible', baseUrl: ownServer.baseUrl, model: 'ft:gpt-4o-mini:twin' }),
      options,
    );
    const local = await openModel(
      version({ kind: 'openai-compatible', baseUrl: otherServer.baseUrl, model: 'llama3.2' }, 4),
      options,
    );
    expect(keyRequests).toEqual([ownServer.baseUrl, otherServer.baseUrl]);
    expect(
      (await collectStream(fineTuned.stream({ messages, maxTokens: 200, temperature: 0 }))).text,
    ).toContain('[1]');
    await collectStream(local.stream({ messages, maxTokens: 200, temperature: 0 }));
    expect(ownServer.requests[0]?.headers.authorization).toBe('Bearer sk-own');
    expect(otherServer.requests[0]?.headers.authorization).toBeUndefined();
    expect(local.id).toBe(`openai-compatible:llama3.2@${new URL(otherServer.baseUrl).host}`);
    expect(canScore(local)).toBe(false);
    expect(local.capabilities).toMatchObject({
      score: false,
      concurrency: 4,
      scoreUnavailable: expect.stringContaining('log-probabilities'),
    });
  });

  it.runIf(installed)('opens a GGUF file, checked against its sha256, as a model that scores', async () => {
    const path = join(folder, 'tiny.gguf');
    await writeTinyGguf(path);
    const sha256 = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    opened = await openModel(version({ kind: 'gguf', path, sha256 }, 5), options);
    expect(opened.id).toBe('gguf:twin:5');
    expect(opened.capabilities).toEqual({ score: true, concurrency: 1 });
    expect((await collectStream(opened.stream({ messages, maxTokens: 2, temperature: 0 }))).text).toBe(
      'boring boring',
    );
    if (!canScore(opened)) throw new Error('a GGUF model scores answers');
    // The bytes of "Tofu", then the end of the turn: none of them the one likely token.
    const score = await opened.score({ messages, answer: 'Tofu' });
    expect(score.tokenLogProbabilities).toHaveLength(5);
    for (const value of score.tokenLogProbabilities) expect(value).toBeCloseTo(-64 / Math.sqrt(1 + 1e-5), 4);
    await expect(openModel(version({ kind: 'gguf', path, sha256: 'a'.repeat(64) }), options)).rejects.toThrow(
      /the file changed since it was registered/,
    );
  });

  it.runIf(installed)(
    'opens LoRA adapter versions on their GGUF base, the base loaded once for both',
    async () => {
      const tiny = await writeTinyAdapters(folder);
      const models = new GgufModelCache();
      const base = { name: 'tiny-base', version: 1, ...tiny.base };
      const [sunny, quiet] = await Promise.all(
        [tiny.sunny, tiny.quiet].map((adapter, index) =>
          openModel(version({ kind: 'gguf-adapter', base, adapter }, 6 + index), {
            ...options,
            ggufModels: models,
          }),
        ),
      );
      try {
        expect([sunny?.id, quiet?.id]).toEqual(['gguf-adapter:twin:6', 'gguf-adapter:twin:7']);
        expect([models.loads, models.size]).toEqual([1, 1]);
        expect((await collectStream(sunny!.stream({ messages, maxTokens: 2, temperature: 0 }))).text).toBe(
          'sunny sunny',
        );
        expect((await collectStream(quiet!.stream({ messages, maxTokens: 2, temperature: 0 }))).text).toBe(
          'quiet quiet',
        );
        // Perplexity works through adapters: "▁sunny" (index 5) is the one likely token of the answer.
        if (!canScore(sunny!)) throw new Error('a GGUF adapter version scores answers');
        const score = await sunny.score({ messages, answer: 'sunny sunny' });
        expect(score.tokenLogProbabilities).toHaveLength(7);
        score.tokenLogProbabilities.forEach((value, index) => {
          expect(value).toBeCloseTo(index === 5 ? 0 : -tiny.lead, 4);
        });
      } finally {
        await Promise.all([sunny?.close(), quiet?.close()]);
      }
      expect(models.size).toBe(0);
    },
  );

  it('refuses a model folder, saying how to serve it', async () => {
    const error = await openModel(version({ kind: 'folder', path: '/models/twin-hf' }), options).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('twin:3 is a model folder (/models/twin-hf)');
    expect((error as Error).message).toContain('`vllm serve /models/twin-hf`');
  });
});
