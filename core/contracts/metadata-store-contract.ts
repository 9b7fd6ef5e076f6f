import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../hashing.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { NewModelVersion } from '../ports/model-registry.ts';
import type { CleanedDocument } from '../types/cleaned-document.ts';
import type { Dataset } from '../types/dataset.ts';
import type { JobRecord } from '../types/job-record.ts';
import type { RawDocument } from '../types/raw-document.ts';
import { contractFeatureSet } from './vector-store-contract.ts';

function article(id: string, content: string, overrides: Partial<RawDocument> = {}): RawDocument {
  return {
    id,
    authorId: 'ada-quill',
    platform: 'web',
    category: 'article',
    sourceUrl: `https://example.com/${id}`,
    canonicalUrl: null,
    title: `About ${id}`,
    content,
    contentHash: sha256(content),
    publishedAt: '2026-02-01T00:00:00.000Z',
    fetchedAt: '2026-03-01T00:00:00.000Z',
    metadata: { tags: ['ml'] },
    ...overrides,
  } as RawDocument;
}

function cleaned(documentId: string, text: string): CleanedDocument {
  return {
    documentId,
    featureSetId: contractFeatureSet.id,
    authorId: 'ada-quill',
    platform: 'web',
    category: 'article',
    url: `https://example.com/${documentId}`,
    title: `About ${documentId}`,
    text,
    sourceHash: sha256(text),
    publishedAt: null,
    cleanedAt: '2026-03-02T00:00:00.000Z',
  };
}

function job(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    queue: 'feature',
    name: 'feature.build',
    status: 'queued',
    payload: { force: false },
    result: null,
    error: null,
    progress: 0,
    progressMessage: null,
    attempts: 0,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

function dataset(id: string, featureSetId = contractFeatureSet.id): Dataset {
  return {
    id,
    recipe: {
      kind: 'instruction',
      featureSetId,
      authorId: 'ada-quill',
      generator: {
        name: 'offline',
        version: '1',
        model: null,
        prompts: { title: 'Write an article titled "{title}"' },
      },
      filters: { minAnswerCharacters: 40, maxAnswerCharacters: 4000, nearDuplicateThreshold: 0.9 },
      split: { testFraction: 0.1, seed: 'twin' },
    },
    sourceDocumentIds: ['a1', 'a2'],
    sizes: { train: 9, test: 1 },
    dropped: { 'too short': 2 },
    usage: null,
    artifactKey: `datasets/${id}.json`,
    createdAt: '2026-03-03T00:00:00.000Z',
  };
}

function modelVersion(overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name: 'twin',
    backend: 'local',
    baseModel: null,
    hyperparameters: { steps: 10 },
    datasetId: 'ds_0123456789ab',
    featureSetId: contractFeatureSet.id,
    parentVersion: null,
    metrics: { validationLoss: 2.5 },
    lossCurve: [{ step: 0, trainLoss: 5, validationLoss: null }],
    artifact: { kind: 'local', key: 'models/twin/j1', sha256: 'f'.repeat(64) },
    lossCurveKey: null,
    jobId: null,
    createdBy: 'tester',
    ...overrides,
  };
}

