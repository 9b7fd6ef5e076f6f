import { type Kysely, Migrator } from 'kysely';
import { TwinError } from '../../errors.ts';
import type { MetadataStore } from '../../ports/metadata-store.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { migrationProvider } from './migrations.ts';
import { SqlDatasetRepository } from './sql-dataset-repository.ts';
import { SqlDocumentRepository } from './sql-document-repository.ts';
import { SqlFeatureSetRepository } from './sql-feature-set-repository.ts';
import { SqlJobRepository } from './sql-job-repository.ts';
import { SqlModelRegistry } from './sql-model-registry.ts';
import { SqlRequestLogRepository } from './sql-request-log-repository.ts';

/** The metadata store over one Kysely instance; the dialect (SQLite, PostgreSQL) is the caller's choice. */
export class SqlMetadataStore implements MetadataStore {
  readonly documents: SqlDocumentRepository;
  readonly featureSets: SqlFeatureSetRepository;
  readonly jobs: SqlJobRepository;
  readonly datasets: SqlDatasetRepository;
  readonly models: SqlModelRegistry;
  readonly requests: SqlRequestLogRepository;

  constructor(
    readonly db: Kysely<DatabaseSchema>,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.documents = new SqlDocumentRepository(db);
    this.featureSets = new SqlFeatureSetRepository(db);
    this.jobs = new SqlJobRepository(db);
    this.datasets = new SqlDatasetRepository(db);
    this.models = new SqlModelRegistry(db);
    this.requests = new SqlRequestLogRepository(db);
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error');
      throw new TwinError(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.onClose();
  }
}
