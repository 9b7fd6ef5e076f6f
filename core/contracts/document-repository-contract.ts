import { describe, expect, it } from 'vitest';
import type { RawDocument } from '../types/raw-document.ts';
import { article, type CreateMetadataStore, useMetadataStore } from './metadata-contract-fixtures.ts';

/** The behaviour every DocumentRepository must have: upserts that detect changes, repository fields, filters and paging. */
export function runDocumentRepositoryContract(name: string, create: CreateMetadataStore) {
  describe(`DocumentRepository contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('upserts documents idempotently and detects changes', async () => {
      expect(await store().documents.upsert(article('a1', 'first text'), '2026-03-01T00:00:00.000Z')).toBe(
        'created',
      );
      expect(await store().documents.upsert(article('a1', 'first text'), '2026-03-05T00:00:00.000Z')).toBe(
        'unchanged',
      );
      let stored = await store().documents.get('a1');
      expect(stored?.lastSeenAt).toBe('2026-03-05T00:00:00.000Z');
      expect(stored?.firstSeenAt).toBe('2026-03-01T00:00:00.000Z');
      expect(await store().documents.upsert(article('a1', 'second text'), '2026-03-06T00:00:00.000Z')).toBe(
        'updated',
      );
      stored = await store().documents.get('a1');
      expect(stored).toMatchObject({
        content: 'second text',
        metadata: { tags: ['ml'] },
        category: 'article',
      });
      expect(stored?.firstSeenAt).toBe('2026-03-01T00:00:00.000Z');
      expect(await store().documents.count()).toBe(1);
    });

    it('keeps repository fields and filters documents', async () => {
      await store().documents.upsert(article('a1', 'one'), '2026-03-01T00:00:00.000Z');
      await store().documents.upsert(
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
      const repository = await store().documents.get('r1');
      expect(repository).toMatchObject({ repository: 'ada/tools', path: 'src/f.py', language: 'python' });
      expect(repository?.content).toBe('def f():\n    return 1\n');
      expect((await store().documents.list({ platform: 'github' })).map((document) => document.id)).toEqual([
        'r1',
      ]);
      expect(await store().documents.count({ category: 'article' })).toBe(1);
      expect(await store().documents.count({ ids: [] })).toBe(0);
      expect(
        (await store().documents.list({ notSeenSince: '2026-03-02T00:00:00.000Z' })).map(
          (document) => document.id,
        ),
      ).toEqual(['a1']);
      expect(await store().documents.list({}, { limit: 1, offset: 1 })).toHaveLength(1);
    });
  });
}
