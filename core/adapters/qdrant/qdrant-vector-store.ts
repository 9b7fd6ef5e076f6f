import { QdrantClient } from '@qdrant/js-client-rest';
import { NotFoundError, ServiceError, ValidationError } from '../../errors.ts';
import type { VectorFilter, VectorHit, VectorPoint, VectorStore } from '../../ports/vector-store.ts';
import type { FeatureSet } from '../../types/feature-set.ts';
import { collectionMismatches, denseVector } from './collection-mismatches.ts';
import { isCollectionAlreadyExists, withNote } from './qdrant-errors.ts';
import { documentFilter, payloadKeys, type QdrantFilter, toQdrantFilter } from './qdrant-filter.ts';
import { denseVectorName, keywordVectorName, toQdrantPoint } from './qdrant-point.ts';
import { toQdrantPointId } from './qdrant-point-id.ts';
import { QdrantRequests, type QdrantRequestsOptions } from './qdrant-requests.ts';
import {
  CollectionInfo,
  CountResult,
  DropResult,
  RetrievedVectors,
  ScoredPoints,
  ScrollPage,
} from './qdrant-responses.ts';
import { ServingAlias } from './serving-alias.ts';
import { querySparseVector } from './sparse-terms.ts';
import { defaultMaxRequestBytes, upsertBatches } from './upsert-batches.ts';

export type QdrantVectorStoreOptions = {
  url: string;
  apiKey: string | null;
  /** Collections are `<prefix><feature set id>`; the serving alias is `<prefix>serving`. */
  collectionPrefix: string;
  timeoutMs: number;
  /** Points per upsert request, at most: fewer when they would exceed `maxRequestBytes`. */
  upsertBatchSize: number;
  /** The largest request body the server accepts, its `service.max_request_size_mb` (32 MiB by default). */
  maxRequestBytes?: number;
  /** Injected in tests; built from url/apiKey/timeoutMs otherwise. */
  client?: QdrantClient;
} & QdrantRequestsOptions;

/** Points per scroll page when listing a document's chunks. */
const scrollPageSize = 256;

/**
 * The scale-out vector store on Qdrant: one collection per feature set with a named dense vector
 * (cosine, sized by the feature set's embedder) and a named sparse vector of BM25 term weights
 * (Qdrant applies IDF, `modifier: idf`) for keyword search; keyword payload indexes on the filter
 * fields; and a `<prefix>serving` collection alias for the feature set production serves. A
 * collection of the same name set up otherwise (another distance, no IDF, other vector names or
 * index types) is refused by name rather than used: its scores would differ without an error.
 */
export class QdrantVectorStore implements VectorStore {
  private readonly client: QdrantClient;
  private readonly requests: QdrantRequests;
  private readonly serving: ServingAlias;
  private readonly dimensions = new Map<string, number>();

  constructor(private readonly options: QdrantVectorStoreOptions) {
    this.client =
      options.client ??
      new QdrantClient({
        url: options.url,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        timeout: options.timeoutMs,
        // The version check is a fire-and-forget request that only logs; skip it.
        checkCompatibility: false,
      });
    this.requests = new QdrantRequests(options);
    this.serving = new ServingAlias(this.client, this.requests, `${options.collectionPrefix}serving`);
  }

  async ensureCollection(featureSet: FeatureSet): Promise<void> {
    const name = this.collectionName(featureSet.id);
    const size = featureSet.spec.embedder.dimensions;
    const info = (await this.collectionInfo(name)) ?? (await this.createCollection(name, size));
    this.checkSettings(name, info, size);
    // Created one by one and checked each time, so an interrupted creation heals on the next call.
    for (const key of payloadKeys) {
      if (info.payload_schema?.[key]) continue;
      await this.requests.call(`create payload index ${key} on ${name}`, () =>
        this.client.createPayloadIndex(name, { field_name: key, field_schema: 'keyword', wait: true }),
      );
    }
    this.dimensions.set(featureSet.id, size);
  }

  async upsert(featureSetId: string, points: readonly VectorPoint[]): Promise<void> {
    const name = this.collectionName(featureSetId);
    const dimensions = await this.requireCollection(featureSetId);
    // Every point is checked and every request sized before the first is sent, so input Qdrant
    // would refuse writes nothing. A server failure between two requests still leaves the earlier
    // ones written; an upsert replaces points by id, so sending the same points again is safe.
    const batches = upsertBatches(
      points.map((point) => toQdrantPoint(point, dimensions)),
      {
        maxPoints: this.options.upsertBatchSize,
        maxBytes: this.options.maxRequestBytes ?? defaultMaxRequestBytes,
      },
    );
    for (const batch of batches) {
      await this.onCachedCollection(featureSetId, () =>
        this.requests.call(`upsert ${batch.length} points into ${name}`, () =>
          this.client.upsert(name, { wait: true, points: batch }),
        ),
      );
    }
  }

