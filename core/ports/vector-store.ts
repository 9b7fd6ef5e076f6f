import type { Category, Platform } from '../types/category.ts';
import type { ChunkPayload } from '../types/chunk.ts';
import type { FeatureSet } from '../types/feature-set.ts';

export type VectorPoint = { id: string; vector: Float32Array; payload: ChunkPayload };

/** Payload filter; every given field must match (AND). Arrays mean "any of". */
export type VectorFilter = {
  authorId?: string | string[];
  platform?: Platform | Platform[];
  category?: Category | Category[];
  documentId?: string | string[];
};

export type VectorHit = { id: string; score: number; payload: ChunkPayload };

/**
 * Stores the feature set's vectors: one collection per feature set, sized by its embedder.
 * Scores are cosine similarities in [-1, 1], best first.
 */
export interface VectorStore {
  ensureCollection(featureSet: FeatureSet): Promise<void>;
  upsert(featureSetId: string, points: readonly VectorPoint[]): Promise<void>;
  deleteByDocument(featureSetId: string, documentId: string): Promise<number>;
  search(
    featureSetId: string,
    vector: Float32Array,
    options: { k: number; filter?: VectorFilter },
  ): Promise<VectorHit[]>;
  /**
   * Keyword (BM25) search over the stored chunk texts, with the same filters; scores are relevance
   * (higher is better) and only comparable within one result list. For hybrid retrieval.
   */
  keywordSearch(
    featureSetId: string,
    query: string,
    options: { k: number; filter?: VectorFilter },
  ): Promise<VectorHit[]>;
  count(featureSetId: string, filter?: VectorFilter): Promise<number>;
  /** Point ids of one document, in chunk order. */
  listDocumentPoints(featureSetId: string, documentId: string): Promise<string[]>;
  /** Stored vector of a point, or null. */
  getVector(featureSetId: string, id: string): Promise<Float32Array | null>;
  dropCollection(featureSetId: string): Promise<void>;
  /**
   * Points the serving alias at a feature set's collection (NotFoundError if it has none): one
   * atomic switch, moved together with the model registry's production alias. Dropping the
   * collection it points at clears it.
   */
  setServingFeatureSet(featureSetId: string): Promise<void>;
  /** The feature set the serving alias points at, or null when it is not set. */
  servingFeatureSet(): Promise<string | null>;
  close(): Promise<void>;
}
