import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ScriptedOpenAIServer,
  serverError,
  startScriptedOpenAIServer,
} from './__fixtures__/scripted-openai-server.ts';
import { OpenAIHttpClient } from './openai-http-client.ts';

let server: ScriptedOpenAIServer;
beforeAll(async () => {
  server = await startScriptedOpenAIServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());
const client: ScriptedOpenAIServer['client'] = (overrides) => server.client(overrides);

const Chunk = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().optional() }) })),
});
const chunk = (content: string) => JSON.stringify({ choices: [{ delta: { content } }] });

async function contents(events: AsyncGenerator<z.infer<typeof Chunk>>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of events) seen.push(event.choices[0]?.delta.content ?? '');
  return seen;
}

describe('OpenAIHttpClient server-sent events', () => {
  it('yields each event parsed, stops at [DONE], and asks for an event stream', async () => {
    server.answers.push({
      stream: [
        `data: ${chunk('Hel')}\n\n`,
        `data: ${chunk('lo')}\n\n`,
        'data: [DONE]\n\n',
        `data: ${chunk('after')}\n\n`,
      ],
    });
    expect(await contents(client().events('/chat/completions', Chunk, { json: { stream: true } }))).toEqual([
      'Hel',
      'lo',
    ]);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: { stream: true },
    });
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('reads events split anywhere, CRLF line ends, comments and multi-line data', async () => {
    const text =
      `: keep-alive\r\n\r\nevent: message\r\ndata: ${chunk('Ada’s')}\r\n\r\n` +
      `data: {"choices":[{"delta":\ndata: {"content":" engine"}}]}\n\n` +
      `data:${chunk('!')}\r\rdata: [DONE]`;
    // One byte at a time: lines, CRLF pairs and the three bytes of ’ are all cut in half.
    const bytes = Buffer.from(text, 'utf8');
    const streamed = new OpenAIHttpClient({
      baseUrl: `${server.origin}/v1`,
      apiKey: null,
      timeoutMs: 2_000,
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (const byte of bytes) controller.enqueue(Uint8Array.of(byte));
              controller.close();
            },
          }),
          { status: 200, headers: { 'content-type': 'text/event-stream' } },
        ),
    });
    expect(await contents(streamed.events('/chat/completions', Chunk, { json: {} }))).toEqual([
      'Ada’s',
      ' engine',
      '!',
    ]);
  });

  it('retries opening a stream that answers 500, but not one that answers 400', async () => {
    server.answers.push(
      { status: 500, body: serverError },
      { stream: [`data: ${chunk('ok')}\n\ndata: [DONE]\n\n`] },
    );
    expect(await contents(client().events('/chat/completions', Chunk, { json: {} }))).toEqual(['ok']);
    expect(server.sleeps).toHaveLength(1);

    server.answers.push({
      status: 400,
      body: { error: { message: 'bad stop', type: 'invalid_request_error', code: null } },
    });
    await expect(contents(client().events('/chat/completions', Chunk, { json: {} }))).rejects.toMatchObject({
      status: 400,
      retryable: false,
      message: 'OpenAI POST /chat/completions answered 400 invalid_request_error: bad stop',
    });
    expect(server.sleeps).toHaveLength(1);
  });

  it('turns an error event into an OpenAIApiError after the events before it', async () => {
    server.answers.push({
      stream: [
        `data: ${chunk('par')}\n\n`,
        `data: ${JSON.stringify({ error: { message: 'model overloaded', code: 'overloaded' } })}\n\n`,
      ],
    });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of client().events('/chat/completions', Chunk, { json: {} }))
        seen.push(event.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(seen).toEqual(['par']);
    expect(failure).toMatchObject({
      retryable: false,
      message: 'OpenAI POST /chat/completions failed mid-stream overloaded: model overloaded',
    });
  });

  it('times out a stream that goes quiet, and closes its connection', async () => {
    server.answers.push({ stream: [`data: ${chunk('slow')}\n\n`], thenHang: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of client({ timeoutMs: 200 }).events('/chat/completions', Chunk, { json: {} }))
        seen.push(event.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(seen).toEqual(['slow']);
    expect(failure).toMatchObject({
      status: null,
      message: `OpenAI ${server.origin}/v1/chat/completions timed out after 200 ms`,
    });
    await expect.poll(() => server.closedStreams()).toBe(1);
  });

  it('a consumer slower than the timeout does not time the stream out', async () => {
    // An in-memory body that hands out one event per read and fails, as fetch's would, once the
    // request's signal aborts: only the consumer's time passes between two events.
    const events = [`data: ${chunk('one')}\n\n`, `data: ${chunk('two')}\n\n`, 'data: [DONE]\n\n'];
    const inMemory = new OpenAIHttpClient({
      baseUrl: 'http://in-memory.invalid/v1',
      apiKey: null,
      timeoutMs: 200,
      fetch: async (_url, init) => {
        const pending = [...events];
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason), {
              once: true,
            });
          },
          pull(controller) {
            const next = pending.shift();
            if (next === undefined) controller.close();
            else controller.enqueue(new TextEncoder().encode(next));
          },
        });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      },
    });
    const seen: string[] = [];
    for await (const event of inMemory.events('/chat/completions', Chunk, { json: {} })) {
      seen.push(event.choices[0]?.delta.content ?? '');
      // Busy with the event for longer than the timeout: a slow consumer, not a silent server.
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(seen).toEqual(['one', 'two']);
  });

  it('a consumer that stops early closes the connection', async () => {
    server.answers.push({
      stream: [`data: ${chunk('one')}\n\n`, `data: ${chunk('two')}\n\n`],
      thenHang: true,
    });
    for await (const event of client({ timeoutMs: 10_000 }).events('/chat/completions', Chunk, {
      json: {},
    })) {
      expect(event.choices[0]?.delta.content).toBe('one');
      break;
    }
    await expect.poll(() => server.closedStreams()).toBe(1);
  });

  it('an abort mid-stream ends it with the caller’s reason and closes the connection', async () => {
    server.answers.push({ stream: [`data: ${chunk('one')}\n\n`], thenHang: true });
    const controller = new AbortController();
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of client({ timeoutMs: 10_000 }).events('/chat/completions', Chunk, {
        json: {},
        signal: controller.signal,
      })) {
        seen.push(event.choices[0]?.delta.content ?? '');
        controller.abort(new Error('user left'));
      }
    })().catch((error: unknown) => error);
    expect(seen).toEqual(['one']);
    expect(failure).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/aborted: user left$/),
    });
    await expect.poll(() => server.closedStreams()).toBe(1);
  });
});
