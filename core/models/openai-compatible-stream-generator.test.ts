import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runGeneratorContract } from '../contracts/generator-contract.ts';
import { ServiceError } from '../errors.ts';
import type { ChatMessage, GenerationSummary } from '../ports/generator.ts';
import {
  type ChatReplayServer,
  loadResponse,
  loadStreamEvents,
  type ScriptedAnswer,
  startChatReplayServer,
} from './__fixtures__/chat-replay-server.ts';
import { OpenAICompatibleStreamGenerator } from './openai-compatible-stream-generator.ts';

let server: ChatReplayServer;

beforeAll(async () => {
  server = await startChatReplayServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const messages: ChatMessage[] = [
  { role: 'system', content: 'You are Ada Lovelace. Answer in the first person.' },
  { role: 'user', content: 'Passages…\n\nQuestion: Small or large models?' },
];

function generator(apiKey: string | null = 'sk-test') {
  return new OpenAICompatibleStreamGenerator({
    baseUrl: server.baseUrl,
    model: 'ft:gpt-4o-mini-2024-07-18:twin::B1',
    apiKey,
    timeoutMs: 5_000,
    retries: 0,
  });
}

async function collect(stream: AsyncGenerator<string, GenerationSummary>) {
  const pieces: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { pieces, summary: step.value };
    pieces.push(step.value);
  }
}

/** The text of a recorded stream, from its content deltas. */
async function recordedText(name: string): Promise<string> {
  const events = await loadStreamEvents(name);
  return events
    .filter((event) => event !== '[DONE]')
    .map((event) => JSON.parse(event).choices?.[0]?.delta?.content ?? '')
    .join('');
}

describe('OpenAICompatibleStreamGenerator', () => {
  it('streams the recorded answer piece by piece, with the usage the stream reported', async () => {
    server.script({ sse: 'openai-chat-stream.sse' });
    const { pieces, summary } = await collect(
      generator().stream({ messages, maxTokens: 200, temperature: 0.3, stop: ['\n\nQ:'], seed: 7 }),
    );
    expect(pieces.join('')).toBe(await recordedText('openai-chat-stream.sse'));
    expect(pieces.join('')).toContain('[1]');
    // One piece per content delta: tokens are streamed end to end, not buffered.
    expect(pieces.length).toBeGreaterThan(20);
    expect(summary).toEqual({ finishReason: 'stop', promptTokens: 412, completionTokens: 37 });
  });

  it('sends the documented request: model, messages, sampling, stop, usage in the stream, key', async () => {
    server.script({ sse: 'openai-chat-stream.sse' });
    await collect(
      generator().stream({ messages, maxTokens: 200, temperature: 0.3, topP: 0.9, stop: ['\n\nQ:'] }),
    );
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({
      model: 'ft:gpt-4o-mini-2024-07-18:twin::B1',
      messages: [
        { role: 'system', content: messages[0]?.content },
        { role: 'user', content: messages[1]?.content },
      ],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 200,
      stop: ['\n\nQ:'],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends no real key to a server that needs none', async () => {
    server.script({ sse: 'openai-chat-stream.sse' });
    await collect(generator(null).stream({ messages, maxTokens: 20, temperature: 0 }));
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('maps finish_reason "length" to length', async () => {
    server.script({ sse: 'openai-chat-stream-length.sse' });
    const { pieces, summary } = await collect(generator().stream({ messages, maxTokens: 6, temperature: 0 }));
    expect(pieces.join('')).toBe('I’d rather ship a small');
    expect(summary).toEqual({ finishReason: 'length', promptTokens: 412, completionTokens: 6 });
  });

  it('turns a 401 in OpenAI’s error shape into a ServiceError that names the endpoint and the fix', async () => {
    server.script({ json: await loadResponse('openai-error-401.json') });
    const error = await collect(
      generator('sk-wrong').stream({ messages, maxTokens: 20, temperature: 0 }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    const message = (error as ServiceError).message;
    expect(message).toContain(`model ft:gpt-4o-mini-2024-07-18:twin::B1 at ${server.baseUrl} answered 401`);
    expect(message).toContain('Incorrect API key provided');
    expect(message).toContain('check the API key');
    expect((error as ServiceError).retryable).toBe(false);
  });

  it('says the server cannot be reached when nothing listens', async () => {
    const closed = await startChatReplayServer();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const unreachable = new OpenAICompatibleStreamGenerator({
      baseUrl,
      model: 'llama3',
      apiKey: null,
      retries: 0,
    });
    const error = await collect(unreachable.stream({ messages, maxTokens: 20, temperature: 0 })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).message).toMatch(/cannot be reached.*is the server running/);
    expect((error as ServiceError).retryable).toBe(true);
  });

  it('stops mid-stream on abort: the pieces so far, finish reason abort, the connection closed', async () => {
    server.script({ sse: 'openai-chat-stream.sse', stallAfter: 6 });
    const controller = new AbortController();
    const stream = generator().stream({
      messages,
      maxTokens: 200,
      temperature: 0,
      signal: controller.signal,
    });
    const pieces: string[] = [];
    let summary: GenerationSummary | undefined;
    for (;;) {
      const step = await stream.next();
      if (step.done) {
        summary = step.value;
        break;
      }
      pieces.push(step.value);
      // The first five events carry content; after them the server goes quiet until we hang up.
      if (pieces.join('') === 'I’d rather ship a') controller.abort();
    }
    expect(pieces.join('')).toBe('I’d rather ship a');
    expect(summary?.finishReason).toBe('abort');
    expect(summary?.completionTokens).toBeGreaterThan(0);
    await server.stalledStreamClosed();
  });

  it('is named after its model and host', () => {
    expect(generator().id).toBe(
      `openai-compatible:ft:gpt-4o-mini-2024-07-18:twin::B1@${new URL(server.baseUrl).host}`,
    );
  });
});

const scripted: Record<'full' | 'cut' | 'stalled', ScriptedAnswer> = {
  full: { sse: 'openai-chat-stream.sse' },
  cut: { sse: 'openai-chat-stream-length.sse' },
  // The first five events carry content; then the server goes quiet until the client hangs up.
  stalled: { sse: 'openai-chat-stream.sse', stallAfter: 6 },
};

runGeneratorContract('OpenAI-compatible endpoint (replayed)', async () => {
  const replay = await startChatReplayServer();
  return {
    generator: new OpenAICompatibleStreamGenerator({
      baseUrl: replay.baseUrl,
      model: 'ft:gpt-4o-mini-2024-07-18:twin::B1',
      apiKey: 'sk-test',
      timeoutMs: 5_000,
      retries: 0,
    }),
    request: { messages, maxTokens: 200, temperature: 0 },
    answer: await recordedText('openai-chat-stream.sse'),
    finishReason: 'stop',
    shortMaxTokens: 6,
    script: (...answers) => replay.script(...answers.map((answer) => scripted[answer])),
    close: replay.close,
  };
});