/** The behaviour every MetadataStore adapter must have. */
export function runMetadataStoreContract(name: string, create: () => Promise<MetadataStore>) {
  describe(`MetadataStore contract: ${name}`, () => {
    let store: MetadataStore;
    beforeEach(async () => {
      store = await create();
      await store.migrate();
      await store.documents.upsertAuthor('Ada Quill');
    });
    afterEach(async () => {
      await store.close();
    });

    it('migrates idempotently', async () => {
      expect(await store.migrate()).toEqual([]);
      expect((await store.documents.listAuthors()).map((author) => author.id)).toEqual(['ada-quill']);
      const migrations = await store.migrations();
      expect(migrations.map((migration) => migration.name)).toContain('0004_outbox');
      expect(migrations.filter((migration) => migration.appliedAt === null)).toEqual([]);
    });

    it('writes an outbox event with every created or changed document, none when unchanged', async () => {
      await store.documents.upsert(article('a1', 'first text'), '2026-03-01T00:00:00.000Z');
      await store.documents.upsert(article('a1', 'first text'), '2026-03-02T00:00:00.000Z');
      await store.documents.upsert(article('a1', 'second text'), '2026-03-03T00:00:00.000Z');
      await store.documents.upsert(article('a2', 'other text'), '2026-03-03T00:00:00.000Z');
      const events = await store.outbox.list({ pending: true });
      expect(events.map((event) => [event.topic, event.aggregateId, event.contentHash])).toEqual([
        ['document.changed', 'a1', sha256('first text')],
        ['document.changed', 'a1', sha256('second text')],
        ['document.changed', 'a2', sha256('other text')],
      ]);
      expect(events.every((event) => event.jobId === null && event.drainedAt === null)).toBe(true);
    });

    it('lists outbox events by a set of aggregates and by when they were written', async () => {
      await store.documents.upsert(article('b1', 'one'), '2026-03-01T00:00:00.000Z');
      const [first] = await store.outbox.list({ aggregateId: 'b1' });
      // The next writes come strictly after the first one (times have millisecond resolution).
      const between = new Date(Date.parse(first?.createdAt ?? '') + 1).toISOString();
      while (new Date().toISOString() < between) await Promise.resolve();
      await store.documents.upsert(article('b2', 'two'), '2026-03-01T00:00:00.000Z');
      await store.documents.upsert(article('b1', 'one, again'), '2026-03-02T00:00:00.000Z');
      await store.documents.upsert(article('b3', 'three'), '2026-03-02T00:00:00.000Z');
      const pairs = (events: { aggregateId: string; contentHash: string }[]) =>
        events.map((event) => [event.aggregateId, event.contentHash]);
      expect(pairs(await store.outbox.list({ aggregateIds: ['b1', 'b2'] }))).toEqual([
        ['b1', sha256('one')],
        ['b2', sha256('two')],
        ['b1', sha256('one, again')],
      ]);
      expect(pairs(await store.outbox.list({ aggregateIds: ['b1', 'b3'], createdFrom: between }))).toEqual([
        ['b1', sha256('one, again')],
        ['b3', sha256('three')],
      ]);
      expect(await store.outbox.list({ aggregateIds: [] })).toEqual([]);
      // Past one statement's worth of ids, the answer is the same.
      const many = [...Array.from({ length: 1200 }, (_, index) => `x${index}`), 'b2'];
      expect(pairs(await store.outbox.list({ aggregateIds: many }))).toEqual([['b2', sha256('two')]]);
    });

    it('a document write that fails leaves neither the document nor its outbox event', async () => {
      await expect(
        store.documents.upsert(article('ghost', 'text', { authorId: 'nobody' }), '2026-03-01T00:00:00.000Z'),
      ).rejects.toThrow();
      expect(await store.documents.get('ghost')).toBeNull();
      expect(await store.outbox.list({ aggregateId: 'ghost' })).toEqual([]);
    });

    it('holds changes written with holdChanges: no relay claims them; a build covering them takes them', async () => {
      const hold = { holdChanges: true };
      await store.documents.upsert(article('h1', 'held one'), '2026-03-01T00:00:00.000Z', hold);
      await store.documents.upsert(article('h2', 'held two'), '2026-03-01T00:00:00.000Z', hold);
      await store.documents.upsert(article('h3', 'held three'), '2026-03-01T00:00:00.000Z', hold);
      await store.documents.upsert(article('f1', 'free one'), '2026-03-01T00:00:00.000Z');
      const held = await store.outbox.list({ aggregateIds: ['h1', 'h2', 'h3'] });
      expect(held.map((event) => event.heldAt !== null)).toEqual([true, true, true]);
      const writtenBy = held[2]?.createdAt as string;
      const options = {
        topic: 'document.changed' as const,
        limit: 100,
        leaseMs: 60_000,
        jobIdOf: () => 'job-free',
      };
      const batch = await store.outbox.claim(options);
      expect(batch?.events.map((event) => event.aggregateId)).toEqual(['f1']);
      await store.outbox.markDrained(batch as NonNullable<typeof batch>);
      expect(await store.outbox.claim(options)).toBeNull();
      // A build of h1 and h2 (and f1, not held) takes exactly their held events, with its job id.
      expect(
        await store.outbox.takeHeld({ aggregateIds: ['h1', 'h2', 'f1'], writtenBy, jobId: 'job-build' }),
      ).toBe(2);
      const pending = await store.outbox.list({ pending: true });
      expect(pending.map((event) => event.aggregateId)).toEqual(['h3']);
      const taken = await store.outbox.list({ aggregateIds: ['h1', 'h2'] });
      expect(taken.map((event) => [event.jobId, event.drainedAt !== null])).toEqual([
        ['job-build', true],
        ['job-build', true],
      ]);
      // A change written after the build read its documents is not taken by it.
      while (new Date().toISOString() <= writtenBy) await Promise.resolve();
      await store.documents.upsert(article('h3', 'held three, changed'), '2026-03-02T00:00:00.000Z', hold);
      expect(await store.outbox.takeHeld({ aggregateIds: ['h3'], writtenBy, jobId: 'job-old' })).toBe(1);
      expect((await store.outbox.list({ pending: true })).map((event) => event.contentHash)).toEqual([
        sha256('held three, changed'),
      ]);
      // Released, a held change is the relays' like any other.
      expect(await store.outbox.releaseHeld()).toBe(1);
      const released = await store.outbox.claim({ ...options, jobIdOf: () => 'job-released' });
      expect(released?.events.map((event) => [event.aggregateId, event.heldAt])).toEqual([['h3', null]]);
    });

    it('claims outbox batches once, hands an abandoned batch over with its job id, and drains', async () => {
      for (const id of ['a1', 'a2', 'a3']) {
        await store.documents.upsert(article(id, `text ${id}`), '2026-03-01T00:00:00.000Z');
      }
      const now = new Date('2030-01-01T00:00:00.000Z');
      const options = {
        topic: 'document.changed' as const,
        limit: 2,
        leaseMs: 60_000,
        jobIdOf: (events: { aggregateId: string }[]) =>
          `job-${events.map((event) => event.aggregateId).join('-')}`,
        now,
      };
      const first = await store.outbox.claim(options);
      expect(first?.jobId).toBe('job-a1-a2');
      expect(first?.events.map((event) => event.aggregateId)).toEqual(['a1', 'a2']);
      const second = await store.outbox.claim(options);
      expect(second?.events.map((event) => event.aggregateId)).toEqual(['a3']);
      expect(await store.outbox.claim(options)).toBeNull();
      // The first relay dies; after its lease, its batch is taken over whole with the same job id.
      const later = { ...options, now: new Date(now.getTime() + 60_001), jobIdOf: () => 'never-used' };
      const takenOver = await store.outbox.claim(later);
      expect(takenOver?.jobId).toBe('job-a1-a2');
      expect(takenOver?.events.map((event) => event.aggregateId)).toEqual(['a1', 'a2']);
      // The dead relay's claim no longer counts: marking with it changes nothing.
      await store.outbox.markDrained(first as NonNullable<typeof first>);
      expect((await store.outbox.list({ pending: true })).map((event) => event.aggregateId)).toEqual([
        'a1',
        'a2',
        'a3',
      ]);
      await store.outbox.markDrained(takenOver as NonNullable<typeof takenOver>);
      // A released batch is claimable again at once, still with its job id.
      await store.outbox.release(second as NonNullable<typeof second>);
      const retried = await store.outbox.claim(options);
      expect(retried?.jobId).toBe('job-a3');
      await store.outbox.markDrained(retried as NonNullable<typeof retried>);
      expect(await store.outbox.list({ pending: true })).toEqual([]);
      expect(await store.outbox.claim(later)).toBeNull();
      const drained = await store.outbox.list({ pending: false });
      expect(drained.map((event) => [event.aggregateId, event.jobId])).toEqual([
        ['a1', 'job-a1-a2'],
        ['a2', 'job-a1-a2'],
        ['a3', 'job-a3'],
      ]);
      expect(drained.every((event) => event.drainedAt !== null)).toBe(true);
      await store.documents.upsert(article('a4', 'text a4'), '2026-03-01T00:00:00.000Z');
      expect(await store.outbox.prune(new Date(Date.now() + 60_000))).toBe(3);
      expect((await store.outbox.list()).map((event) => event.aggregateId)).toEqual(['a4']);
    });

    it('upserts documents idempotently and detects changes', async () => {
      expect(await store.documents.upsert(article('a1', 'first text'), '2026-03-01T00:00:00.000Z')).toBe(
        'created',
      );
      expect(await store.documents.upsert(article('a1', 'first text'), '2026-03-05T00:00:00.000Z')).toBe(
        'unchanged',
      );
      let stored = await store.documents.get('a1');
      expect(stored?.lastSeenAt).toBe('2026-03-05T00:00:00.000Z');
      expect(stored?.firstSeenAt).toBe('2026-03-01T00:00:00.000Z');
      expect(await store.documents.upsert(article('a1', 'second text'), '2026-03-06T00:00:00.000Z')).toBe(
        'updated',
      );
      stored = await store.documents.get('a1');
      expect(stored).toMatchObject({
        content: 'second text',
        metadata: { tags: ['ml'] },
        category: 'article',
      });
      expect(stored?.firstSeenAt).toBe('2026-03-01T00:00:00.000Z');
      expect(await store.documents.count()).toBe(1);
    });

    it('keeps repository fields and filters documents', async () => {
      await store.documents.upsert(article('a1', 'one'), '2026-03-01T00:00:00.000Z');
      await store.documents.upsert(
        {
          ...article('r1', 'def f():\n    return 1\n'),
          category: 'repository',
          platform: 'github',
          repository: 'ada/tools',
          path: 'src/f.py',
          language: 'python',
        } as RawDocument,
        '2026-03-02T00:00:00.000Z',
      );
      const repository = await store.documents.get('r1');
      expect(repository).toMatchObject({ repository: 'ada/tools', path: 'src/f.py', language: 'python' });
      expect(repository?.content).toBe('def f():\n    return 1\n');
      expect((await store.documents.list({ platform: 'github' })).map((document) => document.id)).toEqual([
        'r1',
      ]);
      expect(await store.documents.count({ category: 'article' })).toBe(1);
      expect(await store.documents.count({ ids: [] })).toBe(0);
      expect(
        (await store.documents.list({ notSeenSince: '2026-03-02T00:00:00.000Z' })).map(
          (document) => document.id,
        ),
      ).toEqual(['a1']);
      expect(await store.documents.list({}, { limit: 1, offset: 1 })).toHaveLength(1);
    });

    it('registers feature sets idempotently and keeps cleaned documents per feature set', async () => {
      const first = await store.featureSets.register(contractFeatureSet);
      const again = await store.featureSets.register({
        ...contractFeatureSet,
        createdAt: '2030-01-01T00:00:00.000Z',
      });
      expect(again).toEqual(first);
      await store.documents.upsert(article('a1', 'one'), '2026-03-01T00:00:00.000Z');
      await store.featureSets.saveCleaned(cleaned('a1', 'clean one'), 3);
      await store.featureSets.saveCleaned(cleaned('a1', 'clean one, again'), 4);
      expect(await store.featureSets.getProcessed(contractFeatureSet.id, 'a1')).toMatchObject({
        chunkCount: 4,
        sourceHash: sha256('clean one, again'),
      });
      expect((await store.featureSets.getCleaned(contractFeatureSet.id, 'a1'))?.text).toBe(
        'clean one, again',
      );
      const [stats] = await store.featureSets.list();
      expect(stats).toMatchObject({ id: contractFeatureSet.id, documents: 1, chunks: 4 });
      expect(await store.featureSets.featureSetsOf('a1')).toEqual([contractFeatureSet.id]);
      expect(await store.documents.remove('a1')).toBe(true);
      expect(await store.featureSets.getCleaned(contractFeatureSet.id, 'a1')).toBeNull();
      expect(await store.documents.remove('a1')).toBe(false);
    });

    it('records jobs, their progress and logs', async () => {
      await store.jobs.create(job('j1'));
      await store.jobs.create(job('j2', { queue: 'training', name: 'training.run' }));
      const running = await store.jobs.update('j1', {
        status: 'running',
        progress: 0.5,
        progressMessage: 'half',
      });
      expect(running).toMatchObject({ status: 'running', progress: 0.5, progressMessage: 'half' });
      await store.jobs.update('j1', { status: 'completed', result: { chunks: 3 }, finishedAt: 'x' });
      expect((await store.jobs.get('j1'))?.result).toEqual({ chunks: 3 });
      expect((await store.jobs.list({ queue: 'training' })).map((record) => record.id)).toEqual(['j2']);
      expect((await store.jobs.list({ status: 'completed' })).map((record) => record.id)).toEqual(['j1']);
      await store.jobs.appendLog('j1', 'first');
      await store.jobs.appendLog('j1', 'second');
      expect((await store.jobs.logs('j1')).map((line) => line.message)).toEqual(['first', 'second']);
      await expect(store.jobs.update('missing', { status: 'failed' })).rejects.toThrow(/missing/);
    });

    it('keeps the first completed result when asked to (a redundant rerun writes nothing over it)', async () => {
      await store.jobs.create(job('k1'));
      const keep = { keepCompleted: true };
      await store.jobs.update('k1', { status: 'running', progress: 0.2 }, keep);
      await store.jobs.update('k1', { status: 'completed', result: { chunks: 195 }, progress: 1 }, keep);
      const kept = await store.jobs.update('k1', { status: 'running', progress: 0.1 }, keep);
      expect(kept).toMatchObject({ status: 'completed', result: { chunks: 195 }, progress: 1 });
      await store.jobs.update('k1', { status: 'completed', result: { chunks: 0 } }, keep);
      await store.jobs.update('k1', { status: 'failed', error: 'late failure' }, keep);
      expect(await store.jobs.get('k1')).toMatchObject({
        status: 'completed',
        result: { chunks: 195 },
        error: null,
      });
      // Without it, a record is reset as usual (enqueueing the same id again).
      expect(await store.jobs.update('k1', { status: 'queued', result: null })).toMatchObject({
        status: 'queued',
      });
    });

    it('saves content-addressed datasets once and lists them', async () => {
      const first = await store.datasets.save(dataset('ds_0123456789ab'));
      const again = await store.datasets.save({
        ...dataset('ds_0123456789ab'),
        createdAt: '2030-01-01T00:00:00.000Z',
      });
      expect(again).toEqual(first);
      await store.datasets.save(dataset('ds_ba9876543210', 'fs_ffffffffffff'));
      expect((await store.datasets.list()).map((entry) => entry.id).sort()).toEqual([
        'ds_0123456789ab',
        'ds_ba9876543210',
      ]);
      expect(
        (await store.datasets.list({ featureSetId: 'fs_ffffffffffff' })).map((entry) => entry.id),
      ).toEqual(['ds_ba9876543210']);
      expect(await store.datasets.get('ds_000000000000')).toBeNull();
    });

    it('numbers model versions per name, once per job, and merges metrics', async () => {
      const one = await store.models.register(modelVersion({ jobId: 'job-1' }));
      const two = await store.models.register(modelVersion({ jobId: 'job-2', parentVersion: 1 }));
      const retried = await store.models.register(modelVersion({ jobId: 'job-2' }));
      const other = await store.models.register(modelVersion({ name: 'other', jobId: 'job-3' }));
      expect([one.version, two.version, retried.version, other.version]).toEqual([1, 2, 2, 1]);
      expect((await store.models.list('twin')).map((version) => version.version)).toEqual([2, 1]);
      expect(await store.models.get('twin', 2)).toMatchObject({
        parentVersion: 1,
        artifact: { kind: 'local' },
      });
      const evaluated = await store.models.updateMetrics('twin', 1, { rougeL: 0.4 });
      expect(evaluated.metrics).toEqual({ validationLoss: 2.5, rougeL: 0.4 });
      await expect(store.models.updateMetrics('twin', 9, {})).rejects.toThrow(/twin:9 not found/);
    });

    it('moves aliases atomically with an audit trail and compare-and-set', async () => {
      await store.models.register(modelVersion());
      await store.models.register(modelVersion());
      const promoted = await store.models.moveAlias({
        name: 'twin',
        alias: 'production',
        toVersion: 1,
        movedBy: 'ada',
      });
      expect(promoted).toMatchObject({ fromVersion: null, toVersion: 1, movedBy: 'ada' });
      await store.models.moveAlias({
        name: 'twin',
        alias: 'production',
        toVersion: 2,
        movedBy: 'bob',
        reason: 'better',
      });
      expect(await store.models.getAlias('twin', 'production')).toMatchObject({
        version: 2,
        updatedBy: 'bob',
      });
      await expect(
        store.models.moveAlias({
          name: 'twin',
          alias: 'production',
          toVersion: 1,
          movedBy: 'eve',
          expectedVersion: 1,
        }),
      ).rejects.toThrow(/someone else moved it/);
      await expect(
        store.models.moveAlias({ name: 'twin', alias: 'production', toVersion: 7, movedBy: 'x' }),
      ).rejects.toThrow(/twin:7 not found/);
      await expect(
        store.models.moveAlias({ name: 'twin', alias: 'Bad Alias', toVersion: 1, movedBy: 'x' }),
      ).rejects.toThrow(/invalid alias/);
      expect(await store.models.getAlias('twin', 'production')).toMatchObject({ version: 2 });
      const history = await store.models.aliasHistory('twin', 'production');
      expect(history.map((event) => [event.fromVersion, event.toVersion, event.movedBy])).toEqual([
        [1, 2, 'bob'],
        [null, 1, 'ada'],
      ]);
      await store.models.moveAlias({ name: 'twin', alias: 'staging', toVersion: 1, movedBy: 'ada' });
      await store.models.moveAlias({ name: 'twin', alias: 'staging', toVersion: null, movedBy: 'ada' });
      expect((await store.models.listAliases('twin')).map((alias) => alias.alias)).toEqual(['production']);
    });

    it('records request logs and lists them newest first', async () => {
      const log = (id: string, at: string, route = '/v1/chat/completions') => ({
        id,
        at,
        route,
        status: 200,
        model: 'twin:1',
        featureSetId: contractFeatureSet.id,
        question: `question ${id}`,
        filters: { platform: ['linkedin'] },
        retrieved: [{ chunkId: 'c1', documentId: 'd1', score: 0.5 }],
        timings: { totalMs: 12.5 },
        promptTokens: 10,
        completionTokens: 20,
        durationMs: 30.25,
        error: null,
      });
      await store.requests.record(log('r1', '2026-05-01T00:00:00.000Z'));
      await store.requests.record(log('r2', '2026-05-02T00:00:00.000Z', '/api/search'));
      expect((await store.requests.list()).map((entry) => entry.id)).toEqual(['r2', 'r1']);
      expect(await store.requests.list({ route: '/v1/chat/completions' })).toEqual([
        log('r1', '2026-05-01T00:00:00.000Z'),
      ]);
      expect(
        (await store.requests.list({ since: '2026-05-02T00:00:00.000Z' })).map((entry) => entry.id),
      ).toEqual(['r2']);
    });
  });
}
