import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, NotFoundError, ValidationError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import { Dataset } from '../../core/types/dataset.ts';
import {
  type ChatReplayServer,
  loadResponse,
  startChatReplayServer,
} from './__fixtures__/chat-replay-server.ts';
import {
  openTestStores,
  registerFeatureSet,
  sampleDocuments,
  storeSampleDocuments,
  type TestStores,
  trainingConfig,
} from './__fixtures__/dataset-test-stores.ts';
import { type BuildDatasetDependencies, buildDataset } from './build-dataset.ts';
import { loadDatasetExamples } from './load-dataset-examples.ts';
import { offlinePrompts } from './offline-instruction-generator.ts';
import type { RejectedAnswerSource } from './rejected-answer-source.ts';

let stores: TestStores;
let featureSetId: string;
let documents: CleanedDocument[];

beforeEach(async () => {
  stores = await openTestStores();
  featureSetId = (await registerFeatureSet(stores.metadata)).id;
  documents = await storeSampleDocuments(stores.metadata, featureSetId);
});
afterEach(async () => {
  await stores.close();
});

function dependencies(overrides: Partial<BuildDatasetDependencies> = {}): BuildDatasetDependencies {
  return {
    metadata: stores.metadata,
    artifacts: stores.artifacts,
    config: trainingConfig(),
    logger: silentLogger,
    now: () => new Date('2026-05-02T10:00:00.000Z'),
    ...overrides,
  };
}
const offline = () => ({ featureSetId, kind: 'instruction' as const, generator: 'offline' as const });

/** A stand-in for an outside model: bland, generic, and never in the author's voice. */
class FakeGenericModel implements RejectedAnswerSource {
  readonly name = 'fake:generic-assistant';
  readonly prompt = '{instruction}';
  readonly asked: string[] = [];
  async generic(instruction: string): Promise<string> {
    this.asked.push(instruction);
    return `Great question! ${instruction.replace(/[?.]$/, '')} depends on many factors. It is important to follow best practices and consult the documentation.`;
  }
}

