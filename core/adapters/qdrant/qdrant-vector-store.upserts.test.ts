import type { Schemas } from '@qdrant/js-client-rest';
import { afterEach, describe, expect, it } from 'vitest';
import { contractFeatureSet } from '../../contracts/vector-store-contract.ts';
import { ValidationError } from '../../errors.ts';
import type { VectorPoint } from '../../ports/vector-store.ts';
import type { QdrantReplay, Route } from './__fixtures__/qdrant-replay-server.ts';
import {
  closeReplays,
  collectionPath,
  dimensions,
  existingCollection,
  point,
  replayStore,
} from './__fixtures__/replay-store.ts';
import { toQdrantPoint } from './qdrant-point.ts';
import { documentSparseVector, querySparseVector } from './sparse-terms.ts';

afterEach(closeReplays);

describe('QdrantVectorStore upserts: point checks and batching', () => {
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
});
