import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../core/adapters/embedders/create-embedder.ts';
import { ValidationError } from '../../core/errors.ts';
import { featureSetFromConfig } from '../../core/features/feature-set-from-config.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import { chatRoute } from '../backends/__fixtures__/chat-routes.ts';
import {
  type RecordedResponse,
  type ReplayServer,
  startReplayServer,
} from '../backends/__fixtures__/replay-server.ts';
import { judgeConfig, loadJudgeReply } from './__fixtures__/judge-fixtures.ts';
import { evaluateModel } from './evaluate-model.ts';
import { ChatLlmJudge } from './llm-judge.ts';
import { cosineSimilarity, styleSimilarity } from './style-similarity.ts';

const chunking = {
  article: { chunkSize: 256, chunkOverlap: 32, strategy: 'prose' as const },
  post: { chunkSize: 128, chunkOverlap: 16, strategy: 'prose' as const },
  repository: { chunkSize: 384, chunkOverlap: 32, strategy: 'code' as const },
};

const examples: InstructionExample[] = [
  {
    instruction: 'Write a short post titled "The case for boring infrastructure".',
    answer:
      'Boring infrastructure is the kind you forget about. I pick Postgres, a queue and a cron job before anything shiny, because every clever piece is one more thing to page me at night.',
    kind: 'title-to-article',
    sourceDocumentId: 'doc-001',
  },
  {
    instruction: 'How do you review a pull request quickly?',
    answer:
      'I read the description and the tests first. If the tests tell me what changed and why, the diff takes ten minutes; if they do not, I ask for them before reading a line of code.',
    kind: 'llm:qa',
    sourceDocumentId: 'doc-002',
  },
  {
    instruction: 'Why do you pin every dependency?',
    answer:
      'Because an unpinned dependency is a deploy I did not choose. Pinning turns upgrades into pull requests that someone reviews, with a changelog and a reason.',
    kind: 'llm:qa',
    sourceDocumentId: 'doc-003',
  },
  {
    instruction: 'What makes a good error message?',
    answer:
      'A good error message says what happened, what the program expected, and what to do next. The stack trace is for me; the sentence is for the person at the keyboard.',
    kind: 'heading-to-section',
    sourceDocumentId: 'doc-004',
  },
];

const unrelated =
  'Preheat the oven to 180 degrees, whisk three eggs with sugar until pale, then fold in the flour.';

let embedder: Embedder;
let featureSet: FeatureSet;
let server: ReplayServer | undefined;

beforeAll(async () => {
  embedder = await createEmbedder({ provider: 'use-lite', workers: 1, batchSize: 16 });
  featureSet = featureSetFromConfig(chunking, embedder);
});