describe('buildDataset', () => {
  it('builds an immutable, content-addressed dataset from the sample author, writing examples then record', async () => {
    const fractions: number[] = [];
    const { dataset, created } = await buildDataset(
      offline(),
      dependencies({ progress: (fraction) => void fractions.push(fraction) }),
    );
    expect(created).toBe(true);
    expect(Dataset.parse(dataset)).toEqual(dataset);
    expect(dataset.id).toMatch(/^ds_[0-9a-f]{12}$/);
    expect(dataset.artifactKey).toBe(`datasets/${dataset.id}.json`);
    expect(dataset.recipe).toEqual({
      kind: 'instruction',
      featureSetId,
      authorId: null,
      generator: { name: 'offline', version: 'offline-v1', model: null, prompts: offlinePrompts },
      filters: { minAnswerCharacters: 80, maxAnswerCharacters: 6000, nearDuplicateThreshold: 0.85 },
      split: { testFraction: 0.1, seed: 'twin' },
    });
    expect(dataset.sizes.train + dataset.sizes.test).toBe(143);
    expect(dataset.sizes.test).toBeGreaterThan(0);
    expect(dataset.dropped).toEqual({ 'too-short': 3, 'near-duplicate': 5 });
    expect(dataset.usage).toBeNull();
    expect(dataset.createdAt).toBe('2026-05-02T10:00:00.000Z');
    // package.json yields no pair, so it is not a source of this dataset.
    expect(dataset.sourceDocumentIds).toHaveLength(documents.length - 1);
    expect(fractions[fractions.length - 1]).toBe(1);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);

    expect(await stores.metadata.datasets.get(dataset.id)).toEqual(dataset);
    const examples = await loadDatasetExamples(stores.artifacts, dataset);
    expect(examples.kind).toBe('instruction');
    expect(examples.train).toHaveLength(dataset.sizes.train);
    const trainDocuments = new Set(examples.train.map((example) => example.sourceDocumentId));
    expect(examples.test.filter((example) => trainDocuments.has(example.sourceDocumentId))).toEqual([]);
  });

  it('gives the same id for the same inputs, whenever it is built, and stores it once', async () => {
    const first = await buildDataset(offline(), dependencies());
    const again = await buildDataset(
      offline(),
      dependencies({ now: () => new Date('2027-01-01T00:00:00.000Z') }),
    );
    expect(again.created).toBe(false);
    expect(again.dataset).toEqual(first.dataset);
    expect(await stores.metadata.datasets.list()).toHaveLength(1);
    expect(await stores.artifacts.list('datasets/')).toEqual([first.dataset.artifactKey]);

    // Deleted examples are put back by the next identical build.
    await stores.artifacts.delete(first.dataset.artifactKey);
    await buildDataset(offline(), dependencies());
    expect((await loadDatasetExamples(stores.artifacts, first.dataset)).train).toHaveLength(
      first.dataset.sizes.train,
    );
  });

  it('gives a new id when one cleaned document changes, or the recipe does', async () => {
    const first = await buildDataset(offline(), dependencies());
    const post = documents.find((document) => document.title.startsWith('Rolled back a model today'));
    if (!post) throw new Error('sample post missing');
    await stores.metadata.featureSets.saveCleaned(
      { ...post, text: post.text.replace('11 seconds', '9 seconds'), sourceHash: 'b'.repeat(64) },
      1,
    );
    const changed = await buildDataset(offline(), dependencies());
    expect(changed.created).toBe(true);
    expect(changed.dataset.id).not.toBe(first.dataset.id);

    const reseeded = await buildDataset(
      offline(),
      dependencies({ config: trainingConfig({ datasets: { ...trainingConfig().datasets, seed: 'other' } }) }),
    );
    expect(reseeded.dataset.id).not.toBe(changed.dataset.id);
    expect(await stores.metadata.datasets.list()).toHaveLength(3);
  });

  it('reads one author only when asked, and records it', async () => {
    await stores.metadata.documents.upsertAuthor('Ada Quill');
    const [someone] = sampleDocuments(featureSetId);
    if (!someone) throw new Error('sample empty');
    await stores.metadata.featureSets.saveCleaned(
      {
        ...someone,
        documentId: 'ada-1',
        authorId: 'ada-quill',
        title: 'Queues are contracts too',
        text: 'A queue is a contract between two teams, and every contract needs a version. Mine has a schema and a test.',
      },
      1,
    );
    const { dataset } = await buildDataset({ ...offline(), authorId: 'ada-quill' }, dependencies());
    expect(dataset.recipe.authorId).toBe('ada-quill');
    expect(dataset.sourceDocumentIds).toEqual(['ada-1']);
    expect(dataset.sizes).toEqual({ train: 1, test: 0 });
  });

  it('fails clearly on an unknown feature set, an empty one, or nothing left after filtering', async () => {
    await expect(
      buildDataset({ ...offline(), featureSetId: 'fs_000000000000' }, dependencies()),
    ).rejects.toThrow(NotFoundError);
    const empty = await registerFeatureSet(stores.metadata, 'another-embedder');
    const failure = buildDataset({ ...offline(), featureSetId: empty.id }, dependencies());
    await expect(failure).rejects.toThrow(ValidationError);
    await expect(failure).rejects.toThrow(/no cleaned documents.*empty/);
    await expect(buildDataset({ ...offline(), authorId: 'nobody' }, dependencies())).rejects.toThrow(
      /by author nobody/,
    );
    const strict = trainingConfig({
      datasets: { ...trainingConfig().datasets, minAnswerCharacters: 100_000, maxAnswerCharacters: 200_000 },
    });
    await expect(buildDataset(offline(), dependencies({ config: strict }))).rejects.toThrow(
      /every generated pair was filtered out/,
    );
    expect(await stores.metadata.datasets.list()).toEqual([]);
  });

  it('never saves a record whose examples could not be written', async () => {
    const broken: ArtifactStore = Object.assign(Object.create(stores.artifacts), {
      put: async () => {
        throw new Error('disk full');
      },
    });
    await expect(buildDataset(offline(), dependencies({ artifacts: broken }))).rejects.toThrow('disk full');
    expect(await stores.metadata.datasets.list()).toEqual([]);
  });

  it('builds preference pairs: the author’s answer is chosen over a generic one', async () => {
    const model = new FakeGenericModel();
    const { dataset } = await buildDataset(
      { ...offline(), kind: 'preference' },
      dependencies({ rejectedSource: model }),
    );
    expect(dataset.recipe.kind).toBe('preference');
    expect(dataset.recipe.generator.prompts).toMatchObject({
      'rejected:source': 'fake:generic-assistant',
      'rejected:prompt': '{instruction}',
    });
    expect(model.asked).toHaveLength(143);
    const examples = await loadDatasetExamples(stores.artifacts, dataset);
    if (examples.kind !== 'preference') throw new Error('expected preference examples');
    const article = examples.train
      .concat(examples.test)
      .find((example) => example.instruction === 'Write an article titled "Write polite crawlers".');
    expect(article?.chosen).toContain('The first crawler I wrote for work got our office IP address blocked');
    expect(article?.rejected).toMatch(
      /^Great question! Write an article titled "Write polite crawlers" depends/,
    );
    const instructionBuild = await buildDataset(offline(), dependencies());
    expect(instructionBuild.dataset.id).not.toBe(dataset.id);
  });

  it('refuses a preference build with no model for the rejected answers, before doing any work', async () => {
    await expect(buildDataset({ ...offline(), kind: 'preference' }, dependencies())).rejects.toThrow(
      ConfigError,
    );
    await expect(buildDataset({ ...offline(), generator: 'llm' }, dependencies())).rejects.toThrow(
      /training.generator is null/,
    );
  });
});

