import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../core/errors.ts';
import { createChatCompletion } from '../../core/http/create-chat-completion.ts';
import { OpenAIHttpClient } from '../../core/http/openai-http-client.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import { chatRoute } from './__fixtures__/chat-routes.ts';
import { loadResponse, type ReplayServer, startReplayServer } from './__fixtures__/replay-server.ts';

const model = 'ft:gpt-4o-mini-2024-07-18:acme-writers:twin:B3xK9pQz';
const load = (name: string) => loadResponse(`chat/${name}.json`);
let server: ReplayServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(replay: ReplayServer, options: { apiKey?: string | null; waits?: number[] } = {}) {
  return new OpenAIHttpClient({
    baseUrl: replay.baseUrl,
    apiKey: options.apiKey === undefined ? 'sk-test' : options.apiKey,
    timeoutMs: 5_000,
    retries: 2,
    service: `model ${model}`,
    sleep: async (milliseconds) => {
      options.waits?.push(milliseconds);
    },
  });
}

const ask = (content: string) => ({ model, messages: [{ role: 'user' as const, content }] });

describe('createChatCompletion', () => {
  it('sends the documented body and returns the first choice with its usage', async () => {
    server = await startReplayServer([chatRoute([await load('completion-fine-tuned')], 'sk-test')]);
    const completion = await createChatCompletion(client(server), {
      model,
      messages: [
        { role: 'system', content: twinSystemPrompt('twin') },
        { role: 'user', content: 'Write about boring infrastructure.' },
      ],
      temperature: 0.2,
      maxTokens: 256,
    });

    expect(completion.content).toMatch(/^Boring infrastructure is the kind you forget about\./);
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

  it('sends no Authorization header without a key (a local server)', async () => {
    server = await startReplayServer([chatRoute([await load('completion-fine-tuned')], null)]);
    await createChatCompletion(client(server, { apiKey: null }), { ...ask('Hello?'), maxTokens: 16 });
    expect(server.problems).toEqual([]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('retries a 500, then answers', async () => {
    server = await startReplayServer([
      chatRoute([await load('error-500-server-error'), await load('completion-fine-tuned')], 'sk-test'),
    ]);
    const waits: number[] = [];
    const completion = await createChatCompletion(
      client(server, { waits }),
      ask('Write about boring infrastructure.'),
    );
    expect(completion.content).toContain('Postgres');
    expect(server.requests).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });

  it('explains a missing model and a refusal', async () => {
    server = await startReplayServer([
      chatRoute([await load('error-404-model-not-found'), await load('completion-refusal')], 'sk-test'),
    ]);
    const missing = await createChatCompletion(client(server), ask('Hi')).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ServiceError);
    expect((missing as Error).message).toBe(
      `model ${model} POST /chat/completions answered 404 model_not_found: The model ` +
        '`ft:gpt-4o-mini-2024-07-18:acme-writers:twin:Gone0000` does not exist or you do not have access to it.',
    );
    await expect(createChatCompletion(client(server), ask('Hi'))).rejects.toThrow(
      `model ${model} refused: I'm sorry, but I can't help with that request.`,
    );
  });
});
