import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { recordJsonOrText, startRecordingServer } from '../adapters/__fixtures__/start-recording-server.ts';
import {
  type ScriptedOpenAIServer,
  serverError,
  startScriptedOpenAIServer,
} from './__fixtures__/scripted-openai-server.ts';
import { OpenAIApiError } from './openai-api-error.ts';

let server: ScriptedOpenAIServer;
beforeAll(async () => {
  server = await startScriptedOpenAIServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());
const client: ScriptedOpenAIServer['client'] = (overrides) => server.client(overrides);

const rateLimited = {
  error: {
    message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
};

const Thing = z.object({ id: z.string() });

describe('OpenAIHttpClient JSON requests', () => {
  it('sends the JSON body with the key and parses the answer with the schema', async () => {
    server.answers.push({ status: 200, body: { id: 'thing-1', extra: true } });
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
    server.answers.push({ status: 200, body: { id: 'local' } });
    await client({ apiKey: null }).json('GET', '/things/local', Thing);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('waits as long as Retry-After asks after a 429, then succeeds', async () => {
    server.answers.push({ status: 429, body: rateLimited, headers: { 'retry-after': '2' } });
    server.answers.push({ status: 200, body: { id: 'after-wait' } });
    expect(await client().json('GET', '/things/x', Thing)).toEqual({ id: 'after-wait' });
    expect(server.sleeps).toEqual([2_000]);
    expect(server.requests).toHaveLength(2);
  });

  it('prefers retry-after-ms, and caps any wait at maxRetryDelayMs', async () => {
    server.answers.push({
      status: 429,
      body: rateLimited,
      headers: { 'retry-after-ms': '250', 'retry-after': '9' },
    });
    server.answers.push({ status: 429, body: rateLimited, headers: { 'retry-after': '3600' } });
    server.answers.push({ status: 200, body: { id: 'x' } });
    await client({ maxRetryDelayMs: 5_000 }).json('GET', '/things/x', Thing);
    expect(server.sleeps).toEqual([250, 5_000]);
  });

  it('backs off exponentially with jitter on 5xx without Retry-After', async () => {
    server.answers.push({ status: 500, body: serverError }, { status: 503, body: 'upstream down' });
    server.answers.push({ status: 200, body: { id: 'x' } });
    await client().json('GET', '/things/x', Thing);
    expect(server.sleeps).toHaveLength(2);
    // 100 ms, then 200 ms, each within ±25 %.
    expect(server.sleeps[0]).toBeGreaterThanOrEqual(75);
    expect(server.sleeps[0]).toBeLessThanOrEqual(125);
    expect(server.sleeps[1]).toBeGreaterThanOrEqual(150);
    expect(server.sleeps[1]).toBeLessThanOrEqual(250);
  });

  it('gives up after the configured retries with the API message, status and code', async () => {
    server.answers.push({ status: 500, body: serverError }, { status: 500, body: serverError });
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
    server.answers.push({
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
    expect(server.sleeps).toEqual([]);

    server.answers.push({
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
    server.answers.push({ status: 502, body: '<html>Bad gateway</html>' });
    await expect(client({ retries: 0 }).text('/files/f/content')).rejects.toThrow(
      'OpenAI GET /files/f/content answered 502: <html>Bad gateway</html>',
    );
  });

  it('times out an attempt that gets no answer, retrying it first', async () => {
    server.answers.push({ hang: true }, { hang: true });
    await expect(client({ timeoutMs: 150, retries: 1 }).json('GET', '/slow', Thing)).rejects.toMatchObject({
      kind: 'timeout',
      status: null,
      retryable: true,
      message: `OpenAI ${server.origin}/v1/slow timed out after 150 ms`,
    });
    expect(server.requests).toHaveLength(2);
    expect(server.sleeps).toHaveLength(1);
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
    expect(server.sleeps).toHaveLength(1);
  });

  it('stops at once when the caller aborts: no retry, the reason in the message', async () => {
    server.answers.push({ hang: true });
    const controller = new AbortController();
    const pending = client({ timeoutMs: 10_000 }).json('GET', '/slow', Thing, { signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toMatchObject({
      kind: 'aborted',
      retryable: false,
      message: `OpenAI ${server.origin}/v1/slow aborted: shutting down`,
    });
    expect(server.sleeps).toEqual([]);
  });

  it('an abort while waiting to retry ends the wait with the same kind of error', async () => {
    server.answers.push({ status: 503, body: serverError });
    const controller = new AbortController();
    const waiting = client({
      sleep: (milliseconds, signal) =>
        new Promise((_resolve, reject) => {
          server.sleeps.push(milliseconds);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          controller.abort(new Error('shutting down'));
        }),
    }).json('GET', '/flaky', Thing, { signal: controller.signal });
    await expect(waiting).rejects.toMatchObject({
      kind: 'aborted',
      retryable: false,
      message: `OpenAI ${server.origin}/v1/flaky aborted: shutting down`,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.sleeps).toHaveLength(1);
  });

  it('refuses invalid JSON and a body of the wrong shape without retrying', async () => {
    server.answers.push({ status: 200, body: 'not json {' }, { status: 200, body: { id: 7 } });
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