describe('buildDataset with an LLM (replayed gpt-4o-mini)', () => {
  let server: ChatReplayServer;
  beforeAll(async () => {
    server = await startChatReplayServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const endpoint = () => ({
    baseUrl: server.baseUrl,
    model: 'gpt-4o-mini',
    apiKey: 'sk-test',
    temperature: 0.7,
    timeoutMs: 10_000,
    retries: 1,
    concurrency: 2,
    inputCostPerMillion: 0.15,
    outputCostPerMillion: 0.6,
  });

  it('records the model, the prompts, the drops and what the tokens cost', async () => {
    server.reset();
    const vector = await loadResponse('chat-pairs-vector-search.json');
    const rollback = await loadResponse('chat-pairs-rollback-with-invented-answer.json');
    server.respondWith((body) =>
      body.messages.some((message) => message.content.includes('HNSW')) ? vector : rollback,
    );
    const two = documents.filter(
      (document) =>
        document.title.startsWith('Small experiment') ||
        document.title.startsWith('Rolled back a model today'),
    );
    const only = await registerFeatureSet(stores.metadata, 'two-posts');
    await storeSampleDocuments(stores.metadata, only.id, two);

    const { dataset } = await buildDataset(
      { featureSetId: only.id, kind: 'instruction', generator: 'llm' },
      dependencies({ config: trainingConfig({ generator: endpoint() }) }),
    );
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.body.messages[0]?.content).toContain('answers as Noor Halvorsen');
    expect(dataset.recipe.generator).toMatchObject({ name: 'llm', version: 'llm-v1', model: 'gpt-4o-mini' });
    expect(dataset.recipe.generator.prompts.system).toContain('{author}');
    expect(dataset.sizes.train + dataset.sizes.test).toBe(5);
    expect(dataset.dropped).toEqual({ 'llm-ungrounded': 1 });
    expect(dataset.usage).toEqual({
      promptTokens: 849,
      completionTokens: 509,
      costUsd: expect.closeTo((849 * 0.15 + 509 * 0.6) / 1e6, 12),
    });
  });

  it('writes the rejected answers with the configured LLM and adds their tokens', async () => {
    server.reset();
    server.sequence(await loadResponse('chat-generic-answer.json'));
    const posts = documents.filter((document) => document.category === 'post').slice(0, 3);
    const few = await registerFeatureSet(stores.metadata, 'three-posts');
    await storeSampleDocuments(stores.metadata, few.id, posts);
    const { dataset } = await buildDataset(
      { featureSetId: few.id, kind: 'preference', generator: 'offline' },
      dependencies({ config: trainingConfig({ generator: endpoint() }) }),
    );
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]?.body.tools).toBeUndefined();
    expect(dataset.recipe.generator.prompts['rejected:source']).toBe('llm:gpt-4o-mini');
    expect(dataset.usage).toEqual({
      promptTokens: 3 * 96,
      completionTokens: 3 * 58,
      costUsd: expect.any(Number),
    });
    const examples = await loadDatasetExamples(stores.artifacts, dataset);
    const first = examples.train[0] ?? examples.test[0];
    expect(first && 'rejected' in first ? first.rejected : '').toMatch(
      /^Rolling back a machine learning model usually/,
    );
  });
});