  async deleteByDocument(featureSetId: string, documentId: string): Promise<number> {
    const name = this.collectionName(featureSetId);
    if ((await this.collectionInfo(name)) === null) return 0;
    const filter = documentFilter(documentId);
    // Qdrant's delete does not say how many points it removed, so count them first.
    const removed = await this.countWhere(name, filter);
    if (removed === 0) return 0;
    await this.requests.call(`delete document ${documentId} from ${name}`, () =>
      this.client.delete(name, { wait: true, filter }),
    );
    return removed;
  }

  async search(
    featureSetId: string,
    vector: Float32Array,
    options: { k: number; filter?: VectorFilter },
  ): Promise<VectorHit[]> {
    const name = this.collectionName(featureSetId);
    const dimensions = await this.requireCollection(featureSetId);
    if (vector.length !== dimensions) {
      throw new ValidationError(
        `query has ${vector.length} dimensions, collection ${featureSetId} has ${dimensions}`,
      );
    }
    assertK(options.k);
    const filter = toQdrantFilter(options.filter);
    if (filter === null) return [];
    const result = await this.onCachedCollection(featureSetId, () =>
      this.requests.read(`search ${name}`, ScoredPoints, () =>
        this.client.query(name, {
          query: Array.from(vector),
          using: denseVectorName,
          limit: options.k,
          with_payload: true,
          ...(filter ? { filter } : {}),
        }),
      ),
    );
    return result.points;
  }

  async keywordSearch(
    featureSetId: string,
    query: string,
    options: { k: number; filter?: VectorFilter },
  ): Promise<VectorHit[]> {
    const name = this.collectionName(featureSetId);
    await this.requireCollection(featureSetId);
    assertK(options.k);
    const sparse = querySparseVector(query);
    const filter = toQdrantFilter(options.filter);
    if (sparse === null || filter === null) return [];
    const result = await this.onCachedCollection(featureSetId, () =>
      this.requests.read(`keyword search ${name}`, ScoredPoints, () =>
        this.client.query(name, {
          query: sparse,
          using: keywordVectorName,
          limit: options.k,
          with_payload: true,
          ...(filter ? { filter } : {}),
        }),
      ),
    );
    return result.points.filter((hit) => hit.score > 0);
  }

  async count(featureSetId: string, filter?: VectorFilter): Promise<number> {
    const name = this.collectionName(featureSetId);
    if ((await this.collectionInfo(name)) === null) return 0;
    const qdrantFilter = toQdrantFilter(filter);
    if (qdrantFilter === null) return 0;
    return this.countWhere(name, qdrantFilter);
  }

  async listDocumentPoints(featureSetId: string, documentId: string): Promise<string[]> {
    const name = this.collectionName(featureSetId);
    if ((await this.collectionInfo(name)) === null) return [];
    const filter = documentFilter(documentId);
    const points: { id: string; chunkIndex: number }[] = [];
    let offset: string | number | null | undefined;
    do {
      const pageOffset = offset;
      const page = await this.requests.read(`list document ${documentId} in ${name}`, ScrollPage, () =>
        this.client.scroll(name, {
          filter,
          limit: scrollPageSize,
          with_payload: ['chunkIndex'],
          with_vector: false,
          ...(pageOffset !== undefined && pageOffset !== null ? { offset: pageOffset } : {}),
        }),
      );
      for (const point of page.points) points.push({ id: point.id, chunkIndex: point.payload.chunkIndex });
      offset = page.next_page_offset;
    } while (offset !== undefined && offset !== null);
    // Sorted here rather than with `order_by`, which would need a range index on chunkIndex.
    return points.sort((left, right) => left.chunkIndex - right.chunkIndex).map((point) => point.id);
  }

  async getVector(featureSetId: string, id: string): Promise<Float32Array | null> {
    const name = this.collectionName(featureSetId);
    if ((await this.collectionInfo(name)) === null) return null;
    const [point] = await this.requests.read(`get point ${id} from ${name}`, RetrievedVectors, () =>
      this.client.retrieve(name, {
        ids: [toQdrantPointId(id)],
        with_payload: false,
        with_vector: [denseVectorName],
      }),
    );
    const vector = point?.vector?.[denseVectorName];
    if (vector === undefined) return null;
    if (!Array.isArray(vector) || !vector.every((value) => typeof value === 'number')) {
      throw new ServiceError(`Qdrant at ${this.options.url} answered point ${id} without a dense vector`);
    }
    return Float32Array.from(vector);
  }

