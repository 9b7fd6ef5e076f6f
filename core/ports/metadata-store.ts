import type { DatasetRepository } from './dataset-repository.ts';
import type { DocumentRepository } from './document-repository.ts';
import type { FeatureSetRepository } from './feature-set-repository.ts';
import type { JobRepository } from './job-repository.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { OutboxRepository } from './outbox-repository.ts';
import type { RequestLogRepository } from './request-log-repository.ts';

/** A schema migration and when it was applied (null: pending). */
export type MigrationState = { name: string; appliedAt: string | null };

/** The metadata store: one repository per aggregate, sharing one database and its lifecycle. */
export interface MetadataStore {
  readonly documents: DocumentRepository;
  readonly featureSets: FeatureSetRepository;
  readonly jobs: JobRepository;
  readonly datasets: DatasetRepository;
  readonly models: ModelRegistry;
  readonly requests: RequestLogRepository;
  /** Change events written with the documents they describe (change data capture). */
  readonly outbox: OutboxRepository;
  /** Brings the schema up to date and returns the migrations it applied; safe on every start. */
  migrate(): Promise<string[]>;
  /** Every known migration, applied or pending, in order. */
  migrations(): Promise<MigrationState[]>;
  close(): Promise<void>;
}
