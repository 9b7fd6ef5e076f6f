import { afterEach, beforeEach } from 'vitest';
import { sha256 } from '../hashing.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { NewModelVersion } from '../ports/model-registry.ts';
import type { CleanedDocument } from '../types/cleaned-document.ts';
import type { Dataset } from '../types/dataset.ts';
import type { JobRecord } from '../types/job-record.ts';
import type { RawDocument } from '../types/raw-document.ts';
import { contractFeatureSet } from './vector-store-contract.ts';

/** Builds a metadata store for one test; the repository contracts migrate and close it. */
export type CreateMetadataStore = () => Promise<MetadataStore>;

/**
 * A fresh, migrated store with the author `ada-quill` for every test of the calling `describe`,
 * closed after it. The repositories share one database, so each contract gets the whole store and
 * uses the other repositories only to set up what its own port needs.
 */
export function useMetadataStore(create: CreateMetadataStore): () => MetadataStore {
  let store: MetadataStore | undefined;
  beforeEach(async () => {
    store = await create();
    await store.migrate();
    await store.documents.upsertAuthor('Ada Quill');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error('the metadata store exists only inside a test');
    return store;
  };
}

export function article(id: string, content: string, overrides: Partial<RawDocument> = {}): RawDocument {
  return {
    id,
    authorId: 'ada-quill',
    platform: 'web',
    category: 'article',
    sourceUrl: `https://example.com/${id}`,
    canonicalUrl: null,
    title: `About ${id}`,
    content,
    contentHash: sha256(content),
    publishedAt: '2026-02-01T00:00:00.000Z',
    fetchedAt: '2026-03-01T00:00:00.000Z',
    metadata: { tags: ['ml'] },
    ...overrides,
  } as RawDocument;
}

export function cleaned(documentId: string, text: string): CleanedDocument {
  return {
    documentId,
    featureSetId: contractFeatureSet.id,
    authorId: 'ada-quill',
    platform: 'web',
    category: 'article',
    url: `https://example.com/${documentId}`,
    title: `About ${documentId}`,
    text,
    sourceHash: sha256(text),
    publishedAt: null,
    cleanedAt: '2026-03-02T00:00:00.000Z',
  };
}

export function job(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    queue: 'feature',
    name: 'feature.build',
    status: 'queued',
    payload: { force: false },
    result: null,
    error: null,
    progress: 0,
    progressMessage: null,
    attempts: 0,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

export function dataset(id: string, featureSetId = contractFeatureSet.id): Dataset {
  return {
    id,
    recipe: {
      kind: 'instruction',
      featureSetId,
      authorId: 'ada-quill',
      generator: {
        name: 'offline',
        version: '1',
        model: null,
        prompts: { title: 'Write an article titled "{title}"' },
      },
      filters: { minAnswerCharacters: 40, maxAnswerCharacters: 4000, nearDuplicateThreshold: 0.9 },
      split: { testFraction: 0.1, seed: 'twin' },
    },
    sourceDocumentIds: ['a1', 'a2'],
    sizes: { train: 9, test: 1 },
    dropped: { 'too short': 2 },
    usage: null,
    artifactKey: `datasets/${id}.json`,
    createdAt: '2026-03-03T00:00:00.000Z',
  };
}

export function modelVersion(overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name: 'twin',
    backend: 'local',
    baseModel: null,
    hyperparameters: { steps: 10 },
    datasetId: 'ds_0123456789ab',
    featureSetId: contractFeatureSet.id,
    parentVersion: null,
    metrics: { validationLoss: 2.5 },
    lossCurve: [{ step: 0, trainLoss: 5, validationLoss: null }],
    artifact: { kind: 'local', key: 'models/twin/j1', sha256: 'f'.repeat(64) },
    lossCurveKey: null,
    jobId: null,
    createdBy: 'tester',
    ...overrides,
  };
}
