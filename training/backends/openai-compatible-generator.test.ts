import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError, ValidationError } from '../../core/errors.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import { chatRoute } from './__fixtures__/chat-routes.ts';
import { loadResponse, type ReplayServer, startReplayServer } from './__fixtures__/replay-server.ts';
import { type ChatEndpoint, generateWithChatEndpoint } from './openai-compatible-generator.ts';

const model = 'ft:gpt-4o-mini-2024-07-18:acme-writers:twin:B3xK9pQz';
const load = (name: string) => loadResponse(`chat/${name}.json`);
let server: ReplayServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function endpoint(replay: ReplayServer, apiKey: string | null = 'sk-test'): ChatEndpoint {
  return { baseUrl: replay.baseUrl, model, apiKey, timeoutMs: 5_000 };
}

describe('generateWithChatEndpoint', () => {
  it('asks with the twin system prompt and returns the first choice', async () => {
    server = await startReplayServer([chatRoute([await load('completion-fine-tuned')], 'sk-test')]);
    const answer = await generateWithChatEndpoint(endpoint(server), 'Write about boring infrastructure.', {
      maxTokens: 256,
      temperature: 0.2,
      systemPrompt: twinSystemPrompt('twin'),
    });

    expect(answer).toMatch(/^Boring infrastructure is the kind you forget about\./);
    expect(server.problems).toEqual([]);
    expect(server.requests[0]?.json).toEqual({
      model,
      messages: [
        { role: 'system', content: twinSystemPrompt('twin') },
        { role: 'user', content: 'Write about boring infrastructure.' },
      ],
      temperature: 0.2,
      max_tokens: 256,
    });
  });

  it('works without a key or system prompt (a local server)', async () => {
    server = await startReplayServer([chatRoute([await load('completion-fine-tuned')], null)]);
    await generateWithChatEndpoint(endpoint(server, null), 'Hello?', { maxTokens: 16, temperature: 0 });
    expect(server.problems).toEqual([]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.json).toMatchObject({
      messages: [{ role: 'user', content: 'Hello?' }],
    });
  });

  it('retries a 500, then answers', async () => {
    server = await startReplayServer([
      chatRoute([await load('error-500-server-error'), await load('completion-fine-tuned')], 'sk-test'),
    ]);
    const waits: number[] = [];
    const answer = await generateWithChatEndpoint(endpoint(server), 'Write about boring infrastructure.', {
      maxTokens: 256,
      temperature: 0.2,
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
    });
    expect(answer).toContain('Postgres');
    expect(server.requests).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });

  it('explains a missing model and a refusal', async () => {
    server = await startReplayServer([
      chatRoute([await load('error-404-model-not-found'), await load('completion-refusal')], 'sk-test'),
    ]);
    const options = { maxTokens: 64, temperature: 0 };
    const missing = await generateWithChatEndpoint(endpoint(server), 'Hi', options).catch(
      (error: unknown) => error,
    );
    expect(missing).toBeInstanceOf(ServiceError);
    expect((missing as Error).message).toBe(
      `model ${model} POST /chat/completions answered 404 model_not_found: The model ` +
        '`ft:gpt-4o-mini-2024-07-18:acme-writers:twin:Gone0000` does not exist or you do not have access to it.',
    );
    await expect(generateWithChatEndpoint(endpoint(server), 'Hi', options)).rejects.toThrow(
      `model ${model} refused: I'm sorry, but I can't help with that request.`,
    );
    await expect(generateWithChatEndpoint(endpoint(server), '  ', options)).rejects.toThrow(ValidationError);
  });
});
