import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  loadExchange,
  loadResponse,
  type OpenAIReplayServer,
  type RecordedExchange,
  recordedVector,
  startOpenAIReplayServer,
} from './__fixtures__/openai-replay-server.ts';
import { contractTexts, maxDifference, runEmbedderContract } from './embedder-contract.ts';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openai-embedder.ts';
import { toUnitVector } from './to-unit-vector.ts';

let server: OpenAIReplayServer;
let recording: RecordedExchange;
let sleeps: number[];

beforeAll(async () => {
  recording = await loadExchange('openai-embeddings-dims8.json');
  server = await startOpenAIReplayServer([
    recording,
    await loadExchange('vllm-embeddings-no-dimensions.json'),
  ]);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
  sleeps = [];
});

function create(overrides: Partial<OpenAIEmbedderOptions> = {}): Promise<OpenAIEmbedder> {
  return OpenAIEmbedder.create({
    baseUrl: server.baseUrl,
    model: 'text-embedding-3-small',
    apiKey: 'sk-test',
    dimensions: 8,
    maxBatchSize: 3,
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

function expected(text: string): Float32Array {
  return toUnitVector(recordedVector(recording, text));
}

runEmbedderContract('OpenAIEmbedder (replayed text-embedding-3-small, dimensions 8)', () => create());

describe('OpenAIEmbedder', () => {
  it('posts the documented request, batch by batch, and returns the recorded vectors', async () => {
    const embedder = await create();
    const texts = contractTexts.slice(0, 5);
    const vectors = await embedder.embed(texts);

    expect(embedder.id).toBe(`openai:text-embedding-3-small@${new URL(server.baseUrl).host}`);
    expect(embedder.dimensions).toBe(8);
    texts.forEach((text, index) => {
      expect(maxDifference(vectors[index]!, expected(text))).toBe(0);
    });
    expect(server.requests.map((request) => request.body)).toEqual([
      { model: 'text-embedding-3-small', input: texts.slice(0, 3), encoding_format: 'float', dimensions: 8 },
      { model: 'text-embedding-3-small', input: texts.slice(3), encoding_format: 'float', dimensions: 8 },
    ]);
    for (const request of server.requests) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v1/embeddings');
      expect(request.headers.authorization).toBe('Bearer sk-test');
      expect(request.headers['content-type']).toBe('application/json');
    }
  });

  it('learns its dimensions from a probe call when none are configured, and sends no key when there is none', async () => {
    const embedder = await create({ model: 'tiny-embed-8d', dimensions: null, apiKey: null });
    expect(embedder.dimensions).toBe(8);
    const [vector] = await embedder.embed([contractTexts[0]!]);
    expect(vector).toHaveLength(8);
    expect(server.requests.map((request) => request.body)).toEqual([
      { model: 'tiny-embed-8d', input: ['dimension probe'], encoding_format: 'float' },
      { model: 'tiny-embed-8d', input: [contractTexts[0]], encoding_format: 'float' },
    ]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('waits as long as Retry-After asks after a 429, then succeeds', async () => {
    const embedder = await create();
    server.script(await loadResponse('openai-error-429.json'));
    const [vector] = await embedder.embed([contractTexts[0]!]);
    expect(maxDifference(vector!, expected(contractTexts[0]!))).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([2_000]);
  });

  it('backs off exponentially on 5xx without Retry-After, then succeeds', async () => {
    const embedder = await create();
    const failure = await loadResponse('openai-error-500.json');
    server.script(failure, failure);
    const [vector] = await embedder.embed([contractTexts[1]!]);
    expect(maxDifference(vector!, expected(contractTexts[1]!))).toBe(0);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(75);
    expect(sleeps[0]).toBeLessThanOrEqual(125);
    expect(sleeps[1]).toBeGreaterThanOrEqual(150);
    expect(sleeps[1]).toBeLessThanOrEqual(250);
  });

  it('gives up after the configured retries with a retryable ServiceError carrying the API message', async () => {
    const embedder = await create({ retries: 1 });
    const failure = await loadResponse('openai-error-500.json');
    server.script(failure, failure);
    await expect(embedder.embed([contractTexts[0]!])).rejects.toMatchObject({
      name: 'ServiceError',
      retryable: true,
      message: expect.stringContaining(
        'answered 500 server_error: The server had an error while processing your request.',
      ),
    });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 400 and reports what the API said', async () => {
    const embedder = await create();
    server.script(await loadResponse('openai-error-400.json'));
    await expect(embedder.embed([contractTexts[0]!])).rejects.toMatchObject({
      name: 'ServiceError',
      retryable: false,
      message: expect.stringContaining(
        'answered 400 invalid_request_error: This model does not support specifying dimensions.',
      ),
    });
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a rejected API key', async () => {
    const embedder = await create();
    server.script(await loadResponse('openai-error-401.json'));
    await expect(embedder.embed([contractTexts[0]!])).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('answered 401 invalid_api_key: Incorrect API key provided'),
    });
  });

  it('retries a proxy error page that is not JSON', async () => {
    const embedder = await create();
    server.script({
      status: 502,
      rawBody: '<html><body>502 Bad Gateway</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const [vector] = await embedder.embed([contractTexts[2]!]);
    expect(maxDifference(vector!, expected(contractTexts[2]!))).toBe(0);
    expect(server.requests).toHaveLength(2);
  });

  it('puts vectors back in input order when the API lists them out of order', async () => {
    const embedder = await create();
    const outOfOrder = await loadExchange('openai-embeddings-out-of-order.json');
    expect(outOfOrder.response.body.data.map((item) => item.index)).toEqual([2, 0, 1]);
    server.script(outOfOrder.response);
    const texts = outOfOrder.request.body.input;
    const vectors = await embedder.embed(texts);
    texts.forEach((text, index) => {
      expect(maxDifference(vectors[index]!, expected(text))).toBe(0);
    });
  });

  it('refuses vectors of another size than configured', async () => {
    const embedder = await create();
    const wrong = await loadExchange('openai-embeddings-wrong-dimensions.json');
    server.script(wrong.response);
    await expect(embedder.embed(wrong.request.body.input)).rejects.toMatchObject({
      name: 'ServiceError',
      retryable: false,
      message: expect.stringContaining('returned 12-d vectors, but 8 were configured'),
    });
  });

  it('refuses a response whose vectors differ in size, or that misses a text', async () => {
    const embedder = await create();
    const texts = contractTexts.slice(0, 2);
    const mixed = {
      object: 'list',
      model: 'text-embedding-3-small',
      data: [
        { object: 'embedding', index: 0, embedding: recordedVector(recording, texts[0]!) },
        { object: 'embedding', index: 1, embedding: recordedVector(recording, texts[1]!).slice(0, 7) },
      ],
    };
    server.script(
      { status: 200, headers: {}, body: mixed },
      { status: 200, headers: {}, body: { ...mixed, data: mixed.data.slice(0, 1) } },
    );
    await expect(embedder.embed(texts)).rejects.toThrow(/mixed sizes \(8, 7\)/);
    await expect(embedder.embed(texts)).rejects.toThrow(/returned 1 vectors for 2 texts/);
  });

  it('decodes base64 embeddings from servers that send them anyway', async () => {
    const embedder = await create();
    const text = contractTexts[3]!;
    const base64 = Buffer.from(Float32Array.from(recordedVector(recording, text)).buffer).toString('base64');
    server.script({
      status: 200,
      headers: {},
      body: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: base64 }] },
    });
    const [vector] = await embedder.embed([text]);
    expect(maxDifference(vector!, expected(text))).toBeLessThan(1e-7);
  });

  it('times out a request that gets no answer, retrying it first', async () => {
    const embedder = await create({ timeoutMs: 150, retries: 1 });
    server.script({ hang: true }, { hang: true });
    await expect(embedder.embed([contractTexts[0]!])).rejects.toMatchObject({
      name: 'ServiceError',
      retryable: true,
      message: expect.stringContaining('timed out after 150 ms'),
    });
    expect(server.requests).toHaveLength(2);
  });

  it('aborts a request in flight when closed', async () => {
    const embedder = await create({ timeoutMs: 10_000 });
    server.script({ hang: true });
    const pending = embedder.embed([contractTexts[0]!]);
    await expect.poll(() => server.requests.length).toBe(1);
    await embedder.close();
    await expect(pending).rejects.toThrow(/embedder closed/);
    expect(sleeps).toEqual([]);
  });
});
