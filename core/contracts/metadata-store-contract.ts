import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../hashing.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { CleanedDocument } from '../types/cleaned-document.ts';
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
      await store.migrate();
      expect((await store.documents.listAuthors()).map((author) => author.id)).toEqual(['ada-quill']);
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
  });
}
