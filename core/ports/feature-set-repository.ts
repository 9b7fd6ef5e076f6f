import type { Category, Platform } from '../types/category.ts';
import type { CleanedDocument } from '../types/cleaned-document.ts';
import type { FeatureSet, FeatureSetStats } from '../types/feature-set.ts';

/** What a feature set holds for one document: enough to know whether it is up to date. */
export type ProcessedDocument = {
  documentId: string;
  sourceHash: string;
  chunkCount: number;
  processedAt: string;
};

export type CleanedDocumentFilter = {
  authorId?: string;
  platform?: Platform;
  category?: Category;
  ids?: string[];
};

/** Feature sets, and per feature set the cleaned documents the training pipeline reads. */
export interface FeatureSetRepository {
  /** Idempotent: registering an existing spec returns the stored feature set. */
  register(featureSet: FeatureSet): Promise<FeatureSet>;
  get(id: string): Promise<FeatureSet | null>;
  list(): Promise<FeatureSetStats[]>;
  getProcessed(featureSetId: string, documentId: string): Promise<ProcessedDocument | null>;
  /** Stores the cleaned text and marks the document processed with its chunk count. */
  saveCleaned(document: CleanedDocument, chunkCount: number): Promise<void>;
  getCleaned(featureSetId: string, documentId: string): Promise<CleanedDocument | null>;
  listCleaned(featureSetId: string, filter?: CleanedDocumentFilter): Promise<CleanedDocument[]>;
  /** Forgets a document in one feature set, or in all of them when `featureSetId` is null. */
  removeDocument(featureSetId: string | null, documentId: string): Promise<void>;
  /** Feature sets that hold the document. */
  featureSetsOf(documentId: string): Promise<string[]>;
}
