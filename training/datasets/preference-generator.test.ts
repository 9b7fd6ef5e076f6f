import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../core/errors.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import {
  type ChatReplayServer,
  loadResponse,
  startChatReplayServer,
} from './__fixtures__/chat-replay-server.ts';
import { genericAnswerPrompts, LlmRejectedAnswerSource } from './llm-rejected-answer-source.ts';
import { generatePreferences } from './preference-generator.ts';
import type { RejectedAnswerSource } from './rejected-answer-source.ts';
import { TextGeneratorRejectedAnswerSource } from './text-generator-rejected-answer-source.ts';

const examples: InstructionExample[] = [
  {
    instruction: 'How long does it take you to roll back a model?',
    answer:
      'Today it took 11 seconds. The last time this model misbehaved, the rollback took 40 minutes and a retrain.',
    kind: 'llm:qa',
    sourceDocumentId: 'doc-rollback',
  },
  {
    instruction: 'What do you think about a feature store?',
    answer: 'A feature store is a promise that training and serving see the same world.',
    kind: 'subject-to-opinion',
    sourceDocumentId: 'doc-contract',
  },
  {
    instruction: 'Write a LinkedIn post about hiring, MLOps and Oslo.',
    answer: "We're hiring an ML platform engineer in Oslo (hybrid) 🇳🇴",
    kind: 'hashtags-to-post',
    sourceDocumentId: 'doc-hiring',
  },
];

/** A test double of an outside model whose answers arrive in the reverse order of the questions. */
class ReversedModel implements RejectedAnswerSource {
  readonly name = 'fake:reversed';
  readonly prompt = '{instruction}';
  private readonly waiting: { instruction: string; resolve: (text: string) => void }[] = [];
  constructor(private readonly answers: Record<string, string>) {}
  generic(instruction: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push({ instruction, resolve });
      if (this.waiting.length === examples.length)
        for (const call of [...this.waiting].reverse()) call.resolve(this.answers[call.instruction] ?? '');
    });
  }
}

describe('generatePreferences', () => {
  it('pairs the author’s answer (chosen) with the generic one (rejected), in input order', async () => {
    const model = new ReversedModel({
      [examples[0]?.instruction ?? '']: 'It depends on your deployment pipeline and tooling.',
      [examples[1]?.instruction ?? '']: 'A feature store is a centralized repository for features.',
      [examples[2]?.instruction ?? '']: 'Exciting news! We are hiring. #Hiring #MLOps #Oslo',
    });
    const result = await generatePreferences(examples, model, { concurrency: 3 });
    expect(result.dropped).toEqual({});
    expect(result.examples).toEqual(
      examples.map((example) => ({
        instruction: example.instruction,
        chosen: example.answer,
        rejected: expect.any(String),
        kind: example.kind,
        sourceDocumentId: example.sourceDocumentId,
      })),
    );
    expect(result.examples[0]?.rejected).toBe('It depends on your deployment pipeline and tooling.');
  });

  it('drops pairs with an empty rejected answer or one equal to the chosen', async () => {
    const model = new ReversedModel({
      [examples[0]?.instruction ?? '']: '   ',
      [examples[1]?.instruction ?? '']: `  ${examples[1]?.answer.toUpperCase()}  `,
      [examples[2]?.instruction ?? '']: 'We are hiring!',
    });
    const result = await generatePreferences(examples, model, { concurrency: 3 });
    expect(result.examples.map((example) => example.sourceDocumentId)).toEqual(['doc-hiring']);
    expect(result.dropped).toEqual({ 'rejected-empty': 1, 'rejected-same-as-chosen': 1 });
  });

  it('works over any async text generator, such as a local base model', async () => {
    const prompts: string[] = [];
    const source = new TextGeneratorRejectedAnswerSource(
      'local:base',
      async (prompt) => {
        prompts.push(prompt);
        return `  A generic reply to ${prompts.length}.  `;
      },
      { prompt: '### Instruction:\n{instruction}\n\n### Response:\n' },
    );
    expect(await source.generic('Explain rollback.')).toBe('A generic reply to 1.');
    expect(prompts).toEqual(['### Instruction:\nExplain rollback.\n\n### Response:\n']);
    expect(new TextGeneratorRejectedAnswerSource('local:base', async (prompt) => prompt).prompt).toBe(
      '{instruction}',
    );
  });
});

describe('LlmRejectedAnswerSource (replayed gpt-4o-mini)', () => {
  let server: ChatReplayServer;
  beforeAll(async () => {
    server = await startChatReplayServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  const endpoint = () => ({
    baseUrl: server.baseUrl,
    model: 'gpt-4o-mini',
    apiKey: null,
    temperature: 0.7,
    timeoutMs: 10_000,
    retries: 0,
    concurrency: 2,
    inputCostPerMillion: 0.15,
    outputCostPerMillion: 0.6,
  });

  it('asks for a bland answer in plain text and counts the tokens', async () => {
    server.sequence(await loadResponse('chat-generic-answer.json'));
    const source = new LlmRejectedAnswerSource(endpoint());
    expect(source.name).toBe('llm:gpt-4o-mini');
    const answer = await source.generic(examples[0]?.instruction ?? '');
    await source.generic(examples[1]?.instruction ?? '');
    expect(answer).toMatch(
      /^Rolling back a machine learning model usually involves redeploying a previous version\./,
    );
    expect(server.requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: genericAnswerPrompts.system },
        { role: 'user', content: examples[0]?.instruction },
      ],
    });
    expect(server.requests[0]?.body.tools).toBeUndefined();
    // No key configured (a local server): the client still sends a placeholder, never an env key.
    expect(server.requests[0]?.headers.authorization).toBe('Bearer no-key');
    expect(source.usage()).toEqual({ promptTokens: 2 * 96, completionTokens: 2 * 58 });
  });

  it('fails clearly on a 400', async () => {
    server.sequence(await loadResponse('chat-error-400.json'));
    const failure = await new LlmRejectedAnswerSource(endpoint())
      .generic('Anything')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as Error).message).toMatch(/generic-answer model failed at .*HTTP 400/);
  });
});
