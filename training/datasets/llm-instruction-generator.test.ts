import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { ServiceError } from '../../core/errors.ts';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import {
  type ChatReplayServer,
  loadResponse,
  type RecordedResponse,
  startChatReplayServer,
} from './__fixtures__/chat-replay-server.ts';
import { generateLlmInstructions } from './llm-instruction-generator.ts';

const sample: CleanedDocument[] = JSON.parse(
  readFileSync(new URL('./__fixtures__/sample-author-cleaned.json', import.meta.url), 'utf8'),
);
const byTitle = (prefix: string) => {
  const document = sample.find((entry) => entry.title.startsWith(prefix));
  if (!document) throw new Error(`no sample document titled ${prefix}`);
  return document;
};
const vectorPost = byTitle('Small experiment, big grin');
const rollbackPost = byTitle('Rolled back a model today');

let server: ChatReplayServer;
const fixtures: Record<string, RecordedResponse> = {};

beforeAll(async () => {
  server = await startChatReplayServer();
  for (const name of [
    'chat-pairs-vector-search',
    'chat-pairs-rollback-with-invented-answer',
    'chat-pairs-truncated-arguments',
    'chat-pairs-wrong-keys',
    'chat-no-tool-call',
    'chat-error-429',
    'chat-error-400',
  ])
    fixtures[name] = await loadResponse(`${name}.json`);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const fixture = (name: string) => fixtures[name] as RecordedResponse;
const userMessage = (index: number) =>
  server.requests[index]?.body.messages.find((message) => message.role === 'user')?.content ?? '';

function endpoint(overrides: Partial<ChatEndpointConfig> = {}): ChatEndpointConfig {
  return {
    baseUrl: server.baseUrl,
    model: 'gpt-4o-mini',
    apiKey: 'sk-test',
    temperature: 0.7,
    timeoutMs: 10_000,
    retries: 1,
    concurrency: 2,
    inputCostPerMillion: 0.15,
    outputCostPerMillion: 0.6,
    ...overrides,
  };
}

describe('generateLlmInstructions (replayed gpt-4o-mini)', () => {
  it('sends a forced tool call per passage and keeps grounded pairs, in document order', async () => {
    server.respondWith((body) =>
      body.messages.some((message) => message.content.includes('HNSW'))
        ? fixture('chat-pairs-vector-search')
        : fixture('chat-pairs-rollback-with-invented-answer'),
    );
    const progress: number[] = [];
    const result = await generateLlmInstructions([vectorPost, rollbackPost], {
      endpoint: endpoint(),
      authorName: 'Noor Halvorsen',
      onProgress: (done) => progress.push(done),
    });

    expect(server.requests).toHaveLength(2);
    const request = server.requests[0];
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.7,
      tool_choice: { type: 'function', function: { name: 'instruction_pairs' } },
    });
    expect(request?.body.tools?.[0]?.function.name).toBe('instruction_pairs');
    expect(request?.body.tools?.[0]?.function.parameters).toMatchObject({
      required: ['pairs'],
      properties: { pairs: { type: 'array' } },
    });
    expect(request?.body.messages[0]?.content).toContain('answers as Noor Halvorsen');
    expect([userMessage(0), userMessage(1)].join('\n')).toContain('80k vectors, 384 dimensions');

    // Two posts, three pairs each; the invented Kafka story is not in the post and is dropped.
    expect(result.examples).toHaveLength(5);
    expect(result.dropped).toEqual({ 'llm-ungrounded': 1 });
    expect(result.examples.map((example) => example.instruction).join('\n')).not.toContain('Kafka');
    const expectedOrder = [vectorPost, rollbackPost].sort((a, b) => (a.documentId < b.documentId ? -1 : 1));
    expect(result.examples[0]?.sourceDocumentId).toBe(expectedOrder[0]?.documentId);
    expect(result.examples.every((example) => example.kind === 'llm:qa')).toBe(true);
    expect(result.examples.find((example) => example.instruction.includes('HNSW'))?.answer).toContain(
      'At 80k vectors, we didn',
    );
    expect(result.passages).toBe(2);
    expect(progress).toEqual([1, 2]);

    expect(result.usage.promptTokens).toBe(431 + 418);
    expect(result.usage.completionTokens).toBe(262 + 247);
    expect(result.usage.costUsd).toBeCloseTo((849 * 0.15 + 509 * 0.6) / 1_000_000, 12);
  });

  it('asks again after a malformed reply, telling the model what was wrong', async () => {
    server.sequence(fixture('chat-pairs-truncated-arguments'), fixture('chat-pairs-vector-search'));
    const result = await generateLlmInstructions([vectorPost], {
      endpoint: endpoint(),
      authorName: 'Noor Halvorsen',
    });
    expect(server.requests).toHaveLength(2);
    expect(userMessage(0)).not.toContain('could not be used');
    expect(userMessage(1)).toContain('could not be used (the tool arguments were not valid JSON)');
    expect(result.examples).toHaveLength(3);
    expect(result.dropped).toEqual({});
    // The wasted attempt still cost tokens.
    expect(result.usage).toMatchObject({ promptTokens: 431 * 2, completionTokens: 40 + 262 });
  });

  it('counts a passage that never gets a usable reply as dropped and carries on', async () => {
    server.respondWith((body, index) => {
      if (body.messages.some((message) => message.content.includes('Rolled back')))
        return fixture('chat-pairs-rollback-with-invented-answer');
      return index % 2 === 0 ? fixture('chat-pairs-wrong-keys') : fixture('chat-no-tool-call');
    });
    const result = await generateLlmInstructions([vectorPost, rollbackPost], {
      // A local server: no prices, one request at a time.
      endpoint: endpoint({
        concurrency: 1,
        inputCostPerMillion: null,
        outputCostPerMillion: null,
        retries: 2,
      }),
      authorName: null,
    });
    const vectorRequests = server.requests.filter((request) =>
      request.body.messages.some((message) => message.content.includes('HNSW')),
    );
    expect(vectorRequests).toHaveLength(3);
    expect(vectorRequests[1]?.body.messages[1]?.content).toContain('did not match the schema');
    expect(server.requests[0]?.body.messages[0]?.content).toContain('answers as the author');
    expect(result.dropped).toEqual({ 'llm-invalid-output': 1, 'llm-ungrounded': 1 });
    expect(result.examples.map((example) => example.sourceDocumentId)).toEqual([
      rollbackPost.documentId,
      rollbackPost.documentId,
    ]);
    expect(result.usage.costUsd).toBeNull();
    expect(result.usage.promptTokens).toBeGreaterThan(0);
  });

  it('waits out a 429 and carries on', async () => {
    server.sequence(fixture('chat-error-429'), fixture('chat-pairs-vector-search'));
    const result = await generateLlmInstructions([vectorPost], {
      endpoint: endpoint({ retries: 2 }),
      authorName: 'Noor Halvorsen',
    });
    expect(server.requests).toHaveLength(2);
    expect(result.examples).toHaveLength(3);
    expect(result.usage.promptTokens).toBe(431);
  });

  it('fails clearly, without retrying, on a 400', async () => {
    server.sequence(fixture('chat-error-400'));
    const failure = await generateLlmInstructions([vectorPost, rollbackPost], {
      endpoint: endpoint({ concurrency: 1, retries: 3 }),
      authorName: 'Noor Halvorsen',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as ServiceError).retryable).toBe(false);
    expect((failure as Error).message).toMatch(/HTTP 400.*maximum context length is 128000 tokens/);
    expect((failure as Error).message).toContain(server.baseUrl);
    expect(server.requests).toHaveLength(1);
  });
});
