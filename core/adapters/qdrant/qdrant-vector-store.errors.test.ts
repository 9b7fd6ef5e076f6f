import { afterEach, describe, expect, it } from 'vitest';
import { contractFeatureSet } from '../../contracts/vector-store-contract.ts';
import { NotFoundError, ServiceError, ValidationError } from '../../errors.ts';
import { closedPortUrl } from '../../http/__fixtures__/closed-port-url.ts';
import type { Route } from './__fixtures__/qdrant-replay-server.ts';
import {
  closeReplays,
  collection,
  collectionPath,
  dimensions,
  existingCollection,
  point,
  prefix,
  replayStore,
} from './__fixtures__/replay-store.ts';
import { QdrantVectorStore } from './qdrant-vector-store.ts';

afterEach(closeReplays);

describe('QdrantVectorStore errors: how each failure is classified, and rate limits retried', () => {
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
    const url = await closedPortUrl();
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
