import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Schemas } from '@qdrant/js-client-rest';
import { afterEach, describe, expect, it } from 'vitest';
import { contractFeatureSet, runVectorStoreContract } from '../../contracts/vector-store-contract.ts';
import { NotFoundError, ServiceError, ValidationError } from '../../errors.ts';
import type { VectorPoint } from '../../ports/vector-store.ts';
import { type QdrantReplay, type Route, startQdrantReplay } from './__fixtures__/qdrant-replay-server.ts';
import { toQdrantPoint } from './qdrant-point.ts';
import { QdrantVectorStore } from './qdrant-vector-store.ts';
import { documentSparseVector, querySparseVector } from './sparse-terms.ts';

const prefix = 'llmtwin_';
const collection = `${prefix}${contractFeatureSet.id}`;
const collectionPath = `/collections/${collection}`;
const dimensions = contractFeatureSet.spec.embedder.dimensions;

let replay: QdrantReplay | undefined;
afterEach(async () => {
  await replay?.close();
  replay = undefined;
});

async function replayStore(
  routes: Route[],
  options: {
    upsertBatchSize?: number;
    timeoutMs?: number;
    apiKey?: string;
    maxRetryWaitMs?: number;
    maxRequestBytes?: number;
  } = {},
) {
  replay = await startQdrantReplay(routes);
  // Waits between attempts are recorded, not spent.
  const sleeps: number[] = [];
  const store = new QdrantVectorStore({
    url: replay.url,
    apiKey: options.apiKey ?? null,
    collectionPrefix: prefix,
    timeoutMs: options.timeoutMs ?? 5000,
    upsertBatchSize: options.upsertBatchSize ?? 100,
    ...(options.maxRetryWaitMs === undefined ? {} : { maxRetryWaitMs: options.maxRetryWaitMs }),
    ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
  });
  return { store, replay, sleeps };
}

/** The routes every test with an existing, indexed collection needs. */
const existingCollection: Route = {
  method: 'GET',
  path: collectionPath,
  replies: [{ fixture: 'collection-info.json' }],
};

function point(documentId: string, chunkIndex: number, text: string): VectorPoint {
  return {
    id: randomUUID(),
    vector: Float32Array.from({ length: dimensions }, (_, index) => (index === chunkIndex ? 1 : 0)),
    payload: {
      authorId: 'ada',
      platform: 'web',
      category: 'article',
      documentId,
      url: `https://example.com/${documentId}`,
      title: `Title of ${documentId}`,
      publishedAt: null,
      chunkIndex,
      featureSetId: contractFeatureSet.id,
      text,
    },
  };
}

