import { randomUUID } from 'node:crypto';
import type { Schemas } from '@qdrant/js-client-rest';
import { afterEach, describe, expect, it } from 'vitest';
import { contractFeatureSet, runVectorStoreContract } from '../../contracts/vector-store-contract.ts';
import {
  closeReplays,
  collectionPath,
  dimensions,
  existingCollection,
  replayStore,
} from './__fixtures__/replay-store.ts';
import { QdrantVectorStore } from './qdrant-vector-store.ts';
import { querySparseVector } from './sparse-terms.ts';

afterEach(closeReplays);

describe('QdrantVectorStore reads and searches against replayed Qdrant responses', () => {
  it('searches the dense vector with our filter JSON and maps scores and payloads', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      { method: 'POST', path: `${collectionPath}/points/query`, replies: [{ fixture: 'query-dense.json' }] },
    ]);
    const query = Float32Array.from({ length: dimensions }, (_, index) => (index === 0 ? 1 : 0));
    const hits = await store.search(contractFeatureSet.id, query, {
      k: 2,
      filter: { authorId: 'ada', category: ['post', 'repository'], platform: ['linkedin'] },
    });
    const request: Schemas['QueryRequest'] = {
      query: [1, 0, 0, 0, 0, 0, 0, 0],
      using: 'dense',
      limit: 2,
      with_payload: true,
      filter: {
        must: [
          { key: 'authorId', match: { value: 'ada' } },
          { key: 'platform', match: { value: 'linkedin' } },
          { key: 'category', match: { any: ['post', 'repository'] } },
        ],
      },
    };
    expect(replay.requests[1]?.body).toEqual(request);
    expect(hits.map((hit) => [hit.id, hit.score, hit.payload.documentId])).toEqual([
      ['6f3b2c1e-9a0d-5b4e-8c7f-1a2b3c4d5e6f', 0.98058068, 'd3'],
      ['0c9d8e7f-6a5b-5c4d-9e3f-2a1b0c9d8e7f', 0.11470787, 'd4'],
    ]);
    expect(hits[0]?.payload).toMatchObject({ platform: 'linkedin', category: 'post', chunkIndex: 0 });
  });

  it('answers a filter that matches nothing without asking the server', async () => {
    const { store, replay } = await replayStore([existingCollection]);
    const query = new Float32Array(dimensions).fill(0.5);
    expect(await store.search(contractFeatureSet.id, query, { k: 3, filter: { category: [] } })).toEqual([]);
    expect(
      await store.keywordSearch(contractFeatureSet.id, 'rollback', { k: 3, filter: { platform: [] } }),
    ).toEqual([]);
    expect(await store.keywordSearch(contractFeatureSet.id, '?! ()', { k: 3 })).toEqual([]);
    expect(await store.count(contractFeatureSet.id, { authorId: [] })).toBe(0);
    expect(replay.requests.map((request) => request.path)).toEqual([collectionPath, collectionPath]);
  });

  it('keyword search queries the sparse vector with the stemmed query terms', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/query`,
        replies: [{ fixture: 'query-keywords.json' }],
      },
    ]);
    const hits = await store.keywordSearch(contractFeatureSet.id, 'How fast is a ROLLBACK?', {
      k: 5,
      filter: { authorId: 'ada' },
    });
    const request: Schemas['QueryRequest'] = {
      query: querySparseVector('fast rollback') ?? { indices: [], values: [] },
      using: 'keywords',
      limit: 5,
      with_payload: true,
      filter: { must: [{ key: 'authorId', match: { value: 'ada' } }] },
    };
    expect(replay.requests[1]?.body).toEqual(request);
    expect(hits.map((hit) => [hit.payload.documentId, hit.score])).toEqual([
      ['rollback-again', 2.1837044],
      ['rollback', 0.9127533],
    ]);
    expect(hits[0]?.payload.text).toMatch(/^A rollback drill/);
  });

  it('counts exactly, deletes a document by filter and reports how many points went', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      { method: 'POST', path: `${collectionPath}/points/count`, replies: [{ fixture: 'count.json' }] },
      {
        method: 'POST',
        path: `${collectionPath}/points/delete`,
        replies: [{ fixture: 'update-completed.json' }],
      },
    ]);
    expect(await store.deleteByDocument(contractFeatureSet.id, 'd1')).toBe(2);
    const filter: Schemas['Filter'] = { must: [{ key: 'documentId', match: { value: 'd1' } }] };
    const count: Schemas['CountRequest'] = { exact: true, filter };
    const remove: Schemas['FilterSelector'] = { filter };
    const [, counted, deleted] = replay.requests;
    expect(counted?.body).toEqual(count);
    expect(deleted?.body).toEqual(remove);
    expect(deleted?.query.wait).toBe('true');
    expect(await store.count(contractFeatureSet.id)).toBe(2);
    expect(replay.requests.at(-1)?.body).toEqual({ exact: true });
  });

  it('lists a document’s points across scroll pages, in chunk order', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/scroll`,
        replies: [{ fixture: 'scroll-page-1.json' }, { fixture: 'scroll-page-2.json' }],
      },
    ]);
    expect(await store.listDocumentPoints(contractFeatureSet.id, 'd1')).toEqual([
      'a1000000-0000-5000-8000-000000000000',
      'a1000000-0000-5000-8000-000000000001',
      'a1000000-0000-5000-8000-000000000002',
    ]);
    const scrolls = replay.requests.slice(1).map((request) => request.body);
    const first: Schemas['ScrollRequest'] = {
      filter: { must: [{ key: 'documentId', match: { value: 'd1' } }] },
      limit: 256,
      with_payload: ['chunkIndex'],
      with_vector: false,
    };
    expect(scrolls).toEqual([first, { ...first, offset: 'a1000000-0000-5000-8000-000000000001' }]);
  });

  it('keeps the integer ids of points another tool wrote: listed as strings, sent back as numbers', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/scroll`,
        replies: [{ fixture: 'scroll-numeric-ids-1.json' }, { fixture: 'scroll-numeric-ids-2.json' }],
      },
      {
        method: 'POST',
        path: `${collectionPath}/points`,
        replies: [{ fixture: 'retrieve-numeric-id.json' }],
      },
    ]);
    expect(await store.listDocumentPoints(contractFeatureSet.id, 'd1')).toEqual(['7', '42', '99']);
    const scrolls = replay.requests.filter((request) => request.path.endsWith('/points/scroll'));
    expect(scrolls[1]?.body).toMatchObject({ offset: 99 });
    const vector = await store.getVector(contractFeatureSet.id, '7');
    expect(Array.from(vector ?? [])).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
    // Qdrant refuses "7" as a string ("value 7 is not a valid point ID").
    expect(replay.requests.at(-1)?.body).toMatchObject({ ids: [7] });
  });

  it('refuses an integer id too large to read exactly instead of misreading it', async () => {
    const { store } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/scroll`,
        replies: [{ fixture: 'scroll-huge-id.json' }],
      },
    ]);
    await expect(store.listDocumentPoints(contractFeatureSet.id, 'd1')).rejects.toThrow(
      /answered list document d1 in llmtwin_fs_0123456789ab with an unexpected result: .*an integer point id above 2\^53 − 1 cannot be read exactly/s,
    );
  });

  it('reads a stored vector back, or null for an unknown point', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points`,
        replies: [{ fixture: 'retrieve.json' }, { fixture: 'retrieve-empty.json' }],
      },
    ]);
    const vector = await store.getVector(contractFeatureSet.id, 'a1000000-0000-5000-8000-000000000000');
    expect(Array.from(vector ?? [])).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    const request: Schemas['PointRequest'] = {
      ids: ['a1000000-0000-5000-8000-000000000000'],
      with_payload: false,
      with_vector: ['dense'],
    };
    expect(replay.requests[1]?.body).toEqual(request);
    expect(await store.getVector(contractFeatureSet.id, 'a1000000-0000-5000-8000-00000000ffff')).toBeNull();
  });
});

const qdrantUrl = process.env.QDRANT_URL;
if (!qdrantUrl) {
  console.warn('Qdrant contract suite skipped: set QDRANT_URL (e.g. http://127.0.0.1:6333) to run it.');
  describe('VectorStore contract: qdrant', () => {
    it.skip('skipped: set QDRANT_URL to run the vector-store contract suite against a real Qdrant', () => {});
  });
} else {
  runVectorStoreContract(
    'qdrant',
    async () =>
      new QdrantVectorStore({
        url: qdrantUrl,
        apiKey: process.env.QDRANT_API_KEY ?? null,
        // A prefix per store keeps runs (and their serving aliases) apart on a shared server.
        collectionPrefix: `twintest_${randomUUID().slice(0, 8)}_`,
        timeoutMs: 10_000,
        upsertBatchSize: 2,
      }),
  );
}