  async dropCollection(featureSetId: string): Promise<void> {
    const name = this.collectionName(featureSetId);
    // Qdrant drops the collection's aliases with it, the serving alias included, and answers
    // `result: false` (not 404) when there was no such collection: either way it is gone.
    await this.requests.read(`drop collection ${name}`, DropResult, () => this.client.deleteCollection(name));
    this.dimensions.delete(featureSetId);
  }

  async setServingFeatureSet(featureSetId: string): Promise<void> {
    const name = this.collectionName(featureSetId);
    // Read afresh, not from the cache: another process may have dropped it, and Qdrant would then
    // save the alias's deletion before refusing to create it on a collection that is gone.
    await this.loadCollection(featureSetId);
    await this.serving.pointAt(name);
  }

  async servingFeatureSet(): Promise<string | null> {
    const collection = await this.serving.collection();
    if (collection === null || !collection.startsWith(this.options.collectionPrefix)) return null;
    return collection.slice(this.options.collectionPrefix.length);
  }

  async close(): Promise<void> {
    // The client keeps no state that needs closing; its pooled connections time out on their own.
  }

  /**
   * Creates the collection and reads it back. When another process created it first, theirs is
   * read instead, for the caller to check its settings; any other refusal is thrown as it is.
   */
  private async createCollection(name: string, size: number): Promise<CollectionInfo> {
    try {
      await this.requests.call(`create collection ${name}`, () =>
        this.client.createCollection(name, {
          vectors: { [denseVectorName]: { size, distance: 'Cosine' } },
          sparse_vectors: { [keywordVectorName]: { modifier: 'idf' } },
        }),
      );
    } catch (error) {
      if (!isCollectionAlreadyExists(error, name)) throw error;
    }
    const info = await this.collectionInfo(name);
    if (!info) {
      throw new ServiceError(
        `Qdrant at ${this.options.url} has no collection ${name} right after it was created (by this store or another at the same time): something dropped it in between`,
        { retryable: true },
      );
    }
    return info;
  }

  private async countWhere(name: string, filter: QdrantFilter | undefined): Promise<number> {
    const result = await this.requests.read(`count ${name}`, CountResult, () =>
      this.client.count(name, { exact: true, ...(filter ? { filter } : {}) }),
    );
    return result.count;
  }

  /** The collection's description, or null when it does not exist. */
  private async collectionInfo(name: string): Promise<CollectionInfo | null> {
    try {
      return await this.requests.read(`read collection ${name}`, CollectionInfo, () =>
        this.client.getCollection(name),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  private async requireCollection(featureSetId: string): Promise<number> {
    return this.dimensions.get(featureSetId) ?? this.loadCollection(featureSetId);
  }

  /**
   * A request on a collection whose settings came from the cache. A 404 means another process
   * dropped the collection since: its entry goes, so the next call reads the collection afresh.
   */
  private async onCachedCollection<T>(featureSetId: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      this.dimensions.delete(featureSetId);
      throw withNote(
        error,
        `collection ${this.collectionName(featureSetId)} is gone: another process dropped it after this store read its settings`,
      );
    }
  }

  /** Reads the collection afresh, checks its settings and caches its size. */
  private async loadCollection(featureSetId: string): Promise<number> {
    const name = this.collectionName(featureSetId);
    const info = await this.collectionInfo(name);
    if (info === null) {
      this.dimensions.delete(featureSetId);
      throw new NotFoundError(`no vector collection for feature set ${featureSetId}`);
    }
    const size = this.checkSettings(name, info, null);
    this.dimensions.set(featureSetId, size);
    return size;
  }

  /** The collection's dense size; a ValidationError naming every setting that differs from ours. */
  private checkSettings(name: string, info: CollectionInfo, expectedSize: number | null): number {
    const mismatches = collectionMismatches(info, expectedSize);
    const dense = denseVector(info);
    if (!dense || mismatches.length > 0) {
      throw new ValidationError(
        `collection ${name} is not set up the way this store creates collections, so its scores or filters would differ: ${mismatches.join('; ')}`,
      );
    }
    return dense.size;
  }

  private collectionName(featureSetId: string): string {
    if (!/^fs_[0-9a-f]{12}$/.test(featureSetId))
      throw new ValidationError(`invalid feature set id ${featureSetId}`);
    return `${this.options.collectionPrefix}${featureSetId}`;
  }
}

function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > 4096) {
    throw new ValidationError(`k must be an integer from 1 to 4096, got ${k}`);
  }
}
