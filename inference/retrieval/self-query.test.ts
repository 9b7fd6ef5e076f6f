import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../core/logger.ts';
import questions from '../../datasets/sample-author/questions.json' with { type: 'json' };
import { type ChatReplayServer, startChatReplayServer } from './__fixtures__/chat-replay-server.ts';
import { ChatJsonClient } from './chat-json-client.ts';
import { LlmQueryUnderstanding } from './llm-query-understanding.ts';
import { ruleBasedSelfQuery, selfQuery } from './self-query.ts';

const context = {
  authors: [{ id: 'noor-halvorsen', name: 'Noor Halvorsen' }],
  now: new Date('2026-05-01T12:00:00Z'),
};
const year = (from: number, to = from + 1) => ({
  publishedAfter: `${from}-01-01T00:00:00.000Z`,
  publishedBefore: `${to}-01-01T00:00:00.000Z`,
});

describe('ruleBasedSelfQuery', () => {
  it.each([
    [
      'What did I say about rollback on LinkedIn?',
      'What did I say about rollback?',
      { platform: ['linkedin'] },
    ],
    [
      'In my Medium posts, what do I say about embedding drift?',
      'what do I say about embedding drift?',
      { platform: ['medium'] },
    ],
    [
      'How is the point-in-time join done in the code?',
      'How is the point-in-time join done?',
      { category: ['repository'] },
    ],
    ['Is there a skew check in her repository?', 'Is there a skew check?', { category: ['repository'] }],
    [
      'Which articles from 2025 talk about crawling?',
      'Which talk about crawling?',
      { category: ['article'], ...year(2025) },
    ],
    [
      'What has Noor written about skew since March 2026?',
      'What has Noor written about skew?',
      { authorId: ['noor-halvorsen'], publishedAfter: '2026-03-01T00:00:00.000Z' },
    ],
    [
      'Posts on LinkedIn or Medium before 2024 about on-call',
      'Posts about on-call',
      { platform: ['linkedin', 'medium'], publishedBefore: '2024-01-01T00:00:00.000Z' },
    ],
    [
      'What did I write between Jan 2024 and June 2024 about chunking?',
      'What did I write about chunking?',
      { publishedAfter: '2024-01-01T00:00:00.000Z', publishedBefore: '2024-07-01T00:00:00.000Z' },
    ],
    [
      'Anything by Noor Halvorsen on her blog last year?',
      'Anything?',
      { authorId: ['noor-halvorsen'], platform: ['web'], ...year(2025) },
    ],
    [
      'What did I publish on dev.to on 2024-05-30?',
      'What did I publish?',
      {
        platform: ['devto'],
        publishedAfter: '2024-05-30T00:00:00.000Z',
        publishedBefore: '2024-05-31T00:00:00.000Z',
      },
    ],
    [
      'Rollback stories in my Substack newsletter after 2024',
      'Rollback stories',
      { platform: ['substack'], publishedAfter: '2025-01-01T00:00:00.000Z' },
    ],
    [
      'What did I post in 2024 until March 2024?',
      'What did I post?',
      { publishedAfter: '2024-01-01T00:00:00.000Z', publishedBefore: '2024-04-01T00:00:00.000Z' },
    ],
  ])('%s', (question, text, filters) => {
    const result = ruleBasedSelfQuery(question, context);
    expect(result).toEqual({ text, filters, source: 'rules' });
  });

  it('leaves topics alone: a bare platform name, "medium" as an adjective, "web development"', () => {
    for (const question of [
      'What do you think of LinkedIn?',
      'What batch size works on medium hardware?',
      'Which web development layering is the FTI split like?',
      'Why does code get bigger chunks than articles or posts?',
    ]) {
      expect(ruleBasedSelfQuery(question, context), question).toEqual({
        text: question,
        filters: {},
        source: 'rules',
      });
    }
  });

  it('finds no filter in the labelled sample questions, only the author, and keeps their words', () => {
    for (const { question } of questions.questions) {
      const result = ruleBasedSelfQuery(question, context);
      expect(result.text, question).toBe(question);
      expect(
        Object.keys(result.filters).filter((key) => key !== 'authorId'),
        question,
      ).toEqual([]);
    }
  });

  it('keeps the question when nothing but filter phrases is left', () => {
    expect(ruleBasedSelfQuery('on LinkedIn in 2024', context)).toEqual({
      text: 'on LinkedIn in 2024',
      filters: { platform: ['linkedin'], ...year(2024) },
      source: 'rules',
    });
  });
});

describe('selfQuery with an LLM (recorded chat completions)', () => {
  let server: ChatReplayServer;
  let understanding: LlmQueryUnderstanding;
  beforeAll(async () => {
    server = await startChatReplayServer();
    const client = new ChatJsonClient(
      {
        baseUrl: server.baseUrl,
        model: 'gpt-4o-mini',
        apiKey: 'sk-test',
        temperature: 0,
        timeoutMs: 5_000,
        retries: 0,
      },
      { backoffMs: 1 },
    );
    understanding = new LlmQueryUnderstanding(client);
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it('uses the LLM’s filters and question, and sends it the question, the authors and today', async () => {
    await server.play('self-query-linkedin-2024.json');
    const question = 'What did Noor post about rolling back models on LinkedIn in 2024?';
    const result = await selfQuery(question, { understanding, ...context, logger: silentLogger });
    expect(result).toEqual({
      text: 'What did Noor post about rolling back models?',
      filters: { authorId: ['noor-halvorsen'], platform: ['linkedin'], category: ['post'], ...year(2024) },
      source: 'llm',
    });
    const [request] = server.requests;
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0,
      response_format: { type: 'json_object' },
      messages: [{ role: 'system' }, { role: 'user', content: question }],
    });
    const system = JSON.stringify(request?.body);
    expect(system).toContain('noor-halvorsen (Noor Halvorsen)');
    expect(system).toContain('Today is 2026-05-01');
  });

  it('drops platforms, categories, authors and dates that do not exist', async () => {
    await server.play('self-query-unknown-values.json');
    const result = await understanding.selfQuery(
      'Anything on Twitter or Medium by Ada about tweets?',
      context,
    );
    expect(result).toEqual({
      text: 'anything about tweets',
      filters: { platform: ['medium'] },
      source: 'llm',
    });
  });

  it('falls back to the rules, with a warning, when the LLM does not answer JSON', async () => {
    await server.play('self-query-not-json.json');
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });
    const result = await selfQuery('What did Noor say about rollback on LinkedIn?', {
      understanding,
      ...context,
      logger,
    });
    expect(result).toEqual({
      text: 'What did Noor say about rollback?',
      filters: { authorId: ['noor-halvorsen'], platform: ['linkedin'] },
      source: 'rules',
    });
    expect(warnings.join('\n')).toMatch(/self-query by LLM failed.*did not answer with JSON/);
  });

  it('falls back to the rules when the endpoint refuses the key', async () => {
    await server.play('error-401.json');
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });
    const result = await selfQuery('rollback in the code', { understanding, ...context, logger });
    expect(result).toEqual({ text: 'rollback', filters: { category: ['repository'] }, source: 'rules' });
    expect(warnings.join('\n')).toMatch(/401 invalid_api_key: Incorrect API key/);
  });

  it('uses only the rules when no LLM is configured', async () => {
    const result = await selfQuery('rollback on LinkedIn', { ...context, logger: silentLogger });
    expect(result.source).toBe('rules');
    expect(server.requests).toHaveLength(0);
  });
});
