import { describe, expect, it } from 'vitest';
import { runDatasetRepositoryContract } from './dataset-repository-contract.ts';
import { runDocumentRepositoryContract } from './document-repository-contract.ts';
import { runFeatureSetRepositoryContract } from './feature-set-repository-contract.ts';
import { runJobRepositoryContract } from './job-repository-contract.ts';
import { type CreateMetadataStore, useMetadataStore } from './metadata-contract-fixtures.ts';
import { runModelRegistryContract } from './model-registry-contract.ts';
import { runOutboxRepositoryContract } from './outbox-repository-contract.ts';
import { runRequestLogRepositoryContract } from './request-log-repository-contract.ts';

/**
 * The behaviour every MetadataStore adapter must have: its own migrations, then the contract of
 * each repository port it serves.
 */
export function runMetadataStoreContract(name: string, create: CreateMetadataStore) {
  describe(`MetadataStore contract: ${name}`, () => {
    describe('migrations', () => {
      const store = useMetadataStore(create);

      it('migrates idempotently', async () => {
        expect(await store().migrate()).toEqual([]);
        expect((await store().documents.listAuthors()).map((author) => author.id)).toEqual(['ada-quill']);
        const migrations = await store().migrations();
        expect(migrations.map((migration) => migration.name)).toContain('0004_outbox');
        expect(migrations.filter((migration) => migration.appliedAt === null)).toEqual([]);
      });
    });

    runDocumentRepositoryContract(name, create);
    runOutboxRepositoryContract(name, create);
    runFeatureSetRepositoryContract(name, create);
    runJobRepositoryContract(name, create);
    runDatasetRepositoryContract(name, create);
    runModelRegistryContract(name, create);
    runRequestLogRepositoryContract(name, create);
  });
}
