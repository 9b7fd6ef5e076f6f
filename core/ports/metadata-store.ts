import type { DatasetRepository } from './dataset-repository.ts';
import type { DocumentRepository } from './document-repository.ts';
import type { FeatureSetRepository } from './feature-set-repository.ts';
import type { JobRepository } from './job-repository.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { RequestLogRepository } from './request-log-repository.ts';

/** The metadata store: one repository per aggregate, sharing one database and its lifecycle. */
export interface MetadataStore {
  readonly documents: DocumentRepository;
  readonly featureSets: FeatureSetRepository;
  readonly jobs: JobRepository;
  readonly datasets: DatasetRepository;
  readonly models: ModelRegistry;
  readonly requests: RequestLogRepository;
  /** Brings the schema up to date; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
