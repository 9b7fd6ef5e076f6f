import { type Kysely, Migrator } from 'kysely';
import { errorMessage, TwinError } from '../../errors.ts';
import type { MetadataStore, MigrationState } from '../../ports/metadata-store.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { migrationProvider } from './migrations.ts';
import { SqlDatasetRepository } from './sql-dataset-repository.ts';
import type { SqlDialect } from './sql-dialect.ts';
import { SqlDocumentRepository } from './sql-document-repository.ts';
import { SqlFeatureSetRepository } from './sql-feature-set-repository.ts';
import { SqlJobRepository } from './sql-job-repository.ts';
import { SqlModelRegistry } from './sql-model-registry.ts';
import { SqlOutboxRepository } from './sql-outbox-repository.ts';
import { SqlRequestLogRepository } from './sql-request-log-repository.ts';

export type SqlMetadataStoreOptions = {
  dialect: SqlDialect;
  /** Runs before migrations (PostgreSQL creates its schema here). */
  prepare?: () => Promise<void>;
  /**
   * Where Kysely keeps its migration bookkeeping. Needed on PostgreSQL: the migrator looks for
   * its table in every schema, so another twin's schema in the same database would fool it.
   */
  migrationTableSchema?: string;
  onClose?: () => Promise<void>;
};

/** The metadata store over one Kysely instance; the dialect (SQLite, PostgreSQL) is the caller's choice. */
export class SqlMetadataStore implements MetadataStore {
  readonly documents: SqlDocumentRepository;
  readonly featureSets: SqlFeatureSetRepository;
  readonly jobs: SqlJobRepository;
  readonly datasets: SqlDatasetRepository;
  readonly models: SqlModelRegistry;
  readonly requests: SqlRequestLogRepository;
  readonly outbox: SqlOutboxRepository;

  constructor(
    readonly db: Kysely<DatabaseSchema>,
    private readonly options: SqlMetadataStoreOptions,
  ) {
    this.documents = new SqlDocumentRepository(db, options.dialect);
    this.featureSets = new SqlFeatureSetRepository(db, options.dialect);
    this.jobs = new SqlJobRepository(db, options.dialect);
    this.datasets = new SqlDatasetRepository(db, options.dialect);
    this.models = new SqlModelRegistry(db, options.dialect);
    this.requests = new SqlRequestLogRepository(db, options.dialect);
    this.outbox = new SqlOutboxRepository(db, options.dialect);
  }

  async migrate(): Promise<string[]> {
    await this.options.prepare?.();
    // Kysely's migrator takes a lock (an advisory lock on PostgreSQL), so workers starting
    // together apply each migration once.
    const { error, results } = await this.migrator().migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error');
      // Without a failed migration the error came from around them (the lock, the bookkeeping
      // tables, the connection): its own message is the only clue the user gets.
      throw new TwinError(
        `migration ${failed?.migrationName ?? '(before any migration ran)'} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return (results ?? [])
      .filter((result) => result.status === 'Success')
      .map((result) => result.migrationName);
  }

  /** Read-only: unlike `migrate`, it creates nothing (no schema, no bookkeeping tables). */
  async migrations(): Promise<MigrationState[]> {
    const known = await this.migrator().getMigrations();
    return known.map((migration) => ({
      name: migration.name,
      appliedAt: migration.executedAt ? migration.executedAt.toISOString() : null,
    }));
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.options.onClose?.();
  }

  private migrator(): Migrator {
    return new Migrator({
      db: this.db,
      provider: migrationProvider,
      ...(this.options.migrationTableSchema
        ? { migrationTableSchema: this.options.migrationTableSchema }
        : {}),
    });
  }
}
