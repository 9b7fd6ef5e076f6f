import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '../../../core/adapters/artifacts/local-artifact-store.ts';
import { openSqliteDatabase } from '../../../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../../core/adapters/sqlite/sqlite-metadata-store.ts';
import { type TwinConfig, TwinConfig as TwinConfigSchema } from '../../../core/config/config-schema.ts';
import { loadConfig } from '../../../core/config/load-config.ts';
import { canonicalJson, sha256 } from '../../../core/hashing.ts';
import type { MetadataStore } from '../../../core/ports/metadata-store.ts';
import type { CleanedDocument } from '../../../core/types/cleaned-document.ts';
import type { FeatureSet, FeatureSetSpec } from '../../../core/types/feature-set.ts';

export type TestStores = {
  metadata: MetadataStore;
  artifacts: LocalArtifactStore;
  folder: string;
  close(): Promise<void>;
};

/** An in-memory SQLite metadata store and a local artifact store in a fresh temp folder. */
export async function openTestStores(): Promise<TestStores> {
  const folder = mkdtempSync(join(tmpdir(), 'twin-datasets-'));
  const database = openSqliteDatabase(':memory:');
  const metadata = createSqliteMetadataStore(database);
  await metadata.migrate();
  const artifacts = new LocalArtifactStore(join(folder, 'artifacts'));
  return {
    metadata,
    artifacts,
    folder,
    close: async () => {
      await artifacts.close();
      await metadata.close();
      database.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Registers a feature set; `variant` makes a different one (another embedder id). */
export async function registerFeatureSet(metadata: MetadataStore, variant = 'use-lite'): Promise<FeatureSet> {
  const chunking = { chunkSize: 256, chunkOverlap: 32, strategy: 'prose' } as const;
  const spec: FeatureSetSpec = {
    cleanerVersion: 'text-v1',
    chunking: { article: chunking, post: chunking, repository: { ...chunking, strategy: 'code' } },
    embedder: { id: variant, dimensions: 512 },
  };
  return metadata.featureSets.register({
    id: `fs_${sha256(canonicalJson(spec)).slice(0, 12)}`,
    spec,
    createdAt: '2026-05-01T00:00:00.000Z',
  });
}

/**
 * The sample author's 37 cleaned documents (8 blog articles, Medium, Substack, dev.to, LinkedIn
 * posts and articles, and her tiny-feature-store repository), as the feature pipeline cleaned them
 * from datasets/sample-author, with public URLs in place of the local test servers'. Recorded by
 * running `npm run demo` with TWIN_DATA_DIR set to a temp folder and writing out
 * `metadata.featureSets.listCleaned(featureSetId)`; record again when the cleaner changes.
 */
export function sampleDocuments(featureSetId = 'fs_000000000000'): CleanedDocument[] {
  const documents = JSON.parse(
    readFileSync(new URL('./sample-author-cleaned.json', import.meta.url), 'utf8'),
  ) as CleanedDocument[];
  return documents.map((document) => ({ ...document, featureSetId }));
}

/** Stores the sample author and her cleaned documents in a feature set. */
export async function storeSampleDocuments(
  metadata: MetadataStore,
  featureSetId: string,
  documents: CleanedDocument[] = sampleDocuments(featureSetId),
): Promise<CleanedDocument[]> {
  await metadata.documents.upsertAuthor('Noor Halvorsen');
  for (const document of documents) await metadata.featureSets.saveCleaned({ ...document, featureSetId }, 1);
  return documents;
}

/** The default training configuration, read without the environment, with overrides. */
export function trainingConfig(overrides: Partial<TwinConfig['training']> = {}): TwinConfig['training'] {
  const config = loadConfig({ env: {} });
  return TwinConfigSchema.shape.training.parse({ ...config.training, ...overrides });
}
