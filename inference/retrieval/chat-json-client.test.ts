import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ChatReplayServer, startChatReplayServer } from './__fixtures__/chat-replay-server.ts';
import { ChatJsonClient, type ChatJsonEndpoint } from './chat-json-client.ts';
import { LlmQueryUnderstanding } from './llm-query-understanding.ts';

let server: ChatReplayServer;
const endpoint = (overrides: Partial<ChatJsonEndpoint> = {}): ChatJsonEndpoint => ({
  baseUrl: server.baseUrl,
  model: 'gpt-4o-mini',
  apiKey: null,
  temperature: 0,
  timeoutMs: 5_000,
  retries: 2,
  ...overrides,
});
const understanding = (overrides: Partial<ChatJsonEndpoint> = {}) =>
  new LlmQueryUnderstanding(new ChatJsonClient(endpoint(overrides), { backoffMs: 1 }));
const Anything = z.object({ anything: z.string() });

beforeAll(async () => {
  server = await startChatReplayServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('ChatJsonClient', () => {
  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    await server.play('error-429.json', 'error-500.json', 'expansion-fenced.json');
    const rewrites = await understanding({ retries: 2 }).expand(
      'How do I keep training and serving features the same?',
      2,
    );
    expect(rewrites).toHaveLength(2);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after the configured retries with the service’s message, marked retryable', async () => {
    await server.play('error-500.json', 'error-500.json');
    const failure = understanding({ retries: 1 }).expand('anything', 2);
    await expect(failure).rejects.toMatchObject({
      name: 'ServiceError',
      retryable: true,
      message: expect.stringMatching(/answered 500 server_error: The server had an error/),
    });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 401, and says why', async () => {
    await server.play('error-401.json', 'expansion-fenced.json');
    await expect(
      understanding({ retries: 3, apiKey: 'sk-wrong' }).expand('anything', 2),
    ).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/401 invalid_api_key: Incorrect API key/),
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-wrong');
  });

  it('reports an unreachable endpoint clearly', async () => {
    const closed = new ChatJsonClient(endpoint({ baseUrl: 'http://127.0.0.1:9/v1', retries: 0 }));
    await expect(closed.complete([{ role: 'user', content: 'hi' }], Anything)).rejects.toThrow(
      /chat endpoint http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions unreachable/,
    );
  });
});
