import type { Schemas } from '@qdrant/js-client-rest';
import { afterEach, describe, expect, it } from 'vitest';
import { contractFeatureSet } from '../../contracts/vector-store-contract.ts';
import { NotFoundError, ServiceError, ValidationError } from '../../errors.ts';
import type { Route } from './__fixtures__/qdrant-replay-server.ts';
import {
  closeReplays,
  collection,
  collectionPath,
  dimensions,
  existingCollection,
  featureSetOfSize,
  point,
  replayStore,
} from './__fixtures__/replay-store.ts';

afterEach(closeReplays);

describe('QdrantVectorStore collections: creation, settings checks and the cached settings', () => {
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
    const wider = featureSetOfSize(16);
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
    const wider = featureSetOfSize(16);
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
    const huge = featureSetOfSize(65537);
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
});
