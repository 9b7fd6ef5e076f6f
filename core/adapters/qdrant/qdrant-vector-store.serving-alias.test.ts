import type { Schemas } from '@qdrant/js-client-rest';
import { afterEach, describe, expect, it } from 'vitest';
import { contractFeatureSet } from '../../contracts/vector-store-contract.ts';
import { NotFoundError, ServiceError } from '../../errors.ts';
import {
  closeReplays,
  collection,
  collectionPath,
  existingCollection,
  replayStore,
} from './__fixtures__/replay-store.ts';

afterEach(closeReplays);

describe('QdrantVectorStore serving alias: switching, checking and putting it back', () => {
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
});
