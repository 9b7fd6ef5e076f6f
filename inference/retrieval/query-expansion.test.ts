import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../core/logger.ts';
import { type ChatReplayServer, startChatReplayServer } from './__fixtures__/chat-replay-server.ts';
import { ChatJsonClient, type ChatJsonEndpoint } from './chat-json-client.ts';
import { LlmQueryUnderstanding } from './llm-query-understanding.ts';
import { expandQuery } from './query-expansion.ts';

let server: ChatReplayServer;
const endpoint = (overrides: Partial<ChatJsonEndpoint> = {}): ChatJsonEndpoint => ({
  baseUrl: server.baseUrl,
  model: 'gpt-4o-mini',
  apiKey: null,
  temperature: 0.3,
  timeoutMs: 5_000,
  retries: 2,
  ...overrides,
});
const understanding = (overrides: Partial<ChatJsonEndpoint> = {}) =>
  new LlmQueryUnderstanding(new ChatJsonClient(endpoint(overrides), { backoffMs: 1 }));

beforeAll(async () => {
  server = await startChatReplayServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('expandQuery', () => {
  it('is the question alone without an LLM, or when asked for no rewrites', async () => {
    expect(await expandQuery('How do rollbacks work?', { count: 3, logger: silentLogger })).toEqual([
      'How do rollbacks work?',
    ]);
    expect(
      await expandQuery('How do rollbacks work?', {
        understanding: understanding(),
        count: 0,
        logger: silentLogger,
      }),
    ).toEqual(['How do rollbacks work?']);
    expect(server.requests).toHaveLength(0);
  });

  it('adds n rewrites from the LLM after the question, without repeats of it', async () => {
    await server.play('expansion-rollback.json');
    const question = 'What did Noor post about rolling back models?';
    const queries = await expandQuery(question, {
      understanding: understanding(),
      count: 3,
      logger: silentLogger,
    });
    expect(queries).toEqual([
      question,
      'rolling back a model in seconds with an alias move',
      'how fast can a model rollback be',
      'rollback drill for the production model',
    ]);
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.3,
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: expect.stringContaining('Write 3 different search queries') },
        { role: 'user', content: question },
      ],
    });
  });

  it('reads JSON that a local server wrapped in a markdown fence', async () => {
    await server.play('expansion-fenced.json');
    const question = 'How do I keep training and serving features the same?';
    expect(
      await expandQuery(question, { understanding: understanding(), count: 2, logger: silentLogger }),
    ).toEqual([question, 'prevent training-serving skew', 'one feature definition for training and serving']);
  });

  it('falls back to the question, with a warning, on a reply of the wrong shape', async () => {
    await server.play('expansion-wrong-shape.json');
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });
    expect(await expandQuery('skew?', { understanding: understanding(), count: 2, logger })).toEqual([
      'skew?',
    ]);
    expect(warnings.join('\n')).toMatch(/query expansion failed.*wrong shape: queries/);
  });
});