afterAll(async () => {
  await embedder.close();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The model under test: answers from a fixed table, counting its calls. */
function fakeModel(answer: (example: InstructionExample) => string) {
  const calls: string[] = [];
  const generate = async (instruction: string) => {
    calls.push(instruction);
    const example = examples.find((candidate) => candidate.instruction === instruction);
    if (!example) throw new Error(`unexpected instruction ${instruction}`);
    return answer(example);
  };
  return { generate, calls };
}

/** A judge replay keyed on the request: an answer equal to the reference is excellent, any other poor. */
async function judgeServer(reply?: (reference: string, answer: string) => RecordedResponse | null) {
  const [excellent, poor] = await Promise.all([
    loadJudgeReply('verdict-excellent'),
    loadJudgeReply('verdict-poor'),
  ]);
  return startReplayServer([
    chatRoute((body) => {
      const prompt = body.messages.at(-1)?.content ?? '';
      const section = (name: string) => new RegExp(`<${name}>\\n([\\s\\S]*?)\\n</${name}>`).exec(prompt)?.[1];
      const reference = section('reference') ?? '';
      const answer = section('answer') ?? '';
      return reply?.(reference, answer) ?? (reference === answer ? excellent : poor);
    }, 'sk-judge'),
  ]);
}

describe('evaluateModel', () => {
  it('scores a model that gives the author’s answers as perfect', async () => {
    server = await judgeServer();
    const model = fakeModel((example) => example.answer);
    const progress: number[] = [];
    const evaluation = await evaluateModel({
      examples,
      generate: model.generate,
      // log p of −2 per token: perplexity e².
      score: async (_, answer) => ({ tokenLogProbabilities: answer.split(' ').map(() => -2) }),
      embedder,
      featureSet,
      judge: new ChatLlmJudge(judgeConfig(server.baseUrl)),
      progress: (fraction) => {
        progress.push(fraction);
      },
    });

    expect(model.calls).toEqual(examples.map((example) => example.instruction));
    expect(evaluation.metrics).toEqual({
      rougeL: 1,
      styleSimilarity: expect.closeTo(1, 4),
      perplexity: expect.closeTo(Math.exp(2), 10),
      judgeAccuracy: 3,
      judgeStyle: 3,
      judgeUnscored: 0,
      examples: 4,
    });
    expect(evaluation.samples[0]).toEqual({
      instruction: examples[0]?.instruction,
      reference: examples[0]?.answer,
      generated: examples[0]?.answer,
      rougeL: 1,
      style: expect.closeTo(1, 4),
      judge: expect.objectContaining({ accuracy: 3, style: 3 }),
    });
    expect(server.problems).toEqual([]);
    expect(server.requests).toHaveLength(4);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
  });

  it('scores an unrelated model low on every measure', async () => {
    server = await judgeServer();
    const perfect = await evaluateModel({
      examples,
      generate: fakeModel((example) => example.answer).generate,
      embedder,
      featureSet,
    });
    const evaluation = await evaluateModel({
      examples,
      generate: fakeModel(() => unrelated).generate,
      embedder,
      featureSet,
      judge: new ChatLlmJudge(judgeConfig(server.baseUrl)),
      concurrency: 2,
    });

    expect(evaluation.metrics.rougeL).toBeLessThan(0.15);
    expect(evaluation.metrics.styleSimilarity).toBeLessThan(0.5);
    expect(evaluation.metrics.styleSimilarity).toBeLessThan(perfect.metrics.styleSimilarity - 0.4);
    expect(evaluation.metrics).toMatchObject({ judgeAccuracy: 1, judgeStyle: 1, judgeUnscored: 0 });
    expect(evaluation.metrics.perplexity).toBeUndefined();
    // Without a judge, no judge metrics at all.
    expect(Object.keys(perfect.metrics).sort()).toEqual(['examples', 'rougeL', 'styleSimilarity']);
    expect(perfect.samples[0]).not.toHaveProperty('judge');
  });

  it('counts examples the judge could not score and averages the others', async () => {
    const notJson = await loadJudgeReply('reply-not-json');
    // The judge rambles about the second example, twice.
    server = await judgeServer((reference) => (reference === examples[1]?.answer ? notJson : null));
    const evaluation = await evaluateModel({
      examples,
      generate: fakeModel((example) => example.answer).generate,
      embedder,
      featureSet,
      judge: new ChatLlmJudge(judgeConfig(server.baseUrl)),
    });
    expect(evaluation.metrics).toMatchObject({ judgeAccuracy: 3, judgeStyle: 3, judgeUnscored: 1 });
    expect(evaluation.samples[1]?.judge).toBeNull();
    expect(server.requests).toHaveLength(5);
  });

  it('refuses an embedder other than the feature set’s before generating anything', async () => {
    const model = fakeModel((example) => example.answer);
    const other = featureSetFromConfig(chunking, {
      id: 'openai:text-embedding-3-small@api.openai.com',
      dimensions: 512,
    });
    await expect(
      evaluateModel({ examples, generate: model.generate, embedder, featureSet: other }),
    ).rejects.toThrow(ValidationError);
    await expect(
      evaluateModel({ examples: [], generate: model.generate, embedder, featureSet }),
    ).rejects.toThrow('there are no examples to evaluate');
    expect(model.calls).toEqual([]);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const model = fakeModel((example) => {
      controller.abort(new Error('cancelled'));
      return example.answer;
    });
    await expect(
      evaluateModel({ examples, generate: model.generate, embedder, featureSet, signal: controller.signal }),
    ).rejects.toThrow('cancelled');
    expect(model.calls).toHaveLength(1);
  });
});

describe('styleSimilarity', () => {
  it('is the mean cosine of each pair, 0 for an empty answer', async () => {
    const pairs = [
      { generated: examples[0]?.answer ?? '', reference: examples[0]?.answer ?? '' },
      { generated: unrelated, reference: examples[1]?.answer ?? '' },
      { generated: '   ', reference: examples[2]?.answer ?? '' },
    ];
    const result = await styleSimilarity(pairs, embedder, featureSet);
    const [unrelatedVector, referenceVector] = await embedder.embed([unrelated, examples[1]?.answer ?? '']);
    expect(result.scores[0]).toBeCloseTo(1, 4);
    expect(result.scores[1]).toBeCloseTo(cosineSimilarity(unrelatedVector!, referenceVector!), 5);
    expect(result.scores[2]).toBe(0);
    expect(result.mean).toBeCloseTo(((result.scores[0] ?? 0) + (result.scores[1] ?? 0)) / 3, 10);
  });
});
