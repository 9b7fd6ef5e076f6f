import { randomUUID } from 'node:crypto';
import { contractFeatureSet } from '../../../contracts/vector-store-contract.ts';
import type { VectorPoint } from '../../../ports/vector-store.ts';
import type { FeatureSet } from '../../../types/feature-set.ts';
import { QdrantVectorStore } from '../qdrant-vector-store.ts';
import { type QdrantReplay, type Route, startQdrantReplay } from './qdrant-replay-server.ts';

export const prefix = 'llmtwin_';
/** The collection of the contract's feature set, which the replayed answers describe. */
export const collection = `${prefix}${contractFeatureSet.id}`;
export const collectionPath = `/collections/${collection}`;
export const dimensions = contractFeatureSet.spec.embedder.dimensions;

/** The route every test with an existing, indexed collection needs. */
export const existingCollection: Route = {
  method: 'GET',
  path: collectionPath,
  replies: [{ fixture: 'collection-info.json' }],
};

const open: QdrantReplay[] = [];

/** Closes every replay server `replayStore` started; each test file runs it `afterEach`. */
export async function closeReplays(): Promise<void> {
  const closing = open.splice(0);
  await Promise.all(closing.map((replay) => replay.close()));
}

/** A store talking to a replay server that answers `routes`, and the waits it would have slept. */
export async function replayStore(
  routes: Route[],
  options: {
    upsertBatchSize?: number;
    timeoutMs?: number;
    apiKey?: string;
    maxRetryWaitMs?: number;
    maxRequestBytes?: number;
  } = {},
) {
  const replay = await startQdrantReplay(routes);
  open.push(replay);
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

/** The contract's feature set with an embedder of another size, as another spec would have. */
export function featureSetOfSize(size: number): FeatureSet {
  const embedder = { id: `test-embedder-${size}`, dimensions: size };
  return { ...contractFeatureSet, spec: { ...contractFeatureSet.spec, embedder } };
}

/** A point of the contract's feature set whose dense vector is 1 at `chunkIndex`, 0 elsewhere. */
export function point(documentId: string, chunkIndex: number, text: string): VectorPoint {
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
