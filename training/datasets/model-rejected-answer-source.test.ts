import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/artifacts/local-artifact-store.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { silentLogger } from '../../core/logger.ts';
import {
  type ChatReplayServer,
  startChatReplayServer,
} from '../../core/models/__fixtures__/chat-replay-server.ts';
import { registeredVersion } from '../../core/models/__fixtures__/registered-version.ts';
import { writeTinyGguf } from '../../core/models/__fixtures__/write-tiny-gguf.ts';
import type { ModelArtifact } from '../../core/types/model-version.ts';
import { modelRejectedAnswerSource } from './model-rejected-answer-source.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

const version = (artifact: ModelArtifact) => registeredVersion(artifact, { name: 'base', version: 2 });

describe('modelRejectedAnswerSource', () => {
  let folder: string;
  let openai: ChatReplayServer;
  let other: ChatReplayServer;
  let dependencies: Parameters<typeof modelRejectedAnswerSource>[1];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-rejected-'));
    [openai, other] = await Promise.all([startChatReplayServer(), startChatReplayServer()]);
    dependencies = {
      artifacts: new LocalArtifactStore(folder),
      // The replay server stands in for api.openai.com: the configured key is its, not other's.
      config: loadConfig({
        env: {},
        overrides: { training: { backends: { openai: { baseUrl: openai.baseUrl, apiKey: 'sk-base' } } } },
      }),
      logger: silentLogger,
    };
  });
  afterAll(async () => {
    await Promise.all([openai.close(), other.close()]);
    await rm(folder, { recursive: true, force: true });
  });

  it.runIf(installed)('takes generic answers from a GGUF base model', async () => {
    const path = join(folder, 'base.gguf');
    await writeTinyGguf(path, { word: 'generic' });
    const { source, close } = await modelRejectedAnswerSource(
      version({ kind: 'gguf', path, sha256: null }),
      dependencies,
      { maxTokens: 3 },
    );
    try {
      expect(source.name).toBe('model:base:2');
      expect(await source.generic('Who is Tofu?')).toBe('generic generic generic');
    } finally {
      await close();
    }
  });

  it('asks an OpenAI-compatible endpoint the bare instruction, with the key only where it belongs', async () => {
    openai.script({ sse: 'openai-chat-stream.sse' });
    other.script({ sse: 'openai-chat-stream.sse' });
    for (const server of [openai, other]) {
      const { source, close } = await modelRejectedAnswerSource(
        version({ kind: 'openai-compatible', baseUrl: server.baseUrl, model: 'llama3.2' }),
        dependencies,
      );
      expect(await source.generic('Who is Tofu?')).toMatch(/^I’d rather ship a small model/);
      await close();
    }
    expect(openai.requests[0]?.headers.authorization).toBe('Bearer sk-base');
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(openai.requests[0]?.body).toMatchObject({
      messages: [{ role: 'user', content: 'Who is Tofu?' }],
      max_tokens: 96,
      temperature: 0.7,
    });
  });
});