describe('QdrantVectorStore against replayed Qdrant responses', () => {
  it('creates a collection with a named dense and an IDF sparse vector, then keyword payload indexes', async () => {
    const { store, replay } = await replayStore(
      [
        {
          method: 'GET',
          path: collectionPath,
          replies: [
            { status: 404, fixture: 'collection-not-found.json' },
            { fixture: 'collection-info-new.json' },
          ],
        },
        { method: 'PUT', path: collectionPath, replies: [{ fixture: 'result-true.json' }] },
        { method: 'PUT', path: `${collectionPath}/index`, replies: [{ fixture: 'update-completed.json' }] },
      ],
      // The client warns about a key over plain http; the replay server is local.
      { apiKey: 'test-key' },
    );
    await store.ensureCollection(contractFeatureSet);

    const create: Schemas['CreateCollection'] = {
      vectors: { dense: { size: dimensions, distance: 'Cosine' } },
      sparse_vectors: { keywords: { modifier: 'idf' } },
    };
    expect(replay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET ${collectionPath}`,
      `PUT ${collectionPath}`,
      `GET ${collectionPath}`,
      ...Array.from({ length: 4 }, () => `PUT ${collectionPath}/index`),
    ]);
    expect(replay.requests[1]?.body).toEqual(create);
    const indexes = replay.requests.slice(3);
    const expected: Schemas['CreateFieldIndex'][] = ['authorId', 'platform', 'category', 'documentId'].map(
      (field_name) => ({ field_name, field_schema: 'keyword' }),
    );
    expect(indexes.map((request) => request.body)).toEqual(expected);
    expect(indexes.every((request) => request.query.wait === 'true')).toBe(true);
    expect(replay.requests.every((request) => request.apiKey === 'test-key')).toBe(true);
    expect(replay.unmatched).toEqual([]);
  });

  it('leaves an existing, indexed collection alone and refuses one of another size', async () => {
    const { store, replay } = await replayStore([existingCollection]);
    await store.ensureCollection(contractFeatureSet);
    expect(replay.requests.map((request) => request.method)).toEqual(['GET']);
    const wider = {
      ...contractFeatureSet,
      spec: { ...contractFeatureSet.spec, embedder: { id: 'wide', dimensions: 16 } },
    };
    const refusal = store.ensureCollection(wider);
    await expect(refusal).rejects.toThrow(ValidationError);
    await expect(store.ensureCollection(wider)).rejects.toThrow(
      `collection ${collection} is not set up the way this store creates collections, so its scores or filters would differ: "dense" has 8 dimensions, the feature set says 16`,
    );
  });

  it('refuses an existing collection whose settings would change scores or filters, naming each', async () => {
    const { store, replay } = await replayStore([
      { method: 'GET', path: collectionPath, replies: [{ fixture: 'collection-info-mismatched.json' }] },
    ]);
    const refusal = `collection ${collection} is not set up the way this store creates collections, so its scores or filters would differ: "dense" uses Dot distance, this store uses Cosine; "dense" stores uint8 values, this store stores float32; "dense" is a multivector, this store keeps one vector per point; sparse vector "keywords" has modifier none, BM25 scores need modifier idf; payload index "platform" is text, this store filters it as keyword`;
    const ensured = await store.ensureCollection(contractFeatureSet).catch((error: unknown) => error);
    expect(ensured).toBeInstanceOf(ValidationError);
    expect((ensured as Error).message).toBe(refusal);
    // A store that never ensured it refuses to search it too, rather than return other scores.
    const query = new Float32Array(dimensions).fill(0.5);
    await expect(store.search(contractFeatureSet.id, query, { k: 1 })).rejects.toThrow(refusal);
    await expect(store.keywordSearch(contractFeatureSet.id, 'rollback', { k: 1 })).rejects.toThrow(refusal);
    // Nothing was changed on the server: no payload index was created over the text one.
    expect(replay.requests.map((request) => request.method)).toEqual(['GET', 'GET', 'GET']);
  });

  it('refuses a collection of the same name with other vector names, or an unnamed one', async () => {
    const { store } = await replayStore([
      {
        method: 'GET',
        path: collectionPath,
        replies: [
          { fixture: 'collection-info-other-names.json' },
          { fixture: 'collection-info-foreign.json' },
        ],
      },
    ]);
    await expect(store.ensureCollection(contractFeatureSet)).rejects.toThrow(
      /would differ: it has no dense vector named "dense" \(it has "embedding"\); it has no sparse vector named "keywords"$/,
    );
    await expect(store.ensureCollection(contractFeatureSet)).rejects.toThrow(
      /would differ: its dense vector has no name, this store names it "dense"; it has no sparse vector named "keywords"$/,
    );
  });

  it('a creation race: when Qdrant says the collection already exists, the winner’s collection is read and checked', async () => {
    // Qdrant 1.18 answers a second creation with 409 (`StorageError::AlreadyExists`).
    const raced: Route[] = [
      {
        method: 'GET',
        path: collectionPath,
        replies: [{ status: 404, fixture: 'collection-not-found.json' }, { fixture: 'collection-info.json' }],
      },
      {
        method: 'PUT',
        path: collectionPath,
        replies: [{ status: 409, fixture: 'collection-exists-conflict.json' }],
      },
    ];
    const { store, replay } = await replayStore(raced);
    await store.ensureCollection(contractFeatureSet);
    // The winner's collection already has its payload indexes: nothing more is sent.
    expect(replay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET ${collectionPath}`,
      `PUT ${collectionPath}`,
      `GET ${collectionPath}`,
    ]);

    // The winner created it for another feature set spec: its settings are refused, not used.
    await replay.close();
    const wider = {
      ...contractFeatureSet,
      spec: { ...contractFeatureSet.spec, embedder: { id: 'wide', dimensions: 16 } },
    };
    const lost = await replayStore(raced);
    const error = await lost.store.ensureCollection(wider).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(
      /would differ: "dense" has 8 dimensions, the feature set says 16$/,
    );
    expect(lost.replay.requests.map((request) => request.method)).toEqual(['GET', 'PUT', 'GET']);
  });

  it('surfaces any other refusal to create the collection with Qdrant’s message, not as a race', async () => {
    // Qdrant refuses a dense vector over 65536 dimensions with 422 from its request validation; a
    // named vector's field reads `vectors.?.size` (the body as its validation handler writes it).
    const huge = {
      ...contractFeatureSet,
      spec: { ...contractFeatureSet.spec, embedder: { id: 'huge', dimensions: 65537 } },
    };
    const { store, replay } = await replayStore([
      {
        method: 'GET',
        path: collectionPath,
        replies: [{ status: 404, fixture: 'collection-not-found.json' }],
      },
      {
        method: 'PUT',
        path: collectionPath,
        replies: [{ status: 422, fixture: 'collection-size-invalid.json' }],
      },
    ]);
    const error = await store.ensureCollection(huge).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} refused create collection ${collection} (HTTP 422): Validation error in JSON body: [vectors.?.size: value 65537 invalid, must be from 1 to 65536]`,
    );
    // Not read again as if someone else had created it, and no payload index was attempted.
    expect(replay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET ${collectionPath}`,
      `PUT ${collectionPath}`,
    ]);
  });

  it('says so, retryably, when the collection is gone right after it was created', async () => {
    const { store, replay } = await replayStore([
      {
        method: 'GET',
        path: collectionPath,
        replies: [{ status: 404, fixture: 'collection-not-found.json' }],
      },
      { method: 'PUT', path: collectionPath, replies: [{ fixture: 'result-true.json' }] },
    ]);
    const error = await store.ensureCollection(contractFeatureSet).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} has no collection ${collection} right after it was created (by this store or another at the same time): something dropped it in between`,
    );
  });

  it('forgets a collection another process dropped: a 404 says it is gone and the next call reads it afresh', async () => {
    const dropped = { status: 404, fixture: 'collection-not-found.json' };
    const { store, replay } = await replayStore([
      {
        method: 'GET',
        path: collectionPath,
        // Each round: read when ensured, then gone when read again.
        replies: Array.from({ length: 3 }, () => [{ fixture: 'collection-info.json' }, dropped]).flat(),
      },
      { method: 'POST', path: `${collectionPath}/points/query`, replies: [dropped] },
      { method: 'PUT', path: `${collectionPath}/points`, replies: [dropped] },
    ]);
    const query = new Float32Array(dimensions).fill(0.5);
    const rounds = [
      {
        request: `POST ${collectionPath}/points/query`,
        operation: `search ${collection}`,
        call: () => store.search(contractFeatureSet.id, query, { k: 1 }),
      },
      {
        request: `POST ${collectionPath}/points/query`,
        operation: `keyword search ${collection}`,
        call: () => store.keywordSearch(contractFeatureSet.id, 'rollback', { k: 1 }),
      },
      {
        request: `PUT ${collectionPath}/points`,
        operation: `upsert 1 points into ${collection}`,
        call: () => store.upsert(contractFeatureSet.id, [point('d1', 0, 'text')]),
      },
    ];
    for (const round of rounds) {
      replay.requests.length = 0;
      // Caches the collection's settings, as a worker does once before many calls.
      await store.ensureCollection(contractFeatureSet);
      const error = await round.call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toBe(
        `Qdrant at ${replay.url} refused ${round.operation} (HTTP 404): Not found: Collection \`${collection}\` doesn't exist!; collection ${collection} is gone: another process dropped it after this store read its settings`,
      );
      // Read afresh rather than sent again on the cached settings.
      await expect(round.call()).rejects.toThrow(
        `no vector collection for feature set ${contractFeatureSet.id}`,
      );
      expect(replay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        `GET ${collectionPath}`,
        round.request,
        `GET ${collectionPath}`,
      ]);
    }
  });

  it('upserts in batches with wait=true, each point with its dense vector, keyword vector and payload', async () => {
    const { store, replay } = await replayStore(
      [
        existingCollection,
        { method: 'PUT', path: `${collectionPath}/points`, replies: [{ fixture: 'update-completed.json' }] },
      ],
      { upsertBatchSize: 2 },
    );
    const points = [
      point('d1', 0, 'Rollback is one alias move.'),
      point('d1', 1, 'The rollback drill runs every quarter.'),
      { ...point('d2', 0, '...'), payload: { ...point('d2', 0, '...').payload, title: '' } },
    ];
    await store.upsert(contractFeatureSet.id, points);
    const upserts = replay.requests.filter((request) => request.method === 'PUT');
    expect(upserts.map((request) => request.query.wait)).toEqual(['true', 'true']);
    const bodies = upserts.map((request) => request.body as Schemas['PointsList']);
    expect(bodies.map((body) => body.points.length)).toEqual([2, 1]);
    const first: Schemas['PointStruct'] = {
      id: points[0]?.id as string,
      vector: {
        dense: [1, 0, 0, 0, 0, 0, 0, 0],
        keywords: documentSparseVector('Rollback is one alias move.', 'Title of d1'),
      },
      payload: points[0]?.payload,
    };
    expect(bodies[0]?.points[0]).toEqual(first);
    // Same word in text and query hashes to the same index.
    const sparse = bodies[0]?.points[1]?.vector as unknown as { keywords: { indices: number[] } };
    const rollback = querySparseVector('rollback')?.indices[0];
    expect(sparse.keywords.indices).toContain(rollback);
    // A chunk without words is stored without a keyword vector.
    expect(Object.keys(bodies[1]?.points[0]?.vector ?? {})).toEqual(['dense']);
  });

  it('checks every point before the first request, so a bad point in a later batch sends nothing', async () => {
    const { store, replay } = await replayStore([existingCollection], { upsertBatchSize: 1 });
    const good = point('d1', 0, 'text');
    const bad = { ...point('d2', 0, 'text'), vector: new Float32Array(3) };
    await expect(store.upsert(contractFeatureSet.id, [good, bad])).rejects.toThrow(
      /3 dimensions, expected 8/,
    );
    const broken = { ...point('d3', 0, 'text'), payload: { platform: 'myspace' } } as unknown as VectorPoint;
    await expect(store.upsert(contractFeatureSet.id, [good, broken])).rejects.toThrow(ValidationError);
    // Qdrant would refuse these ids with a 400, or (a UUID in capitals) store one it answers in another form.
    for (const id of [
      'd4-0',
      'A1000000-0000-5000-8000-000000000000',
      '{a1000000-0000-5000-8000-000000000000}',
      '007',
    ]) {
      await expect(store.upsert(contractFeatureSet.id, [good, { ...good, id }])).rejects.toThrow(
        `point id "${id}" is neither an unsigned integer nor a UUID in lowercase with hyphens`,
      );
    }
    await expect(
      store.upsert(contractFeatureSet.id, [good, { ...good, id: '9007199254740993' }]),
    ).rejects.toThrow('point id 9007199254740993 is above 2^53 − 1');
    expect(replay.requests.map((request) => request.method)).toEqual(['GET']);
  });

  it('sends an integer id as a JSON number, the only form of it Qdrant takes', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      { method: 'PUT', path: `${collectionPath}/points`, replies: [{ fixture: 'update-completed.json' }] },
    ]);
    await store.upsert(contractFeatureSet.id, [{ ...point('d1', 0, 'text'), id: '42' }]);
    const body = replay.requests.at(-1)?.body as Schemas['PointsList'];
    expect(body.points.map((sent) => sent.id)).toEqual([42]);
  });

  it('splits upserts by body size as well as by count, measured as the client sends them', async () => {
    const points = ['d1', 'd2', 'd3'].map((documentId) => point(documentId, 0, `Text of ${documentId}.`));
    const asSent = points.map((each) => toQdrantPoint(each, dimensions));
    // Exactly two points' body: the limit is inclusive.
    const twoPoints = Buffer.byteLength(JSON.stringify({ points: asSent.slice(0, 2) }));
    const routes: Route[] = [
      existingCollection,
      { method: 'PUT', path: `${collectionPath}/points`, replies: [{ fixture: 'update-completed.json' }] },
    ];
    const sentBodies = (recorded: QdrantReplay) =>
      recorded.requests
        .filter((request) => request.method === 'PUT')
        .map((request) => request.body as Schemas['PointsList']);

    const fits = await replayStore(routes, { upsertBatchSize: 100, maxRequestBytes: twoPoints });
    await fits.store.upsert(contractFeatureSet.id, points);
    const bodies = sentBodies(fits.replay);
    expect(bodies.map((body) => body.points.map((sent) => sent.id))).toEqual([
      [points[0]?.id, points[1]?.id],
      [points[2]?.id],
    ]);
    expect(Buffer.byteLength(JSON.stringify(bodies[0]))).toBe(twoPoints);
    await fits.replay.close();

    const tighter = await replayStore(routes, { upsertBatchSize: 100, maxRequestBytes: twoPoints - 1 });
    await tighter.store.upsert(contractFeatureSet.id, points);
    expect(sentBodies(tighter.replay).map((body) => body.points.length)).toEqual([1, 1, 1]);
  });

  it('refuses a point too big for one request before sending anything', async () => {
    const { store, replay } = await replayStore([existingCollection], { maxRequestBytes: 1024 });
    const large = point('d9', 0, 'word '.repeat(400));
    await expect(store.upsert(contractFeatureSet.id, [point('d1', 0, 'short'), large])).rejects.toThrow(
      new RegExp(
        `^point ${large.id} takes \\d+ bytes of JSON in an upsert request, more than the 1024 Qdrant accepts$`,
      ),
    );
    expect(replay.requests.map((request) => request.method)).toEqual(['GET']);
  });

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

  it('switches the serving alias atomically: delete and create in one request', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      { method: 'GET', path: '/aliases', replies: [{ fixture: 'aliases.json' }] },
      { method: 'POST', path: '/collections/aliases', replies: [{ fixture: 'result-true.json' }] },
    ]);
    expect(await store.servingFeatureSet()).toBe('fs_00000000aaaa');
    await store.setServingFeatureSet(contractFeatureSet.id);
    const update: Schemas['ChangeAliasesOperation'] = {
      actions: [
        { delete_alias: { alias_name: 'llmtwin_serving' } },
        { create_alias: { collection_name: collection, alias_name: 'llmtwin_serving' } },
      ],
    };
    const updates = replay.requests.filter((request) => request.path === '/collections/aliases');
    expect(updates.map((request) => request.body)).toEqual([update]);
  });

  it('checks the target afresh before switching: a collection another process dropped is refused, the alias untouched', async () => {
    const { store, replay } = await replayStore([
      {
        method: 'GET',
        path: collectionPath,
        replies: [{ fixture: 'collection-info.json' }, { status: 404, fixture: 'collection-not-found.json' }],
      },
      { method: 'GET', path: '/aliases', replies: [{ fixture: 'aliases.json' }] },
    ]);
    // This process still knows the collection's size from before it was dropped.
    await store.ensureCollection(contractFeatureSet);
    const error = await store.setServingFeatureSet(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(`no vector collection for feature set ${contractFeatureSet.id}`);
    expect(replay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET ${collectionPath}`,
      `GET ${collectionPath}`,
    ]);
  });

  it('puts the old alias back when Qdrant saved the delete and refused the create (target dropped in between)', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'GET',
        path: '/aliases',
        // Before the switch, then after it: Qdrant saved `delete_alias` before refusing `create_alias`.
        replies: [{ fixture: 'aliases.json' }, { fixture: 'aliases-empty.json' }],
      },
      {
        method: 'POST',
        path: '/collections/aliases',
        replies: [{ status: 404, fixture: 'collection-not-found.json' }, { fixture: 'result-true.json' }],
      },
    ]);
    const error = await store.setServingFeatureSet(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} refused point alias llmtwin_serving at ${collection} (HTTP 404): Not found: Collection \`${collection}\` doesn't exist!; serving alias llmtwin_serving was put back on llmtwin_fs_00000000aaaa`,
    );
    const switchAndRestore: Schemas['ChangeAliasesOperation'][] = [
      {
        actions: [
          { delete_alias: { alias_name: 'llmtwin_serving' } },
          { create_alias: { collection_name: collection, alias_name: 'llmtwin_serving' } },
        ],
      },
      {
        actions: [
          { create_alias: { collection_name: 'llmtwin_fs_00000000aaaa', alias_name: 'llmtwin_serving' } },
        ],
      },
    ];
    expect(replay.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET ${collectionPath}`,
      'GET /aliases',
      'POST /collections/aliases',
      'GET /aliases',
      'POST /collections/aliases',
    ]);
    const updates = replay.requests.filter((request) => request.path === '/collections/aliases');
    expect(updates.map((request) => request.body)).toEqual(switchAndRestore);
  });

  it('says so when the alias is gone and putting it back failed too', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'GET',
        path: '/aliases',
        replies: [{ fixture: 'aliases.json' }, { fixture: 'aliases-empty.json' }],
      },
      {
        method: 'POST',
        path: '/collections/aliases',
        replies: [
          { status: 404, fixture: 'collection-not-found.json' },
          { status: 500, fixture: 'internal-error.json' },
        ],
      },
    ]);
    const error = await store.setServingFeatureSet(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^serving alias llmtwin_serving is gone: .*refused point alias llmtwin_serving at ${collection} \\(HTTP 404\\).*; putting it back on llmtwin_fs_00000000aaaa failed too: Qdrant at ${replay.url} refused restore alias llmtwin_serving to llmtwin_fs_00000000aaaa \\(HTTP 500\\): Service internal error`,
      ),
    );
  });

  it('takes a switch whose answer was lost but which went through as done', async () => {
    const { store, replay } = await replayStore(
      [
        existingCollection,
        {
          method: 'GET',
          path: '/aliases',
          replies: [{ fixture: 'aliases.json' }, { fixture: 'aliases-switched.json' }],
        },
        { method: 'POST', path: '/collections/aliases', replies: [{ hang: true }] },
      ],
      { timeoutMs: 150 },
    );
    await store.setServingFeatureSet(contractFeatureSet.id);
    expect(await store.servingFeatureSet()).toBe(contractFeatureSet.id);
    // No second update: nothing needed putting back.
    expect(replay.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('creates the serving alias when there is none yet', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      { method: 'GET', path: '/aliases', replies: [{ fixture: 'aliases-empty.json' }] },
      { method: 'POST', path: '/collections/aliases', replies: [{ fixture: 'result-true.json' }] },
    ]);
    expect(await store.servingFeatureSet()).toBeNull();
    await store.setServingFeatureSet(contractFeatureSet.id);
    expect(replay.requests.at(-1)?.body).toEqual({
      actions: [{ create_alias: { collection_name: collection, alias_name: 'llmtwin_serving' } }],
    });
  });

  it('maps a 404 to NotFoundError naming the feature set, and refuses an alias to it', async () => {
    const unknown = `/collections/${prefix}fs_ffffffffffff`;
    const { store, replay } = await replayStore([
      {
        method: 'GET',
        path: unknown,
        replies: [{ status: 404, fixture: 'unknown-collection-not-found.json' }],
      },
      // Qdrant 1.18 answers 200 `result: false` for dropping a collection that does not exist.
      { method: 'DELETE', path: unknown, replies: [{ fixture: 'result-false.json' }] },
    ]);
    const query = new Float32Array(dimensions).fill(0.5);
    await expect(store.search('fs_ffffffffffff', query, { k: 1 })).rejects.toThrow(NotFoundError);
    await expect(store.keywordSearch('fs_ffffffffffff', 'rollback', { k: 1 })).rejects.toThrow(
      /fs_ffffffffffff/,
    );
    await expect(store.setServingFeatureSet('fs_ffffffffffff')).rejects.toThrow(NotFoundError);
    expect(await store.count('fs_ffffffffffff')).toBe(0);
    expect(await store.listDocumentPoints('fs_ffffffffffff', 'd1')).toEqual([]);
    expect(await store.deleteByDocument('fs_ffffffffffff', 'd1')).toBe(0);
    await store.dropCollection('fs_ffffffffffff');
    expect(replay.requests.every((request) => request.path === unknown)).toBe(true);
    expect(replay.requests.at(-1)?.method).toBe('DELETE');
  });

  it('turns a 400 into a ValidationError carrying Qdrant’s message', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points`,
        replies: [{ status: 400, fixture: 'bad-request.json' }],
      },
    ]);
    const failure = store.getVector(contractFeatureSet.id, 'not-a-point-id');
    await expect(failure).rejects.toThrow(ValidationError);
    await expect(store.getVector(contractFeatureSet.id, 'not-a-point-id')).rejects.toThrow(
      /refused get point not-a-point-id .*\(HTTP 400\): Format error in JSON body: value not-a-point-id is not a valid point ID, valid values are either an unsigned integer or a UUID/,
    );
    // The column Qdrant names is where the id ends in the body the client sent.
    const body = JSON.stringify(replay.requests.at(-1)?.body);
    expect(body.indexOf('not-a-point-id"') + 'not-a-point-id"'.length).toBe(24);
  });

  it('turns 5xx answers into retryable ServiceErrors naming the server', async () => {
    const { store, replay } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/count`,
        replies: [{ status: 500, fixture: 'internal-error.json' }],
      },
      {
        method: 'POST',
        path: `${collectionPath}/points/query`,
        replies: [{ status: 503, text: 'upstream connect error or disconnect/reset before headers' }],
      },
    ]);
    const counted = await store.count(contractFeatureSet.id).catch((error: unknown) => error);
    expect(counted).toBeInstanceOf(ServiceError);
    expect((counted as ServiceError).retryable).toBe(true);
    expect((counted as Error).message).toContain(`Qdrant at ${replay.url} refused count`);
    expect((counted as Error).message).toContain('1 of 1 read operations failed');
    const searched = await store
      .keywordSearch(contractFeatureSet.id, 'rollback', { k: 1 })
      .catch((error: unknown) => error);
    expect(searched).toBeInstanceOf(ServiceError);
    expect((searched as Error).message).toMatch(/HTTP 503.*upstream connect error/);
  });

  it('turns Qdrant’s own timeout (408) into a retryable ServiceError, not a refusal', async () => {
    const { store, replay, sleeps } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/query`,
        replies: [{ status: 408, fixture: 'server-timeout.json' }],
      },
    ]);
    const query = new Float32Array(dimensions).fill(0.5);
    const error = await store
      .search(contractFeatureSet.id, query, { k: 1 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} timed out on search ${collection} (HTTP 408): Timeout: Timeout error: Operation 'Search' timed out after 5s`,
    );
    // Only a rate limit is retried here; the caller's queue owns other retries.
    expect(sleeps).toEqual([]);
  });

  it('waits as long as a 429’s Retry-After asks, then sends the same request again', async () => {
    const { store, replay, sleeps } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/count`,
        replies: [
          { status: 429, fixture: 'rate-limited.json', headers: { 'retry-after': '1' } },
          { status: 429, fixture: 'rate-limited.json', headers: { 'retry-after': '0' } },
          { fixture: 'count.json' },
        ],
      },
    ]);
    expect(await store.count(contractFeatureSet.id, { authorId: 'ada' })).toBe(2);
    expect(sleeps).toEqual([1000, 0]);
    const counts = replay.requests.filter((request) => request.path.endsWith('/points/count'));
    expect(counts.map((request) => request.body)).toEqual(
      Array.from({ length: 3 }, () => ({
        exact: true,
        filter: { must: [{ key: 'authorId', match: { value: 'ada' } }] },
      })),
    );
  });

  it('gives up on a rate limit after three attempts, or at once past the longest wait, retryable either way', async () => {
    const rateLimited: Route = {
      method: 'POST',
      path: `${collectionPath}/points/count`,
      replies: [{ status: 429, fixture: 'rate-limited.json', headers: { 'retry-after': '2' } }],
    };
    const { store, replay, sleeps } = await replayStore([existingCollection, rateLimited]);
    const error = await store.count(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} is rate-limiting count ${collection} (HTTP 429) and asked to retry after 2 s; still refused after 3 attempts`,
    );
    expect(sleeps).toEqual([2000, 2000]);
    expect(replay.requests.filter((request) => request.path === rateLimited.path)).toHaveLength(3);

    await replay.close();
    const impatient = await replayStore([existingCollection, rateLimited], { maxRetryWaitMs: 1500 });
    const refused = await impatient.store.count(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect((refused as ServiceError).retryable).toBe(true);
    expect((refused as Error).message).toMatch(
      /asked to retry after 2 s; longer than the 1500 ms this store waits, so it did not try again$/,
    );
    expect(impatient.sleeps).toEqual([]);
    expect(impatient.replay.requests.filter((request) => request.path === rateLimited.path)).toHaveLength(1);
  });

  it('does not retry a 429 without Retry-After: Qdrant sends that for a request over its rate limit’s capacity', async () => {
    const { store, replay, sleeps } = await replayStore([
      existingCollection,
      {
        method: 'PUT',
        path: `${collectionPath}/points`,
        replies: [{ status: 429, fixture: 'rate-limit-over-capacity.json' }],
      },
    ]);
    const error = await store
      .upsert(contractFeatureSet.id, [point('d1', 0, 'text')])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(false);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} refused upsert 1 points into ${collection} (HTTP 429): Rate limiting exceeded: Write rate limit exceeded, request larger than rate limiter capacity, please try to split your request (no Retry-After: the request can never fit the rate limit)`,
    );
    expect(sleeps).toEqual([]);
  });

  it('reads a 429 whose Retry-After is an HTTP date as a rate limit, not as an unreachable server', async () => {
    const { store, replay, sleeps } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/count`,
        replies: [
          {
            status: 429,
            fixture: 'rate-limited.json',
            headers: { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' },
          },
        ],
      },
    ]);
    const error = await store.count(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Qdrant at ${replay.url} is rate-limiting count ${collection} \\(HTTP 429\\) with a Retry-After that is not a number of seconds`,
      ),
    );
    expect(sleeps).toEqual([]);
  });

  it('turns an answer of the wrong shape into a ServiceError', async () => {
    const { store } = await replayStore([
      existingCollection,
      {
        method: 'POST',
        path: `${collectionPath}/points/count`,
        replies: [{ fixture: 'malformed-count.json' }],
      },
    ]);
    await expect(store.count(contractFeatureSet.id)).rejects.toThrow(/unexpected result/);
  });

  it('turns a server that does not answer in time into a retryable ServiceError', async () => {
    const { store, replay } = await replayStore(
      [
        existingCollection,
        { method: 'POST', path: `${collectionPath}/points/count`, replies: [{ hang: true }] },
      ],
      { timeoutMs: 150 },
    );
    const error = await store.count(contractFeatureSet.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as Error).message).toBe(
      `Qdrant at ${replay.url} did not answer count ${collection} within 150 ms`,
    );
  });

  it('turns an unreachable server into a ServiceError naming the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const store = new QdrantVectorStore({
      url,
      apiKey: null,
      collectionPrefix: prefix,
      timeoutMs: 2000,
      upsertBatchSize: 10,
    });
    const error = await store.ensureCollection(contractFeatureSet).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as Error).message).toBe(
      `cannot reach Qdrant at ${url} for read collection ${collection}: ECONNREFUSED`,
    );
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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
