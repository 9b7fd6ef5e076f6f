import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type RecordedRequest,
  type RecordingServer,
  recordJsonOrText,
  startRecordingServer,
} from '../adapters/__fixtures__/start-recording-server.ts';
import { OpenAIApiError } from './openai-api-error.ts';
import { OpenAIHttpClient, type OpenAIHttpClientOptions } from './openai-http-client.ts';

/** What the server does with the next request: answer, hang, or stream raw bytes. */
type Answer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { stream: string[]; thenHang?: boolean };

let server: RecordingServer<RecordedRequest>;
let answers: Answer[];
let closedStreams: number;
let sleeps: number[];

const rateLimited = {
  error: {
    message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
};
const serverError = {
  error: {
    message: 'The server had an error while processing your request.',
    type: 'server_error',
    code: null,
  },
};

function respond(answer: Answer | undefined, response: ServerResponse) {
  if (!answer) {
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'test: no answer scripted' } }));
    return;
  }
  if ('hang' in answer) return;
  if ('stream' in answer) {
    response.on('close', () => {
      closedStreams++;
    });
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of answer.stream) response.write(piece);
    if (!answer.thenHang) response.end();
    return;
  }
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
}

beforeAll(async () => {
  server = await startRecordingServer({
    record: recordJsonOrText,
    respond: (_request, response) => respond(answers.shift(), response),
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  answers = [];
  closedStreams = 0;
  sleeps = [];
});

function client(overrides: Partial<OpenAIHttpClientOptions> = {}) {
  return new OpenAIHttpClient({
    baseUrl: `${server.origin}/v1/`,
    apiKey: 'sk-test',
    timeoutMs: 2_000,
    retries: 2,
    backoffMs: 100,
    // Record the waits instead of spending them; the tests stay fast and never assert on time.
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
    ...overrides,
  });
}

const Thing = z.object({ id: z.string() });

describe('OpenAIHttpClient JSON requests', () => {
  it('sends the JSON body with the key and parses the answer with the schema', async () => {
    answers.push({ status: 200, body: { id: 'thing-1', extra: true } });
    expect(await client().json('POST', '/things', Thing, { json: { name: 'a' } })).toEqual({ id: 'thing-1' });
    expect(server.requests).toEqual([
      expect.objectContaining({ method: 'POST', path: '/v1/things', body: { name: 'a' } }),
    ]);
    expect(server.requests[0]?.headers).toMatchObject({
      authorization: 'Bearer sk-test',
      'content-type': 'application/json',
      accept: 'application/json',
    });
  });

  it('sends no Authorization header without a key', async () => {
    answers.push({ status: 200, body: { id: 'local' } });
    await client({ apiKey: null }).json('GET', '/things/local', Thing);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('waits as long as Retry-After asks after a 429, then succeeds', async () => {
    answers.push({ status: 429, body: rateLimited, headers: { 'retry-after': '2' } });
    answers.push({ status: 200, body: { id: 'after-wait' } });
    expect(await client().json('GET', '/things/x', Thing)).toEqual({ id: 'after-wait' });
    expect(sleeps).toEqual([2_000]);
    expect(server.requests).toHaveLength(2);
  });

  it('prefers retry-after-ms, and caps any wait at maxRetryDelayMs', async () => {
    answers.push({
      status: 429,
      body: rateLimited,
      headers: { 'retry-after-ms': '250', 'retry-after': '9' },
    });
    answers.push({ status: 429, body: rateLimited, headers: { 'retry-after': '3600' } });
    answers.push({ status: 200, body: { id: 'x' } });
    await client({ maxRetryDelayMs: 5_000 }).json('GET', '/things/x', Thing);
    expect(sleeps).toEqual([250, 5_000]);
  });

  it('backs off exponentially with jitter on 5xx without Retry-After', async () => {
    answers.push({ status: 500, body: serverError }, { status: 503, body: 'upstream down' });
    answers.push({ status: 200, body: { id: 'x' } });
    await client().json('GET', '/things/x', Thing);
    expect(sleeps).toHaveLength(2);
    // 100 ms, then 200 ms, each within ±25 %.
    expect(sleeps[0]).toBeGreaterThanOrEqual(75);
    expect(sleeps[0]).toBeLessThanOrEqual(125);
    expect(sleeps[1]).toBeGreaterThanOrEqual(150);
    expect(sleeps[1]).toBeLessThanOrEqual(250);
  });

  it('gives up after the configured retries with the API message, status and code', async () => {
    answers.push({ status: 500, body: serverError }, { status: 500, body: serverError });
    const error = await client({ retries: 1 })
      .json('GET', '/things/x', Thing)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAIApiError);
    expect(error).toMatchObject({
      name: 'ServiceError',
      kind: 'answered',
      status: 500,
      serverMessage: 'The server had an error while processing your request.',
      code: 'server_error',
      retryable: true,
      message:
        'OpenAI GET /things/x answered 500 server_error: The server had an error while processing your request.',
    });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 400, and names the service and the fix for a 401', async () => {
    answers.push({
      status: 400,
      body: {
        error: {
          message: "'messages' is required",
          type: 'invalid_request_error',
          param: 'messages',
          code: null,
        },
      },
    });
    await expect(
      client({ service: 'judge gpt-4o-mini' }).json('POST', '/chat/completions', Thing, { json: {} }),
    ).rejects.toMatchObject({
      status: 400,
      retryable: false,
      message:
        "judge gpt-4o-mini POST /chat/completions answered 400 invalid_request_error: 'messages' is required",
    });
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);

    answers.push({
      status: 401,
      body: {
        error: {
          message: 'Incorrect API key provided: sk-wrong.',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
    });
    await expect(client({ apiKey: 'sk-wrong' }).json('GET', '/models', Thing)).rejects.toThrow(
      'OpenAI GET /models answered 401 invalid_api_key: Incorrect API key provided: sk-wrong. (check the API key configured for OpenAI)',
    );
  });

  it('shows the start of an error body that is not OpenAI’s envelope', async () => {
    answers.push({ status: 502, body: '<html>Bad gateway</html>' });
    await expect(client({ retries: 0 }).text('/files/f/content')).rejects.toThrow(
      'OpenAI GET /files/f/content answered 502: <html>Bad gateway</html>',
    );
  });

  it('times out an attempt that gets no answer, retrying it first', async () => {
    answers.push({ hang: true }, { hang: true });
    await expect(client({ timeoutMs: 150, retries: 1 }).json('GET', '/slow', Thing)).rejects.toMatchObject({
      kind: 'timeout',
      status: null,
      retryable: true,
      message: `OpenAI ${server.origin}/v1/slow timed out after 150 ms`,
    });
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('says when nothing listens, and why', async () => {
    const closed = await startRecordingServer({ record: recordJsonOrText, respond: () => {} });
    await closed.close();
    await expect(
      client({ baseUrl: `${closed.origin}/v1`, retries: 1 }).json('GET', '/models', Thing),
    ).rejects.toMatchObject({
      kind: 'unreachable',
      status: null,
      retryable: true,
      message: expect.stringMatching(
        /^OpenAI http:\/\/127\.0\.0\.1:\d+\/v1\/models unreachable: fetch failed \(.*ECONNREFUSED/,
      ),
    });
    expect(sleeps).toHaveLength(1);
  });

  it('stops at once when the caller aborts: no retry, the reason in the message', async () => {
    answers.push({ hang: true });
    const controller = new AbortController();
    const pending = client({ timeoutMs: 10_000 }).json('GET', '/slow', Thing, { signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toMatchObject({
      kind: 'aborted',
      retryable: false,
      message: `OpenAI ${server.origin}/v1/slow aborted: shutting down`,
    });
    expect(sleeps).toEqual([]);
  });

  it('refuses invalid JSON and a body of the wrong shape without retrying', async () => {
    answers.push({ status: 200, body: 'not json {' }, { status: 200, body: { id: 7 } });
    await expect(client().json('GET', '/things/x', Thing)).rejects.toMatchObject({
      retryable: false,
      message: 'OpenAI GET /things/x returned invalid JSON: not json {',
    });
    await expect(client().json('GET', '/things/x', Thing)).rejects.toMatchObject({
      retryable: false,
      message:
        'OpenAI GET /things/x returned an unexpected body: id: Invalid input: expected string, received number',
    });
    expect(server.requests).toHaveLength(2);
  });
});

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
    answers.push({
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
    answers.push(
      { status: 500, body: serverError },
      { stream: [`data: ${chunk('ok')}\n\ndata: [DONE]\n\n`] },
    );
    expect(await contents(client().events('/chat/completions', Chunk, { json: {} }))).toEqual(['ok']);
    expect(sleeps).toHaveLength(1);

    answers.push({
      status: 400,
      body: { error: { message: 'bad stop', type: 'invalid_request_error', code: null } },
    });
    await expect(contents(client().events('/chat/completions', Chunk, { json: {} }))).rejects.toMatchObject({
      status: 400,
      retryable: false,
      message: 'OpenAI POST /chat/completions answered 400 invalid_request_error: bad stop',
    });
    expect(sleeps).toHaveLength(1);
  });

  it('turns an error event into an OpenAIApiError after the events before it', async () => {
    answers.push({
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
    answers.push({ stream: [`data: ${chunk('slow')}\n\n`], thenHang: true });
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
    await expect.poll(() => closedStreams).toBe(1);
  });

  it('a consumer that stops early closes the connection', async () => {
    answers.push({ stream: [`data: ${chunk('one')}\n\n`, `data: ${chunk('two')}\n\n`], thenHang: true });
    for await (const event of client({ timeoutMs: 10_000 }).events('/chat/completions', Chunk, {
      json: {},
    })) {
      expect(event.choices[0]?.delta.content).toBe('one');
      break;
    }
    await expect.poll(() => closedStreams).toBe(1);
  });

  it('an abort mid-stream ends it with the caller’s reason and closes the connection', async () => {
    answers.push({ stream: [`data: ${chunk('one')}\n\n`], thenHang: true });
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
    await expect.poll(() => closedStreams).toBe(1);
  });
});
